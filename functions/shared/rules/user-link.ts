import type { PairState } from './pair.js';

/**
 * A user known by a BSUID alone has a pair of their own until a message names their number too; then
 * the BSUID's pair is linked to the number's and what it held moves there, so that one real user has
 * one permission. A BSUID-only pair holds a permission decision and nothing else of weight: calls and
 * permission requests to a BSUID alone are refused (`bsuidRefusal`), so it has no calls, request
 * slots or missed streak to carry over. Its customer-service window is left behind: a window not
 * known open sends the template, never a free-form request Meta would refuse.
 */

/** The attributes of a permission decision, moved together. */
export const decisionAttributes = [
  'permission',
  'permissionAt',
  'permissionUntil',
  'permissionSource',
  'revokedReason',
  'replySentAt',
  'expiredAt',
] as const satisfies readonly (keyof PairState)[];

export type PairDecision = Pick<PairState, (typeof decisionAttributes)[number]>;

/** When a decision was made, to order two: when the user sent the reply where known, else when recorded. */
const decidedAt = (pair: PairState): number => pair.replySentAt ?? pair.permissionAt ?? 0;

/**
 * The decision the number's pair takes from the BSUID's pair it is linked to: the newer of the two
 * wins, and a tie keeps the number's (one the business may have corrected). Undefined when the number's
 * own decision stands, or the BSUID's pair decided nothing.
 */
export const decisionAfterLink = (
  number: PairState | undefined,
  bsuid: PairState,
): PairDecision | undefined => {
  if (bsuid.permission === undefined) return undefined;
  if (number?.permission !== undefined && decidedAt(number) >= decidedAt(bsuid)) return undefined;
  return Object.fromEntries(
    decisionAttributes.flatMap((name) => (bsuid[name] === undefined ? [] : [[name, bsuid[name]]])),
  ) as PairDecision;
};

/**
 * How long Meta keeps showing a username user's number with their BSUID after the business and that
 * number were in contact: a message without it can only come later than this.
 */
export const numberShownMs = 30 * 24 * 3_600_000;

/**
 * When a link recorded at `now` may be forgotten (epoch ms), the number's pair being kept until
 * `pairExpiry` by the same message (undefined: no TTL, a permanent grant). Never before the pair it
 * points to, so that a BSUID-only message finds that pair for as long as it holds anything; never
 * within the 30 days after contact in which Meta still shows the number, so that a message then names
 * both and renews it.
 */
export const linkExpiry = (now: number, pairExpiry: number | undefined): number | undefined =>
  pairExpiry === undefined ? undefined : Math.max(pairExpiry, now + numberShownMs);

/**
 * When a link that an inbound call or message naming both renews at `now` may be forgotten: such a
 * contact decides nothing and does not tell how long the number's pair is kept, so the link never ends
 * sooner than it stood (`stood`: its end, undefined for none; absent when there is no link yet), and
 * lasts at least the 30 days Meta shows the number.
 */
export const contactLinkExpiry = (
  now: number,
  stood: { readonly until: number | undefined } | undefined,
): number | undefined =>
  stood === undefined
    ? now + numberShownMs
    : stood.until === undefined
      ? undefined
      : Math.max(stood.until, now + numberShownMs);

/**
 * Whether a call or a permission request may go to the user: a user known by a BSUID alone cannot be
 * reached, since Plivo documents no way to dial one (`<User>` takes a number) nor to message one. The
 * one place to change when Plivo does.
 */
export function bsuidRefusal(user: UserReached, action: 'call'): 'bsuid_not_dialable' | undefined;
export function bsuidRefusal(
  user: UserReached,
  action: 'request',
): 'bsuid_not_messageable' | undefined;
export function bsuidRefusal(
  user: UserReached,
  action: 'call' | 'request',
): BsuidRefusal['code'] | undefined {
  if (user.number !== undefined) return undefined;
  return action === 'call' ? 'bsuid_not_dialable' : 'bsuid_not_messageable';
}

/** The number a user is reached at, when one is known. */
interface UserReached {
  readonly number?: string | undefined;
}

/** A call or a permission request refused for a user known by a BSUID alone. */
export type BsuidRefusal =
  | { readonly code: 'bsuid_not_dialable' }
  | { readonly code: 'bsuid_not_messageable' };
