import * as z from 'zod';
import { inWindow, secondsUntil } from './window.js';

/**
 * The Plivo account's calls-per-second limit on Call API requests (Dial XML does not count): at most
 * `callsPerSecond` requests in ANY window of one second, not per calendar second (per-second buckets let
 * twice the limit through across a boundary).
 */
export const accountSettings = z.object({
  callsPerSecond: z.number().int().min(1).max(1000),
});

export type AccountSettings = z.infer<typeof accountSettings>;

export const cpsWindowMs = 1000;

/**
 * The times of the account's last `callsPerSecond` Call API requests, as a ring: request number k (from
 * 0) sits in slot `t{k mod n}`, so the slot the next request takes holds the n-th newest request.
 */
export interface CpsRing {
  /** How many requests were ever counted. */
  readonly seq?: number;
  readonly [slot: `t${number}`]: number | undefined;
}

export type CpsDecision =
  | {
      readonly ok: true;
      /** The ring as read: the write holds only if no other request was counted since. */
      readonly seq: number;
      readonly slot: `t${number}`;
      /** What the slot held, put back if Plivo does not take the call. */
      readonly previous: number | undefined;
    }
  | { readonly ok: false; readonly retryAfter: number };

/** One more Call API request fits when the n-th newest one has left the one-second window. */
export const decideCallApiRequest = (
  ring: CpsRing | undefined,
  now: number,
  settings: AccountSettings,
): CpsDecision => {
  const seq = ring?.seq ?? 0;
  const slot = `t${seq % settings.callsPerSecond}` as const;
  const previous = ring?.[slot];
  if (previous !== undefined && inWindow(previous, now, cpsWindowMs)) {
    return { ok: false, retryAfter: secondsUntil(previous + cpsWindowMs, now) };
  }
  return { ok: true, seq, slot, previous };
};
