import * as z from 'zod';
import type { PairState, RevokedReason, StoredPermission } from './pair.js';
import { dayMs } from './window.js';

/**
 * The permission itself: how long a grant and a refusal last, what a call-permission reply decides,
 * what an inbound call grants, and whether the permission lets a business-initiated call through.
 */

const seconds = () => z.number().int().positive();

// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const permissionSettings = () =>
  z.strictObject({
    /** How long a temporary grant lasts (Meta: 7 days; rules/presets.ts), from the reply or from an inbound call. */
    permissionSeconds: seconds(),
    /** How long a rejection, a revocation or an unanswered request stands. */
    refusalStandsSeconds: seconds().default(7 * 24 * 3600),
  });

export type PermissionSettings = z.infer<ReturnType<typeof permissionSettings>>;

/**
 * Which stored decisions let calls through: the first always, the second while `permissionUntil` is
 * ahead. `isPermissionActive` and the store's condition (`activePermissionCondition`, store/items/pair.ts) both
 * read it.
 */
export const activePermission = {
  always: ['permanent'],
  untilItEnds: ['temporary'],
} as const satisfies {
  always: readonly StoredPermission[];
  untilItEnds: readonly StoredPermission[];
};

/** Whether the pair's permission lets a business-initiated call through at `at`. */
export const isPermissionActive = (pair: PairState | undefined, at: number): boolean => {
  const permission = pair?.permission;
  // Stryker disable next-line ConditionalExpression: neither list holds undefined; the check narrows the type
  if (permission === undefined) return false;
  if ((activePermission.always as readonly StoredPermission[]).includes(permission)) return true;
  return (
    (activePermission.untilItEnds as readonly StoredPermission[]).includes(permission) &&
    // Stryker disable next-line ConditionalExpression,OptionalChaining: the pair is there, and undefined > at is false too
    pair?.permissionUntil !== undefined &&
    pair.permissionUntil > at
  );
};

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

/** When a rejection or revocation decided at `now` stops standing. */
export const refusalEnd = (now: number, settings: PermissionSettings): number =>
  now + settings.refusalStandsSeconds * 1000;

export type PermissionStatus =
  | { readonly kind: 'none' }
  | { readonly kind: 'temporary'; readonly expiresAt: number }
  | { readonly kind: 'permanent' }
  | { readonly kind: 'expired'; readonly expiredAt: number }
  | { readonly kind: 'rejected'; readonly until: number }
  | { readonly kind: 'revoked'; readonly until: number; readonly reason?: RevokedReason };

/** The permission as it stands at `now`: a temporary grant past its expiry is expired, a refusal past its stand is none. */
export const permissionAt = (pair: PairState | undefined, now: number): PermissionStatus => {
  if (!pair?.permission) return { kind: 'none' };
  const until = pair.permissionUntil;
  switch (pair.permission) {
    case 'permanent':
      return { kind: 'permanent' };
    case 'temporary':
      // Stryker disable next-line ConditionalExpression: an active temporary grant has an end
      return isPermissionActive(pair, now) && until !== undefined
        ? { kind: 'temporary', expiresAt: until }
        : { kind: 'expired', expiredAt: until ?? pair.permissionAt ?? 0 };
    case 'rejected':
      // Stryker disable next-line ConditionalExpression: undefined > now is false too (the check narrows the type)
      return until !== undefined && until > now ? { kind: 'rejected', until } : { kind: 'none' };
    case 'revoked':
      // Stryker disable next-line ConditionalExpression: undefined > now is false too (the check narrows the type)
      return until !== undefined && until > now
        ? {
            kind: 'revoked',
            until,
            ...(pair.revokedReason ? { reason: pair.revokedReason } : {}),
          }
        : { kind: 'none' };
  }
};

export type PermissionRefusal =
  | 'no_permission'
  | 'permission_expired'
  | 'permission_revoked'
  | 'permission_rejected';

/** Why the permission refuses a business-initiated call at `now`, or undefined while it lasts. */
export const permissionRefusal = (
  pair: PairState | undefined,
  now: number,
): PermissionRefusal | undefined => {
  const status = permissionAt(pair, now);
  switch (status.kind) {
    // Stryker disable next-line StringLiteral: a kind without a case returns undefined as well
    case 'temporary':
    // Stryker disable next-line StringLiteral: a kind without a case returns undefined as well
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

/** Meta's call_permission_reply, as callgate keeps it. */
export interface CallPermissionReply {
  readonly response: 'accept' | 'reject';
  readonly isPermanent: boolean;
  /** Epoch SECONDS, as Meta sends it. */
  readonly expirationTimestamp?: number;
  readonly responseSource: 'user_action' | 'automatic';
}

/**
 * What a reply or an operator's correction writes on the pair: the new permission replaces whatever
 * stood before. No `permission`: the pair has none (an operator set `none`).
 */
export interface PermissionDecision {
  readonly permission?: StoredPermission;
  readonly permissionAt: number;
  /** Absent for a permanent grant and for none. */
  readonly permissionUntil?: number;
  readonly permissionSource: 'reply' | 'manual';
  readonly revokedReason?: 'automatic' | 'manual';
}

export const decisionFromReply = (
  reply: CallPermissionReply,
  now: number,
  settings: PermissionSettings,
): PermissionDecision => {
  const base = { permissionAt: now, permissionSource: 'reply' } as const;
  if (reply.response === 'accept') {
    if (reply.isPermanent) return { ...base, permission: 'permanent' };
    const until =
      reply.expirationTimestamp !== undefined
        ? reply.expirationTimestamp * 1000
        : now + settings.permissionSeconds * 1000;
    return { ...base, permission: 'temporary', permissionUntil: until };
  }
  const until = refusalEnd(now, settings);
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
  decision.permission === 'permanent'
    ? undefined
    : pairExpiryWithPermission(decision.permissionUntil ?? now, now);

/** An operator's correction of the permission, for drift with Meta (PUT /v1/permissions). */
export interface PermissionCorrection {
  readonly status: StoredPermission | 'none';
  /** temporary: when it expires; rejected/revoked: when the refusal stops standing. */
  readonly expiresAt?: number | undefined;
}

export type CorrectionRefusal = 'expiry_not_allowed' | 'expiry_in_the_past' | 'expiry_too_late';

/** The longest a correction to `status` may last from its decision: what a reply or a refusal lasts. */
const longestCorrectionSeconds = (
  status: 'temporary' | 'rejected' | 'revoked',
  settings: PermissionSettings,
): number => (status === 'temporary' ? settings.permissionSeconds : settings.refusalStandsSeconds);

/**
 * The decision an operator's correction makes, or why it cannot: a temporary grant lasts until
 * `expiresAt` (default `permissionSeconds`), a refusal stands until it (default `refusalStandsSeconds`),
 * and a permanent grant or none take no expiry. An expiry later than those defaults from now is a typo
 * rather than drift: Meta's temporary permission lasts no longer.
 */
export const decisionFromCorrection = (
  { status, expiresAt }: PermissionCorrection,
  now: number,
  settings: PermissionSettings,
): { readonly decision: PermissionDecision } | { readonly refusal: CorrectionRefusal } => {
  const base = { permissionAt: now, permissionSource: 'manual' } as const;
  if (status === 'permanent' || status === 'none') {
    if (expiresAt !== undefined) return { refusal: 'expiry_not_allowed' };
    return { decision: status === 'none' ? base : { ...base, permission: 'permanent' } };
  }
  // Stryker disable next-line ConditionalExpression: undefined <= now is false too (the check narrows the type)
  if (expiresAt !== undefined && expiresAt <= now) return { refusal: 'expiry_in_the_past' };
  const latest = now + longestCorrectionSeconds(status, settings) * 1000;
  // Stryker disable next-line ConditionalExpression: undefined > latest is false too (the check narrows the type)
  if (expiresAt !== undefined && expiresAt > latest) return { refusal: 'expiry_too_late' };
  if (status === 'temporary') {
    const until = expiresAt ?? now + settings.permissionSeconds * 1000;
    return { decision: { ...base, permission: 'temporary', permissionUntil: until } };
  }
  const until = expiresAt ?? refusalEnd(now, settings);
  return {
    decision: {
      ...base,
      permission: status,
      permissionUntil: until,
      ...(status === 'revoked' ? { revokedReason: 'manual' as const } : {}),
    },
  };
};

/**
 * An inbound call from the user grants a temporary permission until `until` (callback permission on
 * inbound). It never shortens one: it applies unless a permission is still active at the grant's last
 * millisecond (`unlessActiveAt`), i.e. a permanent one or a temporary one lasting at least as long.
 */
export const inboundCallGrant = (now: number, settings: PermissionSettings) => {
  const until = now + settings.permissionSeconds * 1000;
  return { until, unlessActiveAt: until - 1, keepUntil: pairExpiryWithPermission(until, now) };
};

/**
 * Replies are ordered by when the user sent them, where the payload says (Meta's message `timestamp`):
 * a reply replaces the pair's decision only if it was sent strictly after the reply behind that
 * decision, so a reply delivered late, or a captured one replayed, cannot overturn a newer decision.
 * Without a send time on either side, replies apply in arrival order. `store/items/pair.ts`
 * (`permissionDecisionUpdate`) holds the same comparison as its condition.
 */
export const replySupersedes = (
  decidingReplySentAt: number | undefined,
  sentAt: number | undefined,
): boolean =>
  sentAt === undefined || decidingReplySentAt === undefined || sentAt > decidingReplySentAt;
