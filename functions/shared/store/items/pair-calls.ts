import type { Rules } from '../../config/schema.js';
import { clearedOnConnect, type MissedCallStep } from '../../rules/missed-calls.js';
import type { PairState } from '../../rules/pair.js';
import type { PlacementDecision } from '../../rules/place-call.js';
import { attributeNames } from '../conditions.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';
import { removals, unchangedSince } from './pair.js';

/**
 * The pair's calls: each business-initiated call counted (and uncounted), each miss counted toward the
 * warning and the revocation, and the reset a connected call makes. UpdateItem inputs for a transaction
 * or alone.
 */

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
  /** The call to take out of the user's daily calls as well (it does not count: rules/daily-calls.ts). */
  uncount?: string,
) => {
  const unchanged = unchangedSince(pair);
  const names: Record<string, string> = attributeNames('missed', 'version');
  const values: Record<string, unknown> = { ...unchanged.values };
  const conditions = [
    unchanged.expression,
    pair.missed === undefined ? 'attribute_not_exists(#missed)' : '#missed = :seen',
  ];
  if (pair.missed !== undefined) values[':seen'] = pair.missed;
  values[':missed'] = step.missed;
  const set = ['#missed = :missed'];
  const remove: string[] = [];
  if (step.kind === 'revoke') {
    Object.assign(
      names,
      attributeNames(
        'permission',
        'permissionAt',
        'permissionUntil',
        'permissionSource',
        'revokedReason',
        'ttl',
      ),
    );
    Object.assign(values, {
      ':revoked': 'revoked',
      ':now': now,
      ':until': step.permissionUntil,
      ':missedCalls': 'missed_calls',
      ':ttl': ttlFromMillis(step.keepUntil),
    });
    // The streak stays, as what revoked the permission: a later grant starts it again.
    set.push(
      '#permission = :revoked',
      '#permissionAt = :now',
      '#permissionUntil = :until',
      '#permissionSource = :missedCalls',
      '#revokedReason = :missedCalls',
      '#ttl = :ttl',
    );
  } else if (step.warn) {
    names['#warnedAt'] = 'warnedAt';
    values[':now'] = now;
    set.push('#warnedAt = :now');
  }
  if (uncount !== undefined) {
    Object.assign(names, attributeNames('calls'), { '#call': uncount });
    remove.push('#calls.#call');
  }
  // The permission or the calls change: placements that read the pair before must read it again.
  const bumpsVersion = step.kind === 'revoke' || uncount !== undefined;
  if (bumpsVersion) values[':one'] = 1;
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: [
      `SET ${set.join(', ')}`,
      remove.length ? `REMOVE ${remove.join(', ')}` : '',
      bumpsVersion ? 'ADD #version :one' : '',
    ]
      .filter(Boolean)
      .join(' '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};
