import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { ZodError } from 'zod';
import type { Deps } from '../deps.js';
import type { V2NonceUse } from '../operations/permission-reply.js';
import { verifyPlivoSignature } from '../plivo/signature.js';
import { routeOfKey } from '../routes.js';
import { authOfScope, missingScope } from '../rules/api-keys.js';
import { actorOf } from './actor.js';
import { HttpError } from './errors.js';
import { type BodyMedia, type ParsedRequest, parseRequest, requestBaseUrl } from './request.js';
import { errorResponse } from './respond.js';

export type Result = APIGatewayProxyStructuredResultV2;
export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;
export type RouteHandler = (request: ParsedRequest, context: Context) => Promise<Result>;

interface CallgateEvent extends APIGatewayProxyEventV2 {
  actor?: string;
  parsed?: ParsedRequest;
}

type Middleware = MiddlewareObj<CallgateEvent, Result, Error, Context>;

/** The dependencies of one request: the URLs it gives Plivo start with the base it came under. */
export const requestDeps = (deps: Deps, request: ParsedRequest): Deps => {
  const publicBaseUrl = requestBaseUrl(deps.publicBaseUrl, request);
  return publicBaseUrl === deps.publicBaseUrl ? deps : { ...deps, publicBaseUrl };
};

/** Every failure becomes the contract's JSON error; anything unexpected is logged and answered 5xx without internals. */
const contractErrors = (deps: Deps): Middleware => ({
  onError: async (request) => {
    const response = errorResponse(request.error, deps.logger);
    // The log's replacer masks the numbers to their last 4 digits.
    deps.logger.info('request refused', {
      path: request.event.rawPath,
      status: response.statusCode,
      error: errorCodeOf(response.body),
      ...pairOf(request.event.parsed),
    });
    request.response = response;
    deps.logger.removeKeys([correlationKey, actorKey]);
  },
});

const errorCodeOf = (body: string | undefined): string | undefined => {
  try {
    const code = (JSON.parse(body ?? '') as { error?: unknown }).error;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
};

/** The numbers a refused request was about: the API's pair (body or path), or a webhook's From and To. */
const pairOf = (parsed: ParsedRequest | undefined): Record<string, string> => {
  if (!parsed) return {};
  const candidates = {
    business: parsed.pathParameters.business ?? parsed.body.from ?? parsed.body.business,
    user: parsed.pathParameters.user ?? parsed.body.to ?? parsed.body.user,
    from: parsed.signedParams.From,
    to: parsed.signedParams.To,
  };
  return Object.fromEntries(
    Object.entries(candidates).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].length <= 64,
    ),
  );
};

const correlationKey = 'correlation_id';
const correlationPattern = /^[\w-]{1,64}$/;

/**
 * Every log line of a request carries the call it is about: callgate's call id (`?call=` on Plivo's
 * callbacks, the path of the call log), else Plivo's CallUUID or MessageUUID, else API Gateway's
 * request id. On Lambda, injectLambdaContext clears it after each invocation as well; the local host
 * serves requests side by side on one logger, so there a line may carry a concurrent request's id.
 */
const correlationId = (deps: Deps): Middleware => ({
  before: async (request) => {
    const parsed = request.event.parsed;
    const candidates = [
      parsed?.query.call,
      parsed?.pathParameters.callId,
      parsed?.signedParams.CallUUID,
      parsed?.signedParams.MessageUUID,
      request.event.requestContext?.requestId,
    ];
    const id = candidates.find(
      (value): value is string => typeof value === 'string' && correlationPattern.test(value),
    );
    if (id) deps.logger.appendKeys({ [correlationKey]: id });
  },
  after: async () => {
    deps.logger.removeKeys([correlationKey]);
  },
});

const actorKey = 'actor';

/**
 * Every log line of a business API request names its caller, as the correlation id names its call
 * (the local host's shared logger may show a concurrent request's), from before its body is read; the
 * parsed request carries it to the handler, which stores it with what the request writes.
 */
const callerName = (deps: Deps): Middleware => ({
  before: async (request) => {
    request.event.actor = actorOf(request.event);
    deps.logger.appendKeys({ [actorKey]: request.event.actor });
  },
  after: async () => {
    deps.logger.removeKeys([actorKey]);
  },
});

const parseBody = (accepted: BodyMedia = 'form_or_json'): Middleware => ({
  before: async (request) => {
    const parsed = parseRequest(request.event, accepted);
    const { actor } = request.event;
    request.event.parsed = actor === undefined ? parsed : { ...parsed, actor };
  },
});

/**
 * Plivo calls back with POST only: callgate configures every callback URL as POST. A GET's signed string
 * is the same as an empty POST's, so a signature Plivo made for a GET must not be read here at all.
 */
const postOnly = (): Middleware => ({
  before: async (request) => {
    const method = request.event.requestContext?.http?.method ?? 'GET';
    if (method !== 'POST') {
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here: Plivo POSTs`);
    }
  },
});

const signatureHeaders = [
  'x-plivo-signature-v3',
  'x-plivo-signature-ma-v3',
  'x-plivo-signature-v2',
  'x-plivo-signature-ma-v2',
];

/** Unsigned requests are refused before the body is even parsed; signed ones are verified over it. */
const rejectUnsigned = (deps: Deps): Middleware => ({
  before: async (request) => {
    const headers = request.event.headers ?? {};
    const present = Object.keys(headers).some((h) => signatureHeaders.includes(h.toLowerCase()));
    if (!present) {
      deps.metrics.count('SignaturesRefused', { reason: 'missing' });
      throw new HttpError(403, 'bad_signature', 'Missing Plivo signature headers');
    }
  },
});

/** Records the nonce of a V2-signed request that changed nothing: `used` when another used it first. */
export type RecordV2Nonce = (
  db: Deps['db'],
  use: V2NonceUse,
  now: number,
) => Promise<'recorded' | 'used'>;

export interface WebhookOptions {
  /**
   * Also accept V2 signatures, unless the configuration turns them off (`plivo.acceptV2Signatures`),
   * using each nonce once with `recordNonce`. V2 signs only the URL and nonce, not the body, so it is
   * accepted only where Plivo may send nothing newer: the message webhook (which version it uses is not
   * documented). Voice callbacks always carry V3. The operation's function is handed in rather than
   * imported here, so that only a function accepting V2 bundles it: table permissions follow the
   * bundles (infra/functions.ts).
   */
  readonly acceptV2?: { readonly recordNonce: RecordV2Nonce };
}

const plivoSignature = (deps: Deps, options: WebhookOptions): Middleware => ({
  before: async (request) => {
    const parsed = request.event.parsed;
    if (!parsed) throw new Error('body not parsed before signature check');
    const base = requestBaseUrl(deps.publicBaseUrl, parsed);
    const url = `${base}${parsed.path}${parsed.rawQuery ? `?${parsed.rawQuery}` : ''}`;
    const verdict = verifyPlivoSignature({
      method: 'POST',
      url,
      params: parsed.signedParams,
      headers: parsed.headers,
      authToken: await deps.plivoAuthToken(),
    });
    const v2Accepted = options.acceptV2 !== undefined && deps.config.plivo.acceptV2Signatures;
    if (!verdict.ok || (verdict.version === 'v2' && !v2Accepted)) {
      deps.metrics.count('SignaturesRefused', { reason: 'invalid' });
      throw new HttpError(403, 'bad_signature', 'Plivo signature does not verify');
    }
    const nonce = parsed.headers[`x-plivo-signature-${verdict.version}-nonce`] ?? '';
    request.event.parsed = { ...parsed, signature: { version: verdict.version, nonce } };
  },
});

/**
 * The use of a V2-signed request's nonce, for a handler that changes state on it: the change and the
 * nonce go in one transaction (store/writes/permission-reply.ts says why that order is the safe one).
 */
export const v2NonceUse = (request: ParsedRequest, context: Context): V2NonceUse | undefined =>
  request.signature?.version === 'v2'
    ? { nonce: request.signature.nonce, useId: context.awsRequestId }
    : undefined;

export const replayedSignature = (deps: Deps): HttpError => {
  deps.metrics.count('SignaturesRefused', { reason: 'replayed' });
  return new HttpError(403, 'bad_signature', 'This V2 signature was already used');
};

/** A refusal of what was sent (4xx), as opposed to a fault (5xx) after which Plivo retries. */
const refusedRequest = (error: unknown): boolean =>
  error instanceof ZodError ||
  (error instanceof HttpError && error.status < 500 && error.code !== 'bad_signature');

/**
 * V2 signs no body: its nonce is all that ties a signature to one request, so every nonce is used
 * once, whatever the request did. A change made on a V2 request records the nonce in its own
 * transaction (`v2NonceUse`); every other answer, 2xx or 4xx, changed nothing and records it here
 * before it is sent, and becomes 403 when another request used the nonce first. A fault (5xx) records
 * nothing: nothing happened, and Plivo retries.
 */
const v2NonceOnce = (deps: Deps, recordNonce: RecordV2Nonce): Middleware => {
  const record = async (event: CallgateEvent, context: Context) => {
    const use = event.parsed && v2NonceUse(event.parsed, context);
    if (use && (await recordNonce(deps.db, use, deps.clock())) === 'used') {
      throw replayedSignature(deps);
    }
  };
  return {
    after: async (request) => record(request.event, request.context),
    onError: async (request) => {
      if (!refusedRequest(request.error)) return;
      try {
        await record(request.event, request.context);
      } catch (error) {
        request.error = error as Error;
      }
    },
  };
};

/** What the API-key authorizer hands the route (functions/api-key-authorizer/handler.ts). */
interface KeyContext {
  readonly keyId?: unknown;
  readonly keyName?: unknown;
  readonly scopes?: unknown;
}

const keyContextOf = (event: CallgateEvent): KeyContext | undefined =>
  (event.requestContext as { authorizer?: { lambda?: KeyContext } } | undefined)?.authorizer
    ?.lambda;

/**
 * The scope check of a route whose group takes API keys. The authorizer's answer is cached per key for
 * every route, so it cannot check the route's scope itself: it hands the key's scopes on and this
 * checks them. No key context on such a route means no authorizer ran: refused, never served open.
 */
const apiKeyScope = (deps: Deps): Middleware => ({
  before: async (request) => {
    const route = routeOfKey(request.event.routeKey ?? '');
    if (route?.auth !== 'business' || authOfScope(deps.config.api, route.scope) !== 'api-key') {
      return;
    }
    const scopes = keyContextOf(request.event)?.scopes;
    if (typeof scopes !== 'string') {
      throw new HttpError(401, 'unauthorized', 'This route needs an API key');
    }
    const missing = missingScope(scopes, route.scope);
    if (missing) throw new HttpError(403, 'forbidden', `This API key lacks the scope ${missing}`);
  },
});

const run =
  (handler: RouteHandler) =>
  async (event: CallgateEvent, context: Context): Promise<Result> => {
    if (!event.parsed) throw new Error('request not parsed');
    return handler(event.parsed, context);
  };

/**
 * A route Plivo calls: POST only (405 otherwise), parsed form or JSON body, Plivo signature verified
 * (403 otherwise), a V2 nonce used once where V2 is accepted.
 */
export const plivoWebhook = (
  deps: Deps,
  handler: RouteHandler,
  options: WebhookOptions = {},
): LambdaHandler => {
  const webhook = middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(postOnly())
    .use(rejectUnsigned(deps))
    .use(parseBody())
    .use(plivoSignature(deps, options))
    .use(correlationId(deps));
  if (options.acceptV2) webhook.use(v2NonceOnce(deps, options.acceptV2.recordNonce));
  return webhook.handler(run(handler)) as LambdaHandler;
};

/**
 * A route of the business API: IAM or an API key (its scope checked here) as the configuration says
 * for the route's group; locally the host stands in for API Gateway's authorizers. Its bodies
 * are JSON (415 otherwise): a JSON text sent as a form (`curl -d` without a Content-Type) would
 * otherwise be read as one form field named after the whole text.
 */
export const businessApi = (deps: Deps, handler: RouteHandler): LambdaHandler =>
  middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(callerName(deps))
    .use(apiKeyScope(deps))
    .use(parseBody('json'))
    .use(correlationId(deps))
    .handler(run(handler)) as LambdaHandler;

/** A route with no caller to authenticate (health). */
export const openRoute = (deps: Deps, handler: RouteHandler): LambdaHandler =>
  middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(parseBody())
    .handler(run(handler)) as LambdaHandler;
