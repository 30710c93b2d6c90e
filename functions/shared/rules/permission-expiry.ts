import type { PairState, StoredPermission } from './pair.js';
import { activePermission, isPermissionActive } from './permission.js';

/**
 * A temporary permission's lapse, which Meta announces by no webhook: when to look at the pair again
 * (the permission's own `permissionUntil`), and what the pair says when that moment comes.
 */

/** The permissions that lapse by themselves: those active until `permissionUntil`. */
export const lapsingPermissions: readonly StoredPermission[] = activePermission.untilItEnds;

/**
 * The expiry a committed change of the pair asks to be watched: a new temporary permission, or one
 * whose end moved (a renewal, a correction). Undefined when the change decided nothing about it (a
 * call counted, a request sent, the lapse's own record).
 */
export const expiryToWatch = (
  old: PairState | undefined,
  pair: PairState | undefined,
): number | undefined => {
  // A temporary permission always has its end: without one (never stored) there is none to watch.
  const until = pair?.permissionUntil;
  if (!pair?.permission || !lapsingPermissions.includes(pair.permission)) return undefined;
  const decided =
    old?.permission !== pair.permission ||
    old.permissionUntil !== until ||
    old.permissionAt !== pair.permissionAt;
  return decided ? until : undefined;
};

export type LapseDecision =
  /** The permission watched ran out and nothing recorded it yet: record it now. */
  | 'lapse'
  /** It still lasts at `now` (a schedule that came early): look again at its end. */
  | 'not_due'
  /** Its lapse is already recorded (a schedule that came twice). */
  | 'already_recorded'
  /** The pair no longer holds it: renewed, replaced by another decision, or gone. */
  | 'superseded';

/**
 * What the pair says of the temporary permission that ends at `expiresAt`, at `now`. It lapsed when the
 * state view says so (`permissionAt` in rules/permission.ts: expired once it is no longer active), so
 * the recorded lapse and the view never disagree.
 */
export const lapseOf = (
  pair: PairState | undefined,
  expiresAt: number,
  now: number,
): LapseDecision => {
  if (
    !pair?.permission ||
    !lapsingPermissions.includes(pair.permission) ||
    pair.permissionUntil !== expiresAt
  ) {
    return 'superseded';
  }
  if (pair.expiredAt !== undefined) return 'already_recorded';
  return isPermissionActive(pair, now) ? 'not_due' : 'lapse';
};
