import { idempotencyKeySchema, placeCallBody } from '../shared/api/calls.js';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler, requestDeps } from '../shared/http/middleware.js';
import { placementRefusalError, plivoError } from '../shared/http/refusals.js';
import { json } from '../shared/http/respond.js';
import { type PlaceCallOutcome, placeCall } from '../shared/operations/place-call.js';

const idempotencyConflict = (
  outcome: Extract<PlaceCallOutcome, { kind: 'idempotency_conflict' }>,
): HttpError => {
  switch (outcome.reason) {
    case 'other_request':
      return new HttpError(
        409,
        'idempotency_key_reused',
        'This Idempotency-Key was used for a request with another from, to, agent, reference or metadata; nothing was placed',
      );
    case 'still_placing':
      return new HttpError(
        409,
        'idempotency_conflict',
        'A request with this Idempotency-Key is still being placed; retry after retryAfter seconds',
        outcome.retryAfter,
      );
    case 'answer_lost':
      return new HttpError(
        409,
        'idempotency_conflict',
        `A request with this Idempotency-Key placed call ${outcome.callId}, but its answer was lost; it is not placed again`,
      );
  }
};

const respond = (outcome: PlaceCallOutcome) => {
  switch (outcome.kind) {
    case 'placed':
    case 'replayed':
      return json(201, outcome.response);
    case 'refused':
      throw placementRefusalError(outcome.refusal);
    case 'idempotency_conflict':
      throw idempotencyConflict(outcome);
    case 'contended':
      throw new HttpError(503, 'unavailable', 'Too many simultaneous changes; retry shortly', 1);
    case 'plivo_failed':
      throw plivoError('the call', outcome.error);
  }
};

/** POST /v1/calls: a business-initiated WhatsApp call, placed only within every rule. */
export const createHandler = (functionDeps: Deps): LambdaHandler =>
  businessApi(functionDeps, async (request) => {
    const deps = requestDeps(functionDeps, request);
    const body = placeCallBody.parse(request.body);
    const keyHeader = request.headers['idempotency-key'];
    const pair = businessPair(deps.config, { business: body.from, user: body.to });
    const outcome = await placeCall(deps, {
      ...pair,
      agent: body.agent,
      reference: body.reference,
      metadata: body.metadata,
      actor: request.actor,
      idempotencyKey: keyHeader === undefined ? undefined : idempotencyKeySchema.parse(keyHeader),
    });
    if (outcome.kind === 'plivo_failed') {
      deps.logger.warn('Plivo did not take a business-initiated call', {
        kind: outcome.error.kind,
        status: outcome.error.status,
      });
    } else if (outcome.kind === 'placed') {
      deps.logger.info('business-initiated call placed', {
        callId: outcome.response.callId,
        requestUuid: outcome.response.requestUuid,
      });
    }
    return respond(outcome);
  });
