import { Logger } from '@aws-lambda-powertools/logger';
import { maskNumber } from './numbers.js';

// Not inside ids: a UUID's digit run is bounded by `-` or letters, a number by anything else.
const phoneLike = /(?<![\w-])\+?\d{7,15}(?![\w-])/g;
const sensitiveKey = /token|secret|password|authorization|signature|^auth_?id$|authId/i;

/** Masks anything that looks like a phone number to its last 4 digits. */
export const maskNumbersIn = (text: string): string =>
  text.replace(phoneLike, (match) => maskNumber(match));

/**
 * Runs on every value of every log entry as it is serialised, so a handler cannot leak a number or a
 * credential by logging a whole event or error.
 */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (key && sensitiveKey.test(key)) return '[redacted]';
  if (typeof value === 'string') return maskNumbersIn(value);
  if (value instanceof Error) {
    // The stack too: positions in the bundle (its source map sits beside it in the asset), and its
    // first line repeats the message, so it is masked the same way.
    return {
      name: value.name,
      message: maskNumbersIn(value.message),
      ...(value.stack ? { stack: maskNumbersIn(value.stack) } : {}),
    };
  }
  return value;
};

export type { Logger };

export const createLogger = (): Logger =>
  new Logger({ serviceName: 'callgate', jsonReplacerFn: redactingReplacer });
