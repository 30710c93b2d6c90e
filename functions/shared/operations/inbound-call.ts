import { ForbiddenForward } from '../call-flow/guard.js';
import {
  endsTheCall,
  type FlowStep,
  type InboundCall,
  renderAnswer,
  renderRefusal,
  renderStep,
  UnknownStep,
} from '../call-flow/render.js';
import type { BusinessNumber } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { renderPlivoXml, type XmlElement } from '../plivo/xml.js';
import { plivoUrls } from '../routes.js';
import { decisionAfterLink } from '../rules/user-link.js';
import { userPairOf } from '../store/items/user-link.js';
import { endCall } from '../store/writes/call-end.js';
import {
  type InboundRefusal,
  rememberRefusedCall,
  startInboundCall,
} from '../store/writes/inbound-call.js';
import { webhookUserKey, webhookUserOf } from '../users.js';
import { reconcileInboundLeases } from './lease-reconciliation.js';

export type { ActionAt, FlowStep } from '../call-flow/render.js';

/** What callers hear when callgate cannot run a flow; Plivo always gets valid XML and a 200. */
export const refusals = {
  unconfigured: 'Sorry, this number does not take calls.',
  malformed: 'Sorry, this call cannot be completed.',
  atCapacity: 'All our lines are busy right now. Please call again later.',
} as const;

/** The document that refuses a call: a short message, then `<Hangup>`. */
export const refusalDocument = (refusal: keyof typeof refusals): string =>
  renderPlivoXml(renderRefusal(refusals[refusal]));

/**
 * The flow's elements, or why it cannot go on: a continuation the flow no longer has (the configuration
 * changed mid-call) or a forward the guard refuses. The caller then hears a short message.
 */
const rendered = (
  render: () => XmlElement[],
): { readonly elements: XmlElement[] } | { readonly cannotContinue: Error } => {
  try {
    return { elements: render() };
  } catch (error) {
    if (error instanceof UnknownStep || error instanceof ForbiddenForward) {
      return { cannotContinue: error };
    }
    throw error;
  }
};

/** The flow cannot go on: nothing was stored, and the caller hears a short message. */
interface CannotContinue {
  readonly kind: 'cannot_continue';
  readonly error: Error;
  readonly document: string;
}

const cannotContinue = (error: Error): CannotContinue => ({
  kind: 'cannot_continue',
  error,
  document: refusalDocument('malformed'),
});

/** What every step of an inbound call's flow needs to know about the call. */
const inboundCallContext = (deps: Deps): InboundCall => ({
  answerUrl: plivoUrls(deps.publicBaseUrl).answer,
  maxCallSeconds: deps.config.rules.maxCallSeconds,
});

export interface InboundCallToAnswer {
  /** Plivo's CallUUID. */
  readonly callId: string;
  /** The caller as Plivo wrote it (`From`): a number, or a BSUID for a user with a username. */
  readonly caller: string;
  /** The BSUID fields Plivo may forward beside `From` (`FromUserId`, `from_user_id`), as written. */
  readonly callerUserIds?: readonly unknown[];
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
  | { readonly kind: 'at_capacity'; readonly document: string }
  | { readonly kind: 'invalid_caller'; readonly document: string }
  | CannotContinue;

/**
 * An inbound WhatsApp call: renders the number's flow, then takes the call's lease in one conditional
 * write; the call record and the caller's callback permission are derived from the committed lease.
 */
export const answerInboundCall = async (
  deps: Deps,
  { callId, caller: from, callerUserIds, number }: InboundCallToAnswer,
): Promise<AnswerInboundOutcome> => {
  const now = deps.clock();
  const caller = webhookUserOf(from, callerUserIds);
  if (!caller) {
    await rememberRefusal(deps, callId, number.number, 'invalid_caller', now);
    return { kind: 'invalid_caller', document: refusalDocument('malformed') };
  }
  if (caller.ignored !== undefined) {
    deps.logger.warn('inbound call: the caller is taken from From alone', {
      callId,
      reason: caller.ignored,
    });
    deps.metrics.count('UserIdsIgnored', { business: number.number, reason: caller.ignored });
  }
  // Rendered before anything is stored: a flow the renderer refuses never takes a lease.
  const answer = rendered(() => renderAnswer(number.inbound, inboundCallContext(deps), now));
  if ('cannotContinue' in answer) return cannotContinue(answer.cannotContinue);
  const { elements } = answer;
  const document = renderPlivoXml(elements);
  const endsAtAnswer = endsTheCall(elements);
  // A caller named by number and BSUID links them, as a reply naming both does; one named by a BSUID
  // alone is the pair its link points to. A number alone costs no request.
  const pair = await userPairOf(
    deps.db,
    { business: number.number, number: caller.number, userId: caller.userId, now },
    decisionAfterLink,
  );
  const user = pair.key;
  const start = {
    callId,
    business: number.number,
    user,
    userId: pair.userId,
    now,
    rules: deps.config.rules,
    endsAtAnswer,
  };
  let outcome = await startInboundCall(deps.db, start);
  // At capacity: free the leases of calls that are over although no hangup said so, then ask once more.
  if (
    outcome.kind === 'at_capacity' &&
    (await reconcileInboundLeases(deps, number.number, now)) > 0
  ) {
    outcome = await startInboundCall(deps.db, { ...start, afterReconciliation: true });
  }
  switch (outcome.kind) {
    case 'at_capacity':
      deps.metrics.count('InboundRefusedAtCapacity', { business: number.number });
      await rememberRefusal(deps, callId, number.number, 'at_capacity', now);
      return { kind: 'at_capacity', document: refusalDocument('atCapacity') };
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
): Promise<{ readonly kind: 'next'; readonly document: string } | CannotContinue> => {
  const next = rendered(() => renderStep(number.inbound, inboundCallContext(deps), step));
  if ('cannotContinue' in next) return cannotContinue(next.cannotContinue);
  const document = renderPlivoXml(next.elements);
  // The user only names the record of a call no answer recorded: its pair key before any link.
  const user = webhookUserOf(caller);
  if (user && endsTheCall(next.elements)) {
    await endByFlow(deps, callId, number, webhookUserKey(user));
  }
  return { kind: 'next', document };
};
