import type { Deps } from '../deps.js';
import type { PairState } from '../rules/pair.js';
import { expiryToWatch, type LapseDecision, lapseOf } from '../rules/permission-expiry.js';
import { recordPermissionLapse } from '../store/items/pair.js';
import { keyPrefixes } from '../store/keys.js';

/**
 * A temporary permission's end, which Meta announces by no webhook: the pair changes that start
 * watching it, and the lapse recorded on the pair when it comes, from which the events function derives
 * `permission.expired` like every other event.
 */

/** A committed change of one table item, its images unmarshalled (events/table-change.ts reads them). */
export interface ItemChange {
  readonly pk: string;
  readonly old: Record<string, unknown> | undefined;
  readonly new: Record<string, unknown> | undefined;
}

/** A pair's temporary permission whose end is to be watched. */
export interface WatchedExpiry {
  readonly business: string;
  readonly user: string;
  readonly expiresAt: number;
}

/**
 * The expiry a committed change asks to be watched: a pair's new or moved temporary permission.
 * Undefined for every other item and change (a removal, a call counted on the pair).
 */
export const expiryOfChange = (change: ItemChange): WatchedExpiry | undefined => {
  if (!change.pk.startsWith(keyPrefixes.pair) || !change.new) return undefined;
  const pair = change.new as unknown as PairState;
  const expiresAt = expiryToWatch(change.old as unknown as PairState | undefined, pair);
  return expiresAt === undefined
    ? undefined
    : { business: pair.business, user: pair.user, expiresAt };
};

export type LapseOutcome =
  | { readonly kind: 'expired'; readonly expiredAt: number }
  | { readonly kind: Exclude<LapseDecision, 'lapse'> };

/**
 * The watched end came: one conditional write records the lapse on the pair while it still holds that
 * permission and it has ended; a refused write is read with the same rule (`lapseOf`), so a schedule
 * that comes twice, early, or after a renewal writes nothing.
 */
export const recordLapse = async (deps: Deps, expiry: WatchedExpiry): Promise<LapseOutcome> => {
  const now = deps.clock();
  const written = await recordPermissionLapse(
    deps.db,
    expiry.business,
    expiry.user,
    expiry.expiresAt,
    now,
  );
  if (written.recorded) return { kind: 'expired', expiredAt: now };
  const decision = lapseOf(written.pair, expiry.expiresAt, now);
  // The condition is built from the same rule and read at the same `now`: they cannot disagree but by
  // a defect, which must fail loudly (retried, then dead-lettered) rather than be taken for a renewal.
  if (decision === 'lapse') throw new Error('The lapse condition refused a lapse its rule allows');
  return { kind: decision };
};
