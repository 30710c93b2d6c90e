import { configuredNumber } from '../config/numbers.js';
import type { BusinessNumber, Config } from '../config/schema.js';
import { numberProblem, type PhoneNumber, parseE164 } from '../numbers.js';
import { parseUser, type User, userProblem } from '../users.js';
import { HttpError } from './errors.js';

export interface BusinessPair {
  readonly business: PhoneNumber;
  /** A user number, or a business-scoped user ID (a user with a username). */
  readonly user: User;
  /** The business number's configuration. */
  readonly number: BusinessNumber;
}

/**
 * The business number and user a business API request names, E.164 with `+` and validated against the
 * numbering plans, the user also as a business-scoped user ID by its format (400 invalid_number) and the configuration (404 unknown_business_number).
 */
export const businessPair = (
  config: Config,
  input: { business: unknown; user: unknown },
  names: { business: string; user: string } = { business: 'from', user: 'to' },
): BusinessPair => {
  const business = parseE164(input.business);
  if (!business) {
    throw new HttpError(
      400,
      'invalid_number',
      `${names.business} ${numberProblem(input.business)}`,
    );
  }
  const user = parseUser(input.user);
  if (!user) {
    throw new HttpError(400, 'invalid_number', `${names.user} ${userProblem(input.user)}`);
  }
  const number = configuredNumber(config, business.e164);
  if (!number) {
    throw new HttpError(
      404,
      'unknown_business_number',
      `${names.business} is not a configured business number`,
    );
  }
  return { business, user, number };
};

/** A path parameter as the caller wrote it: `%2B918035737458` or `+918035737458`. */
const decodedPathParameter = (value: string | undefined): string => {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    // Not percent-encoded after all: validated as is.
    return value ?? '';
  }
};

/** The pair a `/v1/permissions/{business}/{user}` path names, validated like a request body's. */
export const pathPair = (
  config: Config,
  pathParameters: Readonly<Record<string, string | undefined>>,
): BusinessPair =>
  businessPair(
    config,
    {
      business: decodedPathParameter(pathParameters.business),
      user: decodedPathParameter(pathParameters.user),
    },
    { business: 'business', user: 'user' },
  );

/** The configured business number a `/v1/numbers/{business}/…` path names (400, 404 as above). */
export const pathBusinessNumber = (
  config: Config,
  pathParameters: Readonly<Record<string, string | undefined>>,
): { readonly business: PhoneNumber; readonly number: BusinessNumber } => {
  const written = decodedPathParameter(pathParameters.business);
  const business = parseE164(written);
  if (!business) throw new HttpError(400, 'invalid_number', `business ${numberProblem(written)}`);
  const number = configuredNumber(config, business.e164);
  if (!number) {
    throw new HttpError(
      404,
      'unknown_business_number',
      'business is not a configured business number',
    );
  }
  return { business, number };
};
