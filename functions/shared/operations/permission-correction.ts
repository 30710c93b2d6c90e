import type { Deps } from '../deps.js';
import type { PhoneNumber } from '../numbers.js';
import {
  type CorrectionRefusal,
  decisionFromCorrection,
  type PermissionCorrection,
} from '../rules/permission.js';
import { type PermissionView, permissionView } from '../rules/permission-state.js';
import { readNumberRestrictions } from '../store/items/number-restriction.js';
import { writePermissionDecision } from '../store/items/pair.js';
import { readPlacementCapacity } from '../store/items/placement-capacity.js';
import { userKeyOf } from '../store/items/user-link.js';

/** An operator's correction refused: why, and for an expiry too late the setting it passed. */
export type CorrectionRefused = { readonly status: PermissionCorrection['status'] } & (
  | { readonly refusal: Exclude<CorrectionRefusal, 'expiry_too_late'> }
  | {
      readonly refusal: 'expiry_too_late';
      readonly bound: {
        readonly setting: 'permissionSeconds' | 'refusalStandsSeconds';
        readonly seconds: number;
      };
    }
);

export type CorrectionOutcome =
  | { readonly kind: 'corrected'; readonly view: PermissionView }
  | ({ readonly kind: 'refused' } & CorrectionRefused);

/**
 * An operator sets the pair's permission by hand when callgate and Meta drifted apart (a reply Plivo
 * never forwarded, a grant given elsewhere). Written like a reply's decision, with source `manual`, in
 * one UpdateItem that returns the pair as it now stands.
 */
export const correctPermission = async (
  deps: Deps,
  business: PhoneNumber,
  user: PhoneNumber | { readonly id: string },
  correction: PermissionCorrection,
  /** The operator (http/actor.ts): the decision's events name them. */
  actor?: string,
): Promise<CorrectionOutcome> => {
  const now = deps.clock();
  const result = decisionFromCorrection(correction, now, deps.config.rules);
  if ('refusal' in result) {
    const { status } = correction;
    if (result.refusal !== 'expiry_too_late') {
      return { kind: 'refused', refusal: result.refusal, status };
    }
    const setting = status === 'temporary' ? 'permissionSeconds' : 'refusalStandsSeconds';
    const bound = { setting, seconds: deps.config.rules[setting] } as const;
    return { kind: 'refused', refusal: result.refusal, status, bound };
  }
  const [pair, capacity, restrictions] = await Promise.all([
    'e164' in user
      ? writePermissionDecision(
          deps.db,
          business.e164,
          user.e164,
          result.decision,
          now,
          undefined,
          actor,
        )
      : userKeyOf(deps.db, business.e164, user.id, now).then((key) =>
          writePermissionDecision(
            deps.db,
            business.e164,
            key,
            result.decision,
            now,
            user.id,
            actor,
          ),
        ),
    readPlacementCapacity(deps.db, business.e164, deps.config.account, now),
    readNumberRestrictions(deps.db, business.e164, now),
  ]);
  return {
    kind: 'corrected',
    view: permissionView(pair, now, deps.config.rules, business.country, capacity, restrictions),
  };
};
