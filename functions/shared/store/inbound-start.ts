import type { Rules } from '../config/schema.js';
import { leaseExpiry } from '../rules/concurrency.js';
import { newCallRecord } from './call-record.js';
import type { Db } from './client.js';
import { contentionRetries, failedCondition, stillContended } from './conditions.js';
import {
  leaseShards,
  maxShardPicks,
  shardCapacity,
  takeLeaseUpdate,
  transactTakingLease,
} from './leases.js';
import { inboundGrantUpdate } from './pair.js';
import { resetOnConnectUpdate } from './pair-calls.js';

export interface InboundCallStart {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly now: number;
  readonly rules: Rules;
  readonly callbackPermissionOnInbound: boolean;
  /**
   * At capacity, lapsed leases reaped: frees the leases of calls that are over
   * although no hangup said so; how many. The store cannot ask Plivo itself.
   */
  readonly reconcileLeases?: () => Promise<number>;
}

export type InboundCallOutcome =
  /** Recorded, lease taken; `permission` says what happened to the caller's callback permission. */
  | { readonly kind: 'started'; readonly permission: 'granted' | 'kept' | 'off' }
  /** Plivo asked again for a call already recorded: answer the same, count nothing. */
  | { readonly kind: 'duplicate' }
  /** The business number has no lease left: nothing was written. */
  | { readonly kind: 'at_capacity' };

/** How the pair takes part: grant + reset, reset alone (it exists), or not at all (nothing to reset). */
type PairPart = 'grant' | 'reset' | 'none';

/**
 * Records an inbound call, takes its lease and applies what the call means to the pair, in one
 * TransactWriteItems in the common case. Conditions that fail tell what to do next (read from the
 * cancellation reasons, with ALL_OLD so "exists" and "missing" differ):
 * call record exists → a Plivo retry; shard full → another shard with room (lapsed leases reaped), and
 * with none, leases of calls Plivo no longer lists reconciled once, else at capacity; a longer permission
 * → retry with the reset alone; no pair to reset → retry without the pair; no shard item yet → it is
 * created and the write runs again.
 */
export const startInboundCall = async (
  db: Db,
  start: InboundCallStart,
): Promise<InboundCallOutcome> => {
  const { callId, business, user, now, rules } = start;
  const leaseExpiresAt = leaseExpiry(now, rules);
  const limit = rules.simultaneousCallsPerNumber;
  const shards = leaseShards(db, business, callId, limit);
  let pick = await shards.first(now);
  let pairPart: PairPart = start.callbackPermissionOnInbound ? 'grant' : 'reset';
  let reconciled = false;
  let picks = 0;
  const retry = contentionRetries();

  const pairUpdate = (part: PairPart) =>
    part === 'grant'
      ? inboundGrantUpdate(db.tableName, business, user, now, rules)
      : part === 'reset'
        ? resetOnConnectUpdate(db.tableName, business, user, rules)
        : undefined;

  for (;;) {
    if (pick.kind === 'full') {
      if (reconciled) return { kind: 'at_capacity' };
      reconciled = true;
      if (((await start.reconcileLeases?.()) ?? 0) === 0) return { kind: 'at_capacity' };
      pick = await shards.next(now);
      continue;
    }
    const { shard } = pick;
    const record = newCallRecord({
      callId,
      direction: 'inbound',
      business,
      user,
      startedAt: now,
      leaseExpiresAt,
      leaseShard: shard,
    });
    const pair = pairUpdate(pairPart);
    const cancelled = await transactTakingLease(
      db,
      { business, shard, index: 1 },
      'An inbound call',
      [
        {
          Put: {
            TableName: db.tableName,
            Item: record,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Update: takeLeaseUpdate(
            db.tableName,
            business,
            shard,
            callId,
            leaseExpiresAt,
            shardCapacity(limit, shard),
          ),
        },
        ...(pair ? [{ Update: pair }] : []),
      ],
      retry,
    );
    if (!cancelled) {
      const permission = !start.callbackPermissionOnInbound
        ? 'off'
        : pairPart === 'grant'
          ? 'granted'
          : 'kept';
      return { kind: 'started', permission };
    }
    const [callReason, leaseReason, pairReason] = cancelled.reasons;
    if (failedCondition(callReason)) return { kind: 'duplicate' };
    if (failedCondition(leaseReason)) {
      // Another call filled the shard first: look again.
      if (++picks > maxShardPicks) throw stillContended('An inbound call');
      pick = await shards.next(now);
      continue;
    }
    if (failedCondition(pairReason)) {
      // With an item: a longer permission stands (grant) → reset alone. Without: no pair to reset.
      pairPart = pairPart === 'grant' && pairReason?.Item !== undefined ? 'reset' : 'none';
      continue;
    }
    throw cancelled.error;
  }
};
