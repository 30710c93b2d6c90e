/**
 * A temporary permission's lapse against DynamoDB Local: the conditional write the look makes, read
 * with the rule it was built from, and what the next decision does with the record.
 */
import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { rulesSchema } from '../../functions/shared/config/schema.js';
import type { Deps } from '../../functions/shared/deps.js';
import { recordLapse } from '../../functions/shared/operations/permission-expiry.js';
import { decisionFromReply } from '../../functions/shared/rules/permission.js';
import type { Db } from '../../functions/shared/store/client.js';
import { inboundGrantUpdate } from '../../functions/shared/store/items/pair.js';
import { keys } from '../../functions/shared/store/keys.js';
import { applyPermissionDecision } from '../../functions/shared/store/writes/permission-reply.js';
import { createTestDb, putPair, readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';

const rules = rulesSchema.parse(undefined);
const day = 86_400_000;
// In the future of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has really passed.
const t0 = Date.UTC(2030, 0, 1);
const business = exampleNumbers.india;
const until = t0 + rules.permissionSeconds * 1000;
let db: Db;

/** What the lapse needs of the function's dependencies: the table and a clock standing at `now`. */
const depsAt = (now: number) => ({ db, clock: () => now }) as unknown as Deps;

const grantedPair = async (user: string, fields: Record<string, unknown> = {}) =>
  putPair(db, business, user, {
    permission: 'temporary',
    permissionAt: t0,
    permissionUntil: until,
    permissionSource: 'reply',
    version: 1,
    ...fields,
  });

const pairOf = (user: string) => readItem(db, keys.pair(business, user));

beforeAll(async () => {
  db = await createTestDb();
});

describe('recording a lapse', () => {
  it('at its end exactly: expiredAt set, nothing else changed; a millisecond before, not due', async () => {
    const user = newUser();
    await grantedPair(user);
    const before = await pairOf(user);
    expect(await recordLapse(depsAt(until - 1), { business, user, expiresAt: until })).toEqual({
      kind: 'not_due',
    });
    expect(await pairOf(user)).toEqual(before);
    expect(await recordLapse(depsAt(until), { business, user, expiresAt: until })).toEqual({
      kind: 'expired',
      expiredAt: until,
    });
    expect(await pairOf(user)).toEqual({ ...before, expiredAt: until });
  });

  it('ten looks at once (a schedule delivered more than once) record it once', async () => {
    const user = newUser();
    await grantedPair(user);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        recordLapse(depsAt(until + 1_000 + i), { business, user, expiresAt: until }),
      ),
    );
    const recorded = outcomes.filter((outcome) => outcome.kind === 'expired');
    expect(recorded).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'already_recorded')).toHaveLength(9);
    expect((await pairOf(user))?.expiredAt).toBe((recorded[0] as { expiredAt: number }).expiredAt);
  });

  it('an old look after a renewal, a permanent grant or a rejection, or without a pair: nothing written', async () => {
    const user = newUser();
    await grantedPair(user, { permissionUntil: until + day });
    const renewed = await pairOf(user);
    expect(await recordLapse(depsAt(until), { business, user, expiresAt: until })).toEqual({
      kind: 'superseded',
    });
    expect(await pairOf(user)).toEqual(renewed);
    for (const permission of ['permanent', 'rejected', 'revoked']) {
      const other = newUser();
      await grantedPair(other, { permission });
      expect(
        await recordLapse(depsAt(until), { business, user: other, expiresAt: until }),
        permission,
      ).toEqual({ kind: 'superseded' });
      expect((await pairOf(other))?.expiredAt, permission).toBeUndefined();
    }
    const nobody = newUser();
    expect(await recordLapse(depsAt(until), { business, user: nobody, expiresAt: until })).toEqual({
      kind: 'superseded',
    });
    expect(await pairOf(nobody)).toBeUndefined();
  });
});

describe('the next decision', () => {
  it('a reply after the lapse removes the record: it spoke of the permission replaced', async () => {
    const user = newUser();
    await grantedPair(user, { expiredAt: until + 5 });
    const now = until + day;
    await applyPermissionDecision(db, {
      business,
      user,
      decision: decisionFromReply(
        { response: 'accept', isPermanent: false, responseSource: 'user_action' },
        now,
        rules,
      ),
      now,
      messageUuid: randomUUID(),
    });
    const pair = await pairOf(user);
    expect(pair?.permissionUntil).toBe(now + rules.permissionSeconds * 1000);
    expect(pair?.expiredAt).toBeUndefined();
  });

  it('an inbound call’s grant after the lapse removes it too', async () => {
    const user = newUser();
    await grantedPair(user, { expiredAt: until + 5 });
    const now = until + day;
    await db.doc.send(
      new UpdateCommand(inboundGrantUpdate(db.tableName, business, user, now, rules)),
    );
    const pair = await pairOf(user);
    expect(pair?.permissionAt).toBe(now);
    expect(pair?.expiredAt).toBeUndefined();
  });
});
