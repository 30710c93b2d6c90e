import { type CallListResponse, callListQuery, callLogPath } from '../shared/api/calls.js';
import type { Deps } from '../shared/deps.js';
import { badRequest, HttpError } from '../shared/http/errors.js';
import { invalidCursor, listingBusiness, listingUser } from '../shared/http/listing-query.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import type { ParsedRequest } from '../shared/http/request.js';
import { json } from '../shared/http/respond.js';
import { callLog, listCalls } from '../shared/operations/call-log.js';

const list = async (deps: Deps, request: ParsedRequest) => {
  const query = callListQuery.parse(request.query);
  const business = listingBusiness(deps.config, query.business);
  const user = listingUser(query.user);
  const since = query.since === undefined ? undefined : Date.parse(query.since);
  const until = query.until === undefined ? undefined : Date.parse(query.until);
  if (since !== undefined && until !== undefined && since >= until) {
    throw badRequest('since must be before until');
  }
  const outcome = await listCalls(deps, {
    business,
    user,
    direction: query.direction,
    since,
    until,
    limit: query.limit,
    cursor: query.cursor,
  });
  if (outcome.kind === 'invalid_cursor') throw invalidCursor();
  return json(200, {
    calls: outcome.calls,
    ...(outcome.cursor === undefined ? {} : { cursor: outcome.cursor }),
  } satisfies CallListResponse);
};

/**
 * GET /v1/calls/{callId}: one call, inbound or business-initiated, and how it went. GET /v1/calls: a
 * number's calls, or a user's with it, newest first, a page at a time.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    if (request.pathParameters.callId === undefined) return list(deps, request);
    const { callId } = callLogPath.parse(request.pathParameters);
    const result = await callLog(deps, callId);
    if (result.kind === 'not_found') {
      throw new HttpError(404, 'not_found', 'No call with this id');
    }
    return json(200, result.view);
  });
