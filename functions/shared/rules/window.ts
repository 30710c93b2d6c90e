/**
 * Rolling windows, the one implementation behind every limit counted over time: enforcement (may one
 * more happen now, and if not, when) and the state view (used, max, resetsAt) read the same function.
 */

const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;

export type WindowName = 'PT24H' | 'P7D';

export interface RollingWindow {
  readonly window: WindowName;
  readonly ms: number;
  readonly max: number;
}

export interface WindowUsage {
  readonly window: WindowName;
  readonly max: number;
  readonly used: number;
  /** Only while the limit is reached: when enough entries have left the window for one more. */
  readonly resetsAt?: number;
}

/** An entry at time t counts while `now < t + window`: at exactly t + window it has left. */
export const inWindow = (t: number, now: number, ms: number): boolean => t > now - ms;

export const windowUsage = (
  times: readonly number[],
  now: number,
  { window, ms, max }: RollingWindow,
): WindowUsage => {
  const counted = times.filter((t) => inWindow(t, now, ms)).sort((a, b) => a - b);
  const used = counted.length;
  // With the limit lowered below the count, that is not the oldest entry.
  // Stryker disable next-line ConditionalExpression: below the limit, used - max is negative and indexes nothing
  const freeing = used >= max ? counted[used - max] : undefined;
  return { window, max, used, ...(freeing === undefined ? {} : { resetsAt: freeing + ms }) };
};

/** Whole seconds until `at`, at least 1: what a refusal's `retryAfter` says. */
export const secondsUntil = (at: number, now: number): number =>
  Math.max(1, Math.ceil((at - now) / 1000));
