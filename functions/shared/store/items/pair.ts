import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import { clearedOnConnect, missedStreak } from '../../rules/missed-calls.js';
import type { PairState } from '../../rules/pair.js';
import {
  activePermission,
  inboundCallGrant,
  type PermissionDecision,
  pairExpiryAfterDecision,
} from '../../rules/permission.js';
import { lapsingPermissions } from '../../rules/permission-expiry.js';
import { type Db, readLive } from '../client.js';
import { attributeNames, isConditionFailed, itemAtFailure } from '../conditions.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';

/**
 * The pair item (one per business number and user number) and every write on it, as UpdateItem inputs
 * for a transaction or alone. The rules decide; these turn a decision into one conditional write.
 */

/** The pair as stored, or undefined when absent or past its TTL (DynamoDB deletes late). */
export const readPair = async (
  db: Db,
  business: string,
  user: string,
  now: number,
): Promise<PairState | undefined> => readLive<PairState>(db, keys.pair(business, user), now);

/**
 * The condition "a permission is active at `at`" (a value placeholder), built from the rules'
 * `activePermission`. On a missing item or attribute it is false, so its NOT holds there.
 */
export const activePermissionCondition = (at: string) => {
  const always = activePermission.always.map((_, i) => `:always${i}`);
  const untilItEnds = activePermission.untilItEnds.map((_, i) => `:untilItEnds${i}`);
  return {
    expression: `(#permission IN (${always.join(', ')}) OR (#permission IN (${untilItEnds.join(', ')}) AND #permissionUntil > ${at}))`,
    names: attributeNames('permission', 'permissionUntil'),
    values: Object.fromEntries([
      ...activePermission.always.map((p, i) => [`:always${i}`, p]),
      ...activePermission.untilItEnds.map((p, i) => [`:untilItEnds${i}`, p]),
    ]),
  };
};

/**
 * Optimistic concurrency on the pair: the write holds only if nothing changed it since `pair` was read
 * (an item never versioned must still exist and be unversioned).
 */
export const unchangedSince = (pair: PairState | undefined) =>
  pair?.version === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(#version)', values: {} }
    : { expression: '#version = :read', values: { ':read': pair.version } };

/** What the newest sent permission request carries (`markRequestSent`) until a reply answers it. */
export const requestOriginAttributes = [
  'requestReference',
  'requestMetadata',
  'requestActor',
] as const satisfies readonly (keyof PairState)[];

/**
 * A reply's or an operator's decision: replaces the permission, starts a new missed streak, bumps `version`, sets the TTL.
 * With the reply's send time (`replySentAt`, epoch ms), it is kept on the pair and the write holds only
 * if no reply sent at or after it decided before (`replySupersedes` in rules/permission.ts); on failure
 * the pair is returned as it stood.
 */
export const permissionDecisionUpdate = (
  tableName: string,
  business: string,
  user: string,
  decision: PermissionDecision,
  now: number,
  replySentAt?: number,
  /** The user's BSUID, recorded on the pair; `keyed`: the pair is under it, so no link may stand there. */
  userId?: { readonly id: string; readonly keyed: boolean },
  /** An operator's correction: who made it (`permission.*` names it); any other decision has none. */
  actor?: string,
) => {
  const expiry = pairExpiryAfterDecision(decision, now);
  const set = [
    '#business = :business',
    '#user = :user',
    '#permissionAt = :permissionAt',
    '#permissionSource = :permissionSource',
  ];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ':business': business,
    ':user': user,
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
  optional('permission', decision.permission);
  optional('permissionUntil', decision.permissionUntil);
  optional('revokedReason', decision.revokedReason);
  // A lapse recorded speaks of the permission this decision replaces.
  optional('expiredAt', undefined);
  // A permanent grant carries no TTL while it lasts.
  optional('ttl', expiry === undefined ? undefined : ttlFromMillis(expiry));
  // The streak belongs to the permission it replaces (or to an item past its TTL that DynamoDB has not
  // deleted yet).
  for (const attribute of missedStreak) optional(attribute, undefined);
  optional('decisionActor', actor);
  // A reply answers the request sent: its event takes the request's references from the image before
  // (events/derive.ts), and the pair no longer carries them.
  const answersRequest = decision.permissionSource === 'reply';
  if (answersRequest)
    for (const attribute of requestOriginAttributes) optional(attribute, undefined);
  if (replySentAt !== undefined) set.push('#replySentAt = :replySentAt');
  if (userId !== undefined) {
    set.push('#userId = :userId');
    values[':userId'] = userId.id;
  }
  const conditions = [
    ...(replySentAt === undefined
      ? []
      : ['(attribute_not_exists(#replySentAt) OR #replySentAt < :replySentAt)']),
    ...(userId?.keyed ? ['attribute_not_exists(#linkedTo)'] : []),
  ];
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD #version :one`,
    ExpressionAttributeNames: attributeNames(
      'business',
      'user',
      'permission',
      'permissionAt',
      'permissionSource',
      'permissionUntil',
      'revokedReason',
      'expiredAt',
      'ttl',
      ...missedStreak,
      'version',
      'decisionActor',
      ...(answersRequest ? requestOriginAttributes : []),
      ...(replySentAt === undefined ? [] : ['replySentAt']),
      ...(userId === undefined ? [] : ['userId']),
      ...(userId?.keyed ? ['linkedTo'] : []),
    ),
    ExpressionAttributeValues:
      replySentAt === undefined ? values : { ...values, ':replySentAt': replySentAt },
    ...(conditions.length === 0
      ? {}
      : {
          ConditionExpression: conditions.join(' AND '),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        }),
  };
};

/** Placeholders `#c0…` for a list of attributes to REMOVE (request slots have no fixed names). */
export const removals = (attributes: readonly string[], prefix: string) => ({
  expression: attributes.map((_, i) => `#${prefix}${i}`).join(', '),
  names: Object.fromEntries(attributes.map((attribute, i) => [`#${prefix}${i}`, attribute])),
});

/**
 * An inbound call with callback permission on: grants a temporary permission and clears what a
 * connected call clears, in one write. Its condition fails when a permission at least as long stands:
 * the caller then applies the reset alone.
 */
export const inboundGrantUpdate = (
  tableName: string,
  business: string,
  user: string,
  now: number,
  rules: Rules,
  /** The caller's BSUID, recorded on the pair; `keyed`: the pair is under it, so no link may stand there. */
  userId?: { readonly id: string; readonly keyed: boolean },
) => {
  const grant = inboundCallGrant(now, rules);
  const cleared = removals(clearedOnConnect(rules), 'c');
  const active = activePermissionCondition(':unlessActiveAt');
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: [
      'SET #permission = :temporary, #permissionAt = :now, #permissionUntil = :until,',
      `#permissionSource = :inbound, #ttl = :ttl, #business = :business, #user = :user${userId ? ', #userId = :userId' : ''}`,
      `REMOVE #revokedReason, #expiredAt, ${cleared.expression}`,
      'ADD #version :one',
    ].join(' '),
    ConditionExpression: `NOT ${active.expression}${userId?.keyed ? ' AND attribute_not_exists(#linkedTo)' : ''}`,
    ExpressionAttributeNames: {
      ...attributeNames(
        'permission',
        'permissionAt',
        'permissionUntil',
        'permissionSource',
        'revokedReason',
        'expiredAt',
        'ttl',
        'version',
        'business',
        'user',
        ...(userId ? ['userId'] : []),
        ...(userId?.keyed ? ['linkedTo'] : []),
      ),
      ...cleared.names,
    },
    ExpressionAttributeValues: {
      ...(userId ? { ':userId': userId.id } : {}),
      ...active.values,
      ':temporary': 'temporary',
      ':inbound': 'inbound_call',
      ':now': now,
      ':until': grant.until,
      ':unlessActiveAt': grant.unlessActiveAt,
      ':ttl': ttlFromMillis(grant.keepUntil),
      ':business': business,
      ':user': user,
      ':one': 1,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/**
 * An inbound message or call keeps the customer-service window open until `until`, moving
 * `windowOpenUntil` forward only (`movesWindowForward` in rules/customer-service-window.ts). An item it
 * creates expires when the window closes; an existing item keeps its TTL. A standing permanent grant
 * (no TTL, and no request is sent while it lasts) is left alone, so that no TTL is ever put on it.
 */
export const windowOpenUpdate = (
  tableName: string,
  business: string,
  user: string,
  until: number,
  /** The user's BSUID, recorded on the pair; `keyed`: the pair is under it, so no link may stand there. */
  userId?: { readonly id: string; readonly keyed: boolean },
) => {
  const always = activePermission.always.map((_, i) => `:always${i}`);
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: `SET #windowOpenUntil = :until, #business = :business, #user = :user, #ttl = if_not_exists(#ttl, :ttl)${userId ? ', #userId = :userId' : ''}`,
    ConditionExpression: `NOT #permission IN (${always.join(', ')}) AND (attribute_not_exists(#windowOpenUntil) OR #windowOpenUntil < :until)${userId?.keyed ? ' AND attribute_not_exists(#linkedTo)' : ''}`,
    ExpressionAttributeNames: attributeNames(
      'windowOpenUntil',
      'business',
      'user',
      'ttl',
      'permission',
      ...(userId ? ['userId'] : []),
      ...(userId?.keyed ? ['linkedTo'] : []),
    ),
    ExpressionAttributeValues: {
      ...(userId ? { ':userId': userId.id } : {}),
      ...Object.fromEntries(activePermission.always.map((p, i) => [`:always${i}`, p])),
      ':until': until,
      ':business': business,
      ':user': user,
      ':ttl': ttlFromMillis(until),
    },
  };
};

/** The window kept open alone (an inbound call's, from the stream): false when it stood open longer. */
export const keepWindowOpen = async (
  db: Db,
  business: string,
  user: string,
  until: number,
  userId?: { readonly id: string; readonly keyed: boolean },
): Promise<boolean> => {
  try {
    await db.doc.send(
      new UpdateCommand(windowOpenUpdate(db.tableName, business, user, until, userId)),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
};

/** Writes a decision alone (an operator's correction): one UpdateItem, the pair as it now stands. */
export const writePermissionDecision = async (
  db: Db,
  business: string,
  user: string,
  decision: PermissionDecision,
  now: number,
  /**
   * The BSUID the operator named: on its own pair, the write holds only while no link stands there; a
   * link that came meanwhile sends it to the number's pair (no write under a number can meet a link).
   */
  userId?: string,
  /** The operator's actor (http/actor.ts). */
  actor?: string,
): Promise<PairState> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        ...permissionDecisionUpdate(
          db.tableName,
          business,
          user,
          decision,
          now,
          undefined,
          userId === undefined ? undefined : { id: userId, keyed: userId === user },
          actor,
        ),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as PairState;
  } catch (error) {
    const linkedTo = isConditionFailed(error)
      ? itemAtFailure<PairState>(error)?.linkedTo
      : undefined;
    if (linkedTo === undefined) throw error;
    return writePermissionDecision(db, business, linkedTo, decision, now, userId, actor);
  }
};

/**
 * Records that the temporary permission ending at `expiresAt` ran out, seen at `now`: sets `expiredAt`
 * once, only while the pair still holds that permission and it is no longer active at `now` (the
 * rules' `lapseOf` and `activePermission`). Nothing else changes: the permission stays as decided, and
 * `version` too, since no call or decision depends on the record. On failure the pair as it stood.
 */
export const permissionLapseUpdate = (
  tableName: string,
  business: string,
  user: string,
  expiresAt: number,
  now: number,
) => {
  const active = activePermissionCondition(':now');
  const lapsing = lapsingPermissions.map((_, i) => `:lapsing${i}`);
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: 'SET #expiredAt = :now',
    ConditionExpression: [
      `#permission IN (${lapsing.join(', ')})`,
      '#permissionUntil = :expiresAt',
      'attribute_not_exists(#expiredAt)',
      `NOT ${active.expression}`,
    ].join(' AND '),
    ExpressionAttributeNames: { ...active.names, ...attributeNames('expiredAt') },
    ExpressionAttributeValues: {
      ...active.values,
      ...Object.fromEntries(lapsingPermissions.map((p, i) => [`:lapsing${i}`, p])),
      ':expiresAt': expiresAt,
      ':now': now,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/** One conditional UpdateItem: the lapse recorded, or the pair that refused it (undefined: no item). */
export const recordPermissionLapse = async (
  db: Db,
  business: string,
  user: string,
  expiresAt: number,
  now: number,
): Promise<
  { readonly recorded: true } | { readonly recorded: false; readonly pair: PairState | undefined }
> => {
  try {
    await db.doc.send(
      new UpdateCommand(permissionLapseUpdate(db.tableName, business, user, expiresAt, now)),
    );
    return { recorded: true };
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return { recorded: false, pair: itemAtFailure(error) as PairState | undefined };
  }
};
