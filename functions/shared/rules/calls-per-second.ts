import * as z from 'zod';

/**
 * The Plivo account's calls-per-second limit on Call API requests (Dial XML does not count), counted in
 * one bucket per epoch second.
 */
export const accountSettings = z.object({
  callsPerSecond: z.number().int().min(1).max(1000),
});

export type AccountSettings = z.infer<typeof accountSettings>;

/** The bucket a Call API request at `now` counts in. */
export const cpsSecond = (now: number): number => Math.floor(now / 1000);

/** A bucket outlives its second long enough for a slow Plivo refusal to give its token back. */
export const cpsBucketRetentionMs = 10 * 60 * 1000;

/** A full bucket frees at the next second. */
export const cpsRetryAfterSeconds = 1;
