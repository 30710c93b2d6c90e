import { type AccountSettings, cpsWindowMs } from './calls-per-second.js';
import type { ConcurrencySettings } from './concurrency.js';
import type { CountrySettings } from './countries.js';
import { type WindowView, windowView } from './customer-service-window.js';
import { businessCallTimes, callWindow } from './daily-calls.js';
import { isInForce, type NumberRestriction, pauseRefusal } from './number-pause.js';
import type { PairState } from './pair.js';
import {
  isPermissionActive,
  type PermissionStatus,
  permissionAt,
  permissionRefusal,
} from './permission.js';
import {
  type PermissionRequestSettings,
  requestAllowedAt,
  requestRefusal,
  requestTimes,
  requestWindows,
} from './permission-request.js';
import { placementRefusalBeforeRead } from './place-call.js';
import {
  type PresetInForce,
  type PresetSettings,
  type PresetValues,
  presetInForce,
} from './presets.js';
import { type WindowName, type WindowUsage, windowUsage } from './window.js';

/**
 * The pair's state as Meta's call_permissions response shows it (GET /v1/permissions): the permission
 * and the two actions with their rolling windows, read by the same rules that enforce them.
 */

export type PermissionViewStatus =
  | 'no_permission'
  | 'temporary'
  | 'permanent'
  | 'rejected'
  | 'revoked'
  | 'expired';

export interface ActionView {
  readonly action: 'send_call_permission_request' | 'start_call';
  readonly canPerform: boolean;
  /** Why not: the error code the action would get now. */
  readonly reason?: string;
  /**
   * When the action may be performed, where a time is known: a window resets, a temporary permission
   * ends, a calls-per-second slot frees. Never for a call the permission will not let through then.
   */
  readonly availableAt?: string;
  readonly limits: readonly {
    readonly window: WindowName;
    readonly max: number;
    readonly used: number;
    readonly resetsAt?: string;
  }[];
  /** start_call only: the business number's calls in progress against its limit. */
  readonly simultaneousCalls?: { readonly max: number; readonly used: number };
  /** start_call only: the account's Call API rate, and when its next slot frees if it is taken. */
  readonly callsPerSecond?: { readonly max: number; readonly availableAt?: string };
}

export interface PermissionView {
  readonly permission: {
    readonly status: PermissionViewStatus;
    readonly expiresAt?: string;
    /** Who made the pair's last decision: a reply, an inbound call, an operator, or the missed calls. */
    readonly source?: NonNullable<PairState['permissionSource']>;
    /** When that decision was made. */
    readonly decidedAt?: string;
    /** Why a revoked permission was revoked. */
    readonly revokedReason?: NonNullable<PairState['revokedReason']>;
  };
  /**
   * Business-initiated calls in a row the user did not answer, those that revoked the permission
   * included (a connected call, a grant or a correction starts again at 0).
   */
  readonly consecutiveMissed: number;
  /** Whether the user has been warned that more missed calls revoke the permission. */
  readonly warned: boolean;
  /**
   * The user's customer-service window as callgate saw it open (their last message or call): while
   * open, a permission request goes free-form where the number allows it.
   */
  readonly customerServiceWindow: WindowView;
  readonly actions: readonly ActionView[];
  /** The limits' preset (its name, source and date) and the settings written over it. */
  readonly preset: PresetInForce;
  /** Meta's restrictions on the business number, where they were read (rules/number-pause.ts). */
  readonly businessNumber?: {
    /** Business-initiated calls and permission requests paused (both refused while it stands). */
    readonly paused: RestrictionView | null;
    /** The call button hidden from users: shown only, it refuses nothing. */
    readonly callButtonHidden: RestrictionView | null;
  };
}

export interface RestrictionView {
  readonly inForce: boolean;
  /** Meta's reason. */
  readonly reason: string;
  readonly since: string;
  readonly until: string;
  /** When an operator lifted it. */
  readonly liftedAt?: string;
}

/**
 * What the placement transaction's last two conditions will meet, as read just now: advisory, since
 * calls start and end between this read and a placement (which decides atomically).
 */
export interface PlacementCapacity {
  readonly account: AccountSettings;
  /** Calls holding a lease on the business number that has not lapsed. */
  readonly callsInProgress: number;
  /** When the slot the account's next Call API request takes was last used, if ever. */
  readonly nextCpsSlotUsedAt?: number;
}

const iso = (millis: number): string => new Date(millis).toISOString();

const statusView = (status: PermissionStatus): PermissionView['permission'] => {
  switch (status.kind) {
    case 'none':
      return { status: 'no_permission' };
    case 'permanent':
      return { status: 'permanent' };
    case 'temporary':
      return { status: 'temporary', expiresAt: iso(status.expiresAt) };
    case 'expired':
      return { status: 'expired', expiresAt: iso(status.expiredAt) };
    case 'rejected':
    case 'revoked':
      // When the refusal stops standing.
      return { status: status.kind, expiresAt: iso(status.until) };
  }
};

const limitView = ({ resetsAt, ...usage }: WindowUsage) => ({
  ...usage,
  ...(resetsAt === undefined ? {} : { resetsAt: iso(resetsAt) }),
});

interface Refusal {
  readonly reason: string;
  readonly availableAt?: number | undefined;
}

const whyNot = (refusal: Refusal | undefined) =>
  refusal
    ? {
        canPerform: false,
        reason: refusal.reason,
        ...(refusal.availableAt === undefined ? {} : { availableAt: iso(refusal.availableAt) }),
      }
    : { canPerform: true };

const restrictionView = (
  restriction: NumberRestriction | undefined,
  now: number,
): RestrictionView | null =>
  restriction
    ? {
        inForce: isInForce(restriction, now),
        reason: restriction.reason,
        since: iso(restriction.since),
        until: iso(restriction.until),
        ...(restriction.liftedAt === undefined ? {} : { liftedAt: iso(restriction.liftedAt) }),
      }
    : null;

/**
 * A request is refused while a permission lasts or a window is full, until a temporary permission has
 * ended and every window has room: the exact moment, where `retryAfter` rounds up to whole seconds.
 */
const requestRefusalView = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings,
): Refusal | undefined => {
  const refusal = requestRefusal(pair, now, settings);
  if (!refusal) return undefined;
  return { reason: refusal.code, availableAt: requestAllowedAt(pair, now, settings) };
};

/** A limit that frees at `at` lets a call through then only while the permission still does. */
const freedAt = (pair: PairState | undefined, at: number): { availableAt?: number } =>
  isPermissionActive(pair, at) ? { availableAt: at } : {};

/** When the next Call API slot frees: a second after its last use, if that is still ahead. */
const cpsSlotFreesAt = (capacity: PlacementCapacity, now: number): number | undefined => {
  // A slot never used is free, as one used long ago.
  const freesAt = (capacity.nextCpsSlotUsedAt ?? Number.NEGATIVE_INFINITY) + cpsWindowMs;
  return freesAt > now ? freesAt : undefined;
};

/**
 * The rules a placement meets, in its order: country, permission (no time: a refusal lapses to none,
 * and only a new grant lets a call through), the daily limit, then the number's simultaneous calls (no
 * time known: calls end when they end) and the account's calls per second.
 */
const startCallRefusal = (
  pair: PairState | undefined,
  now: number,
  settings: CountrySettings & ConcurrencySettings,
  businessCountry: string | undefined,
  capacity: PlacementCapacity | undefined,
  callLimit: WindowUsage,
  pause: NumberRestriction | undefined,
): Refusal | undefined => {
  const early = placementRefusalBeforeRead(businessCountry, settings);
  if (early) return { reason: early.code };
  const paused = pauseRefusal(pause, now);
  if (paused) return { reason: paused.code, ...freedAt(pair, paused.pausedUntil) };
  const permission = permissionRefusal(pair, now);
  if (permission) return { reason: permission };
  // The window full: its exact reset, as `limits` shows it (`retryAfter` rounds up to whole seconds).
  if (callLimit.resetsAt !== undefined) {
    return { reason: 'daily_call_limit', ...freedAt(pair, callLimit.resetsAt) };
  }
  if (!capacity) return undefined;
  if (capacity.callsInProgress >= settings.simultaneousCallsPerNumber) {
    return { reason: 'concurrency_limit' };
  }
  const cpsFreesAt = cpsSlotFreesAt(capacity, now);
  return cpsFreesAt === undefined
    ? undefined
    : { reason: 'cps_limit', ...freedAt(pair, cpsFreesAt) };
};

const capacityView = (capacity: PlacementCapacity, now: number, settings: ConcurrencySettings) => {
  const cpsFreesAt = cpsSlotFreesAt(capacity, now);
  return {
    simultaneousCalls: {
      max: settings.simultaneousCallsPerNumber,
      used: capacity.callsInProgress,
    },
    callsPerSecond: {
      max: capacity.account.callsPerSecond,
      ...(cpsFreesAt === undefined ? {} : { availableAt: iso(cpsFreesAt) }),
    },
  };
};

/**
 * Meta's call_permissions response, from the stored pair (undefined = never seen or expired), with the
 * number's and account's capacity when it was read (`capacity`).
 */
export const permissionView = (
  pair: PairState | undefined,
  now: number,
  settings: PresetSettings & PresetValues & ConcurrencySettings,
  /** The business number's country, by numbering plan. */
  businessCountry: string | undefined,
  capacity?: PlacementCapacity,
  /** The business number's restrictions on record, when they were read. */
  restrictions?: readonly NumberRestriction[],
): PermissionView => {
  const pause = restrictions?.find((r) => r.restriction === 'calls_paused');
  const paused = pauseRefusal(pause, now);
  const requestLimits = requestWindows(settings).map((w) =>
    windowUsage(requestTimes(pair, settings), now, w),
  );
  const callLimit = windowUsage(businessCallTimes(pair), now, callWindow(settings));
  const status = permissionAt(pair, now);
  const missed = pair?.missed ?? 0;
  return {
    permission: {
      ...statusView(status),
      ...(pair?.permissionSource ? { source: pair.permissionSource } : {}),
      ...(pair?.permissionAt ? { decidedAt: iso(pair.permissionAt) } : {}),
      // Stryker disable next-line OptionalChaining: a revocation comes from a pair
      ...(status.kind === 'revoked' && pair?.revokedReason
        ? { revokedReason: pair.revokedReason }
        : {}),
    },
    consecutiveMissed: missed,
    // Stryker disable next-line OptionalChaining: a miss comes from a pair
    warned: missed > 0 && pair?.warnedAt !== undefined,
    customerServiceWindow: windowView(pair, now),
    actions: [
      {
        action: 'send_call_permission_request',
        ...whyNot(
          paused
            ? { reason: paused.code, availableAt: paused.pausedUntil }
            : requestRefusalView(pair, now, settings),
        ),
        limits: requestLimits.map(limitView),
      },
      {
        action: 'start_call',
        ...whyNot(
          startCallRefusal(pair, now, settings, businessCountry, capacity, callLimit, pause),
        ),
        limits: [limitView(callLimit)],
        ...(capacity ? capacityView(capacity, now, settings) : {}),
      },
    ],
    preset: presetInForce(settings),
    ...(restrictions
      ? {
          businessNumber: {
            paused: restrictionView(pause, now),
            callButtonHidden: restrictionView(
              restrictions.find((r) => r.restriction === 'call_button_hidden'),
              now,
            ),
          },
        }
      : {}),
  };
};
