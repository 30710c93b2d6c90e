import * as z from 'zod';
import { configuredNumber } from '../shared/config/numbers.js';
import type { BusinessNumber } from '../shared/config/schema.js';
import type { Deps } from '../shared/deps.js';
import {
  type LambdaHandler,
  plivoWebhook,
  type Result,
  requestDeps,
} from '../shared/http/middleware.js';
import type { ParsedRequest } from '../shared/http/request.js';
import { xml } from '../shared/http/respond.js';
import { maskNumber, parsePhoneNumber } from '../shared/numbers.js';
import {
  type ActionAt,
  answerInboundCall,
  continueInboundCall,
  type FlowStep,
  refusalDocument,
} from '../shared/operations/inbound-call.js';
import { answerOutboundLeg } from './agent-leg.js';

/** Plivo's identifiers: exactly the 8-4-4-4-12 hex form, in either case. */
const plivoId = z.guid('must be a Plivo UUID');
/** An identifier Plivo may send empty. */
const optionalPlivoId = z.union([z.literal(''), plivoId]).optional();

/**
 * What Plivo always posts to an answer URL, each field in its exact format. V3 signs the sorted params
 * with nothing between a key and its value, so a captured request whose key is folded into the value
 * before it (`CallUUID=<uuid>Directioninbound`, no `Direction`) still verifies: exact identifiers and
 * required fields leave no room for that.
 */
const callParams = z.object({
  CallUUID: plivoId,
  From: z.string().min(1).max(256),
  To: z.string().min(1).max(256),
  Direction: z.enum(['inbound', 'outbound']),
  CallStatus: z.string().regex(/^[a-z]+(-[a-z]+)*$/, 'must be a call status such as in-progress'),
  // A BSUID beside a number `From`, should Plivo forward Meta's `from_user_id`: it documents none.
  FromUserId: z.string().max(256).optional(),
  from_user_id: z.string().max(256).optional(),
  ALegUUID: optionalPlivoId,
  ALegRequestUUID: optionalPlivoId,
  RequestUUID: optionalPlivoId,
});

type CallParams = z.infer<typeof callParams>;

// Built on the first continuation, not at a cold start, which most often answers a new call.
let stepQuerySchema: ReturnType<typeof buildStepQuery> | undefined;
const stepQuery = () => {
  stepQuerySchema ??= buildStepQuery();
  return stepQuerySchema;
};

const buildStepQuery = () => {
  const actionAt = z
    .string()
    .regex(/^(action|noAnswer|closed|menu\.noInput|menu\.[0-9])$/)
    .transform((at) => at as ActionAt);
  return z.discriminatedUnion('step', [
    z.object({ step: z.literal('menu'), attempt: z.coerce.number().int().min(0).max(5) }),
    z.object({
      step: z.literal('dial'),
      at: actionAt,
      agent: z.union([z.literal('all'), z.coerce.number().int().min(0).max(19)]),
    }),
    z.object({ step: z.literal('voicemail'), at: actionAt }),
  ]);
};

const stringField = (body: ParsedRequest['body'], name: string): string =>
  typeof body[name] === 'string' ? body[name] : '';

/** A refused request or call: the caller hears a short message, Plivo gets valid XML. */
const refuse = (refusal: Parameters<typeof refusalDocument>[0]): Result =>
  xml(refusalDocument(refusal));

/** A continuation the flow no longer has, or a forward the guard refuses: logged as an error. */
const cannotContinue = (
  deps: Deps,
  { error, document }: { readonly error: Error; readonly document: string },
): Result => {
  deps.logger.error('inbound call: flow cannot continue', { error });
  return xml(document);
};

/** A key press, a dial's outcome or a recording of a flow already answered. */
const continueFlow = async (
  deps: Deps,
  request: ParsedRequest,
  call: CallParams,
  number: BusinessNumber,
): Promise<Result> => {
  const query = stepQuery().safeParse(request.query);
  if (!query.success) {
    deps.logger.warn('inbound call: unknown continuation', { query: request.rawQuery });
    return refuse('malformed');
  }
  const step: FlowStep =
    query.data.step === 'menu'
      ? { ...query.data, digits: stringField(request.body, 'Digits') }
      : query.data.step === 'dial'
        ? { ...query.data, dialStatus: stringField(request.body, 'DialStatus') }
        : query.data;
  if (step.step === 'voicemail') {
    deps.logger.info('inbound call: voicemail recorded', {
      callId: call.CallUUID,
      recordingId: stringField(request.body, 'RecordingID'),
    });
  }
  const next = await continueInboundCall(deps, {
    callId: call.CallUUID,
    caller: call.From,
    number,
    step,
  });
  return next.kind === 'next' ? xml(next.document) : cannotContinue(deps, next);
};

const answerInbound = async (
  deps: Deps,
  request: ParsedRequest,
  call: CallParams,
): Promise<Result> => {
  const number = configuredNumber(deps.config, parsePhoneNumber(call.To)?.e164);
  if (!number) {
    deps.logger.warn('inbound call to a number that is not configured', {
      callId: call.CallUUID,
      to: maskNumber(call.To),
    });
    return refuse('unconfigured');
  }
  if (request.query.step !== undefined) return continueFlow(deps, request, call, number);

  const outcome = await answerInboundCall(deps, {
    callId: call.CallUUID,
    caller: call.From,
    callerUserIds: [call.FromUserId, call.from_user_id],
    number,
  });
  const fields = { callId: call.CallUUID, business: maskNumber(number.number) };
  switch (outcome.kind) {
    case 'invalid_caller':
      deps.logger.warn('inbound call: caller is neither a valid number nor a BSUID', fields);
      return xml(outcome.document);
    case 'at_capacity':
      deps.logger.warn('inbound call refused: business number at its simultaneous-call limit', {
        ...fields,
        limit: deps.config.rules.simultaneousCallsPerNumber,
      });
      return xml(outcome.document);
    case 'cannot_continue':
      return cannotContinue(deps, outcome);
    case 'duplicate':
      deps.logger.info('inbound call: Plivo asked again, answered the same', fields);
      return xml(outcome.document);
    case 'answered_before':
      deps.logger.info(
        'inbound call: Plivo asked again for a call over, answered the same',
        fields,
      );
      return xml(outcome.document);
    case 'started':
      deps.logger.info('inbound call answered', fields);
      return xml(outcome.document);
  }
};

export const createHandler = (functionDeps: Deps): LambdaHandler =>
  plivoWebhook(functionDeps, async (request) => {
    const deps = requestDeps(functionDeps, request);
    // The agent leg of a business-initiated call: callgate put its call id in the answer_url.
    const agentLeg = request.query.call;
    const params = callParams.safeParse(request.body);
    const direction = agentLeg ? 'outbound' : 'inbound';
    if (!params.success || params.data.Direction !== direction) {
      deps.logger.warn('answer: malformed request, nothing stored', {
        direction,
        issues: params.success
          ? [`Direction: must be ${direction}`]
          : params.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
      return refuse('malformed');
    }
    if (agentLeg) return answerOutboundLeg(deps, agentLeg);
    return answerInbound(deps, request, params.data);
  });
