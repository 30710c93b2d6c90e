import type { Rules } from '../config/schema.js';
import {
  isPermissionActive,
  type PairState,
  type PermissionStatus,
  permissionAt,
  requestSlotNames,
} from './pair.js';

/**
 * The permission lifecycle as pure functions over the pair's state, `now` (epoch ms) and the rules:
 * what a call-permission reply decides, whether a permission request may be sent, and the Meta-like
 * view of both actions with their rolling windows.
 */

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** Everything on the pair other than a longer permission matters for at most this long after a write. */
export const pairRetentionMs = 7 * dayMs;

/** A grant that ran out is still reported (`expired`, 403 `permission_expired`) this long after it ends. */
export const expiredPermissionShownMs = 7 * dayMs;

/**
 * The pair item's TTL (epoch ms) after a write, while its permission or refusal ends at `until`: readable
 * as expired for a week after that end, and a week after `now` for everything else the pair holds.
 */
export const pairExpiryWithPermission = (until: number, now: number): number =>
  Math.max(until + expiredPermissionShownMs, now + pairRetentionMs);

/** Meta's call_permission_reply, as callgate keeps it. */
export interface CallPermissionReply {
  readonly response: 'accept' | 'reject';
  readonly isPermanent: boolean;
  /** Epoch SECONDS, as Meta sends it. */
  readonly expirationTimestamp?: number;
  readonly responseSource: 'user_action' | 'automatic';
}

/** What a reply writes on the pair: the new permission replaces whatever stood before. */
export interface PermissionDecision {
  readonly permission: 'temporary' | 'permanent' | 'rejected' | 'revoked';
  readonly permissionAt: number;
  /** Absent for a permanent grant. */
  readonly permissionUntil?: number;
  readonly permissionSource: 'reply';
  readonly revokedReason?: 'automatic';
}

export const decisionFromReply = (
  reply: CallPermissionReply,
  now: number,
  rules: Rules,
): PermissionDecision => {
  const base = { permissionAt: now, permissionSource: 'reply' } as const;
  if (reply.response === 'accept') {
    if (reply.isPermanent) return { ...base, permission: 'permanent' };
    const until =
      reply.expirationTimestamp !== undefined
        ? reply.expirationTimestamp * 1000
        : now + rules.permissionSeconds * 1000;
    return { ...base, permission: 'temporary', permissionUntil: until };
  }
  const until = now + rules.refusalStandsSeconds * 1000;
  return reply.responseSource === 'automatic'
    ? { ...base, permission: 'revoked', permissionUntil: until, revokedReason: 'automatic' }
    : { ...base, permission: 'rejected', permissionUntil: until };
};

/**
 * The pair item's TTL (epoch ms) after a decision: the later of the decision's end and the retention of
 * everything else on the pair; undefined (no TTL) while a permanent grant lasts.
 */
export const pairExpiryAfterDecision = (
  decision: PermissionDecision,
  now: number,
): number | undefined =>
  decision.permissionUntil === undefined
    ? undefined
    : pairExpiryWithPermission(decision.permissionUntil, now);

/**
 * The pair item's TTL (epoch ms) after a permission request: the request counts for 7 days, and a
 * standing refusal on the item (never a permanent grant: that refuses the request) must outlive it too.
 */
export const pairExpiryAfterRequest = (now: number, rules: Rules): number =>
  now + Math.max(pairRetentionMs, rules.refusalStandsSeconds * 1000);

export type WindowName = 'PT24H' | 'P7D';

export interface RollingWindow {
  readonly window: WindowName;
  readonly ms: number;
  readonly max: number;
}

export const requestWindows = (rules: Rules): readonly RollingWindow[] => [
  { window: 'PT24H', ms: dayMs, max: rules.permissionRequests.per24Hours },
  { window: 'P7D', ms: 7 * dayMs, max: rules.permissionRequests.per7Days },
];

export const callWindow = (rules: Rules): RollingWindow => ({
  window: 'PT24H',
  ms: dayMs,
  max: rules.businessCallsPer24Hours,
});

export interface WindowUsage {
  readonly window: WindowName;
  readonly max: number;
  readonly used: number;
  /** Only while the limit is reached: when enough entries have left the window for one more. */
  readonly resetsAt?: number;
}

/** An entry at time t counts while `now < t + window`: at exactly t + window it has left. */
export const windowUsage = (
  times: readonly number[],
  now: number,
  { window, ms, max }: RollingWindow,
): WindowUsage => {
  const counted = times.filter((t) => t > now - ms).sort((a, b) => a - b);
  const used = counted.length;
  const freeing = used >= max ? counted[used - max] : undefined;
  return { window, max, used, ...(freeing === undefined ? {} : { resetsAt: freeing + ms }) };
};

/** Request times from the slots, oldest first; an empty slot may hold 0 (a shift from an empty one). */
export const requestTimes = (pair: PairState | undefined, rules: Rules): number[] =>
  requestSlotNames(rules)
    .map((name) => pair?.[name as `request${number}`])
    .filter((t): t is number => typeof t === 'number' && t > 0);

/**
 * Placement times of business-initiated calls. Read as unknown: `calls` is a list of times or a map
 * call id → time, depending on how business-initiated calls store them.
 */
export const businessCallTimes = (pair: PairState | undefined): number[] => {
  const calls: unknown = pair?.calls;
  if (!calls || typeof calls !== 'object') return [];
  const values = Array.isArray(calls) ? calls : Object.values(calls);
  return values.filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
};

export type RequestRefusal =
  | { readonly code: 'permission_active' }
  | { readonly code: 'request_limit'; readonly retryAfter: number };

const secondsUntil = (at: number, now: number): number => Math.max(1, Math.ceil((at - now) / 1000));

/** Why a permission request may not be sent now, or undefined when it may. */
export const requestRefusal = (
  pair: PairState | undefined,
  now: number,
  rules: Rules,
): RequestRefusal | undefined => {
  if (isPermissionActive(permissionAt(pair, now))) return { code: 'permission_active' };
  const times = requestTimes(pair, rules);
  const resets = requestWindows(rules)
    .map((w) => windowUsage(times, now, w).resetsAt)
    .filter((t): t is number => t !== undefined);
  return resets.length === 0
    ? undefined
    : { code: 'request_limit', retryAfter: secondsUntil(Math.max(...resets), now) };
};

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
  readonly permission: { readonly status: PermissionViewStatus; readonly expiresAt?: string };
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
  rules: Rules,
  /** The business number's country forbids business-initiated calls (by numbering plan). */
  { callsRestricted = false }: { callsRestricted?: boolean } = {},
): PermissionView => {
  const status = permissionAt(pair, now);
  const active = isPermissionActive(status);
  const requestLimits = requestWindows(rules).map((w) =>
    windowUsage(requestTimes(pair, rules), now, w),
  );
  const callLimit = windowUsage(businessCallTimes(pair), now, callWindow(rules));
  return {
    permission: statusView(status),
    actions: [
      {
        action: 'send_call_permission_request',
        canPerform: !active && requestLimits.every((l) => l.used < l.max),
        limits: requestLimits.map(limitView),
      },
      {
        action: 'start_call',
        canPerform: !callsRestricted && active && callLimit.used < callLimit.max,
        limits: [limitView(callLimit)],
      },
    ],
  };
};
