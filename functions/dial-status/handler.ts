import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { type LambdaHandler, plivoWebhook } from '../shared/http/middleware.js';
import { xml } from '../shared/http/respond.js';
import { recordDialStatus } from '../shared/operations/dial-status.js';
import { callIdSchema } from '../shared/routes.js';

const querySchema = z.object({ call: callIdSchema });

/** Plivo's identifiers: exactly the 8-4-4-4-12 hex form, in either case. */
const plivoId = z.guid('must be a Plivo UUID');

/**
 * What Plivo always posts to the Dial action, in exact formats: the status and the A leg (the agent's
 * call); the B leg is empty when the user never answered. A key folded into the value before it (V3
 * signs the sorted params with nothing between them) fails the identifier's format.
 */
const bodySchema = z.object({
  DialStatus: z.enum(['completed', 'no-answer', 'busy', 'timeout', 'failed']),
  DialALegUUID: plivoId,
  DialBLegUUID: z.union([z.literal(''), plivoId]).optional(),
  CallUUID: plivoId.optional(),
});

/** POST /plivo/whatsapp/dial-status?call=<id>: whether the WhatsApp user answered a business-initiated call. */
export const createHandler = (deps: Deps): LambdaHandler =>
  plivoWebhook(deps, async (request) => {
    const { call: callId } = querySchema.parse(request.query);
    const { DialStatus } = bodySchema.parse(request.body);
    const result = await recordDialStatus(deps, callId, DialStatus);
    if (result.kind === 'unknown_call') {
      deps.logger.warn('dial status for an unknown business-initiated call', { callId });
      return xml(result.document);
    }
    deps.logger.info('dial status', { callId, dialStatus: DialStatus, result: result.kind });
    return xml(result.document);
  });
