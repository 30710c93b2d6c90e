import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import { leaseExpiry } from '../../rules/concurrency.js';
import type { Db } from '../client.js';
import { isConditionFailed, itemAtFailure, stillContended } from '../conditions.js';
import { readCall } from '../items/call-record.js';
import {
  createShard,
  inboundLease,
  isMissingShard,
  type Leases,
  leaseShards,
  maxShardPicks,
  shardCapacity,
  takeLeaseUpdate,
} from '../items/leases.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';

export interface InboundCallStart {
  readonly callId: string;
  readonly business: string;
  /** The caller's pair key (the number, or a BSUID known by itself). */
  readonly user: string;
  /** The caller's BSUID, when the answer named one. */
  readonly userId?: string | undefined;
  readonly now: number;
  readonly rules: Rules;
  /**
   * The answer ends the call (a closing message): a retry of it may come after the call is over and its
   * lease released, so the call's record is read before a lease is taken.
   */
  readonly endsAtAnswer?: boolean;
  /**
   * Asked again after the operation reconciled the number's leases with Plivo's live calls (the store
   * cannot ask Plivo itself): the shards are read afresh, the record was read already, and full is
   * `at_capacity`.
   */
  readonly afterReconciliation?: boolean;
}

export type InboundCallOutcome =
  /** Lease taken in `shard`; the call record and the pair follow from it (store/writes/lease-changes.ts). */
  | { readonly kind: 'started'; readonly shard: number }
  /** Plivo asked again for a call whose lease is held: answer the same, count nothing. */
  | { readonly kind: 'duplicate' }
  /**
   * Plivo asked again for a call answered before whose lease is gone (its flow or its hangup ended it):
   * answer the same, take no lease.
   */
  | { readonly kind: 'answered_before' }
  /** The business number has no lease left: nothing was written. */
  | { readonly kind: 'at_capacity' };

/**
 * Takes an inbound call's lease: one conditional write of one lease shard, all an answer waits for. The
 * lease carries the caller and the start, from which the call record and what the call means to the
 * caller's permission are written once the write is committed (DynamoDB Streams → store/writes/lease-changes.ts).
 *
 * A refused write returns the shard as it stood (ALL_OLD): holding this call's lease → a Plivo retry;
 * full → another shard with room (lapsed leases reaped), else at capacity (the operation may then
 * reconcile the leases with Plivo and ask once more: `afterReconciliation`); no item → the shard is created and the write runs again. A
 * read of the shards that finds this call's lease is a retry too. Before the number is refused as full
 * (and before an answer that ends the call takes a lease), the call's record says whether it was
 * answered before: a retry that comes after its lease was released.
 */
export const startInboundCall = async (
  db: Db,
  start: InboundCallStart,
): Promise<InboundCallOutcome> => {
  const { callId, business, user, now, rules } = start;
  const answeredBefore = async () => (await readCall(db, callId, now)) !== undefined;
  const again = start.afterReconciliation === true;
  if (!again && start.endsAtAnswer && (await answeredBefore())) return { kind: 'answered_before' };
  const limit = rules.simultaneousCallsPerNumber;
  const lease = inboundLease({
    expiresAt: leaseExpiry(now, rules),
    user,
    startedAt: now,
    userId: start.userId,
  });
  const shards = leaseShards(db, business, callId, limit);
  const created = new Set<number>();
  let pick = again ? await shards.next(now) : await shards.first(now);
  let picks = 0;
  for (;;) {
    if (pick.kind === 'held') return { kind: 'duplicate' };
    if (pick.kind === 'full') {
      if (!again && (await answeredBefore())) return { kind: 'answered_before' };
      return { kind: 'at_capacity' };
    }
    const { shard } = pick;
    try {
      await db.doc.send(
        new UpdateCommand(
          takeLeaseUpdate(
            db.tableName,
            business,
            shard,
            callId,
            lease,
            shardCapacity(limit, shard),
          ),
        ),
      );
      return { kind: 'started', shard };
    } catch (error) {
      const refused = isConditionFailed(error);
      if (!refused && !isMissingShard(error)) throw error;
      const item = refused ? itemAtFailure<{ leases?: Leases }>(error) : undefined;
      if (item === undefined) {
        // The shard's first lease: create it and write again.
        if (created.has(shard)) throw error;
        created.add(shard);
        await createShard(db, business, shard);
        continue;
      }
      if (item.leases?.[callId] !== undefined) return { kind: 'duplicate' };
      // Another call filled the shard first: look again.
      if (++picks > maxShardPicks) throw stillContended('An inbound call');
      pick = await shards.next(now);
    }
  }
};

/** How long a refusal is remembered: the refused call's hangup follows it by seconds. */
const refusalKeptMs = 24 * 3600 * 1000;

export type InboundRefusal = 'at_capacity' | 'invalid_caller';

/**
 * An inbound call the answer refused: remembered (not as a call record: there was no call) so that its
 * hangup records nothing. One Put; a retry refused again writes the same.
 */
export const rememberRefusedCall = async (
  db: Db,
  refused: {
    readonly callId: string;
    readonly business: string;
    readonly refusal: InboundRefusal;
    readonly now: number;
  },
): Promise<void> => {
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: {
        ...keys.refusedCall(refused.callId),
        business: refused.business,
        refusal: refused.refusal,
        refusedAt: refused.now,
        ttl: ttlFromMillis(refused.now + refusalKeptMs),
      },
    }),
  );
};
