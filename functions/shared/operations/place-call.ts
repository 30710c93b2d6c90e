import { createHash, randomUUID } from 'node:crypto';
import { sipAddress } from '../config/agent.js';
import type { BusinessNumber } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { type PhoneNumber, plivoDigits } from '../numbers.js';
import { plivoUrls } from '../routes.js';
import { type PlacementRefusal, placementRefusalBeforeRead } from '../rules/placement.js';
import {
  type IdempotencyRecord,
  type PlacedCallResponse,
  readIdempotency,
  recordPlacedResponse,
} from '../store/idempotency.js';
import { type Reservation, releaseReservation, reserveCall } from '../store/placement.js';
import { TelephonyError } from '../telephony/port.js';

/** How long the agent's phone rings before Plivo gives up on the first leg. */
const agentRingSeconds = 30;

export interface CallToPlace {
  readonly business: PhoneNumber;
  readonly user: PhoneNumber;
  /** The business number's configuration. */
  readonly number: BusinessNumber;
  /** The agent the first leg rings; the number's default when absent. */
  readonly agent?: string | undefined;
  readonly idempotencyKey?: string | undefined;
}

export type PlaceCallOutcome =
  | { readonly kind: 'placed'; readonly response: PlacedCallResponse }
  /** A retry of a request already placed with this Idempotency-Key: its first answer. */
  | { readonly kind: 'replayed'; readonly response: PlacedCallResponse }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  | { readonly kind: 'idempotency_conflict'; readonly reason: 'other_request' | 'still_placing' }
  /** Lost every optimistic retry to concurrent writers: nothing was counted. */
  | { readonly kind: 'contended' }
  /** Plivo did not take the call: everything reserved was given back. */
  | { readonly kind: 'plivo_failed'; readonly error: TelephonyError };

/** The first answer to an Idempotency-Key, or why it cannot be given again. */
const replay = (record: IdempotencyRecord, requestHash: string): PlaceCallOutcome => {
  if (record.requestHash !== requestHash) {
    return { kind: 'idempotency_conflict', reason: 'other_request' };
  }
  if (record.status !== 'placed' || !record.response) {
    return { kind: 'idempotency_conflict', reason: 'still_placing' };
  }
  return { kind: 'replayed', response: record.response };
};

/**
 * A business-initiated WhatsApp call: the rules decide (rules/placement.ts), every limit is reserved in
 * one transaction, then Plivo's Call API rings the agent, whose answer bridges the user
 * (operations/agent-leg.ts). If Plivo does not take it, everything reserved is given back.
 */
export const placeCall = async (deps: Deps, call: CallToPlace): Promise<PlaceCallOutcome> => {
  const { rules } = deps.config;
  const { business, user } = call;
  const early = placementRefusalBeforeRead(business.country, rules);
  if (early) return { kind: 'refused', refusal: early };
  const agent = call.agent ?? call.number.agent;
  const idempotency =
    call.idempotencyKey === undefined
      ? undefined
      : {
          key: call.idempotencyKey,
          requestHash: createHash('sha256')
            .update(JSON.stringify([business.e164, user.e164, agent]))
            .digest('base64url'),
        };
  const reservation: Reservation = {
    callId: randomUUID(),
    business: business.e164,
    user: user.e164,
    agent,
    idempotency,
  };

  const outcome = await reserveCall(deps.db, reservation, deps.clock, {
    rules,
    callsPerSecond: deps.config.account.callsPerSecond,
  });
  switch (outcome.kind) {
    case 'idempotent':
      return replay(outcome.record, idempotency?.requestHash ?? '');
    case 'contended':
      return outcome;
    case 'refused': {
      // A retry of a placed request may now be over a limit the first one used up: answer it as before.
      const earlier =
        idempotency &&
        (await readIdempotency(deps.db, business.e164, idempotency.key, deps.clock()));
      return earlier ? replay(earlier, idempotency.requestHash) : outcome;
    }
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
      await releaseReservation(deps.db, reservation, outcome.cps);
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
  if (idempotency) {
    try {
      await recordPlacedResponse(deps.db, business.e164, idempotency.key, response);
    } catch (error) {
      // The call is placed: answer it. A retry with this key gets 409 until the record expires.
      deps.logger.error('could not keep the response of an idempotent request', {
        callId,
        error: error as Error,
      });
    }
  }
  return { kind: 'placed', response };
};
