import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
// lib-dynamodb unmarshalls responses but not the item a failed condition returns (ALL_OLD).
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Rules } from '../config/schema.js';
import type { PairState } from '../rules/pair.js';
import { requestSlotNames } from '../rules/pair.js';
import {
  type PermissionDecision,
  pairExpiryAfterDecision,
  pairExpiryAfterRequest,
  pairRetentionMs,
  requestWindows,
} from '../rules/permission.js';
import { type Db, readLive } from './client.js';
import { type Key, keys } from './keys.js';
import { isExpired, ttlFromMillis } from './table.js';
import {
  cancellationReasons,
  conflicted,
  contentionRetries,
  failedCondition,
  stillContended,
} from './transactions.js';

/**
 * The permission lifecycle's writes on the pair item, each ONE DynamoDB request: a reply applied
 * (with its message dedupe in the same transaction), a permission request reserved (checked and
 * counted by its condition) and, when Plivo refuses to send it, released.
 */

const errorName = (error: unknown): string | undefined =>
  error instanceof Error ? error.name : undefined;

/** The pair as stored, or undefined when absent or past its TTL (DynamoDB deletes late). */
export const readPair = async (
  db: Db,
  business: string,
  user: string,
  now: number,
): Promise<PairState | undefined> => readLive<PairState>(db, keys.pair(business, user), now);

/** The pair update a permission decision makes: replaces the permission, bumps `version`, sets the TTL. */
export const permissionDecisionUpdate = (
  tableName: string,
  business: string,
  user: string,
  decision: PermissionDecision,
  now: number,
) => {
  const expiry = pairExpiryAfterDecision(decision, now);
  const set = [
    '#business = :business',
    '#user = :user',
    '#permission = :permission',
    '#permissionAt = :permissionAt',
    '#permissionSource = :permissionSource',
  ];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ':business': business,
    ':user': user,
    ':permission': decision.permission,
    ':permissionAt': decision.permissionAt,
    ':permissionSource': decision.permissionSource,
    ':one': 1,
  };
  const optional = (name: string, value: unknown) => {
    if (value === undefined) {
      remove.push(`#${name}`);
    } else {
      set.push(`#${name} = :${name}`);
      values[`:${name}`] = value;
    }
  };
  optional('permissionUntil', decision.permissionUntil);
  optional('revokedReason', decision.revokedReason);
  // A permanent grant carries no TTL while it lasts.
  optional('ttl', expiry === undefined ? undefined : ttlFromMillis(expiry));
  // The missed-call streak belongs to the permission it replaces (or to an item past its TTL that
  // DynamoDB has not deleted yet): a new decision starts from zero.
  optional('missed', undefined);
  optional('warnedAt', undefined);
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD #version :one`,
    ExpressionAttributeNames: {
      '#business': 'business',
      '#user': 'user',
      '#permission': 'permission',
      '#permissionAt': 'permissionAt',
      '#permissionSource': 'permissionSource',
      '#permissionUntil': 'permissionUntil',
      '#revokedReason': 'revokedReason',
      '#ttl': 'ttl',
      '#missed': 'missed',
      '#warnedAt': 'warnedAt',
      '#version': 'version',
    },
    ExpressionAttributeValues: values,
  };
};

/** How long a message dedupe item lasts: Plivo's redeliveries come within minutes to hours. */
const messageDedupeMs = pairRetentionMs;

/**
 * Applies a permission decision from a message. With a MessageUUID, one TransactWriteItems writes the
 * message's dedupe item (condition: not seen) and the pair: a redelivery cancels on the dedupe
 * condition and changes nothing.
 */
export const applyPermissionDecision = async (
  db: Db,
  input: {
    readonly business: string;
    readonly user: string;
    readonly decision: PermissionDecision;
    readonly now: number;
    readonly messageUuid?: string | undefined;
    /**
     * The nonce of a V2 signature, which signs no body: used once for a change, so a captured signature
     * cannot carry a forged reply.
     */
    readonly v2Nonce?: string | undefined;
  },
): Promise<'applied' | 'duplicate' | 'replayed_signature'> => {
  const update = permissionDecisionUpdate(
    db.tableName,
    input.business,
    input.user,
    input.decision,
    input.now,
  );
  const once = (key: Key) => ({
    Put: {
      TableName: db.tableName,
      Item: { ...key, appliedAt: input.now, ttl: ttlFromMillis(input.now + messageDedupeMs) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const guards = [
    ...(input.messageUuid
      ? [{ kind: 'duplicate' as const, item: once(keys.message(input.messageUuid)) }]
      : []),
    ...(input.v2Nonce
      ? [{ kind: 'replayed_signature' as const, item: once(keys.v2Nonce(input.v2Nonce)) }]
      : []),
  ];
  if (guards.length === 0) {
    await db.doc.send(new UpdateCommand(update));
    return 'applied';
  }
  const transaction = new TransactWriteCommand({
    TransactItems: [...guards.map((g) => g.item), { Update: update }],
  });
  const retry = contentionRetries();
  for (;;) {
    try {
      await db.doc.send(transaction);
      return 'applied';
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const failedGuard = guards.find((_, i) => failedCondition(reasons[i]));
      if (failedGuard) return failedGuard.kind;
      // Another write on the pair at the same instant (an inbound call, a placement): nothing was written.
      if (!reasons.some(conflicted)) throw error;
      if (!(await retry())) throw stillContended('A permission reply');
    }
  }
};

export type RequestReservation =
  | {
      readonly reserved: true;
      /** The slots before this request shifted them, to put back if the template cannot be sent. */
      readonly previousSlots: Readonly<Record<string, number | undefined>>;
    }
  | { readonly reserved: false; readonly pair: PairState | undefined };

const slotNames = (rules: Rules) => {
  const slots = requestSlotNames(rules);
  const names = Object.fromEntries(slots.map((slot, i) => [`#s${i}`, slot]));
  return { slots, names };
};

/** One permission request from a business number to a user, identified so it can be undone alone. */
export interface PermissionRequest {
  readonly business: string;
  readonly user: string;
  readonly requestId: string;
  readonly now: number;
  readonly rules: Rules;
}

/**
 * Reserves a permission request in one conditional UpdateItem: the condition holds when no permission
 * is active and each rolling window has room; the update shifts the slots (oldest first) and puts
 * `now` in the newest. The right-hand sides read the values from before the update.
 */
export const reservePermissionRequest = async (
  db: Db,
  input: PermissionRequest,
): Promise<RequestReservation> => {
  const { business, user, requestId, now, rules } = input;
  const { slots, names } = slotNames(rules);
  const n = slots.length;
  const shifts = slots.map((_, i) =>
    i === n - 1 ? `#s${i} = :now` : `#s${i} = if_not_exists(#s${i + 1}, :zero)`,
  );
  const values: Record<string, unknown> = {
    ':now': now,
    ':zero': 0,
    ':one': 1,
    ':business': business,
    ':user': user,
    ':requestId': requestId,
    ':ttl': ttlFromMillis(pairExpiryAfterRequest(now, rules)),
    ':temporary': 'temporary',
    ':rejected': 'rejected',
    ':revoked': 'revoked',
  };
  // A window allowing m requests has room when the m-th newest slot is empty or has left the window.
  const windows = requestWindows(rules).map((w, i) => {
    values[`:cutoff${i}`] = now - w.ms;
    const slot = `#s${n - w.max}`;
    return `(attribute_not_exists(${slot}) OR ${slot} <= :cutoff${i})`;
  });
  const noActivePermission =
    '(attribute_not_exists(#permission) OR #permission IN (:rejected, :revoked)' +
    ' OR (#permission = :temporary AND (attribute_not_exists(#until) OR #until <= :now)))';
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.pair(business, user),
        UpdateExpression: `SET ${shifts.join(', ')}, #business = :business, #user = :user, #lastRequestId = :requestId, #ttl = :ttl ADD #version :one`,
        ConditionExpression: [noActivePermission, ...windows].join(' AND '),
        ExpressionAttributeNames: {
          ...names,
          '#business': 'business',
          '#user': 'user',
          '#lastRequestId': 'lastRequestId',
          '#ttl': 'ttl',
          '#version': 'version',
          '#permission': 'permission',
          '#until': 'permissionUntil',
        },
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const previousSlots = Object.fromEntries(
      slots.map((slot) => {
        const value = Attributes?.[slot];
        return [slot, typeof value === 'number' ? value : undefined];
      }),
    );
    return { reserved: true, previousSlots };
  } catch (error) {
    if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
    const item = (error as { Item?: Record<string, AttributeValue> }).Item;
    const old = item ? unmarshall(item) : undefined;
    return { reserved: false, pair: old && !isExpired(old, now) ? (old as PairState) : undefined };
  }
};

/**
 * Puts the slots back as they were before a reservation whose template Plivo refused. Only while that
 * reservation is still the newest (same request id, newest slot untouched): a later request, or a
 * connected call's reset, is never undone. Returns whether it released.
 */
export const releasePermissionRequest = async (
  db: Db,
  input: PermissionRequest & {
    readonly previousSlots: Readonly<Record<string, number | undefined>>;
  },
): Promise<boolean> => {
  const { slots, names } = slotNames(input.rules);
  const set: string[] = [];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ':requestId': input.requestId,
    ':now': input.now,
    ':one': 1,
  };
  slots.forEach((slot, i) => {
    const previous = input.previousSlots[slot];
    if (previous === undefined) {
      remove.push(`#s${i}`);
    } else {
      set.push(`#s${i} = :p${i}`);
      values[`:p${i}`] = previous;
    }
  });
  try {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.pair(input.business, input.user),
        UpdateExpression: [
          set.length ? `SET ${set.join(', ')}` : '',
          remove.length ? `REMOVE ${remove.join(', ')}` : '',
          'ADD #version :one',
        ]
          .filter(Boolean)
          .join(' '),
        ConditionExpression: `#lastRequestId = :requestId AND #s${slots.length - 1} = :now`,
        ExpressionAttributeNames: {
          ...names,
          '#lastRequestId': 'lastRequestId',
          '#version': 'version',
        },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (errorName(error) === 'ConditionalCheckFailedException') return false;
    throw error;
  }
};
