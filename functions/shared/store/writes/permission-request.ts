import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import type { PairState, PermissionRequestKind } from '../../rules/pair.js';
import {
  pairExpiryAfterRequest,
  requestRoom,
  requestSlotNames,
} from '../../rules/permission-request.js';
import type { Origin } from '../../rules/references.js';
import type { Db } from '../client.js';
import { attributeNames, isConditionFailed, itemAtFailure } from '../conditions.js';
import { activePermissionCondition, requestOriginAttributes } from '../items/pair.js';
import { keys } from '../keys.js';
import { isExpired, ttlFromMillis } from '../table.js';

/**
 * A permission request counted on the pair item in ONE conditional UpdateItem (refused by its condition
 * while a permission is active or a window is full), and, when Plivo refuses to send the template,
 * released.
 */

export type RequestReservation =
  | {
      readonly reserved: true;
      /** The slots before this request shifted them, to put back if the template cannot be sent. */
      readonly previousSlots: Readonly<Record<string, number | undefined>>;
      /** The pair as it stood before (its customer-service window decides what the request goes as). */
      readonly pair: PairState | undefined;
    }
  | { readonly reserved: false; readonly pair: PairState | undefined };

/** One permission request from a business number to a user, identified so it can be undone alone. */
export interface PermissionRequest {
  readonly business: string;
  readonly user: string;
  readonly requestId: string;
  readonly now: number;
  readonly rules: Rules;
  /** A free-form request: refused unless the pair's customer-service window is open at `now`. */
  readonly requireOpenWindow?: boolean | undefined;
}

/** Placeholders `#s0…` for the request slots, oldest first. */
const slotPlaceholders = (rules: Rules) => {
  const slots = requestSlotNames(rules);
  const placeholder = (slot: string) => `#s${slots.indexOf(slot as `request${number}`)}`;
  return { slots, placeholder, names: Object.fromEntries(slots.map((s) => [placeholder(s), s])) };
};

/**
 * The condition holds when no permission is active and each rolling window has room (rules'
 * `requestRoom`); the update shifts the slots (oldest first) and puts `now` in the newest. The
 * right-hand sides read the values from before the update.
 */
export const reservePermissionRequest = async (
  db: Db,
  input: PermissionRequest,
): Promise<RequestReservation> => {
  const { business, user, requestId, now, rules } = input;
  const { slots, placeholder, names } = slotPlaceholders(rules);
  const n = slots.length;
  const shifts = slots.map((_, i) =>
    i === n - 1 ? `#s${i} = :now` : `#s${i} = if_not_exists(#s${i + 1}, :zero)`,
  );
  const active = activePermissionCondition(':now');
  const values: Record<string, unknown> = {
    ...active.values,
    ':now': now,
    ':zero': 0,
    ':one': 1,
    ':business': business,
    ':user': user,
    ':requestId': requestId,
    ':ttl': ttlFromMillis(pairExpiryAfterRequest(now, rules)),
  };
  const windows = requestRoom(now, rules).map(({ slot, cutoff }, i) => {
    values[`:cutoff${i}`] = cutoff;
    const name = placeholder(slot);
    return `(attribute_not_exists(${name}) OR ${name} <= :cutoff${i})`;
  });
  // `isWindowOpen` (rules/customer-service-window.ts): open while now < windowOpenUntil.
  const window = input.requireOpenWindow ? ['#windowOpenUntil > :now'] : [];
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.pair(business, user),
        UpdateExpression: `SET ${shifts.join(', ')}, #business = :business, #user = :user, #lastRequestId = :requestId, #ttl = :ttl ADD #version :one`,
        ConditionExpression: [`NOT ${active.expression}`, ...windows, ...window].join(' AND '),
        ExpressionAttributeNames: {
          ...names,
          ...active.names,
          ...attributeNames('business', 'user', 'lastRequestId', 'ttl', 'version'),
          ...(input.requireOpenWindow ? attributeNames('windowOpenUntil') : {}),
        },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const previousSlots = Object.fromEntries(
      slots.map((slot) => {
        const value = Attributes?.[slot];
        return [slot, typeof value === 'number' ? value : undefined];
      }),
    );
    const old = Attributes as (PairState & { ttl?: unknown }) | undefined;
    return { reserved: true, previousSlots, pair: old && !isExpired(old, now) ? old : undefined };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const old = itemAtFailure<PairState & { ttl?: unknown; lastRequestId?: unknown }>(error);
    // The SDK retries an attempt whose answer timed out; when that attempt had landed, the retry meets
    // this very request's write. The slots before it are the ones now held one place older; the oldest
    // was shifted out, and putting back the next one in its place keeps the window fuller, never emptier.
    if (old?.lastRequestId === requestId) {
      const held = (i: number) => old[slots[i] as keyof typeof old];
      const previousSlots = Object.fromEntries(
        slots.map((slot, i) => {
          const value = held(i === 0 ? 0 : i - 1);
          return [slot, typeof value === 'number' ? value : undefined];
        }),
      );
      return { reserved: true, previousSlots, pair: isExpired(old, now) ? undefined : old };
    }
    return { reserved: false, pair: old && !isExpired(old, now) ? old : undefined };
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
  const { slots, names } = slotPlaceholders(input.rules);
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
        ExpressionAttributeNames: { ...names, ...attributeNames('lastRequestId', 'version') },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
};

/**
 * Plivo took the request: the pair says which request was sent, when, as what, and with which
 * reference, metadata and actor (the `permission.requested` event is derived from this write, so a
 * request Plivo refused is never announced). An earlier request's references go: they belong to it. It
 * changes neither the permission nor the calls, so `version` stays.
 */
export const markRequestSentUpdate = (
  tableName: string,
  input: Pick<PermissionRequest, 'business' | 'user' | 'requestId' | 'now'> &
    Origin & { readonly kind: PermissionRequestKind },
) => {
  const origin = {
    requestReference: input.reference,
    requestMetadata: input.metadata,
    requestActor: input.actor,
  } satisfies Record<(typeof requestOriginAttributes)[number], unknown>;
  const set = ['#sentRequestId = :requestId', '#requestSentAt = :now', '#requestSentKind = :kind'];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ':requestId': input.requestId,
    ':now': input.now,
    ':kind': input.kind,
  };
  for (const name of requestOriginAttributes) {
    const value = origin[name];
    if (value === undefined) remove.push(`#${name}`);
    else {
      set.push(`#${name} = :${name}`);
      values[`:${name}`] = value;
    }
  }
  return {
    TableName: tableName,
    Key: keys.pair(input.business, input.user),
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: attributeNames(
      'sentRequestId',
      'requestSentAt',
      'requestSentKind',
      ...requestOriginAttributes,
    ),
    ExpressionAttributeValues: values,
  };
};

export const markRequestSent = async (
  db: Db,
  input: Parameters<typeof markRequestSentUpdate>[1],
): Promise<void> => {
  await db.doc.send(new UpdateCommand(markRequestSentUpdate(db.tableName, input)));
};
