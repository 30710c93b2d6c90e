import * as z from 'zod';

/**
 * Simultaneous calls per business number, inbound and business-initiated together, held as leases that
 * lapse on their own if a hangup is lost (store/items/leases.ts).
 */
// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const concurrencySettings = () =>
  z.strictObject({
    simultaneousCallsPerNumber: z.number().int().min(1).max(1000).default(1000),
    /** The longest bridged call (Plivo `timeLimit`); a lost hangup's lease lapses an hour after that. */
    maxCallSeconds: z
      .number()
      .int()
      .positive()
      .default(4 * 3600),
  });

export type ConcurrencySettings = z.infer<ReturnType<typeof concurrencySettings>>;

/**
 * Plivo bounds only the bridged time of a call (`timeLimit`, `time_limit`); ringing, greetings, menus
 * and voicemail come on top (a sequential dial of 20 agents alone may ring for 40 minutes).
 */
export const callSetupAllowanceSeconds = 3600;

/**
 * When a call's concurrency lease lapses if its hangup is lost: never while Plivo could still have the
 * call up, so reaping expired leases can never push a number past its simultaneous-call limit.
 */
export const leaseExpiry = (now: number, settings: ConcurrencySettings): number =>
  now + (settings.maxCallSeconds + callSetupAllowanceSeconds) * 1000;

/** Whether a lease that lapses at `expiresAt` may be reaped at `now`. */
export const isLeaseLapsed = (expiresAt: number, now: number): boolean => expiresAt <= now;
