import * as z from 'zod';
import type { PairState } from './pair.js';
import {
  isPermissionActive,
  type PermissionSettings,
  pairExpiryWithPermission,
  refusalEnd,
} from './permission.js';
import { type PermissionRequestSettings, requestSlotNames } from './permission-request.js';

/**
 * Consecutive unanswered business-initiated calls: the user is warned at `warnAt` in a row and the
 * permission revoked at `revokeAt`. Any connected call (either direction) and any new grant or
 * correction start the streak again; the revocation itself keeps it, as what caused it.
 */
// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const missedCallSettings = () =>
  z.strictObject({
    missedCalls: z
      .strictObject({
        // Meta's sandbox nudges at 5 and revokes at 10.
        warnAt: z.number().int().min(1).max(100),
        revokeAt: z.number().int().min(1).max(100),
      })
      .refine((m) => m.warnAt < m.revokeAt, 'warnAt must be below revokeAt'),
  });

export type MissedCallSettings = z.infer<ReturnType<typeof missedCallSettings>>;

/** The pair attributes that hold the streak: cleared by a connected call and by a new grant or correction. */
export const missedStreak = ['missed', 'warnedAt'] as const satisfies readonly (keyof PairState)[];

/**
 * What a connected call, either direction, clears on the pair: the missed streak and the
 * permission-request windows (Meta resets both when a call connects).
 */
export const clearedOnConnect = (settings: PermissionRequestSettings): string[] => [
  ...requestSlotNames(settings),
  ...missedStreak,
];

export type MissedCallStep =
  | { readonly kind: 'count'; readonly missed: number; readonly warn: boolean }
  | {
      readonly kind: 'revoke';
      /** The streak that revoked it, this call included: kept on the pair. */
      readonly missed: number;
      readonly permissionUntil: number;
      /** The pair's TTL after the revocation: max(the refusal's end, now + 7 days). */
      readonly keepUntil: number;
    };

/**
 * What one more unanswered business-initiated call does to the pair: counts it, warns the user at
 * `warnAt` in a row (once), and at `revokeAt` revokes the permission for `refusalStandsSeconds`, the
 * count kept (the state view shows what revoked it; a later grant starts from zero). Without an active
 * permission there is nothing to revoke and the miss is only counted.
 */
export const afterMissedCall = (
  pair: PairState,
  now: number,
  settings: MissedCallSettings & PermissionSettings,
): MissedCallStep => {
  const missed = (pair.missed ?? 0) + 1;
  if (missed >= settings.missedCalls.revokeAt && isPermissionActive(pair, now)) {
    const permissionUntil = refusalEnd(now, settings);
    return {
      kind: 'revoke',
      missed,
      permissionUntil,
      keepUntil: pairExpiryWithPermission(permissionUntil, now),
    };
  }
  return {
    kind: 'count',
    missed,
    warn: missed >= settings.missedCalls.warnAt && pair.warnedAt === undefined,
  };
};

/**
 * Where one more unanswered call puts the user's streak, as the call's own record keeps it: its place in
 * the streak (this call included), and whether the user stands warned (`warnAt` reached).
 */
export const streakAfterMiss = (
  pair: PairState | undefined,
  settings: MissedCallSettings,
): { readonly missedInARow: number; readonly missedWarning: boolean } => {
  const missedInARow = (pair?.missed ?? 0) + 1;
  return { missedInARow, missedWarning: missedInARow >= settings.missedCalls.warnAt };
};

/**
 * Whether a business-initiated call may still count as a miss: no dial status yet, unless it ended
 * before the user was ever dialed (then no dial status can come).
 */
export const mayStillBeMissed = (call: {
  readonly dialStatus?: string | undefined;
  readonly dialedAt?: number | undefined;
  readonly endedAt?: number | undefined;
}): boolean =>
  call.dialStatus === undefined && (call.endedAt === undefined || call.dialedAt !== undefined);

export type DialStatus = 'completed' | 'no-answer' | 'busy' | 'timeout' | 'failed';

export type DialOutcome = 'connected' | 'missed' | 'failed';

/** Plivo's DialStatus, as the rules read it: only an answered call connects; `failed` is neither. */
export const dialOutcome = (dialStatus: DialStatus): DialOutcome => {
  switch (dialStatus) {
    case 'completed':
      return 'connected';
    case 'failed':
      return 'failed';
    default:
      return 'missed';
  }
};
