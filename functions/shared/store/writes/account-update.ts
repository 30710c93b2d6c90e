import type { NumberRestriction } from '../../rules/number-pause.js';
import type { Db } from '../client.js';
import { attributeNames, failedCondition, transactWrite } from '../conditions.js';
import { restrictionItem } from '../items/number-restriction.js';
import { keys } from '../keys.js';
import type { V2NonceUse } from './permission-reply.js';

export type AccountUpdateOutcome =
  /** Written for these numbers; the others already held a restriction imposed no earlier. */
  | { readonly kind: 'applied'; readonly applied: readonly string[] }
  /** The update was applied before (same id): Plivo redelivered it, or it was replayed. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'replayed_signature' };

/**
 * Applies one calling restriction of an account update to its numbers in one TransactWriteItems, like a
 * permission reply: the V2 nonce (when V2-signed), the update's id (condition: not seen, so a
 * redelivery is a no-op) and each number's restriction, put only over one imposed earlier (a late
 * delivery never replaces a newer one, nor undoes an operator's lift of the same one). The numbers
 * whose restriction is no older are left out and the rest sent again.
 */
export const applyAccountUpdate = async (
  db: Db,
  input: {
    readonly updateId: string;
    readonly restrictions: readonly NumberRestriction[];
    readonly now: number;
    readonly v2Nonce?: V2NonceUse | undefined;
  },
): Promise<AccountUpdateOutcome> => {
  let pending = [...input.restrictions];
  for (;;) {
    const items = [
      ...(input.v2Nonce
        ? [
            {
              Put: {
                TableName: db.tableName,
                Item: {
                  ...keys.v2Nonce(input.v2Nonce.nonce),
                  usedAt: input.now,
                  useId: input.v2Nonce.useId,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ]
        : []),
      {
        Put: {
          TableName: db.tableName,
          Item: { ...keys.message(input.updateId), appliedAt: input.now },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...pending.map((restriction) => ({
        Put: {
          TableName: db.tableName,
          Item: restrictionItem(restriction),
          ConditionExpression: 'attribute_not_exists(pk) OR #since < :since',
          ExpressionAttributeNames: attributeNames('since'),
          ExpressionAttributeValues: { ':since': restriction.since },
        },
      })),
    ];
    const cancelled = await transactWrite(db, 'An account update', items);
    if (!cancelled) return { kind: 'applied', applied: pending.map((r) => r.business) };
    const [nonceReason, messageReason, ...restrictionReasons] = input.v2Nonce
      ? cancelled.reasons
      : [undefined, ...cancelled.reasons];
    if (failedCondition(nonceReason)) return { kind: 'replayed_signature' };
    if (failedCondition(messageReason)) return { kind: 'duplicate' };
    const newer = pending.filter((_, index) => failedCondition(restrictionReasons[index]));
    if (newer.length === 0) throw cancelled.error;
    pending = pending.filter((restriction) => !newer.includes(restriction));
  }
};
