import type { Db } from '../client.js';
import {
  attributeNames,
  type Cancelled,
  contentionRetries,
  failedCondition,
  requestToken,
  type TransactItem,
  transactWrite,
} from '../conditions.js';
import { readCall } from '../items/call-record.js';
import type { IdempotencyKey } from '../items/idempotency.js';
import { pendingIdempotencyDelete } from '../items/idempotency.js';
import { releaseLeaseUpdate } from '../items/leases.js';
import { uncountCallUpdate } from '../items/pair-calls.js';
import { keys } from '../keys.js';
import type { CpsToken, Reservation } from './place-call.js';

/**
 * Giving a reservation back (store/writes/place-call.ts): when Plivo did not take the call, and when a retry
 * with the same Idempotency-Key takes over one whose outcome was never settled.
 */

/** Puts the slot's previous request back, while the slot still holds this reservation's. */
const returnCpsUpdate = (tableName: string, cps: CpsToken) => ({
  TableName: tableName,
  Key: keys.cpsSlot(cps.slot),
  UpdateExpression: 'SET #at = #previous REMOVE #previous ADD #uses :minusOne',
  ConditionExpression: '#at = :at',
  ExpressionAttributeNames: attributeNames('at', 'previous', 'uses'),
  ExpressionAttributeValues: { ':at': cps.at, ':minusOne': -1 },
});

/**
 * Sends a release: `required` as given, and each of `optional` only while its condition holds (a part
 * the reservation wrote that has changed since is left as it is, and the rest sent again). Undefined once
 * written; the cancellation when one of `required` failed its condition, its reasons first.
 */
const sendRelease = async (
  db: Db,
  what: string,
  requestId: string,
  required: readonly TransactItem[],
  optional: readonly TransactItem[],
): Promise<Cancelled | undefined> => {
  let parts = optional;
  const retry = contentionRetries();
  for (;;) {
    const items = [...required, ...parts];
    const cancelled = await transactWrite(db, what, items, retry, {
      clientRequestToken: requestToken(requestId, items),
    });
    if (!cancelled) return undefined;
    if (cancelled.reasons.slice(0, required.length).some(failedCondition)) return cancelled;
    const kept = parts.filter((_, i) => !failedCondition(cancelled.reasons[required.length + i]));
    if (kept.length === parts.length) throw cancelled.error;
    parts = kept;
  }
};

/**
 * Plivo did not take the call: gives back everything `reserveCall` took, in one transaction, so
 * nothing is counted and a retry (even with the same Idempotency-Key) can place it.
 */
export const releaseReservation = async (
  db: Db,
  reservation: Reservation,
  reserved: { readonly cps: CpsToken; readonly leaseShard: number },
): Promise<void> => {
  const { cps, leaseShard } = reserved;
  const { callId, business, user, idempotency } = reservation;
  // Given back only while they are as the reservation left them: the pair's entry is gone if the pair
  // was replaced meanwhile, a later Call API request keeps its slot, and the key's record is
  // left to a request that took it over.
  const cancelled = await sendRelease(
    db,
    'Releasing a call',
    callId,
    [
      { Update: releaseLeaseUpdate(db.tableName, business, leaseShard, callId) },
      { Delete: { TableName: db.tableName, Key: keys.call(callId) } },
    ],
    [
      { Update: uncountCallUpdate(db.tableName, business, user, callId) },
      { Update: returnCpsUpdate(db.tableName, cps) },
      ...(idempotency
        ? [
            {
              Delete: pendingIdempotencyDelete(db.tableName, idempotency.key, callId),
            },
          ]
        : []),
    ],
  );
  if (cancelled) throw cancelled.error;
};

export type TakeOverOutcome =
  /** The stale reservation is given back and the key is free: place the call afresh. */
  | 'released'
  /** Another request took the key over first, or it changed meanwhile: read it again. */
  | 'lost'
  /** The stale request's call reached the user: it must not be placed again. */
  | 'dialed';

/**
 * A retry with an Idempotency-Key whose first request left its reservation pending past
 * `pendingTakeoverMs` (store/items/idempotency.ts): that request can no longer be running, so its reservation
 * is given back in one transaction (the call record, the lease, the daily slot and the key's record; its
 * CPS token cannot be known and lapses within a second) for the retry to place the call afresh. Only one
 * retry wins: the key's record is deleted only while still pending for the stale call.
 *
 * The first request may have reached Plivo after all (its answer, or the write of its 201, was lost).
 * Releasing is still safe: the call record is deleted only while its user has not been dialed, and an
 * agent leg that answers later finds no call and dials nobody (operations/agent-leg.ts), so the user is
 * dialed at most once. Once dialed, nothing is released and the outcome is `dialed`.
 */
export const takeOverReservation = async (
  db: Db,
  stale: Reservation & { readonly idempotency: IdempotencyKey },
  /** The call id of the request taking it over. */
  by: string,
  now: number,
): Promise<TakeOverOutcome> => {
  const { callId, business, user, idempotency } = stale;
  // The lease is where the call record says; with no record, the reservation holds no lease either.
  const record = await readCall(db, callId, now);
  const cancelled = await sendRelease(
    db,
    'Taking over a placement',
    by,
    [
      { Delete: pendingIdempotencyDelete(db.tableName, idempotency.key, callId) },
      {
        Delete: {
          TableName: db.tableName,
          Key: keys.call(callId),
          ConditionExpression: 'attribute_not_exists(#dialedAt)',
          ExpressionAttributeNames: attributeNames('dialedAt'),
        },
      },
      ...(record?.leaseShard === undefined
        ? []
        : [{ Update: releaseLeaseUpdate(db.tableName, business, record.leaseShard, callId) }]),
    ],
    [{ Update: uncountCallUpdate(db.tableName, business, user, callId) }],
  );
  if (!cancelled) return 'released';
  const [keyReason, callReason] = cancelled.reasons;
  if (failedCondition(keyReason)) return 'lost';
  if (failedCondition(callReason)) return 'dialed';
  throw cancelled.error;
};
