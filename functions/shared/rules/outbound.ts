import type { Rules } from '../config/schema.js';
import { isPermissionActive, type PairState, permissionAt } from './pair.js';
import { pairExpiryWithPermission } from './permission.js';

/** The rolling window of the daily business-initiated call limit. */
export const callWindowMs = 24 * 3600 * 1000;

export type PermissionRefusal =
  | 'no_permission'
  | 'permission_expired'
  | 'permission_revoked'
  | 'permission_rejected';

export type PlacementRefusal =
  | { readonly code: PermissionRefusal }
  | { readonly code: 'daily_call_limit'; readonly retryAfter: number };

export type PlacementDecision =
  | {
      readonly kind: 'allowed';
      /** The pair's `calls` after this placement: pruned to the window, this call added. */
      readonly calls: Readonly<Record<string, number>>;
      /**
       * Until when the pair item must be kept (its TTL), or undefined for a permanent grant, which has
       * no TTL and must not get one.
       */
      readonly keepUntil: number | undefined;
    }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal };

/**
 * Whether the business number's country (by numbering plan, so +1 876 is Jamaica and +1 212 the US)
 * may not place business-initiated calls. A number no plan assigns to a country is refused too: Meta's
 * restriction could not be checked for it.
 */
export const isCountryRestricted = (country: string | undefined, rules: Rules): boolean =>
  country === undefined || rules.restrictedCountries.includes(country);

/** The permission refusal for `pair` at `now`, or undefined while the permission lasts. */
export const permissionRefusal = (
  pair: PairState | undefined,
  now: number,
): PermissionRefusal | undefined => {
  const status = permissionAt(pair, now);
  switch (status.kind) {
    case 'temporary':
    case 'permanent':
      return undefined;
    case 'none':
      return 'no_permission';
    case 'expired':
      return 'permission_expired';
    case 'revoked':
      return 'permission_revoked';
    case 'rejected':
      return 'permission_rejected';
  }
};

/** The calls still inside the rolling 24 h window ending at `now`, oldest first. */
export const callsInWindow = (
  calls: Readonly<Record<string, number>> | undefined,
  now: number,
): [callId: string, placedAt: number][] =>
  Object.entries(calls ?? {})
    .filter(([, placedAt]) => placedAt > now - callWindowMs)
    .sort((a, b) => a[1] - b[1]);

/**
 * Whether one more business-initiated call fits in the rolling window; when not, the seconds until
 * enough calls have left it (with the limit lowered below the count, that is not the oldest one).
 */
export const dailyCallCheck = (
  calls: Readonly<Record<string, number>> | undefined,
  now: number,
  rules: Rules,
): { readonly ok: true } | { readonly ok: false; readonly retryAfter: number } => {
  const recent = callsInWindow(calls, now);
  const max = rules.businessCallsPer24Hours;
  if (recent.length < max) return { ok: true };
  const mustLeave = recent[recent.length - max];
  const leavesAt = (mustLeave?.[1] ?? now) + callWindowMs;
  return { ok: false, retryAfter: Math.max(1, Math.ceil((leavesAt - now) / 1000)) };
};

/** The whole check for a business-initiated call to a user: permission first, then the daily limit. */
export const decidePlacement = (
  pair: PairState | undefined,
  callId: string,
  now: number,
  rules: Rules,
): PlacementDecision => {
  const refusal = permissionRefusal(pair, now);
  if (refusal) return { kind: 'refused', refusal: { code: refusal } };
  const daily = dailyCallCheck(pair?.calls, now, rules);
  if (!daily.ok) {
    return {
      kind: 'refused',
      refusal: { code: 'daily_call_limit', retryAfter: daily.retryAfter },
    };
  }
  const calls = Object.fromEntries([...callsInWindow(pair?.calls, now), [callId, now]]);
  // DESIGN.md's TTL rule for a write to the pair: the grant's end, and 7 days for everything else it
  // holds (this call counts for 24 h of it). Never below what earlier writes set, as their now was earlier.
  const keepUntil =
    pair?.permission === 'permanent'
      ? undefined
      : pairExpiryWithPermission(pair?.permissionUntil ?? 0, now);
  return { kind: 'allowed', calls, keepUntil };
};

export type MissedCallStep =
  | { readonly kind: 'count'; readonly missed: number; readonly warn: boolean }
  | {
      readonly kind: 'revoke';
      readonly permissionUntil: number;
      /** The pair's TTL after the revocation: max(the refusal's end, now + 7 days). */
      readonly keepUntil: number;
    };

/**
 * What one more unanswered business-initiated call does to the pair: counts it, warns the user at
 * `warnAt` in a row (once), and at `revokeAt` revokes the permission for `refusalStandsSeconds`. A
 * revocation clears the count, so a later grant starts from zero. Without an active permission there
 * is nothing to revoke and the miss is only counted.
 */
export const afterMissedCall = (pair: PairState, now: number, rules: Rules): MissedCallStep => {
  const missed = (pair.missed ?? 0) + 1;
  if (missed >= rules.missedCalls.revokeAt && isPermissionActive(permissionAt(pair, now))) {
    const permissionUntil = now + rules.refusalStandsSeconds * 1000;
    return {
      kind: 'revoke',
      permissionUntil,
      keepUntil: pairExpiryWithPermission(permissionUntil, now),
    };
  }
  return {
    kind: 'count',
    missed,
    warn: missed >= rules.missedCalls.warnAt && pair.warnedAt === undefined,
  };
};

export type DialOutcome = 'connected' | 'missed' | 'failed';

/** Plivo's DialStatus, as the rules read it: only an answered call connects; `failed` is neither. */
export const dialOutcome = (
  dialStatus: 'completed' | 'no-answer' | 'busy' | 'timeout' | 'failed',
): DialOutcome => {
  switch (dialStatus) {
    case 'completed':
      return 'connected';
    case 'failed':
      return 'failed';
    default:
      return 'missed';
  }
};
