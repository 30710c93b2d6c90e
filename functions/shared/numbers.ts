import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** A phone number callgate has validated against the numbering plans, stored as E.164 with `+`. */
export interface PhoneNumber {
  readonly e164: string;
  /** ISO 3166 alpha-2 region by numbering plan (+1 876 is JM, not US), when the plan names one. */
  readonly country: string | undefined;
}

/**
 * Parses a number as callers write it: E.164 with `+`, or the bare digits Plivo sends (`918035737458`).
 * Returns undefined for anything that is not a valid number in its country's plan, and for a number
 * with anything around it (whitespace, a newline, control characters): such a value is not trimmed.
 */
export const parsePhoneNumber = (input: unknown): PhoneNumber | undefined => {
  if (typeof input !== 'string' || !/^\+?[1-9]\d{6,14}$/.test(input)) return undefined;
  const parsed = parsePhoneNumberFromString(input.startsWith('+') ? input : `+${input}`);
  if (!parsed?.isValid()) return undefined;
  return { e164: parsed.number, country: parsed.country };
};

/**
 * A number as the business API takes it: E.164 with `+` only. Bare digits are Plivo's spelling; from a
 * client they may be a national number (`2025550123`) that reads as another country's (+20).
 */
export const parseE164 = (input: unknown): PhoneNumber | undefined =>
  typeof input === 'string' && input.startsWith('+') ? parsePhoneNumber(input) : undefined;

/**
 * Why a value is not a number the business API accepts (`parseE164`), for an error message: not
 * written as E.164 with `+` at all, or E.164 but in no assigned range of its country's plan (a reserved
 * range such as +44 7700 900xxx, or a number too short or long for its country).
 */
export const numberProblem = (input: unknown): string => {
  if (typeof input !== 'string' || !/^\+[1-9]\d{6,14}$/.test(input)) {
    return 'is not an E.164 number: + and 7 to 15 digits, such as +919812345678';
  }
  const parsed = parsePhoneNumberFromString(input);
  const plan = parsed?.country ?? (parsed ? `+${parsed.countryCallingCode}` : 'its country');
  return `is written as E.164, but is not a number in ${plan}'s numbering plan (a reserved, unassigned or mis-sized range)`;
};

/** Plivo XML and its Call API write numbers as digits without `+`. */
export const plivoDigits = (e164: string): string => e164.replace(/^\+/, '');

/** For logs: never a whole number, only enough to tell calls apart. */
export const maskNumber = (value: string): string => {
  const digits = value.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `***${digits.slice(-4)}`;
};
