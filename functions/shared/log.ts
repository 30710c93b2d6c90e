import { Logger } from '@aws-lambda-powertools/logger';
import { maskNumber, parsePhoneNumber } from './numbers.js';
import { maskBsuid } from './users.js';

/**
 * Digits that are never a phone number although they run long, kept as they are: UUIDs (call, message
 * and request ids), X-Ray trace ids, ISO dates and times, the account id of an ARN.
 */
const notNumbers =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|1-[0-9a-f]{8}-[0-9a-f]{24}|\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?|arn:aws[\w-]*:[\w-]*:[\w-]*:\d{12}:/gi;

/**
 * Anything else with 7 digits or more, whatever stands around it: a percent escape before a number ends
 * in a letter (`%2B918035737458`), so letters shield nothing. Digits grouped by spaces, dashes, dots,
 * parentheses or `+` (`+91 80357 37458`, a form's `+` for a space) count as one number.
 */
const numberLike = /(?:\+|%2b)?\d(?:(?:[\s().+-]|%20){0,2}\d){6,}/gi;

/**
 * A business-scoped user ID (a user with a username) is personal data as a number is: `CC.` (and
 * `ENT.`) and an id with a digit in it, so that a word after an abbreviation is left alone.
 */
const bsuidLike = /\b[A-Z]{2}\.(?:ENT\.)?(?=[A-Za-z]*\d)[A-Za-z0-9]{1,128}/g;

/**
 * A BSUID may be letters alone (`US.AbCdEfGh`): told from a word where it stands alone, as a whole
 * value (a logged `user`), a path segment (`/v1/permissions/…/US.AbCdEfGh`) or a quoted JSON value.
 */
const standaloneBsuid = /(^|[/"])([A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128})(?=$|[/?#%&"])/g;

const maskRuns = (text: string): string =>
  text
    .replace(standaloneBsuid, (_, before: string, bsuid: string) => before + maskBsuid(bsuid))
    .replace(bsuidLike, (match) => maskBsuid(match))
    .replace(numberLike, (match) => maskNumber(match));

/**
 * Masks every phone-like run of digits in the text to its last 4 digits (`***7458`), and every BSUID
 * to its country and last 4 characters (`US.***1918`).
 */
export const maskNumbersIn = (text: string): string => {
  let masked = '';
  let from = 0;
  for (const kept of text.matchAll(notNumbers)) {
    masked += maskRuns(text.slice(from, kept.index)) + kept[0];
    from = kept.index + kept[0].length;
  }
  return masked + maskRuns(text.slice(from));
};

const sensitiveKey = /token|secret|password|authorization|signature|^auth_?id$|authId/i;

/** A number logged as a JSON number (a body's `"to": 918035737458`); a time in epoch ms never reads as one. */
const isPhoneNumber = (value: number): boolean =>
  Number.isSafeInteger(value) && parsePhoneNumber(String(value)) !== undefined;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * Runs on every value of every log entry as it is serialised, so a handler cannot leak a number or a
 * credential by logging a whole event or error. A key is written as it is, so an object keyed by numbers
 * is written with its keys masked.
 */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (key && sensitiveKey.test(key)) return '[redacted]';
  if (typeof value === 'string') return maskNumbersIn(value);
  if (typeof value === 'number') return isPhoneNumber(value) ? maskNumber(String(value)) : value;
  if (value instanceof Error) {
    // The stack too: positions in the bundle (its source map sits beside it in the asset), and its
    // first line repeats the message, so it is masked the same way.
    return {
      name: value.name,
      message: maskNumbersIn(value.message),
      ...(value.stack ? { stack: maskNumbersIn(value.stack) } : {}),
    };
  }
  if (isPlainObject(value) && Object.keys(value).some((name) => maskNumbersIn(name) !== name)) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [maskNumbersIn(name), item]),
    );
  }
  return value;
};

export type { Logger };

export const createLogger = (): Logger =>
  new Logger({ serviceName: 'callgate', jsonReplacerFn: redactingReplacer });
