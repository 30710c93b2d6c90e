import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { callLog } from '../shared/operations/call-log.js';

/**
 * Call ids are callgate's own (UUIDs) or Plivo's CallUUIDs, which the webhooks accept in the 8-4-4-4-12
 * hex form of any version: the same form here, so every stored call can be looked up.
 */
const pathSchema = z.object({ callId: z.guid('callId must be a call id (a UUID)') });

/** GET /v1/calls/{callId}: one call, inbound or business-initiated, and how it went. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { callId } = pathSchema.parse(request.pathParameters);
    const result = await callLog(deps, callId);
    if (result.kind === 'not_found') {
      throw new HttpError(404, 'not_found', 'No call with this id');
    }
    return json(200, result.view);
  });
