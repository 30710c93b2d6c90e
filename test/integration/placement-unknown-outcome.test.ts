/**
 * Taking over the reservation an Idempotency-Key's first request left pending, against DynamoDB Local:
 * one retry wins it even when two send the very same items, a taker whose answer was lost still learns
 * it won, and a stale call whose user was already dialed is never released.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { placementDecisions } from '../../functions/shared/operations/place-call.js';
import type { Db } from '../../functions/shared/store/client.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keyPrefixes, keys } from '../../functions/shared/store/keys.js';
import { type Reservation, reserveCall } from '../../functions/shared/store/writes/place-call.js';
import { takeOverReservation } from '../../functions/shared/store/writes/place-call-release.js';
import { createTestDb, putPair, readItem } from '../support/dynamo.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';

const business = exampleNumbers.india;
const { rules } = readConfigFile(exampleConfigPath);
const grantMs = rules.permissionSeconds * 1000;

let db: Db;

/** While above 0, that many takeover transactions are applied and then answered with a timeout. */
let loseTakeoverAnswers = 0;

const isTakeover = (input: unknown): boolean =>
  (
    (input as { TransactItems?: { Delete?: { Key?: { pk?: unknown } } }[] }).TransactItems ?? []
  ).some((item) => String(item.Delete?.Key?.pk ?? '').startsWith(keyPrefixes.idempotency));

beforeAll(async () => {
  db = await createTestDb();
  db.doc.middlewareStack.add(
    (next) => async (args) => {
      if (loseTakeoverAnswers === 0 || !isTakeover(args.input)) return next(args);
      loseTakeoverAnswers -= 1;
      await next(args);
      throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    },
    { step: 'initialize', name: 'loseTakeoverAnswers' },
  );
});

type Stale = Reservation & { idempotency: NonNullable<Reservation['idempotency']> };

/** A reservation as a request leaves it when its outcome stays unknown: written, key pending, never placed. */
const staleReservation = async (): Promise<Stale> => {
  const now = Date.now();
  const user = newUser();
  await putPair(db, business, user, {
    permission: 'temporary',
    permissionAt: now,
    permissionUntil: now + grantMs,
    permissionSource: 'reply',
    ttl: Math.ceil((now + grantMs) / 1000),
    version: 1,
  });
  const reservation: Stale = {
    callId: randomUUID(),
    business,
    user,
    agent: exampleAgents.india,
    idempotency: { key: randomUUID(), requestHash: 'the-request' },
  };
  const outcome = await reserveCall(
    db,
    reservation,
    () => now,
    { rules, callsPerSecond: 1_000 },
    placementDecisions(rules),
  );
  expect(outcome.kind).toBe('reserved');
  return reservation;
};

/** What the stale reservation holds, as DynamoDB has it. */
const held = async ({ callId, user, idempotency }: Stale) => ({
  call: await readItem(db, keys.call(callId)),
  lease: Object.keys(await leasesOf(db, business)).includes(callId),
  dailySlot: Object.keys((await readItem(db, keys.pair(business, user)))?.calls ?? {}),
  key: await readItem(db, keys.idempotency(idempotency.key)),
});

describe('taking over a pending reservation', () => {
  it('two retries send the same takeover: the first releases everything, the second is told it lost', async () => {
    const stale = await staleReservation();
    expect(await held(stale)).toMatchObject({
      call: { callId: stale.callId },
      lease: true,
      dailySlot: [stale.callId],
      key: { status: 'pending', callId: stale.callId },
    });

    expect(await takeOverReservation(db, stale, randomUUID(), Date.now())).toBe('released');
    expect(await held(stale)).toEqual({
      call: undefined,
      lease: false,
      dailySlot: [],
      key: undefined,
    });
    expect(await takeOverReservation(db, stale, randomUUID(), Date.now())).toBe('lost');
  });

  it('a takeover applied but answered with a timeout: sent again, it learns that it released', async () => {
    const stale = await staleReservation();
    loseTakeoverAnswers = 1;
    expect(await takeOverReservation(db, stale, randomUUID(), Date.now())).toBe('released');
    expect(loseTakeoverAnswers).toBe(0);
    expect(await held(stale)).toEqual({
      call: undefined,
      lease: false,
      dailySlot: [],
      key: undefined,
    });
  });

  it('the stale call already dialed its user: nothing is released', async () => {
    const stale = await staleReservation();
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.call(stale.callId),
        UpdateExpression: 'SET dialedAt = :now',
        ExpressionAttributeValues: { ':now': Date.now() },
      }),
    );
    const before = await held(stale);
    expect(await takeOverReservation(db, stale, randomUUID(), Date.now())).toBe('dialed');
    expect(await held(stale)).toEqual(before);
  });
});
