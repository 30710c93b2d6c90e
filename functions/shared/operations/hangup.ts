import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import { type CallEndOutcome, endCall } from '../store/writes/call-end.js';
import { webhookUserKey, webhookUserOf } from '../users.js';

export interface Hangup {
  /** callgate's call id from the hangup URL (`?call=`): a business-initiated call. */
  readonly outboundCallId?: string | undefined;
  /** Plivo's CallUUID: an inbound call. */
  readonly callUuid?: string | undefined;
  /** `To`: for an inbound call, the business number. */
  readonly to?: string | undefined;
  /** `From`: for an inbound call, the caller (a number, or a BSUID). */
  readonly from?: string | undefined;
  /** The BSUID fields Plivo may forward beside `From` (`FromUserId`, `from_user_id`), as written. */
  readonly fromUserIds?: readonly unknown[];
  readonly durationSeconds?: number | undefined;
  readonly hangupCause?: string | undefined;
}

export type HangupOutcome =
  | { readonly kind: 'no_call_id' }
  | { readonly kind: 'applied'; readonly callId: string; readonly outcome: CallEndOutcome };

/**
 * A call ended: record its end and release its lease, once. Business-initiated calls carry callgate's
 * call id in the hangup URL; inbound calls are known by Plivo's CallUUID, and their `To` is the business
 * number, which spares reading the call record.
 */
export const recordHangup = async (deps: Deps, hangup: Hangup): Promise<HangupOutcome> => {
  const callId = hangup.outboundCallId ?? hangup.callUuid;
  if (!callId) return { kind: 'no_call_id' };
  const to = hangup.outboundCallId ? undefined : parsePhoneNumber(hangup.to)?.e164;
  const business = configuredNumber(deps.config, to)?.number;
  // Kept only on the record of a call no answer recorded: as the hangup names the caller, no link read.
  const user = business ? webhookUserOf(hangup.from, hangup.fromUserIds) : undefined;
  const outcome = await endCall(deps.db, {
    callId,
    business,
    user: user && webhookUserKey(user),
    userId: user?.userId,
    endedAt: deps.clock(),
    durationSeconds: hangup.durationSeconds,
    hangupCause: hangup.hangupCause,
  });
  return { kind: 'applied', callId, outcome };
};
