import type { Deps } from '../deps.js';
import { element, renderPlivoXml } from '../plivo/xml.js';
import { countsTowardDailyLimit } from '../rules/daily-calls.js';
import {
  afterMissedCall,
  type DialOutcome,
  type DialStatus,
  dialOutcome,
  streakAfterMiss,
} from '../rules/missed-calls.js';
import { applyDialStatus } from '../store/writes/dial-status.js';

export type RecordDialStatusOutcome = {
  /** What the agent hears once the dial to the WhatsApp user is over. */
  readonly document: string;
} & (
  | { readonly kind: 'unknown_call' }
  /** Applied now, or already by an earlier delivery of the same callback. */
  | { readonly kind: 'applied' | 'already_applied'; readonly outcome: DialOutcome }
);

const agentLegXml = (outcome: DialOutcome | undefined): string =>
  renderPlivoXml([
    ...(outcome === 'missed' ? [element('Speak', {}, ['The customer did not answer.'])] : []),
    ...(outcome === 'failed' ? [element('Speak', {}, ['The call could not be connected.'])] : []),
    element('Hangup'),
  ]);

/**
 * Whether the WhatsApp user answered a business-initiated call: connected resets the pair's missed
 * streak and request limits; a miss counts toward the warning and the revocation; `failed` is only
 * recorded. Applied once however often Plivo retries.
 */
export const recordDialStatus = async (
  deps: Deps,
  callId: string,
  dialStatus: DialStatus,
): Promise<RecordDialStatusOutcome> => {
  const { rules } = deps.config;
  const outcome = dialOutcome(dialStatus);
  const result = await applyDialStatus(deps.db, callId, dialStatus, outcome, deps.clock, rules, {
    counts: countsTowardDailyLimit(outcome, rules),
    streakAfterMiss: (pair) => streakAfterMiss(pair, rules),
    afterMissedCall: (pair, now) => afterMissedCall(pair, now, rules),
  });
  return result.kind === 'unknown_call'
    ? { kind: 'unknown_call', document: agentLegXml(undefined) }
    : { kind: result.kind, outcome, document: agentLegXml(outcome) };
};
