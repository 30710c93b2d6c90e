import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Rules, rulesSchema } from '../../functions/shared/config/schema.js';
import { leaseExpiry } from '../../functions/shared/rules/concurrency.js';
import { decisionAfterLink } from '../../functions/shared/rules/user-link.js';
import type { Db } from '../../functions/shared/store/client.js';
import {
  findLease,
  isInboundLease,
  leasesOf as storedLeases,
} from '../../functions/shared/store/items/leases.js';
import { linkUser } from '../../functions/shared/store/items/user-link.js';
import { keys } from '../../functions/shared/store/keys.js';
import { endCall } from '../../functions/shared/store/writes/call-end.js';
import { startInboundCall } from '../../functions/shared/store/writes/inbound-call.js';
import { recordInboundStart } from '../../functions/shared/store/writes/lease-changes.js';
import { createTestDb } from '../support/dynamo.js';
import { newBsuid, newBusiness, newUser } from '../support/fixtures.js';
import { pool } from '../support/local-host.js';

const rules = rulesSchema.parse(undefined);
const hour = 3_600_000;
const day = 24 * hour;
/** The grant an inbound call gives, by default. */
const permission = rules.permissionSeconds * 1000;
// In the future of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has really passed.
const t0 = Date.UTC(2030, 2, 1, 10);
let db: Db;

const item = async (key: { pk: string; sk: string }) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true })))
    .Item;

const leasesOf = async (business: string) => storedLeases(db, business);

/**
 * An inbound call's answer (its lease), then what the table's stream hands the lease-changes function
 * for it (store/writes/lease-changes.ts), as one outcome: `recorded` says what the record step did.
 */
const start = async (
  business: string,
  user: string,
  options: {
    callId?: string;
    now?: number;
    rules?: Rules;
    permission?: boolean;
    userId?: string;
    /** Between the answer and the record: another message links the BSUID meanwhile. */
    meanwhile?: () => Promise<unknown>;
  } = {},
) => {
  const callId = options.callId ?? randomUUID();
  const now = options.now ?? t0;
  const outcome = await startInboundCall(db, {
    callId,
    business,
    user,
    userId: options.userId,
    now,
    rules: options.rules ?? rules,
  });
  if (outcome.kind !== 'started') return outcome;
  await options.meanwhile?.();
  const lease = await findLease(db, business, callId);
  if (!lease || !isInboundLease(lease.lease)) throw new Error('started without an inbound lease');
  const recorded = await recordInboundStart(db, {
    callId,
    business,
    shard: lease.shard,
    lease: lease.lease,
    rules: options.rules ?? rules,
    callbackPermissionOnInbound: options.permission ?? true,
    now,
  });
  return recorded.kind === 'recorded'
    ? { kind: 'started' as const, permission: recorded.permission }
    : recorded;
};

beforeAll(async () => {
  db = await createTestDb();
});

describe('an inbound call starting', () => {
  it('records the call, takes a lease and grants a temporary callback permission', async () => {
    const [business, user, callId] = [newBusiness(), newUser(), randomUUID()];
    expect(await start(business, user, { callId })).toEqual({
      kind: 'started',
      permission: 'granted',
    });
    const record = await item(keys.call(callId));
    expect(record).toMatchObject({
      callId,
      direction: 'inbound',
      business,
      user,
      startedAt: t0,
      leaseExpiresAt: leaseExpiry(t0, rules),
      ttl: Math.ceil((t0 + 30 * day) / 1000),
    });
    expect(await leasesOf(business)).toEqual({
      [callId]: { e: leaseExpiry(t0, rules), u: user, s: t0 },
    });
    const pair = await item(keys.pair(business, user));
    expect(pair).toMatchObject({
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + permission,
      permissionSource: 'inbound_call',
      // Readable as expired for a week after the grant ends.
      ttl: Math.ceil((t0 + permission + 7 * day) / 1000),
      version: 1,
    });
  });

  it('counts a Plivo retry of the same CallUUID once: one record, one lease', async () => {
    const [business, user, callId] = [newBusiness(), newUser(), randomUUID()];
    expect((await start(business, user, { callId })).kind).toBe('started');
    expect(await start(business, user, { callId, now: t0 + 2000 })).toEqual({
      kind: 'duplicate',
    });
    expect(Object.keys(await leasesOf(business))).toEqual([callId]);
    expect((await item(keys.call(callId)))?.startedAt).toBe(t0);
    expect((await item(keys.pair(business, user)))?.version).toBe(1);
  });

  it('keeps a permanent permission and still resets the missed count and request slots', async () => {
    const [business, user] = [newBusiness(), newUser()];
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.pair(business, user),
          permission: 'permanent',
          permissionAt: t0 - day,
          missed: 3,
          warnedAt: t0 - hour,
          request0: t0 - 2 * day,
          request1: t0 - day,
          version: 4,
        },
      }),
    );
    expect(await start(business, user)).toEqual({ kind: 'started', permission: 'kept' });
    const pair = await item(keys.pair(business, user));
    expect(pair).toMatchObject({ permission: 'permanent', permissionAt: t0 - day, version: 4 });
    for (const gone of ['missed', 'warnedAt', 'request0', 'request1', 'ttl', 'permissionUntil']) {
      expect(pair).not.toHaveProperty(gone);
    }
  });

  it('keeps a temporary permission lasting longer than a new grant would', async () => {
    const [business, user] = [newBusiness(), newUser()];
    const until = t0 + 20 * day;
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.pair(business, user),
          permission: 'temporary',
          permissionAt: t0 - day,
          permissionUntil: until,
          missed: 1,
          ttl: Math.ceil(until / 1000),
          version: 2,
        },
      }),
    );
    expect(await start(business, user)).toEqual({ kind: 'started', permission: 'kept' });
    const pair = await item(keys.pair(business, user));
    expect(pair).toMatchObject({ permission: 'temporary', permissionUntil: until, version: 2 });
    expect(pair).not.toHaveProperty('missed');
  });

  it('replaces a shorter temporary permission and a revocation with a new grant', async () => {
    const business = newBusiness();
    const [shorter, revoked] = [newUser(), newUser()];
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.pair(business, shorter),
          permission: 'temporary',
          permissionUntil: t0 + day,
          ttl: Math.ceil((t0 + 7 * day) / 1000),
          version: 1,
        },
      }),
    );
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.pair(business, revoked),
          permission: 'revoked',
          revokedReason: 'missed_calls',
          permissionUntil: t0 + 6 * day,
          ttl: Math.ceil((t0 + 7 * day) / 1000),
          version: 7,
        },
      }),
    );
    for (const user of [shorter, revoked]) {
      expect(await start(business, user)).toEqual({ kind: 'started', permission: 'granted' });
      const pair = await item(keys.pair(business, user));
      expect(pair).toMatchObject({ permission: 'temporary', permissionUntil: t0 + permission });
      expect(pair).not.toHaveProperty('revokedReason');
    }
    expect((await item(keys.pair(business, revoked)))?.version).toBe(8);
  });

  it('with callback permission off: creates no pair item, but resets an existing one', async () => {
    const business = newBusiness();
    const [stranger, known] = [newUser(), newUser()];
    expect(await start(business, stranger, { permission: false })).toEqual({
      kind: 'started',
      permission: 'off',
    });
    expect(await item(keys.pair(business, stranger))).toBeUndefined();
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.pair(business, known), missed: 2, ttl: Math.ceil((t0 + day) / 1000) },
      }),
    );
    expect((await start(business, known, { permission: false })).kind).toBe('started');
    const pair = await item(keys.pair(business, known));
    expect(pair).not.toHaveProperty('missed');
    expect(pair).not.toHaveProperty('permission');
  });
});

describe('an inbound call from a caller known by a BSUID', () => {
  it('keeps the BSUID on the lease and the record, and grants under it', async () => {
    const [business, bsuid, callId] = [newBusiness(), newBsuid(), randomUUID()];
    expect((await start(business, bsuid, { callId, userId: bsuid })).kind).toBe('started');
    expect(await item(keys.call(callId))).toMatchObject({ user: bsuid, userId: bsuid });
    expect(await item(keys.pair(business, bsuid))).toMatchObject({
      user: bsuid,
      userId: bsuid,
      permission: 'temporary',
    });
  });

  it('linked to a number after the answer: the grant, or the reset alone, goes to the number', async () => {
    for (const permission of [true, false]) {
      const [business, bsuid, number] = [newBusiness(), newBsuid(), newUser()];
      await db.doc.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { ...keys.pair(business, number), missed: 2, ttl: Math.ceil((t0 + day) / 1000) },
        }),
      );
      const link = () =>
        linkUser(
          db,
          { business, number, userId: bsuid, now: t0, pairExpiry: 'contact' },
          decisionAfterLink,
        );
      expect(
        await start(business, bsuid, { userId: bsuid, permission, meanwhile: link }),
      ).toMatchObject({ kind: 'started' });
      const [underBsuid, underNumber] = [
        await item(keys.pair(business, bsuid)),
        await item(keys.pair(business, number)),
      ];
      expect(underBsuid).toMatchObject({ linkedTo: number });
      expect(underBsuid).not.toHaveProperty('permission');
      expect(underNumber).not.toHaveProperty('missed');
      if (permission) expect(underNumber).toMatchObject({ permission: 'temporary', userId: bsuid });
      else expect(underNumber).not.toHaveProperty('permission');
    }
  });
});

describe('leases', () => {
  it('1,050 parallel inbound calls to one number: exactly 1,000 leases, 50 refused', async () => {
    const business = newBusiness();
    const callIds = Array.from({ length: 1050 }, () => randomUUID());
    const outcomes = await pool(
      callIds.map((callId) => () => start(business, newUser(), { callId })),
      64,
    );
    const started = callIds.filter((_, i) => outcomes[i]?.kind === 'started');
    expect(started).toHaveLength(1000);
    expect(outcomes.filter((o) => o.kind === 'at_capacity')).toHaveLength(50);
    const leases = await leasesOf(business);
    expect(Object.keys(leases).sort()).toEqual([...started].sort());
    // A refused call left nothing behind.
    const refused = callIds.filter((_, i) => outcomes[i]?.kind === 'at_capacity');
    for (const callId of refused.slice(0, 10)) {
      expect(await item(keys.call(callId))).toBeUndefined();
    }
  });

  it('reaps leases whose hangup was lost, then takes the freed capacity', async () => {
    const business = newBusiness();
    const small = rulesSchema.parse({ simultaneousCallsPerNumber: 2, maxCallSeconds: 60 });
    const lease = leaseExpiry(0, small);
    const [a, b] = [randomUUID(), randomUUID()];
    await start(business, newUser(), { callId: a, rules: small });
    await start(business, newUser(), { callId: b, rules: small, now: t0 + 30_000 });
    expect(await start(business, newUser(), { rules: small, now: t0 + lease - 1000 })).toEqual({
      kind: 'at_capacity',
    });
    // Once the first lease has lapsed, the next call reaps it and gets its place.
    const c = randomUUID();
    expect(
      (await start(business, newUser(), { callId: c, rules: small, now: t0 + lease + 1000 })).kind,
    ).toBe('started');
    expect(Object.keys(await leasesOf(business)).sort()).toEqual([b, c].sort());
  });
});

describe('a call ending', () => {
  it('records the end and releases the lease once, however often Plivo repeats the hangup', async () => {
    const [business, user, callId] = [newBusiness(), newUser(), randomUUID()];
    const other = randomUUID();
    await start(business, user, { callId });
    await start(business, newUser(), { callId: other });
    const end = { callId, business, endedAt: t0 + 90_000, durationSeconds: 88 };
    expect(await endCall(db, { ...end, hangupCause: 'NORMAL_CLEARING' })).toBe('ended');
    expect(await endCall(db, { ...end, endedAt: t0 + 95_000, hangupCause: 'X' })).toBe(
      'already_ended',
    );
    expect(await item(keys.call(callId))).toMatchObject({
      endedAt: t0 + 90_000,
      durationSeconds: 88,
      hangupCause: 'NORMAL_CLEARING',
    });
    expect(Object.keys(await leasesOf(business))).toEqual([other]);
  });

  it('finds the business number from the record when the request does not name it', async () => {
    const [business, callId] = [newBusiness(), randomUUID()];
    await start(business, newUser(), { callId });
    expect(await endCall(db, { callId, endedAt: t0 + 1000 })).toBe('ended');
    expect(await endCall(db, { callId, endedAt: t0 + 2000 })).toBe('already_ended');
    // A request naming another business number cannot release a lease on the wrong line.
    const again = randomUUID();
    await start(business, newUser(), { callId: again });
    expect(await endCall(db, { callId: again, business: newBusiness(), endedAt: t0 + 3000 })).toBe(
      'ended',
    );
    expect(await leasesOf(business)).toEqual({});
  });

  it("records a hangup that comes before the answer, so the late answer's lease is released once recorded", async () => {
    const [business, user, callId] = [newBusiness(), newUser(), randomUUID()];
    expect(
      await endCall(db, { callId, business, user, endedAt: t0, hangupCause: 'ORIGINATOR_CANCEL' }),
    ).toBe('ended_unanswered');
    expect(await item(keys.call(callId))).toMatchObject({
      direction: 'inbound',
      business,
      user,
      endedAt: t0,
      hangupCause: 'ORIGINATOR_CANCEL',
    });
    expect(await start(business, user, { callId, now: t0 + 1000 })).toEqual({
      kind: 'lease_released',
    });
    expect(await leasesOf(business)).toEqual({});
    expect(await endCall(db, { callId, business, user, endedAt: t0 + 2000 })).toBe('already_ended');
  });

  it('answers a hangup naming no business number for an unknown call without writing anything', async () => {
    const callId = randomUUID();
    expect(await endCall(db, { callId, endedAt: t0 })).toBe('unknown_call');
    expect(await item(keys.call(callId))).toBeUndefined();
  });
});
