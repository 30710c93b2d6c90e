import * as z from 'zod';

/**
 * The Plivo account's calls-per-second limit on Call API requests (Dial XML does not count): at most
 * `callsPerSecond` requests in ANY window of one second, not per calendar second (per-second buckets let
 * twice the limit through across a boundary).
 *
 * Each Call API request draws a ticket from an account-wide counter; ticket k takes slot k mod n (n =
 * `callsPerSecond`), which holds the time of the last request that took it, and fits only when that
 * time has left the window. Two requests in one slot are then at least a second apart, so n + 1
 * requests within a second would need two in one slot: never more than n in any window. Concurrent
 * requests take different slots, so none waits on another's write.
 */
// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const accountSettings = () =>
  z.strictObject({
    callsPerSecond: z.number().int().min(1).max(1000),
  });

export type AccountSettings = z.infer<ReturnType<typeof accountSettings>>;

export const cpsWindowMs = 1000;

export const cpsSlot = (ticket: number, settings: AccountSettings): number =>
  ticket % settings.callsPerSecond;

/** A slot whose last request is at or before this time has left the window at `now`. */
export const cpsSlotFreeUntil = (now: number): number => now - cpsWindowMs;

/** A taken slot frees within a second. */
export const cpsRetryAfterSeconds = 1;
