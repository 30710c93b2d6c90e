import type { CountrySettings } from './countries.js';
import {
  businessCallTimes,
  callWindow,
  type DailyCallSettings,
  dailyCallCheck,
} from './daily-calls.js';
import type { PairState } from './pair.js';
import { type PermissionStatus, permissionAt, permissionRefusal } from './permission.js';
import {
  type PermissionRequestSettings,
  requestRefusal,
  requestTimes,
  requestWindows,
} from './permission-requests.js';
import { placementRefusalBeforeRead } from './placement.js';
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
  /** When that reason stops standing, where a time is known (a window resets, a refusal lapses). */
  readonly availableAt?: string;
  readonly limits: readonly {
    readonly window: WindowName;
    readonly max: number;
    readonly used: number;
    readonly resetsAt?: string;
  }[];
}

export interface PermissionView {
  readonly permission: {
    readonly status: PermissionViewStatus;
    readonly expiresAt?: string;
    /** Who made the pair's last decision: the user's reply, an inbound call, or an operator. */
    readonly source?: NonNullable<PairState['permissionSource']>;
    /** When that decision was made. */
    readonly decidedAt?: string;
    /** Why a revoked permission was revoked. */
    readonly revokedReason?: NonNullable<PairState['revokedReason']>;
  };
  /** Business-initiated calls in a row the user did not answer (a connected call starts again at 0). */
  readonly consecutiveMissed: number;
  /** Whether the user has been warned that more missed calls revoke the permission. */
  readonly warned: boolean;
  readonly actions: readonly ActionView[];
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
  readonly availableAt?: number;
}

const whyNot = (refusal: Refusal | undefined) =>
  refusal
    ? {
        canPerform: false,
        reason: refusal.reason,
        ...(refusal.availableAt === undefined ? {} : { availableAt: iso(refusal.availableAt) }),
      }
    : { canPerform: true };

/** A request is refused while a permission lasts (until a temporary one ends) or a window is full. */
const requestRefusalView = (
  pair: PairState | undefined,
  status: PermissionStatus,
  now: number,
  settings: PermissionRequestSettings,
): Refusal | undefined => {
  const refusal = requestRefusal(pair, now, settings);
  if (!refusal) return undefined;
  if (refusal.code === 'request_limit') {
    return { reason: refusal.code, availableAt: now + refusal.retryAfter * 1000 };
  }
  return {
    reason: refusal.code,
    // Stryker disable next-line ConditionalExpression: the other active permission, permanent, has no end, so no availableAt either
    ...(status.kind === 'temporary' ? { availableAt: status.expiresAt } : {}),
  };
};

/** The rules a placement meets, in its order: country, permission, then the daily limit. */
const startCallRefusal = (
  pair: PairState | undefined,
  status: PermissionStatus,
  now: number,
  settings: DailyCallSettings & CountrySettings,
  businessCountry: string | undefined,
): Refusal | undefined => {
  const early = placementRefusalBeforeRead(businessCountry, settings);
  if (early) return { reason: early.code };
  const permission = permissionRefusal(pair, now);
  if (permission) {
    // A rejection or revocation stands until then; an expired permission waits for a new request.
    // Stryker disable next-line ConditionalExpression: none and expired have no until, so no availableAt either
    return status.kind === 'rejected' || status.kind === 'revoked'
      ? { reason: permission, availableAt: status.until }
      : { reason: permission };
  }
  // Stryker disable next-line OptionalChaining: a permission comes from a pair
  const daily = dailyCallCheck(pair?.calls, now, settings);
  return daily.ok
    ? undefined
    : { reason: 'daily_call_limit', availableAt: now + daily.retryAfter * 1000 };
};

/** Meta's call_permissions response, from the stored pair (undefined = never seen or expired). */
export const permissionView = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings & DailyCallSettings & CountrySettings,
  /** The business number's country, by numbering plan. */
  businessCountry: string | undefined,
): PermissionView => {
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
    actions: [
      {
        action: 'send_call_permission_request',
        ...whyNot(requestRefusalView(pair, status, now, settings)),
        limits: requestLimits.map(limitView),
      },
      {
        action: 'start_call',
        ...whyNot(startCallRefusal(pair, status, now, settings, businessCountry)),
        limits: [limitView(callLimit)],
      },
    ],
  };
};
