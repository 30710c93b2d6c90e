import type { Rules } from '../config/schema.js';
import {
  type AccountSettings,
  cpsBucketRetentionMs,
  cpsRetryAfterSeconds,
  cpsSecond,
} from '../rules/calls-per-second.js';
import { leaseExpiry } from '../rules/concurrency.js';
import type { PairState } from '../rules/pair.js';
import { decidePlacement, type PlacementRefusal } from '../rules/placement.js';
import { newCallRecord } from './call-record.js';
import type { Db } from './client.js';
import {
  attributeNames,
  type Cancelled,
  contentionRetries,
  failedCondition,
  isStillContended,
  type TransactItem,
  transactWrite,
} from './conditions.js';
import {
  type IdempotencyKey,
  type IdempotencyRecord,
  idempotencyAtFailure,
  pendingIdempotencyPut,
} from './idempotency.js';
import { keys } from './keys.js';
import {
  reapExpiredLeases,
  releaseLeaseUpdate,
  takeLeaseUpdate,
  transactWithLine,
} from './leases.js';
import { readPair } from './pair.js';
import { placeCallUpdate, uncountCallUpdate } from './pair-calls.js';
import { ttlFromMillis } from './table.js';

export interface Reservation {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly agent: string;
  readonly idempotency?: IdempotencyKey | undefined;
}

export type ReserveOutcome =
  /** Daily slot, lease, CPS token, call record (and idempotency record) written in one transaction. */
  | { readonly kind: 'reserved'; readonly reservedAt: number }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  /** The Idempotency-Key was used before: the record as it stands. */
  | { readonly kind: 'idempotent'; readonly record: IdempotencyRecord }
  /** Lost every optimistic retry to other writers of the same items: try again shortly. */
  | { readonly kind: 'contended' };

export type Limits = { readonly rules: Rules } & AccountSettings;

/**
 * The placement transaction, in a fixed order the cancellation reasons are read by:
 * pair (daily slot, optimistic version), line (concurrency lease), CPS bucket, call record, idempotency.
 */
const placementItems = (
  db: Db,
  reservation: Reservation,
  pair: PairState | undefined,
  decision: Parameters<typeof placeCallUpdate>[4],
  now: number,
  limits: Limits,
): TransactItem[] => {
  const { callId, business, user, agent, idempotency } = reservation;
  const leaseExpiresAt = leaseExpiry(now, limits.rules);
  return [
    { Update: placeCallUpdate(db.tableName, business, user, pair, decision) },
    {
      Update: takeLeaseUpdate(
        db.tableName,
        business,
        callId,
        leaseExpiresAt,
        limits.rules.simultaneousCallsPerNumber,
      ),
    },
    {
      Update: {
        TableName: db.tableName,
        Key: keys.cps(cpsSecond(now)),
        UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :cps',
        ExpressionAttributeNames: attributeNames('n', 'ttl'),
        ExpressionAttributeValues: {
          ':one': 1,
          ':cps': limits.callsPerSecond,
          ':ttl': ttlFromMillis(now + cpsBucketRetentionMs),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: db.tableName,
        Item: newCallRecord({
          callId,
          direction: 'outbound',
          business,
          user,
          startedAt: now,
          leaseExpiresAt,
          agent,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    ...(idempotency
      ? [{ Put: pendingIdempotencyPut(db.tableName, business, idempotency, callId, now) }]
      : []),
  ];
};

/**
 * Checks the rules on one consistent read of the pair and takes every reservation in one transaction:
 * the daily slot (pair `calls`, under the read `version`), the concurrency lease, the CPS token, the
 * call record and the idempotency record. A lost optimistic race re-reads and retries.
 */
export const reserveCall = async (
  db: Db,
  reservation: Reservation,
  clock: () => number,
  limits: Limits,
): Promise<ReserveOutcome> => {
  let reaped = false;
  const retry = contentionRetries();
  do {
    const now = clock();
    const pair = await readPair(db, reservation.business, reservation.user, now);
    const decision = decidePlacement(pair, reservation.callId, now, limits.rules);
    if (decision.kind === 'refused') return decision;
    let cancelled: Cancelled | undefined;
    try {
      cancelled = await transactWithLine(
        db,
        reservation.business,
        'A placement',
        placementItems(db, reservation, pair, decision, now, limits),
        1,
        retry,
      );
    } catch (error) {
      if (isStillContended(error)) return { kind: 'contended' };
      throw error;
    }
    if (!cancelled) return { kind: 'reserved', reservedAt: now };
    const [pairReason, leaseReason, cpsReason, , idempotencyReason] = cancelled.reasons;
    if (idempotencyReason && failedCondition(idempotencyReason)) {
      return { kind: 'idempotent', record: idempotencyAtFailure(idempotencyReason) };
    }
    // Another writer changed the pair meanwhile: the read is stale.
    if (failedCondition(pairReason)) continue;
    if (failedCondition(leaseReason)) {
      if (!reaped) {
        reaped = true;
        if ((await reapExpiredLeases(db, reservation.business, now)) > 0) continue;
      }
      return { kind: 'refused', refusal: { code: 'concurrency_limit' } };
    }
    if (failedCondition(cpsReason)) {
      return { kind: 'refused', refusal: { code: 'cps_limit', retryAfter: cpsRetryAfterSeconds } };
    }
    throw cancelled.error;
  } while (await retry());
  return { kind: 'contended' };
};

/**
 * Plivo did not take the call: gives back everything `reserveCall` took, in one transaction, so
 * nothing is counted and a retry (even with the same Idempotency-Key) can place it.
 */
export const releaseReservation = async (
  db: Db,
  reservation: Reservation,
  reservedAt: number,
): Promise<void> => {
  const { callId, business, user, idempotency } = reservation;
  const pairItem: TransactItem = {
    Update: uncountCallUpdate(db.tableName, business, user, callId),
  };
  const rest: TransactItem[] = [
    { Update: releaseLeaseUpdate(db.tableName, business, callId) },
    {
      Update: {
        TableName: db.tableName,
        Key: keys.cps(cpsSecond(reservedAt)),
        UpdateExpression: 'ADD #n :minusOne',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: attributeNames('n'),
        ExpressionAttributeValues: { ':minusOne': -1 },
      },
    },
    { Delete: { TableName: db.tableName, Key: keys.call(callId) } },
    ...(idempotency
      ? [{ Delete: { TableName: db.tableName, Key: keys.idempotency(business, idempotency.key) } }]
      : []),
  ];
  const retry = contentionRetries();
  let cancelled = await transactWrite(db, 'Releasing a call', [pairItem, ...rest], retry);
  // The pair's entry is gone only if the pair was replaced meanwhile: nothing to give back there.
  if (cancelled && failedCondition(cancelled.reasons[0])) {
    cancelled = await transactWrite(db, 'Releasing a call', rest, retry);
  }
  if (cancelled) throw cancelled.error;
};
