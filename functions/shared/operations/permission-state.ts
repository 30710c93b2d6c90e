import type { Deps } from '../deps.js';
import type { PhoneNumber } from '../numbers.js';
import { type PermissionView, permissionView } from '../rules/permission-view.js';
import { readPair } from '../store/pair.js';

/** The pair's permission and what the business may do now, shaped like Meta's call_permissions. */
export const permissionState = async (
  deps: Deps,
  business: PhoneNumber,
  user: PhoneNumber,
): Promise<PermissionView> => {
  const now = deps.clock();
  const pair = await readPair(deps.db, business.e164, user.e164, now);
  return permissionView(pair, now, deps.config.rules, business.country);
};
