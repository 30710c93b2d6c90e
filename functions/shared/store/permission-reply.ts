import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PermissionDecision } from '../rules/permission.js';
import { pairRetentionMs } from '../rules/permission.js';
import type { Db } from './client.js';
import { failedCondition, transactWrite } from './conditions.js';
import { type Key, keys } from './keys.js';
import { permissionDecisionUpdate } from './pair.js';
import { ttlFromMillis } from './table.js';

/** How long a message dedupe item lasts: Plivo's redeliveries come within minutes to hours. */
const messageDedupeMs = pairRetentionMs;

export type ReplyOutcome = 'applied' | 'duplicate' | 'replayed_signature';

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
): Promise<ReplyOutcome> => {
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
  const cancelled = await transactWrite(db, 'A permission reply', [
    ...guards.map((g) => g.item),
    { Update: update },
  ]);
  if (!cancelled) return 'applied';
  const failedGuard = guards.find((_, i) => failedCondition(cancelled.reasons[i]));
  if (failedGuard) return failedGuard.kind;
  throw cancelled.error;
};
