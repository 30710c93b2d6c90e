import {
  endsTheCall,
  type FlowStep,
  type InboundCall,
  renderAnswer,
  renderStep,
} from '../call-flow/render.js';
import type { BusinessNumber } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import { renderPlivoXml } from '../plivo/xml.js';
import { plivoUrls } from '../routes.js';
import { endCall } from '../store/writes/call-end.js';
import {
  type InboundRefusal,
  rememberRefusedCall,
  startInboundCall,
} from '../store/writes/inbound-call.js';
import { reconcileInboundLeases } from './lease-reconciliation.js';

/** What every step of an inbound call's flow needs to know about the call. */
const inboundCallContext = (deps: Deps): InboundCall => ({
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
  /** Its lease taken: answer with the flow's first document (its record follows, operations/lease-changes.ts). */
  | { readonly kind: 'started'; readonly document: string }
  /** Plivo asked again for a call whose lease is held: the same document, nothing counted. */
  | { readonly kind: 'duplicate'; readonly document: string }
  /** Plivo asked again for a call already over (its flow or its hangup ended it): the same document. */
  | { readonly kind: 'answered_before'; readonly document: string }
  | { readonly kind: 'at_capacity' }
  | { readonly kind: 'invalid_caller' };

/**
 * An inbound WhatsApp call: renders the number's flow, then takes the call's lease in one conditional
 * write; the call record and the caller's callback permission are derived from the committed lease.
 */
export const answerInboundCall = async (
  deps: Deps,
  { callId, caller, number }: InboundCallToAnswer,
): Promise<AnswerInboundOutcome> => {
  const now = deps.clock();
  const user = parsePhoneNumber(caller)?.e164;
  if (!user) {
    await rememberRefusal(deps, callId, number.number, 'invalid_caller', now);
    return { kind: 'invalid_caller' };
  }
  // Rendered before anything is stored: a flow the renderer refuses never takes a lease.
  const elements = renderAnswer(number.inbound, inboundCallContext(deps), now);
  const document = renderPlivoXml(elements);
  const endsAtAnswer = endsTheCall(elements);
  const outcome = await startInboundCall(deps.db, {
    callId,
    business: number.number,
    user,
    now,
    rules: deps.config.rules,
    endsAtAnswer,
    reconcileLeases: () => reconcileInboundLeases(deps, number.number, now),
  });
  switch (outcome.kind) {
    case 'at_capacity':
      deps.metrics.count('InboundRefusedAtCapacity', { business: number.number });
      await rememberRefusal(deps, callId, number.number, 'at_capacity', now);
      return outcome;
    case 'duplicate':
    case 'answered_before':
      return { kind: outcome.kind, document };
    case 'started':
      if (endsAtAnswer) await endByFlow(deps, callId, number, user);
      return { kind: 'started', document };
  }
};

/**
 * Remembers a refusal so that the refused call's hangup records no call. A storage fault costs only
 * that: the caller still hears the refusal.
 */
const rememberRefusal = async (
  deps: Deps,
  callId: string,
  business: string,
  refusal: InboundRefusal,
  now: number,
) => {
  try {
    await rememberRefusedCall(deps.db, { callId, business, refusal, now });
  } catch (error) {
    deps.logger.warn('inbound call: could not remember the refusal', {
      callId,
      error: error as Error,
    });
  }
};

/**
 * The answer callgate gives ends the call (a closing message, the end of a bridged call, a voicemail's
 * thanks): end it here and release its lease, since Plivo's WhatsApp setup has no Hangup URL of its own
 * and a hangup may never come. A storage fault only costs the lease's lapse, never the caller's answer.
 */
const endByFlow = async (deps: Deps, callId: string, number: BusinessNumber, user: string) => {
  try {
    await endCall(deps.db, {
      callId,
      business: number.number,
      user,
      endedAt: deps.clock(),
      endedBy: 'flow',
    });
  } catch (error) {
    deps.logger.warn('inbound call: could not end the call its flow ended', {
      callId,
      error: error as Error,
    });
  }
};

export interface InboundCallToContinue extends InboundCallToAnswer {
  readonly step: FlowStep;
}

/**
 * A key press, a dial's outcome or a recording of a flow already answered: the next document, and the
 * call's end when that document ends it.
 */
export const continueInboundCall = async (
  deps: Deps,
  { callId, caller, number, step }: InboundCallToContinue,
): Promise<string> => {
  const elements = renderStep(number.inbound, inboundCallContext(deps), step);
  const document = renderPlivoXml(elements);
  const user = parsePhoneNumber(caller)?.e164;
  if (user && endsTheCall(elements)) await endByFlow(deps, callId, number, user);
  return document;
};
