import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { permissionState } from '../shared/operations/permission-state.js';

/** A path parameter as the caller wrote it: `%2B918035737458`, `+918035737458` or bare digits. */
const decoded = (value: string | undefined): string => {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    // Not percent-encoded after all: validated as is.
    return value ?? '';
  }
};

/** GET /v1/permissions/{business}/{user}: the permission and the actions, like Meta's call_permissions. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { business, user } = businessPair(
      deps.config,
      {
        business: decoded(request.pathParameters.business),
        user: decoded(request.pathParameters.user),
      },
      { business: 'business', user: 'user' },
    );
    return json(200, {
      business: business.e164,
      user: user.e164,
      ...(await permissionState(deps, business, user)),
    });
  });
