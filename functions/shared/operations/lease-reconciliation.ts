import type { Deps } from '../deps.js';
import { maskNumber } from '../numbers.js';
import type { LiveCallList, LiveCallLookup, LiveCallsUnknown } from '../plivo/live-calls.js';
import { isInboundLease, leasesOf } from '../store/items/leases.js';
import { endCall } from '../store/writes/call-end.js';
import type { LiveCalls } from '../telephony/port.js';

/**
 * A call younger than this may not be listed live yet, and is never taken for over: ringing, the answer
 * and Plivo's own bookkeeping all fit well inside it.
 */
const liveListGraceMs = 60_000;

/** Calls the list leaves out that one reconciliation looks up, oldest first: each is a request while a caller waits. */
const maxLookups = 20;

const lookupsAtOnce = 10;

/**
 * Why a reconciliation kept leases it could not prove over: the Live Call API failed (`unavailable`), its
 * answer is not in the documented shape (`unreadable`), its pages are not one whole list (`incomplete`),
 * or a call the list leaves out could not be looked up (`unconfirmed`).
 */
export type LiveCallsUnknownReason = 'unavailable' | LiveCallsUnknown['reason'] | 'unconfirmed';

const listOf = async (
  liveCalls: LiveCalls,
): Promise<LiveCallList | { kind: 'unknown'; reason: 'unavailable'; detail: string }> => {
  try {
    return await liveCalls.list();
  } catch (error) {
    // Counted by the adapter (PlivoApiErrors): a page Plivo did not answer.
    return { kind: 'unknown', reason: 'unavailable', detail: (error as Error).message };
  }
};

/**
 * An inbound call whose hangup never reached callgate (Plivo's WhatsApp setup documents no Hangup URL)
 * holds its lease until it lapses. When a business number is at capacity, its inbound leases are held
 * against Plivo's live calls: a call older than the grace that a whole list of the account's live calls
 * leaves out, and that its own lookup then finds not live, is ended (`endedBy: reconciliation`, its duration
 * the record's own; a later hangup changes nothing) and its lease released. The lookup is needed because pages
 * read one after another are no snapshot: a call that ends between two of them moves every later call up
 * a place, and one live call is never listed. Anything short of that keeps the lease, counted
 * (`LiveCallsUnknown`) and logged. Business-initiated calls are keyed by callgate's own id, which Plivo
 * does not list, so they are left to their hangup or their lapse. Returns how many leases were freed.
 */
export const reconcileInboundLeases = async (
  deps: Deps,
  business: string,
  now: number,
): Promise<number> => {
  const liveCalls = deps.telephony.liveCalls;
  if (!liveCalls) return 0;
  const kept = (reason: LiveCallsUnknownReason, detail: string) => {
    deps.metrics.count('LiveCallsUnknown', { business, reason });
    deps.logger.warn('live calls unknown: leases kept', {
      business: maskNumber(business),
      reason,
      detail,
    });
  };
  const list = await listOf(liveCalls);
  if (list.kind === 'unknown') {
    kept(list.reason, list.detail);
    return 0;
  }
  // An inbound lease says when its call started; business-initiated leases are not Plivo CallUUIDs.
  const unlisted = Object.entries(await leasesOf(deps.db, business))
    .flatMap(([callId, lease]) =>
      isInboundLease(lease) &&
      lease.s <= now - liveListGraceMs &&
      !list.callUuids.has(callId.toLowerCase())
        ? [{ callId, startedAt: lease.s }]
        : [],
    )
    .sort((a, b) => a.startedAt - b.startedAt)
    .slice(0, maxLookups);
  const lookups: LiveCallLookup[] = [];
  for (let first = 0; first < unlisted.length; first += lookupsAtOnce) {
    const batch = unlisted.slice(first, first + lookupsAtOnce);
    lookups.push(
      ...(await Promise.all(
        batch.map(({ callId }) =>
          // A failed lookup is counted by the adapter (PlivoApiErrors) and leaves the call unknown.
          liveCalls.lookup(callId).catch((): LiveCallLookup => 'unknown'),
        ),
      )),
    );
  }
  let freed = 0;
  for (const [index, { callId }] of unlisted.entries()) {
    if (lookups[index] !== 'not_live') continue;
    const outcome = await endCall(deps.db, {
      callId,
      business,
      endedAt: now,
      endedBy: 'reconciliation',
    });
    if (outcome === 'ended') freed += 1;
  }
  const unconfirmed = lookups.filter((lookup) => lookup === 'unknown').length;
  if (unconfirmed > 0) {
    kept('unconfirmed', `${unconfirmed} calls the list leaves out could not be looked up`);
  }
  if (freed > 0) {
    deps.logger.info('leases of calls Plivo no longer lists released', {
      business: maskNumber(business),
      freed,
      // Left out of the list, yet live: the list changed while its pages were read.
      stillLive: lookups.filter((lookup) => lookup === 'live').length,
    });
    deps.metrics.count('LeasesReaped', { business }, freed);
  }
  return freed;
};
