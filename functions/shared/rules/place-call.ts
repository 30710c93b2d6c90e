import { type CountrySettings, isCountryRestricted } from './countries.js';
import { callsAfterPlacement, type DailyCallSettings, dailyCallCheck } from './daily-calls.js';
import type { PauseRefusal } from './number-pause.js';
import type { PairState } from './pair.js';
import {
  isPermissionActive,
  type PermissionRefusal,
  pairExpiryWithPermission,
  permissionRefusal,
} from './permission.js';
import { type PermissionRequestSettings, requestPermissionAfter } from './permission-request.js';

/**
 * The whole decision on a business-initiated call (POST /v1/calls), in the order it is taken:
 * 1. the business number's country, from the request alone (`placementRefusalBeforeRead`), then
 *    Meta's pause of the number, on a read of its own (`pauseRefusal` in rules/number-pause.ts);
 * 2. the permission and 3. the daily limit, on one consistent read of the pair (`decidePlacement`);
 * 4. the number's simultaneous calls (rules/concurrency.ts) and 5. the account's calls per second
 *    (rules/calls-per-second.ts), which no read can decide: conditions of the placement transaction
 *    (store/writes/place-call.ts), built from those files' values.
 */

/**
 * What may succeed when after a refused call: the call itself after `retryAfter` seconds, or, when the
 * permission will not let it through by then, only a new permission request, which may be sent after
 * `requestPermissionAfter` seconds (0: now).
 */
export type CallRetry =
  | { readonly retryAfter: number }
  | { readonly requestPermissionAfter: number };

export type PlacementRefusal =
  | { readonly code: 'country_restricted'; readonly country: string | undefined }
  /** No call succeeds until the user grants again, whatever time passes (a refusal lapses to none). */
  | { readonly code: PermissionRefusal; readonly requestPermissionAfter: number }
  | ({ readonly code: 'daily_call_limit' } & CallRetry)
  | { readonly code: 'concurrency_limit' }
  | ({ readonly code: 'cps_limit' } & CallRetry)
  /** Meta paused the business number (rules/number-pause.ts): checked before the pair is read. */
  | PauseRefusal
  /** The user is known by a BSUID alone (`bsuidRefusal` in rules/user-link.ts). */
  | { readonly code: 'bsuid_not_dialable' };

/**
 * A call refused for `retryAfter` seconds may succeed then only while the permission still lets it
 * through; otherwise only a new permission request can lead to a call.
 */
export const callRetry = (
  pair: PairState | undefined,
  now: number,
  retryAfter: number,
  settings: PermissionRequestSettings,
): CallRetry =>
  isPermissionActive(pair, now + retryAfter * 1000)
    ? { retryAfter }
    : { requestPermissionAfter: requestPermissionAfter(pair, now, settings) };

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
  settings: DailyCallSettings & PermissionRequestSettings,
): PlacementDecision => {
  const refusal = permissionRefusal(pair, now);
  if (refusal) {
    return {
      kind: 'refused',
      refusal: {
        code: refusal,
        requestPermissionAfter: requestPermissionAfter(pair, now, settings),
      },
    };
  }
  // Stryker disable OptionalChaining: a permission comes from a pair, so from here on there is one
  const daily = dailyCallCheck(pair?.calls, now, settings);
  if (!daily.ok) {
    return {
      kind: 'refused',
      refusal: {
        code: 'daily_call_limit',
        ...callRetry(pair, now, daily.retryAfter, settings),
      },
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
