import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as answerHandler } from '../../functions/answer/handler.js';
import { createHandler as dialStatusHandler } from '../../functions/dial-status/handler.js';
import { createHandler as placeCallHandler } from '../../functions/place-call/handler.js';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ttlFromMillis } from '../../functions/shared/store/table.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { exampleAgents, exampleNumbers } from '../support/fixtures.js';
import { signV3 } from '../support/plivo-sign.js';
import {
  type Bench,
  type BenchRow,
  benchAuthToken,
  benchDeps,
  benchPublicBaseUrl,
  type CountingDb,
  measureLatency,
} from './support.js';

const business = exampleNumbers.india;
const user = (i: number) => `+91984${String(i).padStart(7, '0')}`;
const warmup = 20;
const iterations = 300;
const day = 24 * 3600 * 1000;

type Event = ReturnType<typeof toPayloadV2Event>;

const event = (path: string, body: string, headers: Record<string, string>): Event =>
  toPayloadV2Event(
    {
      method: 'POST',
      url: new URL(`${benchPublicBaseUrl}${path}`),
      headers,
      body: Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    `POST ${path.split('?')[0]}`,
    {},
    new Date(),
  );

const placeEvent = (to: string, idempotencyKey?: string) =>
  event('/v1/calls', JSON.stringify({ from: business, to }), {
    'content-type': 'application/json',
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  });

/** Signed as Plivo signs it; built before timing, since signing is Plivo's work. */
const webhookEvent = (path: string, params: Record<string, string>) =>
  event(path, new URLSearchParams(params).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    ...signV3({
      method: 'POST',
      url: `${benchPublicBaseUrl}${path}`,
      params,
      authToken: benchAuthToken,
    }),
  });

const dialStatusEvent = (callId: string, DialStatus: string) =>
  webhookEvent(`${plivoPaths.dialStatus}?call=${callId}`, {
    DialStatus,
    DialALegUUID: randomUUID(),
    DialBLegUUID: DialStatus === 'completed' ? randomUUID() : '',
  });

const answerEvent = (callId: string) =>
  webhookEvent(`${plivoPaths.answer}?call=${callId}`, {
    CallUUID: randomUUID(),
    From: business.slice(1),
    To: exampleAgents.india,
    Direction: 'outbound',
    CallStatus: 'in-progress',
  });

const run = async (handler: LambdaHandler, input: Event, expectStatus: number) => {
  const result = await handler(input, localContext('bench'));
  if (result.statusCode !== expectStatus) {
    throw new Error(`expected ${expectStatus}, got ${result.statusCode}: ${result.body}`);
  }
  return result;
};

/** Runs the handler once and returns the DynamoDB requests it made, by command, and their capacity. */
const counted = async (
  db: CountingDb,
  handler: LambdaHandler,
  input: Event,
  expectStatus: number,
) => (await db.measure(() => run(handler, input, expectStatus))).figures;

/** Warm in-process latency over pre-built events, and the DynamoDB requests per operation on average. */
const latency = async (
  db: CountingDb,
  handler: LambdaHandler,
  events: readonly Event[],
  expectStatus: number,
) => {
  const context = localContext('bench');
  db.reset();
  const { p50, p99, n } = await measureLatency(
    async (i) => {
      const result = await handler(events[i < 0 ? iterations - 1 - i : i] as Event, context);
      if (result.statusCode !== expectStatus) {
        throw new Error(`expected ${expectStatus}, got ${result.statusCode}: ${result.body}`);
      }
    },
    { warmup, iterations },
  );
  return {
    'p50 ms': p50,
    'p99 ms': p99,
    n,
    'requests/op (mean)': Number((db.total() / (warmup + iterations)).toFixed(2)),
  };
};

/**
 * DynamoDB requests per placed business-initiated call (target: one read + one transaction), the
 * placement's warm latency in-process against DynamoDB Local with the sandbox telephony, and the same
 * for the agent leg's answer and the dial status.
 */
export const bench: Bench = {
  name: 'outbound',
  async run(context) {
    const db = await context.countingDb();
    const config = readConfigFile(exampleConfigPath);
    // One calls-per-second bucket must not be the bottleneck of a sequential benchmark.
    const deps = benchDeps(db, { ...config, account: { callsPerSecond: 1000 } });
    const { telephony } = deps;
    const place = placeCallHandler(deps);
    const answer = answerHandler(deps);
    const dialStatus = dialStatusHandler(deps);
    const group = 'outbound';
    const rows: BenchRow[] = [];

    // Users who accepted the permission request, as a permission reply leaves the pair.
    const users = warmup + iterations + 10;
    const now = Date.now();
    for (let start = 0; start < users; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, users - start) }, (_, k) =>
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

    const placements = Array.from({ length: warmup + iterations }, (_, i) => placeEvent(user(i)));
    const placeLatency = await latency(db, place, placements, 201);
    rows.push({
      group,
      operation: 'POST /v1/calls: placed',
      figures: {
        ...(await counted(db, place, placeEvent(user(users - 1)), 201)),
        ...placeLatency,
      },
    });
    rows.push({
      group,
      operation: 'POST /v1/calls: placed, with Idempotency-Key',
      figures: await counted(db, place, placeEvent(user(users - 2), randomUUID()), 201),
    });
    const key = randomUUID();
    await run(place, placeEvent(user(users - 3), key), 201);
    rows.push({
      group,
      operation: 'POST /v1/calls: retried Idempotency-Key',
      figures: await counted(db, place, placeEvent(user(users - 3), key), 201),
    });
    for (let i = 0; i < 5; i++) await run(place, placeEvent(user(users - 4)), 201);
    rows.push({
      group,
      operation: 'POST /v1/calls: refused (daily limit)',
      figures: await counted(db, place, placeEvent(user(users - 4)), 429),
    });

    // The calls placed above, by their answer URLs as the sandbox recorded them.
    const callIds = telephony
      .requests()
      .map((r) => new URL((r.params as { answer_url: string }).answer_url).searchParams.get('call'))
      .filter((id): id is string => id !== null)
      .slice(0, warmup + iterations);
    rows.push({
      group,
      operation: 'answer: agent leg',
      figures: {
        ...(await counted(db, answer, answerEvent(callIds[0] as string), 200)),
        ...(await latency(db, answer, callIds.map(answerEvent), 200)),
      },
    });
    rows.push({
      group,
      operation: 'dial-status: no-answer (missed)',
      figures: {
        ...(await counted(db, dialStatus, dialStatusEvent(callIds[0] as string, 'no-answer'), 200)),
        ...(await latency(
          db,
          dialStatus,
          callIds.map((id, i) =>
            dialStatusEvent(i === 0 ? (callIds[1] as string) : id, 'no-answer'),
          ),
          200,
        )),
      },
    });
    const connected = telephony.requests().at(-1)?.params as { answer_url: string };
    rows.push({
      group,
      operation: 'dial-status: completed (connected)',
      figures: await counted(
        db,
        dialStatus,
        dialStatusEvent(new URL(connected.answer_url).searchParams.get('call') ?? '', 'completed'),
        200,
      ),
    });
    rows.push({
      group,
      operation: 'dial-status: retried callback',
      figures: await counted(
        db,
        dialStatus,
        dialStatusEvent(callIds[0] as string, 'no-answer'),
        200,
      ),
    });
    return rows;
  },
};
