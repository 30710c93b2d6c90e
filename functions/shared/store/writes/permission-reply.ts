import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type PermissionDecision, replySupersedes } from '../../rules/permission.js';
import type { Db } from '../client.js';
import { failedCondition, isConditionFailed, itemAtFailure, transactWrite } from '../conditions.js';
import { permissionDecisionUpdate, windowOpenUpdate } from '../items/pair.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';

/**
 * Message and V2-nonce items carry no TTL. Neither signature version has a time in it, so a captured
 * request verifies for as long as the auth token lasts: an item that expired would let it through again.
 * Both are a key and two attributes.
 */

/** One use of a V2 signature's nonce by one request; `useId` names that request (its invocation). */
export interface V2NonceUse {
  readonly nonce: string;
  readonly useId: string;
}

const noncePut = (tableName: string, use: V2NonceUse, now: number) => ({
  TableName: tableName,
  Item: { ...keys.v2Nonce(use.nonce), usedAt: now, useId: use.useId },
  ConditionExpression: 'attribute_not_exists(pk)',
});

/**
 * Records the nonce of a V2-signed request that changed nothing (or its own transaction already
 * recorded it): `used` when another request used it first.
 */
export const recordV2Nonce = async (
  db: Db,
  use: V2NonceUse,
  now: number,
): Promise<'recorded' | 'used'> => {
  try {
    await db.doc.send(
      new PutCommand({
        ...noncePut(db.tableName, use, now),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return 'recorded';
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return itemAtFailure<{ useId?: string }>(error)?.useId === use.useId ? 'recorded' : 'used';
  }
};

/** `linked`: the pair was under a BSUID that a link took meanwhile; the caller writes the number's. */
export type ReplyOutcome = 'applied' | 'duplicate' | 'replayed_signature' | 'stale' | 'linked';

/**
 * Applies a permission decision from a reply in one TransactWriteItems: the V2 nonce (when V2-signed),
 * the message (condition: not seen) and the pair (condition, with a send time: no reply sent at or after
 * it decided). The nonce goes in the same transaction as the change it authorises, never in a write of
 * its own: written after the change, a failed write would leave the change applied and the signature
 * free for a forged body; written before it, a failed change would burn the nonce and Plivo's retry
 * would be refused. Any failed condition writes nothing; a used nonce is reported first, as that
 * request is refused whatever else it is.
 */
export const applyPermissionDecision = async (
  db: Db,
  input: {
    readonly business: string;
    readonly user: string;
    readonly decision: PermissionDecision;
    readonly now: number;
    /** The message's id: Plivo's MessageUUID, or Meta's message id when Meta's own webhook was forwarded. */
    readonly messageUuid: string;
    /** When the user sent the reply (epoch ms), where the payload says. */
    readonly sentAt?: number | undefined;
    readonly v2Nonce?: V2NonceUse | undefined;
    /** The user's BSUID, where the reply carried it: recorded on the pair (the pair's key when `user` is it). */
    readonly userId?: string | undefined;
  },
): Promise<ReplyOutcome> => {
  const pair = permissionDecisionUpdate(
    db.tableName,
    input.business,
    input.user,
    input.decision,
    input.now,
    input.sentAt,
    input.userId === undefined
      ? undefined
      : { id: input.userId, keyed: input.userId === input.user },
  );
  const message = {
    TableName: db.tableName,
    Item: { ...keys.message(input.messageUuid), appliedAt: input.now },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  const items = [
    ...(input.v2Nonce ? [{ Put: noncePut(db.tableName, input.v2Nonce, input.now) }] : []),
    { Put: message },
    { Update: pair },
  ];
  const cancelled = await transactWrite(db, 'A permission reply', items);
  if (!cancelled) return 'applied';
  const [nonceReason, messageReason, pairReason] = input.v2Nonce
    ? cancelled.reasons
    : [undefined, ...cancelled.reasons];
  if (failedCondition(nonceReason)) return 'replayed_signature';
  if (failedCondition(messageReason)) return 'duplicate';
  const standing = itemAtFailure<{ replySentAt?: number; linkedTo?: string }>(pairReason);
  if (failedCondition(pairReason) && standing?.linkedTo !== undefined) return 'linked';
  if (failedCondition(pairReason) && !replySupersedes(standing?.replySentAt, input.sentAt)) {
    return 'stale';
  }
  throw cancelled.error;
};

/**
 * How long a user's message is remembered for its redeliveries: a replay of it after that (a captured
 * request verifies for as long as the auth token lasts) would keep the window open from the replay's
 * arrival; the free-form request Meta then refuses is released and answered 502, and a template works.
 */
export const userMessageRememberedMs = 30 * 24 * 3_600_000;

export type WindowOutcome = 'opened' | 'kept' | 'duplicate' | 'replayed_signature';

/**
 * A user's message to a business number keeps the customer-service window open, once per message: the
 * V2 nonce (when V2-signed), the message (condition: not seen) and the pair's window (condition: it
 * moves forward, `windowOpenUpdate`) in one TransactWriteItems. A window already open longer (or a
 * permanent grant) is `kept`: the message is still recorded, so that a redelivery later cannot move the
 * window from its own arrival.
 */
export const keepWindowOpenForMessage = async (
  db: Db,
  input: {
    readonly business: string;
    readonly user: string;
    readonly until: number;
    readonly now: number;
    readonly messageId: string;
    readonly v2Nonce?: V2NonceUse | undefined;
    /**
     * The user's BSUID, recorded on the pair; `keyed`: the pair is under it, so a link standing there
     * (written since it was read) keeps the window shut: a window not known open sends the template.
     */
    readonly userId?: { readonly id: string; readonly keyed: boolean } | undefined;
  },
): Promise<WindowOutcome> => {
  const message = {
    TableName: db.tableName,
    Item: {
      ...keys.message(input.messageId),
      appliedAt: input.now,
      ttl: ttlFromMillis(input.now + userMessageRememberedMs),
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  const window = windowOpenUpdate(
    db.tableName,
    input.business,
    input.user,
    input.until,
    input.userId,
  );
  const nonce = input.v2Nonce ? [{ Put: noncePut(db.tableName, input.v2Nonce, input.now) }] : [];
  let withWindow = true;
  for (;;) {
    const items = [...nonce, { Put: message }, ...(withWindow ? [{ Update: window }] : [])];
    const cancelled = await transactWrite(db, 'A user message', items);
    if (!cancelled) return withWindow ? 'opened' : 'kept';
    const [nonceReason, messageReason, windowReason] = input.v2Nonce
      ? cancelled.reasons
      : [undefined, ...cancelled.reasons];
    if (failedCondition(nonceReason)) return 'replayed_signature';
    if (failedCondition(messageReason)) return 'duplicate';
    if (!withWindow || !failedCondition(windowReason)) throw cancelled.error;
    withWindow = false;
  }
};
