import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import { type CallEndOutcome, endCall } from '../store/writes/call-end.js';

export interface Hangup {
  /** callgate's call id from the hangup URL (`?call=`): a business-initiated call. */
  readonly outboundCallId?: string | undefined;
  /** Plivo's CallUUID: an inbound call. */
  readonly callUuid?: string | undefined;
  /** `To`: for an inbound call, the business number. */
  readonly to?: string | undefined;
  /** `From`: for an inbound call, the caller. */
  readonly from?: string | undefined;
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
  const outcome = await endCall(deps.db, {
    callId,
    business,
    user: business ? parsePhoneNumber(hangup.from)?.e164 : undefined,
    endedAt: deps.clock(),
    durationSeconds: hangup.durationSeconds,
    hangupCause: hangup.hangupCause,
  });
  return { kind: 'applied', callId, outcome };
};
