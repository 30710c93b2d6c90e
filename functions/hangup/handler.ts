import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { badRequest } from '../shared/http/errors.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { recordHangup } from '../shared/operations/hangup.js';
import { callIdSchema } from '../shared/routes.js';

/** Plivo's identifiers: exactly the 8-4-4-4-12 hex form, in either case. */
const plivoId = z.guid('must be a Plivo UUID');
const optionalPlivoId = z.union([z.literal(''), plivoId]).optional();

/**
 * The hangup fields callgate uses, in their exact formats, and the ones Plivo always sends required
 * (`CallUUID`, `Duration`, a hangup cause): a key folded into the value before it (V3 signs the sorted
 * params with nothing between them) then fails, as does an empty POST signed as a GET. Plivo sends many
 * more fields (BillDuration, HangupSource, …): ignored.
 */
const hangupParams = z
  .object({
    CallUUID: plivoId,
    From: z.string().max(256).optional(),
    To: z.string().max(256).optional(),
    FromUserId: z.string().max(256).optional(),
    from_user_id: z.string().max(256).optional(),
    Direction: z.enum(['inbound', 'outbound']).optional(),
    Duration: z
      .string('is required')
      .regex(/^\d{1,7}$/, 'must be whole seconds')
      .transform(Number),
    HangupCauseName: z.string().min(1).max(100).optional(),
    HangupCause: z.string().min(1).max(100).optional(),
    ALegUUID: optionalPlivoId,
    ALegRequestUUID: optionalPlivoId,
    RequestUUID: optionalPlivoId,
  })
  .refine((params) => params.HangupCauseName !== undefined || params.HangupCause !== undefined, {
    message: 'is required',
    path: ['HangupCause'],
  });

/** callgate puts its own call id (a UUID) in the hangup URL of the calls it places. */
const hangupQuery = z.object({ call: callIdSchema.optional() });

/** POST /plivo/whatsapp/hangup: a call ended. */
export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(deps, async (request) => {
    const params = hangupParams.parse(request.body);
    const hangupCause = params.HangupCauseName ?? params.HangupCause;
    const result = await recordHangup(deps, {
      outboundCallId: hangupQuery.parse(request.query).call,
      callUuid: params.CallUUID,
      to: params.To,
      from: params.From,
      fromUserIds: [params.FromUserId, params.from_user_id],
      durationSeconds: params.Duration,
      hangupCause,
    });
    if (result.kind === 'no_call_id') throw badRequest('CallUUID is required');
    const { callId, outcome } = result;
    if (outcome === 'unknown_call') {
      deps.logger.warn('hangup for a call callgate has no record of', { callId });
    } else if (outcome === 'refused') {
      deps.logger.info('hangup of a call the answer refused: nothing recorded', { callId });
    } else {
      deps.logger.info('call ended', { callId, outcome, hangupCause });
    }
    return json(200, { callId, outcome });
  });
