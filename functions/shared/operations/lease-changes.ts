import type { DynamoDBRecord } from 'aws-lambda';
import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { leasesAdded } from '../store/items/lease-stream.js';
import { isInboundLease } from '../store/items/leases.js';
import { recordInboundStart } from '../store/writes/lease-changes.js';

/**
 * Inbound leases a committed write added (one stream record; any other change is nothing to do): each
 * call's record and what the call means to the caller's
 * callback permission (granted when the number grants it on inbound calls, the missed streak reset).
 * Business-initiated leases are written with their record and need nothing here.
 */
export const recordInboundCalls = async (deps: Deps, record: DynamoDBRecord): Promise<void> => {
  const change = leasesAdded(record);
  if (!change) return;
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
