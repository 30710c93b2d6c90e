import { type InboundCall, renderAnswer } from '../call-flow/render.js';
import type { BusinessNumber } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import { renderPlivoXml } from '../plivo/xml.js';
import { plivoUrls } from '../routes.js';
import { startInboundCall } from '../store/inbound-start.js';

/** What every step of an inbound call's flow needs to know about the call. */
export const inboundCallContext = (deps: Deps): InboundCall => ({
  answerUrl: plivoUrls(deps.publicBaseUrl).answer,
  maxCallSeconds: deps.config.rules.maxCallSeconds,
});

export interface InboundCallToAnswer {
  /** Plivo's CallUUID. */
  readonly callId: string;
  /** The caller as Plivo wrote it (`From`). */
  readonly caller: string;
  /** The business number called (`To`), configured. */
  readonly number: BusinessNumber;
}

export type AnswerInboundOutcome =
  /** Recorded with its lease: answer with the flow's first document. */
  | {
      readonly kind: 'started';
      readonly document: string;
      readonly permission: 'granted' | 'kept' | 'off';
    }
  /** Plivo asked again for a call already recorded: the same document, nothing counted. */
  | { readonly kind: 'duplicate'; readonly document: string }
  | { readonly kind: 'at_capacity' }
  | { readonly kind: 'invalid_caller' };

/**
 * An inbound WhatsApp call: renders the number's flow, then records the call, takes its lease and, when
 * the number grants callback permission on inbound calls, grants it, in one write.
 */
export const answerInboundCall = async (
  deps: Deps,
  { callId, caller, number }: InboundCallToAnswer,
): Promise<AnswerInboundOutcome> => {
  const user = parsePhoneNumber(caller)?.e164;
  if (!user) return { kind: 'invalid_caller' };
  const now = deps.clock();
  // Rendered before anything is stored: a flow the renderer refuses never takes a lease.
  const document = renderPlivoXml(renderAnswer(number.inbound, inboundCallContext(deps), now));
  const outcome = await startInboundCall(deps.db, {
    callId,
    business: number.number,
    user,
    now,
    rules: deps.config.rules,
    callbackPermissionOnInbound: number.callbackPermissionOnInbound,
  });
  switch (outcome.kind) {
    case 'at_capacity':
      return outcome;
    case 'duplicate':
      return { kind: 'duplicate', document };
    case 'started':
      return { kind: 'started', document, permission: outcome.permission };
  }
};
