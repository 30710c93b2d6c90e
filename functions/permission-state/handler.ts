import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { isCountryRestricted } from '../shared/rules/outbound.js';
import { permissionView } from '../shared/rules/permission.js';
import { readPair } from '../shared/store/permissions.js';

/** A path parameter as the caller wrote it: `%2B918035737458`, `+918035737458` or bare digits. */
const decoded = (value: string | undefined): string => {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    // Not percent-encoded after all: validated as is.
    return value ?? '';
  }
};

/** The pair's permission and what the business may do now, shaped like Meta's call_permissions. */
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
    const now = deps.clock();
    const pair = await readPair(deps.db, business.e164, user.e164, now);
    return json(200, {
      business: business.e164,
      user: user.e164,
      ...permissionView(pair, now, deps.config.rules, {
        callsRestricted: isCountryRestricted(business.country, deps.config.rules),
      }),
    });
  });
