import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHandler as callIntentsHandler } from '../../functions/call-intents/handler.js';
import {
  type BusDelivery,
  type DispatcherEvent,
  type DispatcherHandler,
  createHandler as intentDispatcherHandler,
} from '../../functions/intent-dispatcher/handler.js';
import { createHandler as placeCallHandler } from '../../functions/place-call/handler.js';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { eventSource } from '../../functions/shared/events/envelope.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { readIntent } from '../../functions/shared/store/items/intents.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ttlFromMillis } from '../../functions/shared/store/table.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { createSandboxTelephony } from '../../local/sandbox/telephony.js';
import { createLocalWakeups } from '../../local/wakeups.js';
import { exampleNumbers } from '../support/fixtures.js';
import {
  type Bench,
  type BenchRow,
  benchDeps,
  benchPublicBaseUrl,
  type CountingDb,
  measureLatency,
} from './support.js';

const business = exampleNumbers.india;
const user = (i: number) => `+91986${String(i).padStart(7, '0')}`;
const warmup = 20;
const iterations = 200;
const day = 24 * 3600 * 1000;

type Event = APIGatewayProxyEventV2;

const event = (
  method: 'POST' | 'DELETE',
  route: string,
  path: string,
  body: unknown,
  pathParameters: Record<string, string> = {},
): Event =>
  toPayloadV2Event(
    {
      method,
      url: new URL(`${benchPublicBaseUrl}${path}`),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
      sourceIp: '127.0.0.1',
    },
    `${method} ${route}`,
    pathParameters,
    new Date(),
  );

const intentEvent = (to: string) =>
  event('POST', '/v1/call-intents', '/v1/call-intents', { from: business, to });

const cancelEvent = (intentId: string) =>
  event('DELETE', '/v1/call-intents/{intentId}', `/v1/call-intents/${intentId}`, undefined, {
    intentId,
  });

const callEvent = (to: string) => event('POST', '/v1/calls', '/v1/calls', { from: business, to });

/** What the stack's bus delivers to the dispatcher when the user accepts the permission request. */
const grantedDelivery = (to: string, now: number): BusDelivery => ({
  source: eventSource,
  'detail-type': 'permission.granted',
  detail: {
    id: randomUUID(),
    type: 'permission.granted',
    time: new Date(now).toISOString(),
    business,
    user: to,
    data: { permanent: false, expiresAt: new Date(now + 7 * day).toISOString(), source: 'reply' },
  },
});

interface Expected {
  readonly statusCode: number;
  /** The intent's status in the body. */
  readonly status?: string;
}

/** The handler's answer, refused unless it is the one expected. */
const checked = (result: Awaited<ReturnType<LambdaHandler>>, expected: Expected) => {
  const body = JSON.parse(result.body ?? '{}') as { intentId?: string; status?: string };
  if (
    result.statusCode !== expected.statusCode ||
    (expected.status !== undefined && body.status !== expected.status)
  ) {
    throw new Error(
      `expected ${expected.statusCode} ${expected.status ?? ''}, got ${result.statusCode}: ${result.body}`,
    );
  }
  return body;
};

/**
 * Runs the handler once: the DynamoDB requests it made, by command, their capacity, and the intent it
 * answered with.
 */
const counted = async (
  db: CountingDb,
  handler: LambdaHandler,
  input: Event,
  expected: Expected,
) => {
  const { result, figures } = await db.measure(() => handler(input, localContext('bench')));
  const body = checked(result, expected);
  return { figures, intentId: body.intentId as string };
};

/** Runs the dispatcher once: the DynamoDB requests it made, by command, and their capacity. */
const dispatched = async (db: CountingDb, dispatcher: DispatcherHandler, input: DispatcherEvent) =>
  (await db.measure(() => dispatcher(input, localContext('bench')))).figures;

/**
 * Warm in-process latency over pre-built events, and the DynamoDB requests per operation on average.
 * The answers are checked after timing, so the check is not timed.
 */
const latency = async (
  db: CountingDb,
  handler: LambdaHandler,
  events: readonly Event[],
  expected: Expected,
) => {
  const context = localContext('bench');
  const results: Awaited<ReturnType<LambdaHandler>>[] = [];
  db.reset();
  const { p50, p99, n } = await measureLatency(
    async (i) => {
      results.push(await handler(events[i < 0 ? -1 - i : warmup + i] as Event, context));
    },
    { warmup, iterations },
  );
  for (const result of results) checked(result, expected);
  return {
    'p50 ms': p50,
    'p99 ms': p99,
    n,
    'requests/op (mean)': Number((db.total() / (warmup + iterations)).toFixed(2)),
  };
};

/**
 * DynamoDB requests per call-intent operation (POST in each of its first states, the dispatcher's
 * wake-ups and events, DELETE), and warm in-process latency of the POSTs that take their first step at
 * once, against DynamoDB Local with the sandbox telephony. The clock is movable, so an intent held back
 * by the daily limit can come due.
 */
export const bench: Bench = {
  name: 'intents',
  async run(context) {
    const db = await context.countingDb();
    const config = readConfigFile(exampleConfigPath);
    let offset = 0;
    const clock = () => Date.now() + offset;
    // One calls-per-second bucket must not be the bottleneck of a sequential benchmark.
    const deps = {
      ...benchDeps(db, { ...config, account: { callsPerSecond: 1000 } }),
      clock,
      telephony: createSandboxTelephony(clock),
    };
    const intents = callIntentsHandler(deps);
    const place = placeCallHandler(deps);
    const wakeups = createLocalWakeups();
    const dispatcher = intentDispatcherHandler(deps, () => wakeups);
    const group = 'intents';
    const rows: BenchRow[] = [];

    // Users who accepted the permission request, as a permission reply leaves the pair: one per
    // placed intent (a placed intent holds its pair), and one more to reach the daily limit.
    const permitted = warmup + iterations + 2;
    const atLimit = user(permitted - 1);
    const now = clock();
    for (let start = 0; start < permitted; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, permitted - start) }, (_, k) =>
          db.doc.send(
            new PutCommand({
              TableName: db.tableName,
              Item: {
                ...keys.pair(business, user(start + k)),
                business,
                user: user(start + k),
                permission: 'temporary',
                permissionAt: now,
                permissionUntil: now + 7 * day,
                permissionSource: 'reply',
                ttl: ttlFromMillis(now + 7 * day),
                version: 1,
              },
            }),
          ),
        ),
      );
    }

    // Timed first, as outbound.bench.ts does: the counted run then finds the table warm.
    const placed: Expected = { statusCode: 202, status: 'placed' };
    const placedLatency = await latency(
      db,
      intents,
      Array.from({ length: warmup + iterations }, (_, i) => intentEvent(user(i))),
      placed,
    );
    rows.push({
      group,
      operation: 'POST /v1/call-intents: permitted, placed at once',
      figures: {
        ...(await counted(db, intents, intentEvent(user(warmup + iterations)), placed)).figures,
        ...placedLatency,
      },
    });

    const requested: Expected = { statusCode: 202, status: 'waiting_permission' };
    const requestedLatency = await latency(
      db,
      intents,
      Array.from({ length: warmup + iterations }, (_, i) => intentEvent(user(10_000 + i))),
      requested,
    );
    const waiting = await counted(db, intents, intentEvent(user(20_000)), requested);
    rows.push({
      group,
      operation: 'POST /v1/call-intents: no permission, request sent',
      figures: { ...waiting.figures, ...requestedLatency },
    });

    const limit = config.rules.businessCallsPer24Hours;
    for (let i = 0; i < limit; i++)
      checked(await place(callEvent(atLimit), localContext('bench')), { statusCode: 201 });
    const scheduled = await counted(db, intents, intentEvent(atLimit), {
      statusCode: 202,
      status: 'scheduled',
    });
    rows.push({
      group,
      operation: 'POST /v1/call-intents: daily limit reached, scheduled',
      figures: scheduled.figures,
    });

    const again = await counted(db, intents, intentEvent(atLimit), {
      statusCode: 200,
      status: 'scheduled',
    });
    if (again.intentId !== scheduled.intentId) {
      throw new Error(`expected the open intent ${scheduled.intentId}, got ${again.intentId}`);
    }
    rows.push({
      group,
      operation: 'POST /v1/call-intents: pair has an open intent (200)',
      figures: again.figures,
    });

    // A day later the calls that held the intent back have left the rolling window.
    offset += day + 1000;
    const wakeup = { intentId: scheduled.intentId };
    const due = await dispatched(db, dispatcher, wakeup);
    const after = await readIntent(db, scheduled.intentId, clock());
    if (after?.status !== 'placed') {
      throw new Error(`expected the woken intent placed, got ${after?.status}`);
    }
    rows.push({ group, operation: 'dispatcher: wake-up, due intent placed', figures: due });
    rows.push({
      group,
      operation: 'dispatcher: wake-up delivered again (already placed)',
      figures: await dispatched(db, dispatcher, wakeup),
    });
    rows.push({
      group,
      operation: 'dispatcher: permission.granted, pair without intent',
      figures: await dispatched(db, dispatcher, grantedDelivery(user(30_000), clock())),
    });

    rows.push({
      group,
      operation: 'DELETE /v1/call-intents/{intentId}: waiting intent cancelled',
      figures: (
        await counted(db, intents, cancelEvent(waiting.intentId), {
          statusCode: 200,
          status: 'cancelled',
        })
      ).figures,
    });
    return rows;
  },
};
