import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { badRequest } from '../shared/http/errors.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { parsePhoneNumber } from '../shared/numbers.js';
import { callIdSchema, endCall } from '../shared/store/calls.js';

/** The hangup fields callgate uses; Plivo sends many more (BillDuration, HangupSource, …): ignored. */
const hangupParams = z.object({
  CallUUID: z.string().min(1).max(128).optional(),
  From: z.string().optional(),
  To: z.string().optional(),
  Duration: z
    .string()
    .regex(/^\d{1,7}$/, 'must be whole seconds')
    .transform(Number)
    .optional(),
  HangupCauseName: z.string().min(1).max(100).optional(),
  HangupCause: z.string().min(1).max(100).optional(),
});

/** callgate puts its own call id (a UUID) in the hangup URL of the calls it places. */
const hangupQuery = z.object({ call: callIdSchema.optional() });

/**
 * A call ended: record its end and release its lease, once. Business-initiated calls carry callgate's
 * call id in the hangup URL (`?call=`); inbound calls are known by Plivo's CallUUID and their `To` is the
 * business number, which spares reading the call record.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(deps, async (request) => {
    const params = hangupParams.parse(request.body);
    const outboundCallId = hangupQuery.parse(request.query).call;
    const callId = outboundCallId ?? params.CallUUID;
    if (!callId) throw badRequest('CallUUID is required');
    const to = outboundCallId ? undefined : parsePhoneNumber(params.To)?.e164;
    const business = to && deps.config.numbers.some((n) => n.number === to) ? to : undefined;
    const outcome = await endCall(deps.db, {
      callId,
      business,
      user: business ? parsePhoneNumber(params.From)?.e164 : undefined,
      endedAt: deps.clock(),
      durationSeconds: params.Duration,
      hangupCause: params.HangupCauseName ?? params.HangupCause,
    });
    if (outcome === 'unknown_call') {
      deps.logger.warn('hangup for a call callgate has no record of', { callId });
    } else {
      deps.logger.info('call ended', { callId, outcome, hangupCause: params.HangupCauseName });
    }
    return json(200, { callId, outcome });
  });
