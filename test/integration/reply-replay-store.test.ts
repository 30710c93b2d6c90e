/**
 * What keeps a captured permission reply from being applied again, against DynamoDB Local: the V2 nonce
 * and the message kept for good (no TTL), the nonce written in the same transaction as the change, and
 * the reply's send time ordering decisions (the store's condition agrees with `replySupersedes`).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { rulesSchema } from '../../functions/shared/config/schema.js';
import {
  type CallPermissionReply,
  decisionFromReply,
  replySupersedes,
} from '../../functions/shared/rules/permission.js';
import type { Db } from '../../functions/shared/store/client.js';
import { keys } from '../../functions/shared/store/keys.js';
import {
  applyPermissionDecision,
  recordV2Nonce,
  type V2NonceUse,
} from '../../functions/shared/store/writes/permission-reply.js';
import { createTestDb, readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';

const rules = rulesSchema.parse(undefined);
const t0 = Date.UTC(2030, 0, 1);
const business = exampleNumbers.india;
let db: Db;

const accept: CallPermissionReply = {
  response: 'accept',
  isPermanent: false,
  responseSource: 'user_action',
};
const reject: CallPermissionReply = { ...accept, response: 'reject' };

const apply = (
  user: string,
  reply: CallPermissionReply,
  options: { now?: number; sentAt?: number; v2Nonce?: V2NonceUse; messageUuid?: string } = {},
) => {
  const now = options.now ?? t0;
  return applyPermissionDecision(db, {
    business,
    user,
    decision: decisionFromReply(reply, now, rules),
    now,
    messageUuid: options.messageUuid ?? randomUUID(),
    ...(options.sentAt === undefined ? {} : { sentAt: options.sentAt }),
    ...(options.v2Nonce ? { v2Nonce: options.v2Nonce } : {}),
  });
};

const nonceUse = (nonce = String(Math.random()).slice(2)): V2NonceUse => ({
  nonce,
  useId: randomUUID(),
});

beforeAll(async () => {
  db = await createTestDb();
});

describe('V2 nonces', () => {
  it('are kept for good, written with the change; a second use changes nothing', async () => {
    const user = newUser();
    const use = nonceUse();
    expect(await apply(user, accept, { v2Nonce: use })).toBe('applied');
    const nonce = await readItem(db, keys.v2Nonce(use.nonce));
    expect(nonce).toMatchObject({ usedAt: t0, useId: use.useId });
    expect(nonce).not.toHaveProperty('ttl');
    const pair = await readItem(db, keys.pair(business, user));
    expect(
      await apply(user, reject, { v2Nonce: { ...use, useId: randomUUID() }, now: t0 + 1 }),
    ).toBe('replayed_signature');
    expect(await readItem(db, keys.pair(business, user))).toEqual(pair);
  });

  it('a used nonce wins over a duplicate message: the signature is refused', async () => {
    const user = newUser();
    const use = nonceUse();
    const messageUuid = randomUUID();
    expect(await apply(user, accept, { v2Nonce: use, messageUuid })).toBe('applied');
    expect(
      await apply(user, accept, { v2Nonce: { ...use, useId: randomUUID() }, messageUuid }),
    ).toBe('replayed_signature');
  });

  it('recorded alone: once per use; the request that wrote it may record it again', async () => {
    const use = nonceUse();
    expect(await recordV2Nonce(db, use, t0)).toBe('recorded');
    expect(await recordV2Nonce(db, use, t0 + 5)).toBe('recorded');
    expect(await recordV2Nonce(db, { ...use, useId: randomUUID() }, t0)).toBe('used');
    expect(await readItem(db, keys.v2Nonce(use.nonce))).not.toHaveProperty('ttl');

    const written = nonceUse();
    expect(await apply(newUser(), accept, { v2Nonce: written })).toBe('applied');
    expect(await recordV2Nonce(db, written, t0)).toBe('recorded');
    expect(await recordV2Nonce(db, { ...written, useId: randomUUID() }, t0)).toBe('used');
  });
});

describe('applied messages', () => {
  it('are kept for good', async () => {
    const messageUuid = randomUUID();
    expect(await apply(newUser(), accept, { messageUuid })).toBe('applied');
    const message = await readItem(db, keys.message(messageUuid));
    expect(message).toMatchObject({ appliedAt: t0 });
    expect(message).not.toHaveProperty('ttl');
  });
});

describe("a reply's send time", () => {
  it('orders decisions exactly as replySupersedes does, at the edges', async () => {
    const user = newUser();
    const sent = t0 - 60_000;
    expect(await apply(user, reject, { sentAt: sent })).toBe('applied');
    expect(await readItem(db, keys.pair(business, user))).toMatchObject({
      permission: 'rejected',
      replySentAt: sent,
    });
    for (const [sentAt, outcome] of [
      [sent - 1, 'stale'],
      [sent, 'stale'],
      [sent + 1, 'applied'],
    ] as const) {
      expect(replySupersedes(sent, sentAt)).toBe(outcome === 'applied');
      const other = newUser();
      await apply(other, reject, { sentAt: sent });
      expect(await apply(other, accept, { sentAt, now: t0 + 1 })).toBe(outcome);
    }
    expect(await readItem(db, keys.pair(business, user))).toMatchObject({ permission: 'rejected' });
  });

  it('a stale reply changes nothing, not even its message record', async () => {
    const user = newUser();
    await apply(user, reject, { sentAt: t0 });
    const pair = await readItem(db, keys.pair(business, user));
    const messageUuid = randomUUID();
    const use = nonceUse();
    expect(await apply(user, accept, { sentAt: t0 - 1, messageUuid, v2Nonce: use })).toBe('stale');
    expect(await readItem(db, keys.pair(business, user))).toEqual(pair);
    expect(await readItem(db, keys.message(messageUuid))).toBeUndefined();
    expect(await readItem(db, keys.v2Nonce(use.nonce))).toBeUndefined();
  });

  it('without a send time, a reply applies in arrival order and keeps the last known send time', async () => {
    const user = newUser();
    await apply(user, reject, { sentAt: t0 });
    expect(replySupersedes(t0, undefined)).toBe(true);
    expect(await apply(user, accept, { now: t0 + 1 })).toBe('applied');
    expect(await readItem(db, keys.pair(business, user))).toMatchObject({
      permission: 'temporary',
      replySentAt: t0,
    });
    // A first reply with a send time on a pair that never had one applies.
    const fresh = newUser();
    await apply(fresh, accept);
    expect(replySupersedes(undefined, t0)).toBe(true);
    expect(await apply(fresh, reject, { sentAt: t0, now: t0 + 1 })).toBe('applied');
  });
});
