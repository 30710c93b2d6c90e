import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { plivoPaths } from '../../infra/routes.js';
import { agentSchema, sipAddress } from '../shared/config/agent.js';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler, type Result } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { plivoDigits } from '../shared/numbers.js';
import { isCountryRestricted } from '../shared/rules/outbound.js';
import {
  type IdempotencyRecord,
  type PlacedCallResponse,
  type Reservation,
  type ReserveOutcome,
  readIdempotency,
  recordPlacedResponse,
  releaseReservation,
  reserveCall,
} from '../shared/store/outbound.js';
import { TelephonyError } from '../shared/telephony/port.js';

/** How long the agent's phone rings before Plivo gives up on the first leg. */
const agentRingSeconds = 30;

const bodySchema = z.object({
  from: z.string(),
  to: z.string(),
  agent: agentSchema.optional(),
});

const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, 'Idempotency-Key must be 1 to 255 visible ASCII characters');

type Refusal = Extract<ReserveOutcome, { kind: 'refused' }>['refusal'];

const refusalMessages: Record<Refusal['code'], [status: number, message: string]> = {
  no_permission: [403, 'The user has not granted this business number permission to call'],
  permission_expired: [403, "The user's call permission has expired; ask for it again"],
  permission_revoked: [403, 'The call permission was revoked'],
  permission_rejected: [403, 'The user declined the call permission request'],
  daily_call_limit: [429, 'The daily limit of business-initiated calls to this user is reached'],
  concurrency_limit: [429, 'The business number is at its limit of simultaneous calls'],
  cps_limit: [429, "The account's calls-per-second limit is reached"],
};

const refusalError = (refusal: Refusal): HttpError => {
  const [status, message] = refusalMessages[refusal.code];
  return new HttpError(
    status,
    refusal.code,
    message,
    'retryAfter' in refusal ? refusal.retryAfter : undefined,
  );
};

/** The first answer to this Idempotency-Key, or why it cannot be given. */
const replay = (record: IdempotencyRecord, requestHash: string): Result => {
  if (record.requestHash !== requestHash) {
    throw new HttpError(
      409,
      'idempotency_conflict',
      'This Idempotency-Key was used for a different request',
    );
  }
  if (record.status !== 'placed' || !record.response) {
    throw new HttpError(
      409,
      'idempotency_conflict',
      'A request with this Idempotency-Key is still being placed; retry shortly',
      1,
    );
  }
  return json(201, record.response);
};

const plivoFailure = (error: TelephonyError): HttpError =>
  new HttpError(
    502,
    'plivo_error',
    error.kind === 'refused'
      ? `Plivo refused the call${error.status ? ` (HTTP ${error.status})` : ''}; nothing was counted`
      : error.kind === 'timeout'
        ? 'Plivo did not answer in time; nothing was counted'
        : 'Plivo could not be reached; nothing was counted',
  );

/** POST /v1/calls: a business-initiated WhatsApp call, placed only within every rule. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const body = bodySchema.parse(request.body);
    const {
      business,
      user,
      number: configured,
    } = businessPair(deps.config, {
      business: body.from,
      user: body.to,
    });
    const { rules } = deps.config;
    if (isCountryRestricted(business.country, rules)) {
      throw new HttpError(
        403,
        'country_restricted',
        `Business-initiated calls are not available from business numbers in ${business.country ?? 'an unknown country'}`,
      );
    }
    const agent = body.agent ?? configured.agent;
    const keyHeader = request.headers['idempotency-key'];
    const idempotency =
      keyHeader === undefined
        ? undefined
        : {
            key: idempotencyKeySchema.parse(keyHeader),
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
        throw new HttpError(503, 'unavailable', 'Too many simultaneous changes; retry shortly', 1);
      case 'refused': {
        // A retry of a placed request may now be over a limit the first one used up: answer it as before.
        const earlier =
          idempotency &&
          (await readIdempotency(deps.db, business.e164, idempotency.key, deps.clock()));
        if (earlier) return replay(earlier, idempotency.requestHash);
        throw refusalError(outcome.refusal);
      }
      case 'reserved':
        break;
    }

    const { callId } = reservation;
    let requestUuid: string;
    try {
      ({ requestUuid } = await deps.telephony.placeCall({
        from: plivoDigits(business.e164),
        // The Call API takes SIP URIs or numbers: an endpoint username is dialed by its Plivo SIP URI.
        to: sipAddress(agent),
        answer_url: `${deps.publicBaseUrl}${plivoPaths.answer}?call=${callId}`,
        answer_method: 'POST',
        hangup_url: `${deps.publicBaseUrl}${plivoPaths.hangup}?call=${callId}`,
        hangup_method: 'POST',
        ring_timeout: agentRingSeconds,
        time_limit: rules.maxCallSeconds,
      }));
    } catch (error) {
      try {
        await releaseReservation(deps.db, reservation, outcome.reservedAt);
      } catch (releaseError) {
        // The lease and call record still expire; the daily slot stays counted until its window ends.
        deps.logger.error('could not release a call Plivo did not take', {
          callId,
          error: releaseError as Error,
        });
      }
      if (error instanceof TelephonyError) {
        deps.logger.warn('Plivo did not take a business-initiated call', {
          callId,
          kind: error.kind,
          status: error.status,
        });
        throw plivoFailure(error);
      }
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
    deps.logger.info('business-initiated call placed', { callId, requestUuid });
    return json(201, response);
  });
