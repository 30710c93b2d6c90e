import type { CountrySettings } from './countries.js';
import { isCountryRestricted } from './countries.js';
import { businessCallTimes, callWindow, type DailyCallSettings } from './daily-calls.js';
import type { PairState } from './pair.js';
import { isPermissionActive, type PermissionStatus, permissionAt } from './permission.js';
import {
  type PermissionRequestSettings,
  requestTimes,
  requestWindows,
} from './permission-requests.js';
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
  };
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

/** Meta's call_permissions response, from the stored pair (undefined = never seen or expired). */
export const permissionView = (
  pair: PairState | undefined,
  now: number,
  settings: PermissionRequestSettings & DailyCallSettings & CountrySettings,
  /** The business number's country, by numbering plan. */
  businessCountry: string | undefined,
): PermissionView => {
  const active = isPermissionActive(pair, now);
  const requestLimits = requestWindows(settings).map((w) =>
    windowUsage(requestTimes(pair, settings), now, w),
  );
  const callLimit = windowUsage(businessCallTimes(pair), now, callWindow(settings));
  return {
    permission: {
      ...statusView(permissionAt(pair, now)),
      ...(pair?.permissionSource ? { source: pair.permissionSource } : {}),
    },
    actions: [
      {
        action: 'send_call_permission_request',
        canPerform: !active && requestLimits.every((l) => l.used < l.max),
        limits: requestLimits.map(limitView),
      },
      {
        action: 'start_call',
        canPerform:
          !isCountryRestricted(businessCountry, settings) &&
          active &&
          callLimit.used < callLimit.max,
        limits: [limitView(callLimit)],
      },
    ],
  };
};
