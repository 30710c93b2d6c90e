import type { PauseLiftResponse } from '../shared/api/numbers.js';
import type { Deps } from '../shared/deps.js';
import { pathBusinessNumber } from '../shared/http/business-pair.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { liftPause } from '../shared/operations/pause-lift.js';

/**
 * DELETE /v1/numbers/{business}/pause: an operator lifts Meta's pause of the number. 200 either way
 * (`lifted` says whether a pause stood), so a retry is harmless.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { business } = pathBusinessNumber(deps.config, request.pathParameters);
    const outcome = await liftPause(deps, business, request.actor);
    if (outcome.kind === 'not_paused') {
      return json(200, { business: business.e164, lifted: false } satisfies PauseLiftResponse);
    }
    deps.logger.info('number pause lifted by an operator', { reason: outcome.pause.reason });
    return json(200, {
      business: business.e164,
      lifted: true,
      reason: outcome.pause.reason,
      pausedUntil: new Date(outcome.pause.until).toISOString(),
    } satisfies PauseLiftResponse);
  });
