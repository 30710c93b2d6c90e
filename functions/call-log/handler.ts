import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { badRequest, HttpError } from '../shared/http/errors.js';
import {
  cursorSchema,
  invalidCursor,
  limitSchema,
  listingBusiness,
  listingUser,
} from '../shared/http/listing-query.js';
import { businessApi, type LambdaHandler } from '../shared/http/middleware.js';
import type { ParsedRequest } from '../shared/http/request.js';
import { json } from '../shared/http/respond.js';
import { callLog, listCalls } from '../shared/operations/call-log.js';

/**
 * Call ids are callgate's own (UUIDs) or Plivo's CallUUIDs, which the webhooks accept in the 8-4-4-4-12
 * hex form of any version: the same form here, so every stored call can be looked up.
 */
const pathSchema = z.object({ callId: z.guid('callId must be a call id (a UUID)') });

const isoTime = (name: string) =>
  z.iso.datetime({
    offset: true,
    error: `${name} must be an ISO 8601 time such as 2026-12-09T18:00:00Z`,
  });

/** GET /v1/calls: strict, so a misspelt parameter (`directon`) is refused by name. */
export const callListQuerySchema = z.strictObject({
  business: z.string().optional(),
  user: z.string().optional(),
  since: isoTime('since').optional(),
  until: isoTime('until').optional(),
  direction: z
    .enum(['inbound', 'outbound'], { error: 'direction must be inbound or outbound' })
    .optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

const list = async (deps: Deps, request: ParsedRequest) => {
  const query = callListQuerySchema.parse(request.query);
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
  });
};

/**
 * GET /v1/calls/{callId}: one call, inbound or business-initiated, and how it went. GET /v1/calls: a
 * number's calls, or a user's with it, newest first, a page at a time.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    if (request.pathParameters.callId === undefined) return list(deps, request);
    const { callId } = pathSchema.parse(request.pathParameters);
    const result = await callLog(deps, callId);
    if (result.kind === 'not_found') {
      throw new HttpError(404, 'not_found', 'No call with this id');
    }
    return json(200, result.view);
  });
