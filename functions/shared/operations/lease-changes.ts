import type { DynamoDBRecord } from 'aws-lambda';
import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { windowOpenUntil } from '../rules/customer-service-window.js';
import { leasesAdded } from '../store/items/lease-stream.js';
import { isInboundLease } from '../store/items/leases.js';
import { keepWindowOpen } from '../store/items/pair.js';
import { recordInboundStart } from '../store/writes/lease-changes.js';

/**
 * Inbound leases a committed write added (one stream record; any other change is nothing to do): each
 * call's record and what the call means to the caller's
 * callback permission (granted when the number grants it on inbound calls, the missed streak reset),
 * then the caller's customer-service window, open 24 h from the call's start.
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
    // After the record, apart from its transaction: a window open longer fails its own condition
    // only. A redelivery writes it again (the record said `already_recorded`), so a failure here is
    // retried with the record; a second lease of the call opens nothing.
    // Under the pair the call was applied to; a redelivery writes the lease's, which fails closed on
    // a BSUID linked meanwhile (a window not known open sends the template).
    const user = outcome.kind === 'recorded' ? outcome.user : lease.u;
    const windowOpened =
      outcome.kind !== 'lease_released' &&
      (await keepWindowOpen(
        deps.db,
        change.business,
        user,
        windowOpenUntil(lease.s),
        lease.i === undefined ? undefined : { id: lease.i, keyed: lease.i === user },
      ));
    deps.logger.info('inbound call recorded', { callId, ...outcome, windowOpened });
  }
};
