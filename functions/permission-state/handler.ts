import type { PermissionStateResponse } from '../shared/api/permissions.js';
import type { Deps } from '../shared/deps.js';
import { pathPair } from '../shared/http/business-pair.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { permissionState } from '../shared/operations/permission-state.js';
import { userKey } from '../shared/users.js';

/** GET /v1/permissions/{business}/{user}: the permission and the actions, like Meta's call_permissions. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { business, user } = pathPair(deps.config, request.pathParameters);
    return json(200, {
      business: business.e164,
      user: userKey(user),
      ...(await permissionState(deps, business, user)),
    } satisfies PermissionStateResponse);
  });
