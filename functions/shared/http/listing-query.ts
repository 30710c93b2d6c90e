import type { Config } from '../config/schema.js';
import { parseUser, userKey, userProblem } from '../users.js';
import { pathBusinessNumber } from './business-pair.js';
import { HttpError } from './errors.js';

/** A number in a query string: `%2B9180…`, or `+9180…`, whose `+` a query string reads as a space. */
const queryNumber = (value: string | undefined): string | undefined =>
  value?.replace(/^ (?=\d)/, '+');

/** The configured business number a listing names: 400 invalid_number, 404 unknown_business_number. */
export const listingBusiness = (config: Config, value: string | undefined): string => {
  if (value === undefined) {
    throw new HttpError(
      400,
      'invalid_request',
      'business is required: the business number in E.164',
    );
  }
  return pathBusinessNumber(config, { business: queryNumber(value) }).business.e164;
};

/** A user as the state view takes one: a number or a BSUID (400 invalid_number). */
export const listingUser = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const user = parseUser(queryNumber(value));
  if (!user) throw new HttpError(400, 'invalid_number', `user ${userProblem(value)}`);
  return userKey(user);
};

export const invalidCursor = () =>
  new HttpError(
    400,
    'invalid_cursor',
    'cursor is not one this listing gave: ask again without it, with the same parameters',
  );
