import type { Rules } from '../config/schema.js';
import { clearedOnConnect, type MissedCallStep, missedStreak } from '../rules/missed-calls.js';
import type { PairState } from '../rules/pair.js';
import {
  activePermission,
  inboundCallGrant,
  type PermissionDecision,
  pairExpiryAfterDecision,
} from '../rules/permission.js';
import type { PlacementDecision } from '../rules/placement.js';
import { type Db, readLive } from './client.js';
import { attributeNames } from './conditions.js';
import { keys } from './keys.js';
import { ttlFromMillis } from './table.js';

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
const unchangedSince = (pair: PairState | undefined) =>
  pair?.version === undefined
    ? { expression: 'attribute_exists(pk) AND attribute_not_exists(#version)', values: {} }
    : { expression: '#version = :read', values: { ':read': pair.version } };

/** A reply's decision: replaces the permission, starts a new missed streak, bumps `version`, sets the TTL. */
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
  // The streak belongs to the permission it replaces (or to an item past its TTL that DynamoDB has not
  // deleted yet).
  for (const attribute of missedStreak) optional(attribute, undefined);
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
      'ttl',
      ...missedStreak,
      'version',
    ),
    ExpressionAttributeValues: values,
  };
};

/** Placeholders `#c0…` for a list of attributes to REMOVE (request slots have no fixed names). */
const removals = (attributes: readonly string[], prefix: string) => ({
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
) => {
  const grant = inboundCallGrant(now, rules);
  const cleared = removals(clearedOnConnect(rules), 'c');
  const active = activePermissionCondition(':unlessActiveAt');
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: [
      'SET #permission = :temporary, #permissionAt = :now, #permissionUntil = :until,',
      '#permissionSource = :inbound, #ttl = :ttl, #business = :business, #user = :user',
      `REMOVE #revokedReason, ${cleared.expression}`,
      'ADD #version :one',
    ].join(' '),
    ConditionExpression: `NOT ${active.expression}`,
    ExpressionAttributeNames: {
      ...attributeNames(
        'permission',
        'permissionAt',
        'permissionUntil',
        'permissionSource',
        'revokedReason',
        'ttl',
        'version',
        'business',
        'user',
      ),
      ...cleared.names,
    },
    ExpressionAttributeValues: {
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
 * A connected call, either direction, clears the missed streak and the permission-request windows.
 * Only REMOVE actions and the item must exist: a reset never creates a bare pair item without TTL. Used
 * alone or inside a transaction (then a missing pair cancels it: callers that may meet an unknown pair
 * must handle that).
 */
export const resetOnConnectUpdate = (
  tableName: string,
  business: string,
  user: string,
  rules: Rules,
) => {
  const cleared = removals(clearedOnConnect(rules), 'r');
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: `REMOVE ${cleared.expression}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: cleared.names,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/**
 * Counts a business-initiated call among the user's daily calls, under the version read: a concurrent
 * placement or decision makes it fail, and the caller reads again.
 */
export const placeCallUpdate = (
  tableName: string,
  business: string,
  user: string,
  pair: PairState | undefined,
  decision: Extract<PlacementDecision, { kind: 'allowed' }>,
) => {
  const ttl = decision.keepUntil === undefined ? undefined : ttlFromMillis(decision.keepUntil);
  const unchanged = unchangedSince(pair);
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    // A permanent grant keeps having no TTL.
    UpdateExpression: `SET #calls = :calls${ttl === undefined ? '' : ', #ttl = :ttl'} ADD #version :one`,
    ConditionExpression: unchanged.expression,
    ExpressionAttributeNames: attributeNames(
      'calls',
      'version',
      ...(ttl === undefined ? [] : ['ttl']),
    ),
    ExpressionAttributeValues: {
      ':calls': decision.calls,
      ':one': 1,
      ...unchanged.values,
      ...(ttl === undefined ? {} : { ':ttl': ttl }),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/**
 * Takes a business-initiated call back out of the user's daily calls: Plivo refused it, or its agent
 * never answered so the user was never dialed. Its condition fails when the entry is already gone
 * (pruned, or the pair expired or was replaced): then there is nothing to give back.
 */
export const uncountCallUpdate = (
  tableName: string,
  business: string,
  user: string,
  callId: string,
) => ({
  TableName: tableName,
  Key: keys.pair(business, user),
  UpdateExpression: 'REMOVE #calls.#call ADD #version :one',
  ConditionExpression: 'attribute_exists(#calls.#call)',
  ExpressionAttributeNames: { ...attributeNames('calls', 'version'), '#call': callId },
  ExpressionAttributeValues: { ':one': 1 },
});

/**
 * One missed call on the pair, as a versioned write: the count read, the warning and the revocation
 * are decided together and written only if neither the count nor the version moved since the read, so
 * parallel callbacks for different calls of the pair cannot lose a miss or revoke twice.
 */
export const missedCallUpdate = (
  tableName: string,
  business: string,
  user: string,
  pair: PairState,
  step: MissedCallStep,
  now: number,
) => {
  const unchanged = unchangedSince(pair);
  const names: Record<string, string> = attributeNames('missed', 'version');
  const values: Record<string, unknown> = { ...unchanged.values };
  const conditions = [
    unchanged.expression,
    pair.missed === undefined ? 'attribute_not_exists(#missed)' : '#missed = :seen',
  ];
  if (pair.missed !== undefined) values[':seen'] = pair.missed;
  let expression: string;
  if (step.kind === 'revoke') {
    Object.assign(
      names,
      attributeNames(
        'permission',
        'permissionAt',
        'permissionUntil',
        'revokedReason',
        'ttl',
        ...missedStreak,
      ),
    );
    Object.assign(values, {
      ':revoked': 'revoked',
      ':now': now,
      ':until': step.permissionUntil,
      ':reason': 'missed_calls',
      ':ttl': ttlFromMillis(step.keepUntil),
      ':one': 1,
    });
    // The streak has done its job: a later grant starts from zero.
    expression =
      'SET #permission = :revoked, #permissionAt = :now, #permissionUntil = :until, ' +
      `#revokedReason = :reason, #ttl = :ttl REMOVE ${missedStreak.map((a) => `#${a}`).join(', ')} ADD #version :one`;
  } else {
    values[':missed'] = step.missed;
    expression = 'SET #missed = :missed';
    if (step.warn) {
      names['#warnedAt'] = 'warnedAt';
      values[':now'] = now;
      expression += ', #warnedAt = :now';
    }
  }
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: expression,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};
