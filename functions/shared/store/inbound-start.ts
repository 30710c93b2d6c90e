import type { Rules } from '../config/schema.js';
import { leaseExpiry } from '../rules/concurrency.js';
import { newCallRecord } from './call-record.js';
import type { Db } from './client.js';
import { contentionRetries, failedCondition } from './conditions.js';
import { reapExpiredLeases, takeLeaseUpdate, transactWithLine } from './leases.js';
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
   * At capacity, once reaping lapsed leases freed nothing: frees the leases of calls that are over
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
 * call record exists → a Plivo retry; line full → reap expired leases once, else at capacity; a longer
 * permission → retry with the reset alone; no pair to reset → retry without the pair; no line item yet →
 * it is created and the write runs again.
 */
export const startInboundCall = async (
  db: Db,
  start: InboundCallStart,
): Promise<InboundCallOutcome> => {
  const { callId, business, user, now, rules } = start;
  const leaseExpiresAt = leaseExpiry(now, rules);
  const record = newCallRecord({
    callId,
    direction: 'inbound',
    business,
    user,
    startedAt: now,
    leaseExpiresAt,
  });
  let pairPart: PairPart = start.callbackPermissionOnInbound ? 'grant' : 'reset';
  let reaped = false;
  const retry = contentionRetries();

  const pairUpdate = (part: PairPart) =>
    part === 'grant'
      ? inboundGrantUpdate(db.tableName, business, user, now, rules)
      : part === 'reset'
        ? resetOnConnectUpdate(db.tableName, business, user, rules)
        : undefined;

  for (;;) {
    const pair = pairUpdate(pairPart);
    const cancelled = await transactWithLine(
      db,
      business,
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
            callId,
            leaseExpiresAt,
            rules.simultaneousCallsPerNumber,
          ),
        },
        ...(pair ? [{ Update: pair }] : []),
      ],
      1,
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
    const [callReason, lineReason, pairReason] = cancelled.reasons;
    if (failedCondition(callReason)) return { kind: 'duplicate' };
    if (failedCondition(lineReason)) {
      if (reaped) return { kind: 'at_capacity' };
      reaped = true;
      const freed =
        (await reapExpiredLeases(db, business, now)) || ((await start.reconcileLeases?.()) ?? 0);
      if (freed === 0) return { kind: 'at_capacity' };
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
