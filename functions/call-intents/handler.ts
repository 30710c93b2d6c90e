import {
  type CallIntentListResponse,
  callIntentBody,
  callIntentListQuery,
  callIntentPath,
} from '../shared/api/call-intents.js';
import type { Deps } from '../shared/deps.js';
import { businessPair } from '../shared/http/business-pair.js';
import { badRequest, HttpError } from '../shared/http/errors.js';
import { invalidCursor, listingBusiness } from '../shared/http/listing-query.js';
import { businessApi, type LambdaHandler, requestDeps } from '../shared/http/middleware.js';
import { placementRefusalError } from '../shared/http/refusals.js';
import { json } from '../shared/http/respond.js';
import {
  cancelCallIntent,
  createCallIntent,
  listCallIntents,
  readCallIntent,
} from '../shared/operations/call-intents.js';

const list = async (deps: Deps, rawQuery: unknown) => {
  const query = callIntentListQuery.parse(rawQuery);
  const outcome = await listCallIntents(deps, {
    business: listingBusiness(deps.config, query.business),
    status: query.status,
    limit: query.limit,
    cursor: query.cursor,
  });
  if (outcome.kind === 'invalid_cursor') throw invalidCursor();
  return json(200, {
    intents: outcome.intents,
    ...(outcome.cursor === undefined ? {} : { cursor: outcome.cursor }),
  } satisfies CallIntentListResponse);
};

const notFound = () => new HttpError(404, 'not_found', 'No call intent with this id');

const create = async (deps: Deps, rawBody: unknown, actor: string | undefined) => {
  const body = callIntentBody.parse(rawBody);
  const pair = businessPair(deps.config, { business: body.from, user: body.to });
  const outcome = await createCallIntent(deps, {
    business: pair.business,
    user: pair.user,
    agent: body.agent,
    notAfter: body.notAfter === undefined ? undefined : Date.parse(body.notAfter),
    reference: body.reference,
    metadata: body.metadata,
    actor,
  });
  switch (outcome.kind) {
    case 'refused':
      throw placementRefusalError(outcome.refusal);
    case 'invalid_not_after':
      throw badRequest(
        `notAfter must be in the future and no later than ${new Date(outcome.latest).toISOString()}`,
      );
    case 'created':
      deps.logger.info('call intent created', {
        intentId: outcome.intent.intentId,
        status: outcome.intent.status,
      });
      return json(202, outcome.intent);
    case 'active':
      return json(200, outcome.intent);
  }
};

/**
 * POST /v1/call-intents: call the user as soon as Meta's rules, the number's outbound hours and every
 * limit allow it (202; 200 with the pair's open intent when one stands). GET and DELETE
 * /v1/call-intents/{intentId}: the intent as it stands; cancel it (409 once its call is placed).
 * GET /v1/call-intents: a number's intents in a status (the open ones by default), newest first.
 */
export const createHandler = (deps: Deps): LambdaHandler =>
  businessApi(deps, async (request) => {
    if (request.method === 'POST')
      return create(requestDeps(deps, request), request.body, request.actor);
    if (request.pathParameters.intentId === undefined) return list(deps, request.query);
    const { intentId } = callIntentPath.parse(request.pathParameters);
    if (request.method === 'DELETE') {
      const outcome = await cancelCallIntent(deps, intentId, request.actor);
      if (outcome.kind === 'not_found') throw notFound();
      if (outcome.kind === 'placed') {
        throw new HttpError(
          409,
          'intent_placed',
          `The intent's call is ${outcome.intent.status === 'placed' ? 'placed' : 'being placed'}; it cannot be cancelled`,
        );
      }
      return json(200, outcome.intent);
    }
    const intent = await readCallIntent(deps, intentId);
    if (!intent) throw notFound();
    return json(200, intent);
  });
