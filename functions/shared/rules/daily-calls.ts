import * as z from 'zod';
import type { PairState } from './pair.js';
import { dayMs, inWindow, type RollingWindow, secondsUntil, windowUsage } from './window.js';

/**
 * Business-initiated calls per user: at most `businessCallsPer24Hours` in any rolling 24 h. The Plivo
 * page says 5 calls; Meta now caps 100 *connected* calls (rules/presets.ts). `businessCallsCounted` says which calls count:
 * `dialed` (every call whose user was dialed) or `connected` (only those the user answered). A call
 * counts from its placement, so parallel placements cannot overshoot, and leaves the count once it is
 * known not to (`countsTowardDailyLimit`).
 */
// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const dailyCallSettings = () =>
  z.strictObject({
    businessCallsPer24Hours: z.number().int().min(1).max(1000),
    businessCallsCounted: z.enum(['dialed', 'connected']),
  });

export type DailyCallSettings = z.infer<ReturnType<typeof dailyCallSettings>>;

/** The rolling window of the daily business-initiated call limit. */
export const callWindowMs = dayMs;

export const callWindow = (settings: DailyCallSettings): RollingWindow => ({
  window: 'PT24H',
  ms: callWindowMs,
  max: settings.businessCallsPer24Hours,
});

/** Placement times of the pair's business-initiated calls (its `calls` map: call id → time). */
export const businessCallTimes = (pair: PairState | undefined): number[] =>
  Object.values(pair?.calls ?? {});

/** The pair's business-initiated calls placed in the rolling window: their ids. */
export const callsInWindow = (pair: PairState | undefined, now: number): string[] =>
  Object.entries(pair?.calls ?? {})
    .filter(([, placedAt]) => inWindow(placedAt, now, callWindowMs))
    .map(([callId]) => callId);

/**
 * Whether one more business-initiated call fits in the rolling window; when not, the seconds until
 * enough calls have left it.
 */
export const dailyCallCheck = (
  calls: PairState['calls'],
  now: number,
  settings: DailyCallSettings,
): { readonly ok: true } | { readonly ok: false; readonly retryAfter: number } => {
  const { resetsAt } = windowUsage(Object.values(calls ?? {}), now, callWindow(settings));
  return resetsAt === undefined
    ? { ok: true }
    : { ok: false, retryAfter: secondsUntil(resetsAt, now) };
};

/** The pair's `calls` after placing `callId` at `now`: pruned to the window, the new call added. */
export const callsAfterPlacement = (
  pair: PairState | undefined,
  callId: string,
  now: number,
  settings: DailyCallSettings,
): Record<string, number> => {
  const { ms } = callWindow(settings);
  return Object.fromEntries([
    ...Object.entries(pair?.calls ?? {}).filter(([, placedAt]) => inWindow(placedAt, now, ms)),
    [callId, now],
  ]);
};

/**
 * Whether a business-initiated call whose user was dialed stays among the user's daily calls once the
 * dial's outcome is known (`connected` mode: only when the user answered). A call whose user was never
 * dialed (the agent did not answer) never counts: store/writes/call-end.ts gives its slot back at hangup.
 */
export const countsTowardDailyLimit = (
  outcome: 'connected' | 'missed' | 'failed',
  settings: DailyCallSettings,
): boolean => outcome === 'connected' || settings.businessCallsCounted === 'dialed';
