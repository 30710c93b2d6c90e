import type { Deps } from '../deps.js';
import { callIdSchema } from '../routes.js';
import { type CallRecord, markDialed } from '../store/call-record.js';

export type AgentLegOutcome =
  /** Dial the user now: the call counts among the user's daily calls from here on. */
  | { readonly kind: 'dial'; readonly call: CallRecord }
  /** callgate never placed it, or it already ended: nobody is dialed. */
  | { readonly kind: 'unknown_call' };

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): the call is marked
 * dialed, and the answer bridges the agent to the WhatsApp user.
 */
export const answerAgentLeg = async (deps: Deps, callId: string): Promise<AgentLegOutcome> => {
  const call = callIdSchema.safeParse(callId).success
    ? await markDialed(deps.db, callId, deps.clock())
    : undefined;
  return call?.direction === 'outbound' ? { kind: 'dial', call } : { kind: 'unknown_call' };
};
