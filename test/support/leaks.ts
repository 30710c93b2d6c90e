import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * The secrets the local hosts of this test file verify or accept (auth tokens, API tokens): no line of
 * output may hold one. `startTestHost` adds them; the log scan (support/log-scan.ts) reads them.
 */
export const secretsInUse = new Set<string>();

/** Digits that are never a phone number although they run long: ids, times, an ARN's account. */
const notNumbers =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|1-[0-9a-f]{8}-[0-9a-f]{24}|\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?|arn:aws[\w-]*:[\w-]*:[\w-]*:\d{12}:/gi;

/** Seven digits or more, grouped or not: more than a masked number shows (its last 4). */
const digitRun = /\d(?:[\s().+-]{0,2}\d){6,}/g;

/** `%2B`, `%20`, `\u002b` read as the characters they stand for. */
const decoded = (text: string): string =>
  text
    .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    )
    .replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** A business-scoped user ID with more of its id than a masked one shows (`US.***1918`). */
const bsuidRun = /\b[A-Z]{2}\.(?:ENT\.)?(?=[A-Za-z]*\d)[A-Za-z0-9]{5,}/g;

const textLeaks = (text: string, secrets: readonly string[]): string[] => {
  const plain = decoded(text);
  return [
    ...(plain.replace(notNumbers, ' ').match(digitRun) ?? []),
    ...(plain.match(bsuidRun) ?? []),
    ...secrets.filter((secret) => plain.includes(secret)).map(() => '[a secret in use]'),
  ];
};

/** A JSON number is a leak when it reads as a valid phone number: a time in epoch ms never does. */
const isPhoneNumber = (value: number): boolean =>
  Number.isSafeInteger(value) &&
  value > 0 &&
  Boolean(parsePhoneNumberFromString(`+${value}`)?.isValid());

/**
 * What one chunk of output gives away: every run of 7 or more digits (after percent and JSON escapes
 * are read, so `%2B918035737458` counts) outside UUIDs, trace ids, ISO times and ARNs, every BSUID longer than a masked one, every JSON number
 * that is a valid phone number, and every secret in use. A masked number (`***7458`) gives nothing.
 * A JSON line is judged value by value (keys too); anything else as text.
 */
export const leaksIn = (chunk: string, secrets: Iterable<string> = secretsInUse): string[] => {
  const inUse = [...secrets].filter(Boolean);
  const found: string[] = [];
  for (const line of chunk.split('\n')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      found.push(...textLeaks(line, inUse));
      continue;
    }
    const walk = (value: unknown) => {
      if (typeof value === 'string') found.push(...textLeaks(value, inUse));
      else if (typeof value === 'number' && isPhoneNumber(value)) found.push(String(value));
      else if (value && typeof value === 'object') {
        for (const [key, item] of Object.entries(value)) {
          found.push(...textLeaks(key, inUse));
          walk(item);
        }
      }
    };
    walk(parsed);
  }
  return found;
};
