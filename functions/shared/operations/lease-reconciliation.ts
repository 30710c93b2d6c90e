import type { Deps } from '../deps.js';
import { endCall } from '../store/call-end.js';
import { isInboundLease, leasesOf } from '../store/leases.js';

/**
 * A call younger than this may not be listed live yet, and is never taken for over: ringing, the answer
 * and Plivo's own bookkeeping all fit well inside it.
 */
const liveListGraceMs = 60_000;

/** How many leases one reconciliation looks at: bounds its reads at capacity (1,000 leases). */
const maxLeasesChecked = 100;

/**
 * An inbound call whose hangup never reached callgate (Plivo's WhatsApp setup documents no Hangup URL)
 * holds its lease until it lapses. When a business number is at capacity, its inbound leases are held
 * against Plivo's live calls: a call Plivo no longer lists, older than the grace, is ended
 * (`endedBy: reconciliation`, its duration the record's own; a later hangup changes nothing) and its lease
 * released. Business-initiated calls are keyed by callgate's own id, which Plivo does not list, so they
 * are left to their hangup or their lapse. Returns how many leases were freed; 0 when Plivo's live calls
 * cannot be known.
 */
export const reconcileInboundLeases = async (
  deps: Deps,
  business: string,
  now: number,
): Promise<number> => {
  let live: ReadonlySet<string> | undefined;
  try {
    live = await deps.telephony.liveCallUuids();
  } catch (error) {
    deps.logger.warn('live calls unknown: leases not reconciled', { error: error as Error });
    return 0;
  }
  if (!live) return 0;
  // An inbound lease says when its call started; business-initiated leases are not Plivo CallUUIDs.
  const over = Object.entries(await leasesOf(deps.db, business))
    .filter(
      ([callId, lease]) =>
        isInboundLease(lease) && lease.s <= now - liveListGraceMs && !live.has(callId),
    )
    .slice(0, maxLeasesChecked);
  let freed = 0;
  for (const [callId] of over) {
    const outcome = await endCall(deps.db, {
      callId,
      business,
      endedAt: now,
      endedBy: 'reconciliation',
    });
    if (outcome === 'ended') freed += 1;
  }
  if (freed > 0) {
    deps.logger.info('leases of calls Plivo no longer lists released', { freed });
    deps.metrics.count('LeasesReaped', { business }, freed);
  }
  return freed;
};
