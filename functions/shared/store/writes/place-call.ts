import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import { type AccountSettings, cpsSlot, cpsSlotFreeUntil } from '../../rules/calls-per-second.js';
import { leaseExpiry } from '../../rules/concurrency.js';
import type { NumberRestriction } from '../../rules/number-pause.js';
import type { PairState } from '../../rules/pair.js';
import type { CallRetry, PlacementDecision, PlacementRefusal } from '../../rules/place-call.js';
import { type Origin, originOf } from '../../rules/references.js';
import type { Db } from '../client.js';
import {
  attributeNames,
  type Cancelled,
  contentionRetries,
  failedCondition,
  isStillContended,
  requestToken,
  type TransactItem,
} from '../conditions.js';
import { newCallRecord } from '../items/call-record.js';
import {
  type IdempotencyKey,
  type IdempotencyRecord,
  idempotencyAtFailure,
  pendingIdempotencyPut,
} from '../items/idempotency.js';
import {
  leaseShards,
  maxShardPicks,
  shardCapacity,
  takeLeaseUpdate,
  transactTakingLease,
} from '../items/leases.js';
import { readPairAndPause } from '../items/number-restriction.js';
import { readPair } from '../items/pair.js';
import { placeCallUpdate } from '../items/pair-calls.js';
import { keys } from '../keys.js';

export interface Reservation extends Origin {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly agent: string;
  /** The call intent that places the call (POST /v1/call-intents), if any. */
  readonly intentId?: string | undefined;
  readonly idempotency?: IdempotencyKey | undefined;
}

/** The calls-per-second slot a reservation took, and when: given back if Plivo does not take the call. */
export interface CpsToken {
  readonly slot: number;
  readonly at: number;
}

export type ReserveOutcome =
  /** Daily slot, lease, CPS token, call record (and idempotency record) written in one transaction. */
  | { readonly kind: 'reserved'; readonly cps: CpsToken; readonly leaseShard: number }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  /** The Idempotency-Key was used before: the record as it stands. */
  | { readonly kind: 'idempotent'; readonly record: IdempotencyRecord }
  /** Lost every optimistic retry to other writers of the same items: try again shortly. */
  | { readonly kind: 'contended' };

export type Limits = { readonly rules: Rules } & AccountSettings;

/**
 * What a placement decides, passed in by the operation (the rules' functions): the store calls them on
 * each read of the pair, so a lost race decides again on what it read.
 */
export interface PlacementDecisions {
  /** Whether the call may be placed on the pair as read, and the pair's calls after it. */
  readonly placement: (
    pair: PairState | undefined,
    callId: string,
    now: number,
  ) => PlacementDecision;
  /** When a call the CPS slot refused may be tried again, or a permission request sent instead. */
  readonly cpsRetry: (pair: PairState | undefined, now: number) => CallRetry;
  /**
   * The refusal of the number's pause, when the caller has not read it: the first read of the pair
   * then reads the pause with it (one BatchGetItem). A pause recorded after that read is not seen by
   * this placement (Meta refuses that call itself).
   */
  readonly pause?: (
    pause: NumberRestriction | undefined,
    now: number,
  ) => PlacementRefusal | undefined;
}

/** Draws the next Call API request ticket: an atomic counter, so concurrent requests never collide. */
const drawTicket = async (db: Db): Promise<number> => {
  const { Attributes } = await db.doc.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: keys.cpsTicket(),
      UpdateExpression: 'ADD #seq :one',
      ExpressionAttributeNames: attributeNames('seq'),
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.seq) - 1;
};

/**
 * Counts a Call API request in its slot, only while the slot's last request has left the one-second
 * window; `previous` keeps that request's time, so a release can put it back.
 */
const takeCpsUpdate = (tableName: string, cps: CpsToken) => ({
  TableName: tableName,
  Key: keys.cpsSlot(cps.slot),
  UpdateExpression: 'SET #previous = if_not_exists(#at, :zero), #at = :at ADD #uses :one',
  ConditionExpression: 'attribute_not_exists(#at) OR #at <= :freeUntil',
  ExpressionAttributeNames: attributeNames('previous', 'at', 'uses'),
  ExpressionAttributeValues: {
    ':zero': 0,
    ':at': cps.at,
    ':one': 1,
    ':freeUntil': cpsSlotFreeUntil(cps.at),
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * The placement transaction, in a fixed order the cancellation reasons are read by:
 * pair (daily slot, optimistic version), line (concurrency lease), CPS slot, call record, idempotency.
 */
const placementItems = (
  db: Db,
  reservation: Reservation,
  pair: PairState | undefined,
  decision: Parameters<typeof placeCallUpdate>[4],
  cps: CpsToken,
  leaseShard: number,
  limits: Limits,
): TransactItem[] => {
  const now = cps.at;
  const { callId, business, user, agent, intentId, idempotency, actor, reference, metadata } =
    reservation;
  const leaseExpiresAt = leaseExpiry(now, limits.rules);
  const limit = limits.rules.simultaneousCallsPerNumber;
  return [
    { Update: placeCallUpdate(db.tableName, business, user, pair, decision) },
    {
      Update: takeLeaseUpdate(
        db.tableName,
        business,
        leaseShard,
        callId,
        leaseExpiresAt,
        shardCapacity(limit, leaseShard),
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
          leaseShard,
          agent,
          ...(intentId === undefined ? {} : { intentId }),
          ...originOf({ actor, reference, metadata }),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    ...(idempotency
      ? [{ Put: pendingIdempotencyPut(db.tableName, idempotency, callId, now) }]
      : []),
  ];
};

const concurrencyRefusal: ReserveOutcome = {
  kind: 'refused',
  refusal: { code: 'concurrency_limit' },
};

/**
 * Checks the rules on one consistent read of the pair and takes every reservation in one transaction:
 * the daily slot (pair `calls`, under the read `version`), the concurrency lease, the CPS token, the
 * call record and the idempotency record. A lost optimistic race re-reads and retries. A send whose
 * outcome is unknown (its answer lost) is sent again with the same items and token within the same budget:
 * success means one of the sends was applied. Still unknown past the budget, the error is thrown (503),
 * and a retry with the same Idempotency-Key may take the reservation over (`takeOverReservation` in store/writes/place-call-release.ts).
 */
export const reserveCall = async (
  db: Db,
  reservation: Reservation,
  clock: () => number,
  limits: Limits,
  decide: PlacementDecisions,
): Promise<ReserveOutcome> => {
  const { business, callId } = reservation;
  const shards = leaseShards(db, business, callId, limits.rules.simultaneousCallsPerNumber);
  let ticket: number | undefined;
  let leaseShard: number | undefined;
  let picks = 0;
  const retry = contentionRetries();
  let pauseToRead = decide.pause;
  do {
    const now = clock();
    let pair: PairState | undefined;
    if (pauseToRead) {
      const read = await readPairAndPause(db, business, reservation.user, now);
      const refusal = pauseToRead(read.pause, now);
      if (refusal) return { kind: 'refused', refusal };
      pair = read.pair;
      pauseToRead = undefined;
    } else {
      pair = await readPair(db, business, reservation.user, now);
    }
    const decision = decide.placement(pair, callId, now);
    if (decision.kind === 'refused') return decision;
    if (leaseShard === undefined) {
      const pick = await shards.first(now);
      // A new call id never finds its own lease held.
      if (pick.kind !== 'shard') return concurrencyRefusal;
      leaseShard = pick.shard;
    }
    // One ticket per request, drawn once the rules allow the call (a refused request would skip a
    // slot); a re-read keeps it.
    ticket ??= await drawTicket(db);
    const cps: CpsToken = { slot: cpsSlot(ticket, limits), at: now };
    const items = placementItems(db, reservation, pair, decision, cps, leaseShard, limits);
    let cancelled: Cancelled | undefined;
    try {
      cancelled = await transactTakingLease(
        db,
        { business, shard: leaseShard, index: 1 },
        'A placement',
        items,
        retry,
        { clientRequestToken: requestToken(callId, items) },
      );
    } catch (error) {
      if (isStillContended(error)) return { kind: 'contended' };
      throw error;
    }
    if (!cancelled) return { kind: 'reserved', cps, leaseShard };
    const [pairReason, leaseReason, cpsReason, , idempotencyReason] = cancelled.reasons;
    if (idempotencyReason && failedCondition(idempotencyReason)) {
      return { kind: 'idempotent', record: idempotencyAtFailure(idempotencyReason) };
    }
    // Another writer changed the pair meanwhile: the read is stale.
    if (failedCondition(pairReason)) continue;
    if (failedCondition(leaseReason)) {
      // The shard filled: another with room (lapsed leases reaped), or none.
      if (++picks > maxShardPicks) return { kind: 'contended' };
      const pick = await shards.next(now);
      if (pick.kind !== 'shard') return concurrencyRefusal;
      leaseShard = pick.shard;
      continue;
    }
    if (failedCondition(cpsReason)) {
      return {
        kind: 'refused',
        refusal: {
          code: 'cps_limit',
          ...decide.cpsRetry(pair, now),
        },
      };
    }
    throw cancelled.error;
  } while (await retry());
  return { kind: 'contended' };
};
