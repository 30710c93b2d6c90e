import type { Rules } from '../config/schema.js';
import { requestSlotNames } from '../rules/pair.js';
import { keys } from './keys.js';

/**
 * A connected call, either direction, clears the consecutive-missed count and the permission-request
 * windows. Only REMOVE actions and the item must exist: a reset never creates a bare pair item without
 * TTL. Used alone or inside a transaction (then a missing pair cancels it: callers that may meet an
 * unknown pair must handle that).
 */
export const resetOnConnectUpdate = (
  tableName: string,
  business: string,
  user: string,
  rules: Rules,
) => {
  const names: Record<string, string> = {};
  const removals = [...requestSlotNames(rules), 'missed', 'warnedAt'].map((attribute, i) => {
    names[`#r${i}`] = attribute;
    return `#r${i}`;
  });
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: `REMOVE ${removals.join(', ')}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: names,
  };
};

/**
 * A business-initiated call whose agent never answered: the WhatsApp user was never dialed, so the call
 * gives back its place among the user's daily calls. Its condition fails when the entry is already gone
 * (pruned or the pair expired): then there is nothing to give back.
 */
export const refundBusinessCallUpdate = (
  tableName: string,
  business: string,
  user: string,
  callId: string,
) => ({
  TableName: tableName,
  Key: keys.pair(business, user),
  UpdateExpression: 'REMOVE #calls.#call ADD #version :one',
  ConditionExpression: 'attribute_exists(#calls.#call)',
  ExpressionAttributeNames: { '#calls': 'calls', '#call': callId, '#version': 'version' },
  ExpressionAttributeValues: { ':one': 1 },
});
