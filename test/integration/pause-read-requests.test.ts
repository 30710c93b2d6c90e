/**
 * The number's pause is read once per request: the DynamoDB reads of each route and dispatcher run that
 * reads it, counted on the handler's own client against DynamoDB Local. The pair and the pause are one
 * BatchGetItem where both are read at once; an intent's run reads the pause once and hands it to the
 * placement or the request it makes. Reads alone are pinned: a placement's writes also depend on
 * which lease shards exist yet (docs/performance.md has every request).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler as callIntentsHandler } from '../../functions/call-intents/handler.js';
import {
  type BusDelivery,
  createHandler as intentDispatcherHandler,
} from '../../functions/intent-dispatcher/handler.js';
import { createHandler as permissionRequestHandler } from '../../functions/permission-request/handler.js';
import { createHandler as placeCallHandler } from '../../functions/place-call/handler.js';
import { eventSource } from '../../functions/shared/events/envelope.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import {
  liftNumberPause,
  restrictionItem,
} from '../../functions/shared/store/items/number-restriction.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ttlFromMillis } from '../../functions/shared/store/table.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { createSandboxTelephony } from '../../local/sandbox/telephony.js';
import { createLocalWakeups } from '../../local/wakeups.js';
import { benchDeps, benchPublicBaseUrl, type CountingDb, countRequests } from '../bench/support.js';
import { createTestDb } from '../support/dynamo.js';
import { exampleConfig, exampleNumbers, newUser } from '../support/fixtures.js';

const business = exampleNumbers.india;
const day = 24 * 3600 * 1000;
let db: CountingDb;
const offset = 0;
const clock = () => Date.now() + offset;
let deps: ReturnType<typeof benchDeps>;

beforeAll(async () => {
  db = countRequests(await createTestDb(), inject('dynamoEndpoint'));
  deps = {
    ...benchDeps(db, { ...exampleConfig, account: { callsPerSecond: 1000 } }),
    clock,
    telephony: createSandboxTelephony(clock),
  };
});

const post = (route: string, body: unknown): APIGatewayProxyEventV2 =>
  toPayloadV2Event(
    {
      method: 'POST',
      url: new URL(`${benchPublicBaseUrl}${route}`),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
      sourceIp: '127.0.0.1',
    },
    `POST ${route}`,
    {},
    new Date(),
  );

const permitted = async (user: string) => {
  const now = clock();
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: {
        ...keys.pair(business, user),
        business,
        user,
        permission: 'temporary',
        permissionAt: now,
        permissionUntil: now + 7 * day,
        permissionSource: 'reply',
        ttl: ttlFromMillis(now + 7 * day),
        version: 1,
      },
    }),
  );
};

const reads = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

/** The reads among the commands counted since the last reset, in any order: `BatchGetItem×1 GetItem×2`. */
const readsSent = () =>
  Object.entries(db.counts())
    .filter(([name]) => reads.has(name))
    .map(([name, n]) => `${name.replace(/Command$/, '')}×${n}`)
    .sort()
    .join(' ') || 'none';

/** The handler's answer and the reads it sent. */
const counted = async (handler: LambdaHandler, event: APIGatewayProxyEventV2) => {
  db.reset();
  const result = await handler(event, localContext('test'));
  const body = JSON.parse(result.body ?? '{}') as Record<string, unknown>;
  return { status: result.statusCode, body, reads: readsSent() };
};

const pause = async (until: number) => {
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: restrictionItem({
        business,
        restriction: 'calls_paused',
        reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
        since: clock(),
        until,
      }),
    }),
  );
};

/** What the bus's rule hands the dispatcher for an intent event or the number's lift. */
const delivery = (type: string, data: Record<string, unknown>, user?: string) =>
  ({
    source: eventSource,
    'detail-type': type,
    detail: {
      id: `${type}-${String(data.intentId ?? 'lift')}`,
      type,
      time: new Date(clock()).toISOString(),
      business,
      ...(user === undefined ? {} : { user }),
      data,
    },
  }) as unknown as BusDelivery;

describe('the pause read once per request', () => {
  it('POST /v1/calls reads the pair and the pause in one BatchGetItem, placed or refused', async () => {
    const user = newUser();
    await permitted(user);
    const placed = await counted(
      placeCallHandler(deps),
      post('/v1/calls', { from: business, to: user }),
    );
    expect([placed.status, placed.reads]).toEqual([201, 'BatchGetItem×1']);
    const now = clock();
    await pause(now + 60_000);
    const refused = await counted(
      placeCallHandler(deps),
      post('/v1/calls', { from: business, to: newUser() }),
    );
    expect([refused.body.error, refused.reads]).toEqual(['number_paused', 'BatchGetItem×1']);
    await liftNumberPause(db, business, clock());
  });

  it('POST /v1/permission-requests reads the pause alone: the pair comes back from its write', async () => {
    const sent = await counted(
      permissionRequestHandler(deps),
      post('/v1/permission-requests', { from: business, to: newUser() }),
    );
    expect([sent.status, sent.reads]).toEqual([202, 'GetItem×1']);
  });

  it('POST /v1/call-intents reads the pause once, with the pair, whatever its steps', async () => {
    const user = newUser();
    await permitted(user);
    const intents = callIntentsHandler(deps);
    // The pair with the pause, then per step the intent and the pair, the placement's pair and the
    // intent as it ended.
    const placed = await counted(intents, post('/v1/call-intents', { from: business, to: user }));
    expect([placed.body.status, placed.reads]).toEqual(['placed', 'BatchGetItem×1 GetItem×4']);
    const requested = await counted(
      intents,
      post('/v1/call-intents', { from: business, to: newUser() }),
    );
    expect([requested.body.status, requested.reads]).toEqual([
      'waiting_permission',
      'BatchGetItem×1 GetItem×5',
    ]);
  });

  it('the dispatcher reads it once per run, and once for all the intents a lift wakes', async () => {
    const users = [newUser(), newUser(), newUser()];
    for (const user of users) await permitted(user);
    await pause(clock() + 60_000);
    const intents = callIntentsHandler(deps);
    const waiting = [];
    for (const user of users) {
      const created = await counted(
        intents,
        post('/v1/call-intents', { from: business, to: user }),
      );
      expect([created.body.reason, created.reads]).toEqual(['number_paused', 'BatchGetItem×1']);
      waiting.push(String(created.body.intentId));
    }
    const dispatcher = intentDispatcherHandler(deps, () => createLocalWakeups());
    const dispatch = async (event: Parameters<typeof dispatcher>[0]) => {
      db.reset();
      await dispatcher(event, localContext('test'));
      return readsSent();
    };
    const [first, second, third] = waiting as [string, string, string];
    const at = new Date(clock() + 60_000).toISOString();
    // Each wait marks its intent, then reads the pause again.
    for (const intentId of [first, second]) {
      expect(
        await dispatch(
          delivery('intent.scheduled', { intentId, at, reason: 'number_paused' }, users[0]),
        ),
      ).toBe('GetItem×1');
    }
    await liftNumberPause(db, business, clock());
    // One Query of the marks and one read of the pause, then per intent its run: the intent, the pair,
    // the placement's pair, the intent as it ended.
    expect(
      await dispatch(delivery('number.unpaused', { reason: 'operator', pausedUntil: at })),
    ).toBe('GetItem×9 Query×1');
    // A wake-up for the intent the lift did not mark: its run reads the pause with the pair.
    expect(await dispatch({ intentId: third })).toBe('BatchGetItem×1 GetItem×3');
  });
});
