import { createHash, randomUUID } from 'node:crypto';
import { sipAddress } from '../config/agent.js';
import type { BusinessNumber, Rules } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { type PhoneNumber, parsePhoneNumber, plivoDigits } from '../numbers.js';
import { plivoUrls } from '../routes.js';
import { cpsRetryAfterSeconds } from '../rules/calls-per-second.js';
import { type PauseRead, pauseRefusal } from '../rules/number-pause.js';
import {
  callRetry,
  decidePlacement,
  type PlacementRefusal,
  placementRefusalBeforeRead,
} from '../rules/place-call.js';
import { type Origin, originOf } from '../rules/references.js';
import { bsuidRefusal } from '../rules/user-link.js';
import { markPlaced } from '../store/items/call-record.js';
import {
  type IdempotencyKey,
  type IdempotencyRecord,
  idempotencyKeys,
  type PlacedCallResponse,
  readIdempotency,
  recordPlacedResponse,
  takeoverAt,
} from '../store/items/idempotency.js';
import { reachableNumberOf } from '../store/items/user-link.js';
import {
  type PlacementDecisions,
  type Reservation,
  type ReserveOutcome,
  reserveCall,
} from '../store/writes/place-call.js';
import { releaseReservation, takeOverReservation } from '../store/writes/place-call-release.js';
import { TelephonyError } from '../telephony/port.js';

/** How long the agent's phone rings before Plivo gives up on the first leg. */
const agentRingSeconds = 30;

/** The rules' decisions a reservation runs on each read of the pair (store/writes/place-call.ts). */
export const placementDecisions = (rules: Rules): PlacementDecisions => ({
  placement: (pair, callId, now) => decidePlacement(pair, callId, now, rules),
  cpsRetry: (pair, now) => callRetry(pair, now, cpsRetryAfterSeconds, rules),
});

/** `Origin`: the request's reference and metadata (part of its Idempotency-Key's request) and caller. */
export interface CallToPlace extends Origin {
  readonly business: PhoneNumber;
  /** The user number, or a BSUID: dialed at the number it is linked to, refused when none. */
  readonly user: PhoneNumber | { readonly id: string };
  /** The business number's configuration. */
  readonly number: BusinessNumber;
  /** The agent the first leg rings; the number's default when absent. */
  readonly agent?: string | undefined;
  /** The client's Idempotency-Key header. */
  readonly idempotencyKey?: string | undefined;
  /**
   * The call intent placing the call: kept on the call record and in `call.placed`. The call is placed
   * with the intent's own key, which no client key can name.
   */
  readonly intentId?: string | undefined;
  /** The number's pause as the caller read it (a call intent's run); read with the pair when absent. */
  readonly pause?: PauseRead | undefined;
}

export type PlaceCallOutcome =
  | { readonly kind: 'placed'; readonly response: PlacedCallResponse }
  /** A retry of a request already placed with this Idempotency-Key: its first answer. */
  | { readonly kind: 'replayed'; readonly response: PlacedCallResponse }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  /** The key's first request was for another business number, user or agent: nothing is placed. */
  | { readonly kind: 'idempotency_conflict'; readonly reason: 'other_request' }
  /** The key's first request may still place the call: it may be taken over in `retryAfter` seconds. */
  | {
      readonly kind: 'idempotency_conflict';
      readonly reason: 'still_placing';
      readonly retryAfter: number;
    }
  /** The key's first request reached the user but its answer was never kept: it is not placed again. */
  | {
      readonly kind: 'idempotency_conflict';
      readonly reason: 'answer_lost';
      readonly callId: string;
    }
  /** Lost every optimistic retry to concurrent writers: nothing was counted. */
  | { readonly kind: 'contended' }
  /** Plivo did not take the call: everything reserved was given back. */
  | { readonly kind: 'plivo_failed'; readonly error: TelephonyError };

/**
 * What an Idempotency-Key's request is: a retry with another reference or metadata is another request.
 * A request without either hashes as before they existed, so a key's record written then still matches.
 */
const requestOf = (
  business: string,
  user: string,
  agent: string,
  { reference, metadata }: Origin,
) =>
  reference === undefined && metadata === undefined
    ? [business, user, agent]
    : [
        business,
        user,
        agent,
        reference ?? null,
        // The same metadata in another key order is the same request.
        metadata === undefined
          ? null
          : Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)),
      ];

/** The first answer to an Idempotency-Key, or why it cannot be given again. */
const replay = (record: IdempotencyRecord, requestHash: string, now: number): PlaceCallOutcome => {
  if (record.requestHash !== requestHash) {
    return { kind: 'idempotency_conflict', reason: 'other_request' };
  }
  if (record.status !== 'placed' || !record.response) {
    const retryAfter = Math.max(1, Math.ceil((takeoverAt(record) - now) / 1000));
    return { kind: 'idempotency_conflict', reason: 'still_placing', retryAfter };
  }
  return { kind: 'replayed', response: record.response };
};

/** The key's first request, when the placement found this is a retry of it. */
const earlierRequest = async (
  deps: Deps,
  idempotency: IdempotencyKey | undefined,
  outcome: ReserveOutcome,
): Promise<IdempotencyRecord | undefined> => {
  if (outcome.kind === 'idempotent') return outcome.record;
  // A retry of a placed request may now be over a limit the first one used up: answer it as before.
  if (outcome.kind === 'refused' && idempotency) {
    return readIdempotency(deps.db, idempotency.key, deps.clock());
  }
  return undefined;
};

/** A retry whose first request left its reservation pending for good (its outcome unknown, or its 201 unkept). */
const isAbandoned = (record: IdempotencyRecord, requestHash: string, now: number): boolean =>
  record.requestHash === requestHash &&
  record.status === 'pending' &&
  record.callId !== '' &&
  now >= takeoverAt(record);

/**
 * A business-initiated WhatsApp call: the rules decide (rules/place-call.ts), every limit is reserved in
 * one transaction, then Plivo's Call API rings the agent, whose answer bridges the user
 * (operations/agent-leg.ts). If Plivo does not take it, everything reserved is given back. A retry with
 * an Idempotency-Key whose first request left it pending past the takeover age takes that reservation
 * over (`takeOverReservation`) and places the call afresh, once.
 */
export const placeCall = async (deps: Deps, call: CallToPlace): Promise<PlaceCallOutcome> => {
  const outcome = await place(deps, call);
  if (outcome.kind === 'refused') {
    deps.metrics.count('CallsRefused', {
      business: call.business.e164,
      reason: outcome.refusal.code,
    });
  }
  return outcome;
};

const place = async (deps: Deps, call: CallToPlace): Promise<PlaceCallOutcome> => {
  const { rules } = deps.config;
  const { business } = call;
  const early = placementRefusalBeforeRead(business.country, rules);
  if (early) return { kind: 'refused', refusal: early };
  const number = await reachableNumberOf(deps.db, business.e164, call.user, deps.clock());
  const unreachable = bsuidRefusal({ number }, 'call');
  if (unreachable) return { kind: 'refused', refusal: { code: unreachable } };
  const user = 'e164' in call.user ? call.user : (parsePhoneNumber(number) as PhoneNumber);
  // Read before anything is counted, by the caller or with the pair: a pause Meta records while a
  // placement is between that read and its transaction is not seen by it (Meta refuses that call itself).
  const paused = call.pause && pauseRefusal(call.pause.standing, deps.clock());
  if (paused) return { kind: 'refused', refusal: paused };
  const agent = call.agent ?? call.number.agent;
  const key =
    call.intentId !== undefined
      ? idempotencyKeys.intent(call.intentId)
      : call.idempotencyKey === undefined
        ? undefined
        : idempotencyKeys.client(call.idempotencyKey);
  const idempotency =
    key === undefined
      ? undefined
      : {
          key,
          requestHash: createHash('sha256')
            .update(JSON.stringify(requestOf(business.e164, user.e164, agent, call)))
            .digest('base64url'),
        };
  const reservation: Reservation = {
    callId: randomUUID(),
    business: business.e164,
    user: user.e164,
    agent,
    intentId: call.intentId,
    idempotency,
    ...originOf(call),
  };

  const reserve = () =>
    reserveCall(
      deps.db,
      reservation,
      deps.clock,
      { rules, callsPerSecond: deps.config.account.callsPerSecond },
      call.pause
        ? placementDecisions(rules)
        : { ...placementDecisions(rules), pause: pauseRefusal },
    );
  let outcome = await reserve();
  let earlier = await earlierRequest(deps, idempotency, outcome);
  if (earlier && idempotency && isAbandoned(earlier, idempotency.requestHash, deps.clock())) {
    const stale = { ...reservation, callId: earlier.callId, idempotency };
    const takeover = await takeOverReservation(deps.db, stale, reservation.callId, deps.clock());
    deps.logger.warn('took over a placement its first request left pending', {
      callId: stale.callId,
      outcome: takeover,
    });
    if (takeover === 'dialed') {
      return { kind: 'idempotency_conflict', reason: 'answer_lost', callId: stale.callId };
    }
    outcome = await reserve();
    earlier = await earlierRequest(deps, idempotency, outcome);
  }
  const requestHash = idempotency?.requestHash ?? '';
  switch (outcome.kind) {
    case 'idempotent':
      return replay(outcome.record, requestHash, deps.clock());
    case 'refused':
      return earlier ? replay(earlier, requestHash, deps.clock()) : outcome;
    case 'contended':
      return outcome;
    case 'reserved':
      break;
  }

  const { callId } = reservation;
  const urls = plivoUrls(deps.publicBaseUrl);
  let requestUuid: string;
  try {
    ({ requestUuid } = await deps.telephony.placeCall({
      from: plivoDigits(business.e164),
      // The Call API takes SIP URIs or numbers: an endpoint username is dialed by its Plivo SIP URI.
      to: sipAddress(agent),
      answer_url: urls.agentLegAnswer(callId),
      answer_method: 'POST',
      hangup_url: urls.agentLegHangup(callId),
      hangup_method: 'POST',
      ring_timeout: agentRingSeconds,
      time_limit: rules.maxCallSeconds,
    }));
  } catch (error) {
    try {
      await releaseReservation(deps.db, reservation, outcome);
    } catch (releaseError) {
      // The lease and call record still expire; the daily slot stays counted until its window ends.
      deps.logger.error('could not release a call Plivo did not take', {
        callId,
        error: releaseError as Error,
      });
    }
    if (error instanceof TelephonyError) return { kind: 'plivo_failed', error };
    throw error;
  }

  const response: PlacedCallResponse = {
    callId,
    requestUuid,
    from: business.e164,
    to: user.e164,
    agent,
    status: 'placing',
  };
  const placedAt = deps.clock();
  const keepResponse = async () => {
    if (!idempotency) return;
    try {
      await recordPlacedResponse(deps.db, idempotency.key, response);
    } catch (error) {
      // The call is placed: answer it. A retry with this key gets 409, then takes the reservation over
      // (store/writes/place-call-release.ts `takeOverReservation`): released and placed again unless the user was dialed.
      deps.logger.error('could not keep the response of an idempotent request', {
        callId,
        error: error as Error,
      });
    }
  };
  const markCallPlaced = async () => {
    try {
      await markPlaced(deps.db, callId, requestUuid, placedAt);
    } catch (error) {
      // The call goes on; its log lacks `placedAt` and no `call.placed` event is published.
      deps.logger.error('could not mark the call placed', { callId, error: error as Error });
    }
  };
  await Promise.all([markCallPlaced(), keepResponse()]);
  return { kind: 'placed', response };
};
