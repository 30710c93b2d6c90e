import { callLogPath } from '../shared/api/calls.js';
import type { Deps } from '../shared/deps.js';
import { HttpError } from '../shared/http/errors.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import { json } from '../shared/http/respond.js';
import { callLog } from '../shared/operations/call-log.js';

/** GET /v1/calls/{callId}: one call, inbound or business-initiated, and how it went. */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    const { callId } = callLogPath.parse(request.pathParameters);
    const result = await callLog(deps, callId);
    if (result.kind === 'not_found') {
      throw new HttpError(404, 'not_found', 'No call with this id');
    }
    return json(200, result.view);
  });
