import type { Deps } from '../deps.js';
import type { PhoneNumber } from '../numbers.js';
import type { NumberRestriction } from '../rules/number-pause.js';
import { liftNumberPause } from '../store/items/number-restriction.js';

export type PauseLiftOutcome =
  | { readonly kind: 'lifted'; readonly pause: NumberRestriction }
  /** No pause stands on the number (none, ended, or lifted already): nothing changed. */
  | { readonly kind: 'not_paused' };

/**
 * An operator lifts Meta's pause of a business number before its end, when Meta lifted it early or the
 * pause was recorded in error (an account update that named no number pauses every number it could be).
 */
export const liftPause = async (
  deps: Deps,
  business: PhoneNumber,
  /** The operator (http/actor.ts): `number.unpaused` names them. */
  actor?: string,
): Promise<PauseLiftOutcome> => {
  const pause = await liftNumberPause(deps.db, business.e164, deps.clock(), actor);
  return pause ? { kind: 'lifted', pause } : { kind: 'not_paused' };
};
