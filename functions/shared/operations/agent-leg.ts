import type { Deps } from '../deps.js';
import { plivoDigits } from '../numbers.js';
import { element, renderPlivoXml } from '../plivo/xml.js';
import { callIdSchema, plivoUrls } from '../routes.js';
import {
  isPermissionActive,
  type PermissionRefusal,
  permissionRefusal,
} from '../rules/permission.js';
import { type CallRecord, dialIfPermitted, readCall } from '../store/items/call-record.js';
import { endCall } from '../store/writes/call-end.js';

/** How long the WhatsApp user's phone rings before the dial counts as unanswered. */
export const userRingSeconds = 45;

export type AgentLegOutcome = {
  readonly document: string;
} /** Dial the user now: the call counts among the user's daily calls from here on. */ & (
  | { readonly kind: 'dial'; readonly call: CallRecord }
  /**
   * The permission no longer allows the call (rejected, revoked or expired since it was placed): the
   * call was ended, its daily slot given back and its lease released. The agent is told why.
   */
  | { readonly kind: 'not_permitted'; readonly refusal: PermissionRefusal }
  /** callgate never placed it, or it already ended: nobody is dialed. */
  | { readonly kind: 'unknown_call' }
);

const notPermitted = renderPlivoXml([
  element('Speak', {}, [
    "The customer's call permission no longer allows this call. The call was not placed.",
  ]),
  element('Hangup'),
]);

const unknownCall = renderPlivoXml([
  element('Speak', {}, ['This call could not be connected.']),
  element('Hangup'),
]);

/**
 * Bridges the agent to the WhatsApp user. `<Dial callType="whatsapp">` goes through callgate's own XML
 * builder because the SDK's builder rejects the `callType` attribute.
 */
const dialUser = (deps: Deps, call: CallRecord): string =>
  renderPlivoXml([
    element(
      'Dial',
      {
        callerId: plivoDigits(call.business),
        callType: 'whatsapp',
        action: plivoUrls(deps.publicBaseUrl).dialStatus(call.callId),
        method: 'POST',
        timeout: userRingSeconds,
        timeLimit: deps.config.rules.maxCallSeconds,
      },
      [element('User', {}, [plivoDigits(call.user)])],
    ),
  ]);

/**
 * The agent leg of a business-initiated call answered (answer URL `?call=<call id>`): the user is dialed
 * only if the permission still allows it now, checked in the same write that marks the call dialed.
 */
export const answerAgentLeg = async (deps: Deps, callId: string): Promise<AgentLegOutcome> => {
  const unknown = { kind: 'unknown_call', document: unknownCall } as const;
  if (!callIdSchema.safeParse(callId).success) return unknown;
  const now = deps.clock();
  const call = await readCall(deps.db, callId, now);
  if (call?.direction !== 'outbound' || call.endedAt !== undefined) return unknown;
  const attempt = await dialIfPermitted(deps.db, call, now, isPermissionActive);
  switch (attempt.kind) {
    case 'dialed':
      return { kind: 'dial', call, document: dialUser(deps, call) };
    case 'not_live':
      return unknown;
    case 'not_permitted': {
      // Active again between the check and now (a grant in the same instant): still refused, as checked.
      const refusal = permissionRefusal(attempt.pair, now) ?? 'no_permission';
      await endCall(deps.db, { callId, endedAt: now, refusal });
      return { kind: 'not_permitted', refusal, document: notPermitted };
    }
  }
};
