import { type CountrySettings, isCountryRestricted } from './countries.js';
import { callsAfterPlacement, type DailyCallSettings, dailyCallCheck } from './daily-calls.js';
import type { PairState } from './pair.js';
import {
  type PermissionRefusal,
  pairExpiryWithPermission,
  permissionRefusal,
  permissionRefusalRetryAfter,
} from './permission.js';

/**
 * The whole decision on a business-initiated call (POST /v1/calls), in the order it is taken:
 * 1. the business number's country, from the request alone (`placementRefusalBeforeRead`);
 * 2. the permission and 3. the daily limit, on one consistent read of the pair (`decidePlacement`);
 * 4. the number's simultaneous calls (rules/concurrency.ts) and 5. the account's calls per second
 *    (rules/calls-per-second.ts), which no read can decide: conditions of the placement transaction
 *    (store/placement.ts), built from those files' values.
 */

export type PlacementRefusal =
  | { readonly code: 'country_restricted'; readonly country: string | undefined }
  /** `retryAfter` while a rejection or revocation stands. */
  | { readonly code: PermissionRefusal; readonly retryAfter?: number }
  | { readonly code: 'daily_call_limit'; readonly retryAfter: number }
  | { readonly code: 'concurrency_limit' }
  | { readonly code: 'cps_limit'; readonly retryAfter: number };

export const placementRefusalBeforeRead = (
  businessCountry: string | undefined,
  settings: CountrySettings,
): PlacementRefusal | undefined =>
  isCountryRestricted(businessCountry, settings)
    ? { code: 'country_restricted', country: businessCountry }
    : undefined;

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

/** Permission first, then the daily limit, on the pair as read. */
export const decidePlacement = (
  pair: PairState | undefined,
  callId: string,
  now: number,
  settings: DailyCallSettings,
): PlacementDecision => {
  const refusal = permissionRefusal(pair, now);
  if (refusal) {
    const retryAfter = permissionRefusalRetryAfter(pair, now);
    return {
      kind: 'refused',
      refusal: { code: refusal, ...(retryAfter === undefined ? {} : { retryAfter }) },
    };
  }
  // Stryker disable OptionalChaining: a permission comes from a pair, so from here on there is one
  const daily = dailyCallCheck(pair?.calls, now, settings);
  if (!daily.ok) {
    return {
      kind: 'refused',
      refusal: { code: 'daily_call_limit', retryAfter: daily.retryAfter },
    };
  }
  // The pair keeps the grant's end, and a week for everything else it holds (this call counts for 24 h
  // of it); never below what earlier writes set, as their now was earlier.
  const keepUntil =
    pair?.permission === 'permanent'
      ? undefined
      : pairExpiryWithPermission(pair?.permissionUntil ?? 0, now);
  // Stryker restore OptionalChaining
  return { kind: 'allowed', calls: callsAfterPlacement(pair, callId, now, settings), keepUntil };
};
