import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CallPermissionReply,
  decisionFromReply,
} from '../../functions/shared/rules/permission.js';
import { requestRefusal } from '../../functions/shared/rules/permission-request.js';
import type { Db } from '../../functions/shared/store/client.js';
import { readPair } from '../../functions/shared/store/items/pair.js';
import { resetOnConnectUpdate } from '../../functions/shared/store/items/pair-calls.js';
import { keys } from '../../functions/shared/store/keys.js';
import { applyPermissionDecision } from '../../functions/shared/store/writes/permission-reply.js';
import {
  releasePermissionRequest,
  reservePermissionRequest,
} from '../../functions/shared/store/writes/permission-request.js';
import { createTestDb, putPair } from '../support/dynamo.js';
import { exampleNumbers, newUser, statedRules } from '../support/fixtures.js';

// The limits these tests count to (1 request a day, 2 a week, 7-day grants), stated once, not the defaults.
const rules = statedRules;
const hour = 3_600_000;
const day = 24 * hour;
// In the future of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has really passed.
const t0 = Date.UTC(2030, 0, 1);
const business = exampleNumbers.india;
let db: Db;

const accept: CallPermissionReply = {
  response: 'accept',
  isPermanent: false,
  responseSource: 'user_action',
};

const rawItem = async (key: { pk: string; sk: string }) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true })))
    .Item;

const grant = (
  user: string,
  reply: CallPermissionReply,
  now: number,
  messageUuid: string = randomUUID(),
) =>
  applyPermissionDecision(db, {
    business,
    user,
    decision: decisionFromReply(reply, now, rules),
    now,
    messageUuid,
  });

const reserve = (user: string, now: number, requestId = randomUUID()) =>
  reservePermissionRequest(db, { business, user, requestId, now, rules });

beforeAll(async () => {
  db = await createTestDb();
});

describe('applying a permission reply', () => {
  it('writes the grant with its TTL, once per MessageUUID', async () => {
    const user = newUser();
    const uuid = randomUUID();
    expect(await grant(user, accept, t0, uuid)).toBe('applied');
    expect(await grant(user, accept, t0 + hour, uuid)).toBe('duplicate');
    const item = await rawItem(keys.pair(business, user));
    expect(item).toMatchObject({
      business,
      user,
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + rules.permissionSeconds * 1000,
      permissionSource: 'reply',
      // Readable as expired for a week after the grant ends.
      ttl: Math.ceil((t0 + 14 * day) / 1000),
      version: 1,
    });
    // Kept for good: a captured reply replayed however late is still a duplicate.
    const dedupe = await rawItem(keys.message(uuid));
    expect(dedupe).toMatchObject({ appliedAt: t0 });
    expect(dedupe).not.toHaveProperty('ttl');
  });

  it('applies every message with its own MessageUUID', async () => {
    const user = newUser();
    await grant(user, accept, t0);
    await grant(user, accept, t0 + hour);
    expect(await rawItem(keys.pair(business, user))).toMatchObject({
      permissionAt: t0 + hour,
      version: 2,
    });
  });

  it('a permanent grant removes the TTL; a later revocation replaces it and sets one', async () => {
    const user = newUser();
    await grant(user, accept, t0, randomUUID());
    await grant(user, { ...accept, isPermanent: true }, t0 + hour, randomUUID());
    const permanent = await rawItem(keys.pair(business, user));
    expect(permanent).toMatchObject({ permission: 'permanent', version: 2 });
    expect(permanent).not.toHaveProperty('ttl');
    expect(permanent).not.toHaveProperty('permissionUntil');
    await grant(
      user,
      { ...accept, response: 'reject', responseSource: 'automatic' },
      t0 + 2 * hour,
      randomUUID(),
    );
    expect(await rawItem(keys.pair(business, user))).toMatchObject({
      permission: 'revoked',
      revokedReason: 'automatic',
      permissionUntil: t0 + 2 * hour + rules.refusalStandsSeconds * 1000,
      ttl: Math.ceil((t0 + 2 * hour + 14 * day) / 1000),
      version: 3,
    });
    await grant(user, accept, t0 + 3 * hour, randomUUID());
    expect(await rawItem(keys.pair(business, user))).not.toHaveProperty('revokedReason');
  });
});

describe('reading a pair', () => {
  it('treats an item past its TTL that DynamoDB has not deleted yet as absent', async () => {
    const user = newUser();
    await putPair(db, business, user, {
      permission: 'rejected',
      permissionAt: t0 - 20 * day,
      permissionUntil: t0 - 13 * day,
      request1: t0 - 20 * day,
      ttl: Math.ceil((t0 - day) / 1000),
    });
    expect(await rawItem(keys.pair(business, user))).toBeDefined();
    expect(await readPair(db, business, user, t0)).toBeUndefined();
    expect(await readPair(db, business, user, t0 - 2 * day)).toMatchObject({
      permission: 'rejected',
    });
    // Its stale slots are outside every window, so a request is allowed.
    expect(await reserve(user, t0)).toMatchObject({ reserved: true });
  });
});

describe('reserving permission requests', () => {
  it('counts 1 per 24 h and 2 per 7 days, refusing with the state that refused it', async () => {
    const user = newUser();
    expect(await reserve(user, t0)).toMatchObject({ reserved: true });
    const refused = await reserve(user, t0 + day - 1);
    expect(refused.reserved).toBe(false);
    if (refused.reserved) return;
    expect(requestRefusal(refused.pair, t0 + day - 1, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 1,
    });
    expect(await reserve(user, t0 + day)).toMatchObject({ reserved: true });
    const weekly = await reserve(user, t0 + 2 * day + 1);
    expect(weekly.reserved).toBe(false);
    if (weekly.reserved) return;
    expect(requestRefusal(weekly.pair, t0 + 2 * day + 1, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 5 * 24 * 3600,
    });
    expect(await reserve(user, t0 + 7 * day - 1)).toMatchObject({ reserved: false });
    expect(await reserve(user, t0 + 7 * day)).toMatchObject({ reserved: true });
    const item = await rawItem(keys.pair(business, user));
    expect(item).toMatchObject({
      request0: t0 + day,
      request1: t0 + 7 * day,
      ttl: Math.ceil((t0 + 14 * day) / 1000),
    });
  });

  it('a connected call resets the limits: a request is allowed again', async () => {
    const user = newUser();
    await reserve(user, t0);
    expect(await reserve(user, t0 + hour)).toMatchObject({ reserved: false });
    await db.doc.send(new UpdateCommand(resetOnConnectUpdate(db.tableName, business, user, rules)));
    expect(await reserve(user, t0 + 2 * hour)).toMatchObject({ reserved: true });
  });

  it('refuses while a permission is active, without touching a permanent grant', async () => {
    const user = newUser();
    await grant(user, { ...accept, isPermanent: true }, t0);
    const refused = await reserve(user, t0 + hour);
    expect(refused.reserved).toBe(false);
    if (refused.reserved) return;
    expect(requestRefusal(refused.pair, t0 + hour, rules)).toEqual({ code: 'permission_active' });
    const item = await rawItem(keys.pair(business, user));
    expect(item).not.toHaveProperty('ttl');
    expect(item).not.toHaveProperty('request1');

    const temporary = newUser();
    await grant(temporary, accept, t0);
    const grantEnds = t0 + rules.permissionSeconds * 1000;
    expect(await reserve(temporary, grantEnds - 1)).toMatchObject({ reserved: false });
    expect(await reserve(temporary, grantEnds)).toMatchObject({ reserved: true });
  });

  it('20 parallel requests for one pair reserve exactly 1 and store exactly 1 slot', async () => {
    const user = newUser();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => reserve(user, t0 + i)));
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    const item = await rawItem(keys.pair(business, user));
    const slots = [item?.request0, item?.request1].filter((t) => typeof t === 'number' && t > 0);
    expect(slots).toHaveLength(1);
  });
});

describe('a reservation the SDK sent again after a timed-out answer', () => {
  it('is this request, reserved once; released, it leaves the window no emptier than before', async () => {
    const user = newUser();
    await reserve(user, t0);
    const id = randomUUID();
    expect(await reserve(user, t0 + 2 * day, id)).toMatchObject({ reserved: true });
    // The same attempt again, as the SDK's retry sends it: it meets its own write.
    const retried = await reserve(user, t0 + 2 * day, id);
    if (!retried.reserved) throw new Error('expected the retry to be told it reserved');
    expect(await rawItem(keys.pair(business, user))).toMatchObject({
      request0: t0,
      request1: t0 + 2 * day,
      version: 2,
    });
    // A new request in the same day is still refused: the retry counted nothing.
    expect(await reserve(user, t0 + 2 * day + 1)).toMatchObject({ reserved: false });
    expect(
      await releasePermissionRequest(db, {
        business,
        user,
        requestId: id,
        now: t0 + 2 * day,
        rules,
        previousSlots: retried.previousSlots,
      }),
    ).toBe(true);
    // The slot shifted out (0, no request) is unknown to the retry: the next one stands in for it, so
    // the week's window stays full until t0's request leaves it (closed, never open).
    expect(await rawItem(keys.pair(business, user))).toMatchObject({ request0: t0, request1: t0 });
    expect(await reserve(user, t0 + 2 * day + 1)).toMatchObject({ reserved: false });
    expect(await reserve(user, t0 + 7 * day)).toMatchObject({ reserved: true });
  });
});

describe('releasing a reservation Plivo did not send', () => {
  it('puts the slots back as they were', async () => {
    const user = newUser();
    await reserve(user, t0);
    const id = randomUUID();
    const second = await reserve(user, t0 + 2 * day, id);
    if (!second.reserved) throw new Error('expected a reservation');
    expect(
      await releasePermissionRequest(db, {
        business,
        user,
        requestId: id,
        now: t0 + 2 * day,
        rules,
        previousSlots: second.previousSlots,
      }),
    ).toBe(true);
    const item = await rawItem(keys.pair(business, user));
    // The first request shifted an empty slot down as 0: no request.
    expect(item?.request0).toBe(0);
    expect(item?.request1).toBe(t0);
    // The released request is not counted: another is allowed at once.
    expect(await reserve(user, t0 + 2 * day + 1)).toMatchObject({ reserved: true });
  });

  it('never undoes a later request or a reset', async () => {
    const user = newUser();
    const id = randomUUID();
    const first = await reserve(user, t0, id);
    if (!first.reserved) throw new Error('expected a reservation');
    await reserve(user, t0 + day);
    const release = () =>
      releasePermissionRequest(db, {
        business,
        user,
        requestId: id,
        now: t0,
        rules,
        previousSlots: first.previousSlots,
      });
    expect(await release()).toBe(false);
    expect(await rawItem(keys.pair(business, user))).toMatchObject({
      request0: t0,
      request1: t0 + day,
    });

    const reset = newUser();
    const resetId = randomUUID();
    const before = await reserve(reset, t0, resetId);
    if (!before.reserved) throw new Error('expected a reservation');
    await db.doc.send(
      new UpdateCommand(resetOnConnectUpdate(db.tableName, business, reset, rules)),
    );
    expect(
      await releasePermissionRequest(db, {
        business,
        user: reset,
        requestId: resetId,
        now: t0,
        rules,
        previousSlots: before.previousSlots,
      }),
    ).toBe(false);
  });
});
