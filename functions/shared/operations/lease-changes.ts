import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import type { LeasesAdded } from '../store/items/lease-stream.js';
import { isInboundLease } from '../store/items/leases.js';
import { recordInboundStart } from '../store/writes/lease-changes.js';

/**
 * Inbound leases a committed write added: each call's record and what the call means to the caller's
 * callback permission (granted when the number grants it on inbound calls, the missed streak reset).
 * Business-initiated leases are written with their record and need nothing here.
 */
export const recordInboundCalls = async (deps: Deps, change: LeasesAdded): Promise<void> => {
  const number = configuredNumber(deps.config, change.business);
  for (const [callId, lease] of Object.entries(change.added)) {
    if (!isInboundLease(lease)) continue;
    const outcome = await recordInboundStart(deps.db, {
      callId,
      business: change.business,
      shard: change.shard,
      lease,
      rules: deps.config.rules,
      // A number no longer configured (its configuration changed since the answer) grants nothing.
      callbackPermissionOnInbound: number?.callbackPermissionOnInbound ?? false,
      now: deps.clock(),
    });
    deps.logger.info('inbound call recorded', { callId, ...outcome });
  }
};
