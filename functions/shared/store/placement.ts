import type { Rules } from '../config/schema.js';
import {
  type AccountSettings,
  type CpsDecision,
  type CpsRing,
  decideCallApiRequest,
} from '../rules/calls-per-second.js';
import { leaseExpiry } from '../rules/concurrency.js';
import type { PairState } from '../rules/pair.js';
import { decidePlacement, type PlacementRefusal } from '../rules/placement.js';
import { newCallRecord } from './call-record.js';
import { type Db, readLive } from './client.js';
import {
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

export interface Reservation {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly agent: string;
  readonly idempotency?: IdempotencyKey | undefined;
}

/** What a reservation took from the account's calls-per-second ring, to give back. */
export type CpsToken = Extract<CpsDecision, { ok: true }> & { readonly at: number };

export type ReserveOutcome =
  /** Daily slot, lease, CPS token, call record (and idempotency record) written in one transaction. */
  | { readonly kind: 'reserved'; readonly cps: CpsToken }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  /** The Idempotency-Key was used before: the record as it stands. */
  | { readonly kind: 'idempotent'; readonly record: IdempotencyRecord }
  /** Lost every optimistic retry to other writers of the same items: try again shortly. */
  | { readonly kind: 'contended' };

export type Limits = { readonly rules: Rules } & AccountSettings;

/**
 * Counts a Call API request in the account's ring: the slot takes `now` and `seq` moves on, only if no
 * other request was counted since the ring was read (then the caller reads again).
 */
const takeCpsUpdate = (tableName: string, cps: CpsToken) => ({
  TableName: tableName,
  Key: keys.cpsRing(),
  UpdateExpression: 'SET #slot = :at, #seq = :next',
  // A ring given back to its start holds `seq` 0.
  ConditionExpression: cps.seq === 0 ? 'attribute_not_exists(#seq) OR #seq = :seq' : '#seq = :seq',
  ExpressionAttributeNames: { '#slot': cps.slot, '#seq': 'seq' },
  ExpressionAttributeValues: { ':at': cps.at, ':next': cps.seq + 1, ':seq': cps.seq },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/** Gives the token back while it is still the newest (a later request keeps its own, lapsing in a second). */
const returnCpsUpdate = (tableName: string, cps: CpsToken) => ({
  TableName: tableName,
  Key: keys.cpsRing(),
  UpdateExpression:
    cps.previous === undefined
      ? 'SET #seq = :seq REMOVE #slot'
      : 'SET #seq = :seq, #slot = :previous',
  ConditionExpression: '#seq = :next AND #slot = :at',
  ExpressionAttributeNames: { '#slot': cps.slot, '#seq': 'seq' },
  ExpressionAttributeValues: {
    ':seq': cps.seq,
    ':next': cps.seq + 1,
    ':at': cps.at,
    ...(cps.previous === undefined ? {} : { ':previous': cps.previous }),
  },
});

/**
 * The placement transaction, in a fixed order the cancellation reasons are read by:
 * pair (daily slot, optimistic version), line (concurrency lease), CPS ring, call record, idempotency.
 */
const placementItems = (
  db: Db,
  reservation: Reservation,
  pair: PairState | undefined,
  decision: Parameters<typeof placeCallUpdate>[4],
  cps: CpsToken,
  limits: Limits,
): TransactItem[] => {
  const now = cps.at;
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
    { Update: takeCpsUpdate(db.tableName, cps) },
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
    const [pair, ring] = await Promise.all([
      readPair(db, reservation.business, reservation.user, now),
      readLive<CpsRing>(db, keys.cpsRing(), now),
    ]);
    const decision = decidePlacement(pair, reservation.callId, now, limits.rules);
    if (decision.kind === 'refused') return decision;
    const cpsDecision = decideCallApiRequest(ring, now, limits);
    if (!cpsDecision.ok) {
      return {
        kind: 'refused',
        refusal: { code: 'cps_limit', retryAfter: cpsDecision.retryAfter },
      };
    }
    const cps: CpsToken = { ...cpsDecision, at: now };
    let cancelled: Cancelled | undefined;
    try {
      cancelled = await transactWithLine(
        db,
        reservation.business,
        'A placement',
        placementItems(db, reservation, pair, decision, cps, limits),
        1,
        retry,
      );
    } catch (error) {
      if (isStillContended(error)) return { kind: 'contended' };
      throw error;
    }
    if (!cancelled) return { kind: 'reserved', cps };
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
    // Another request was counted since the ring was read: read again.
    if (failedCondition(cpsReason)) continue;
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
  cps: CpsToken,
): Promise<void> => {
  const { callId, business, user, idempotency } = reservation;
  // Given back only while they are as the reservation left them: the pair's entry is gone if the pair
  // was replaced meanwhile, and a later Call API request keeps the ring as it is.
  const conditional = {
    pair: { Update: uncountCallUpdate(db.tableName, business, user, callId) },
    cps: { Update: returnCpsUpdate(db.tableName, cps) },
  };
  const always: TransactItem[] = [
    { Update: releaseLeaseUpdate(db.tableName, business, callId) },
    { Delete: { TableName: db.tableName, Key: keys.call(callId) } },
    ...(idempotency
      ? [{ Delete: { TableName: db.tableName, Key: keys.idempotency(business, idempotency.key) } }]
      : []),
  ];
  let parts = Object.keys(conditional) as (keyof typeof conditional)[];
  const retry = contentionRetries();
  for (;;) {
    const cancelled = await transactWrite(
      db,
      'Releasing a call',
      [...parts.map((part) => conditional[part]), ...always],
      retry,
    );
    if (!cancelled) return;
    const stale = parts.filter((_, i) => failedCondition(cancelled.reasons[i]));
    if (stale.length === 0) throw cancelled.error;
    parts = parts.filter((part) => !stale.includes(part));
  }
};
