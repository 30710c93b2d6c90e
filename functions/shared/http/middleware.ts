import { createHash, timingSafeEqual } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Deps } from '../deps.js';
import { verifyPlivoSignature } from '../plivo/signature.js';
import { HttpError } from './errors.js';
import { type ParsedRequest, parseRequest } from './request.js';
import { errorResponse } from './respond.js';

export type Result = APIGatewayProxyStructuredResultV2;
export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;
export type RouteHandler = (request: ParsedRequest, context: Context) => Promise<Result>;

interface CallgateEvent extends APIGatewayProxyEventV2 {
  parsed?: ParsedRequest;
}

type Middleware = MiddlewareObj<CallgateEvent, Result, Error, Context>;

/** Every failure becomes the contract's JSON error; anything unexpected is logged and answered 5xx without internals. */
const contractErrors = (deps: Deps): Middleware => ({
  onError: async (request) => {
    const response = errorResponse(request.error, deps.logger);
    deps.logger.info('request refused', {
      path: request.event.rawPath,
      status: response.statusCode,
    });
    request.response = response;
  },
});

const parseBody = (): Middleware => ({
  before: async (request) => {
    request.event.parsed = parseRequest(request.event);
  },
});

const signatureHeaders = [
  'x-plivo-signature-v3',
  'x-plivo-signature-ma-v3',
  'x-plivo-signature-v2',
  'x-plivo-signature-ma-v2',
];

/** Unsigned requests are refused before the body is even parsed; signed ones are verified over it. */
const rejectUnsigned = (): Middleware => ({
  before: async (request) => {
    const headers = request.event.headers ?? {};
    const present = Object.keys(headers).some((h) => signatureHeaders.includes(h.toLowerCase()));
    if (!present) throw new HttpError(403, 'bad_signature', 'Missing Plivo signature headers');
  },
});

export interface WebhookOptions {
  /**
   * Also accept V2 signatures. V2 signs only the URL and nonce, not the body, so it is accepted only
   * where Plivo may send nothing newer: the message webhook (which version it uses is not documented).
   * Voice callbacks always carry V3.
   */
  readonly acceptV2?: boolean;
}

const plivoSignature = (deps: Deps, options: WebhookOptions): Middleware => ({
  before: async (request) => {
    const parsed = request.event.parsed;
    if (!parsed) throw new Error('body not parsed before signature check');
    const url = `${deps.publicBaseUrl}${parsed.path}${parsed.rawQuery ? `?${parsed.rawQuery}` : ''}`;
    const verdict = verifyPlivoSignature({
      method: parsed.method === 'GET' ? 'GET' : 'POST',
      url,
      params: parsed.signedParams,
      headers: parsed.headers,
      authToken: await deps.plivoAuthToken(),
    });
    if (!verdict.ok || (verdict.version === 'v2' && !options.acceptV2)) {
      throw new HttpError(403, 'bad_signature', 'Plivo signature does not verify');
    }
    const nonce = parsed.headers[`x-plivo-signature-${verdict.version}-nonce`] ?? '';
    request.event.parsed = { ...parsed, signature: { version: verdict.version, nonce } };
  },
});

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

const bearerToken = (deps: Deps): Middleware => ({
  before: async (request) => {
    if (!deps.apiToken) return;
    const header = request.event.parsed?.headers.authorization ?? '';
    if (!timingSafeEqual(sha256(header), sha256(`Bearer ${deps.apiToken}`))) {
      throw new HttpError(401, 'unauthorized', 'Missing or wrong bearer token');
    }
  },
});

const run =
  (handler: RouteHandler) =>
  async (event: CallgateEvent, context: Context): Promise<Result> => {
    if (!event.parsed) throw new Error('request not parsed');
    return handler(event.parsed, context);
  };

/** A route Plivo calls: parsed form or JSON body, Plivo signature verified (403 otherwise). */
export const plivoWebhook = (
  deps: Deps,
  handler: RouteHandler,
  options: WebhookOptions = {},
): LambdaHandler =>
  middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(rejectUnsigned())
    .use(parseBody())
    .use(plivoSignature(deps, options))
    .handler(run(handler)) as LambdaHandler;

/** A route of the business API: IAM-authorized on AWS, bearer token locally when configured. */
export const businessApi = (deps: Deps, handler: RouteHandler): LambdaHandler =>
  middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(parseBody())
    .use(bearerToken(deps))
    .handler(run(handler)) as LambdaHandler;

/** A route with no caller to authenticate (health). */
export const openRoute = (deps: Deps, handler: RouteHandler): LambdaHandler =>
  middy<CallgateEvent, Result, Error, Context>()
    .use(contractErrors(deps))
    .use(parseBody())
    .handler(run(handler)) as LambdaHandler;
