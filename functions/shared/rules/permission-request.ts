import * as z from 'zod';
import type { PairState } from './pair.js';
import {
  isPermissionActive,
  type PermissionSettings,
  pairRetentionMs,
  permissionAt,
} from './permission.js';
import { dayMs, type RollingWindow, secondsUntil, windowUsage } from './window.js';

/**
 * Call-permission requests (the template): at most `per24Hours` in any 24 h and `per7Days` in any 7 days
 * (rolling), none while a permission is active; a connected call resets them (rules/missed-calls.ts).
 * Meta's sandbox allows 25; the bound keeps one request's update of every slot within DynamoDB's 4 KB
 * expression limit.
 */
const requestLimit = () => z.number().int().min(1).max(50);

// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const permissionRequestSettings = () =>
  z.strictObject({
    permissionRequests: z.strictObject({ per24Hours: requestLimit(), per7Days: requestLimit() }),
  });

export type PermissionRequestSettings = z.infer<ReturnType<typeof permissionRequestSettings>>;

export const requestWindows = (settings: PermissionRequestSettings): readonly RollingWindow[] => [
  { window: 'PT24H', ms: dayMs, max: settings.permissionRequests.per24Hours },
  { window: 'P7D', ms: 7 * dayMs, max: settings.permissionRequests.per7Days },
];

/** Slots needed to check every request window with one condition. */
export const requestSlotCount = (settings: PermissionRequestSettings): number =>
  Math.max(...requestWindows(settings).map((w) => w.max));

/** The pair's request-time attributes, oldest first. */
export const requestSlotNames = (settings: PermissionRequestSettings): `request${number}`[] =>
  Array.from({ length: requestSlotCount(settings) }, (_, i) => `request${i}` as const);

/** Request times from the slots, oldest first; an empty slot may hold 0 (a shift from an empty one). */
export const requestTimes = (
  pair: PairState | undefined,
  settings: PermissionRequestSettings,
): number[] =>
  requestSlotNames(settings)
    .map((name) => pair?.[name])
    .filter((t): t is number => typeof t === 'number' && t > 0);

/**
 * What the store's condition checks for each window, with the slots shifted oldest first: a window
 * allowing m requests has room when the m-th newest slot is empty or at or before `cutoff`.
 */
export const requestRoom = (
  now: number,
  settings: PermissionRequestSettings,
): { readonly slot: `request${number}`; readonly cutoff: number }[] => {
  const slots = requestSlotNames(settings);
  return requestWindows(settings).map((w) => ({
    slot: slots[slots.length - w.max] as `request${number}`,
    cutoff: now - w.ms,
  }));
};

export type RequestRefusal =
  /** `retryAfter` until a temporary permission ends and the windows have room; a permanent one has none. */
  | { readonly code: 'permission_active'; readonly retryAfter?: number }
  | { readonly code: 'request_limit'; readonly retryAfter: number };

/**
 * The first moment a permission request may be sent, as the pair stands at `now`: once a temporary
 * permission has ended and every window has room (no request is sent before then, so none moves it);
 * undefined while a permanent permission lasts.
 */
export const requestAllowedAt = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings,
): number | undefined => {
  const status = permissionAt(pair, now);
  if (status.kind === 'permanent') return undefined;
  const times = requestTimes(pair, settings);
  const resets = requestWindows(settings).flatMap((w) => {
    const { resetsAt } = windowUsage(times, now, w);
    return resetsAt === undefined ? [] : [resetsAt];
  });
  return Math.max(now, ...resets, ...(status.kind === 'temporary' ? [status.expiresAt] : []));
};

/** Why a permission request may not be sent now, and for how long, or undefined when it may. */
export const requestRefusal = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings,
): RequestRefusal | undefined => {
  const allowedAt = requestAllowedAt(pair, now, settings);
  if (allowedAt === undefined) return { code: 'permission_active' };
  if (isPermissionActive(pair, now)) {
    return { code: 'permission_active', retryAfter: secondsUntil(allowedAt, now) };
  }
  return allowedAt > now
    ? { code: 'request_limit', retryAfter: secondsUntil(allowedAt, now) }
    : undefined;
};

/** Whole seconds until a permission request may be sent (0: now), as a request would be told. */
export const requestPermissionAfter = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings,
): number => requestRefusal(pair, now, settings)?.retryAfter ?? 0;

/**
 * The pair item's TTL (epoch ms) after a permission request: the request counts for 7 days, and a
 * standing refusal on the item (never a permanent grant: that refuses the request) must outlive it too.
 */
export const pairExpiryAfterRequest = (now: number, settings: PermissionSettings): number =>
  now + Math.max(pairRetentionMs, settings.refusalStandsSeconds * 1000);
