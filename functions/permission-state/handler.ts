import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { type PhoneNumber, parsePhoneNumber } from '../shared/numbers.js';
import { permissionView } from '../shared/rules/permission.js';
import { readPair } from '../shared/store/permissions.js';

/** A path parameter as the caller wrote it: `%2B918035737458`, `+918035737458` or bare digits. */
const numberParameter = (value: string | undefined, name: string): PhoneNumber => {
  let decoded = value ?? '';
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // Not percent-encoded after all: validated as is below.
  }
  const parsed = parsePhoneNumber(decoded);
  if (!parsed) {
    throw new HttpError(400, 'invalid_number', `${name} is not a valid E.164 phone number`);
  }
  return parsed;
};

/** The pair's permission and what the business may do now, shaped like Meta's call_permissions. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const business = numberParameter(request.pathParameters.business, 'business');
    const user = numberParameter(request.pathParameters.user, 'user');
    if (!deps.config.numbers.some((n) => n.number === business.e164)) {
      throw new HttpError(404, 'unknown_business_number', 'business is not a configured number');
    }
    const now = deps.clock();
    const pair = await readPair(deps.db, business.e164, user.e164, now);
    return json(200, {
      business: business.e164,
      user: user.e164,
      ...permissionView(pair, now, deps.config.rules),
    });
  });
