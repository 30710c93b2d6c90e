import type { Deps } from '../deps.js';
import type { PhoneNumber } from '../numbers.js';
import { type PermissionView, permissionView } from '../rules/permission-state.js';
import { readNumberRestrictions } from '../store/items/number-restriction.js';
import { readPair } from '../store/items/pair.js';
import { readPlacementCapacity } from '../store/items/placement-capacity.js';
import { readUserPair } from '../store/items/user-link.js';

/**
 * The pair's permission and what the business may do now, shaped like Meta's call_permissions, with the
 * number's simultaneous calls, the account's calls per second and Meta's restrictions on the number as
 * they stand. A BSUID reads the pair of the number it is linked to, else its own.
 */
export const permissionState = async (
  deps: Deps,
  business: PhoneNumber,
  user: PhoneNumber | { readonly id: string },
): Promise<PermissionView> => {
  const now = deps.clock();
  const [pair, capacity, restrictions] = await Promise.all([
    'e164' in user
      ? readPair(deps.db, business.e164, user.e164, now)
      : readUserPair(deps.db, business.e164, user.id, now).then((read) => read.pair),
    readPlacementCapacity(deps.db, business.e164, deps.config.account, now),
    readNumberRestrictions(deps.db, business.e164, now),
  ]);
  return permissionView(pair, now, deps.config.rules, business.country, capacity, restrictions);
};
