import {
  type PermissionStateResponse,
  permissionCorrectionBody,
} from '../shared/api/permissions.js';
import type { Deps } from '../shared/deps.js';
import { pathPair } from '../shared/http/business-pair.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { correctionRefusalError } from '../shared/http/refusals.js';
import { json } from '../shared/http/respond.js';
import { correctPermission } from '../shared/operations/permission-correction.js';
import { userKey } from '../shared/users.js';

/**
 * PUT /v1/permissions/{business}/{user}: an operator's correction of the permission state (source
 * `manual`), answered with the state view as GET shows it.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { business, user } = pathPair(deps.config, request.pathParameters);
    const correction = permissionCorrectionBody.parse(request.body);
    const outcome = await correctPermission(deps, business, user, correction, request.actor);
    if (outcome.kind === 'refused') throw correctionRefusalError(outcome);
    deps.logger.info('permission corrected by an operator', { status: correction.status });
    return json(200, {
      business: business.e164,
      user: userKey(user),
      ...outcome.view,
    } satisfies PermissionStateResponse);
  });
