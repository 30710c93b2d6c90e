/**
 * The typed client of callgate's `/v1` API: one method per route (client/endpoints.ts), each answering
 * a typed outcome. It resends a 503 or a 429 after the wait the answer names, with the same
 * Idempotency-Key, while that wait is short; a longer one (a daily limit) is the caller's refusal.
 */
import { randomUUID } from 'node:crypto';
import { type ErrorBody, type ErrorCode, errorStatuses } from '../functions/shared/api/errors.js';
import { type EndpointName, endpointPath, endpoints } from './endpoints.js';
import { type RequestSigner, type SigV4Credentials, sigV4Signer } from './sigv4.js';
import type {
  CallList,
  CallLogView,
  CreateIntentRequest,
  Health,
  IntentList,
  IntentView,
  ListCallsQuery,
  ListIntentsQuery,
  PairPermission,
  PairRef,
  PauseLift,
  PermissionCorrection,
  PermissionRequestBody,
  PermissionRequestSent,
  PlaceCallRequest,
  PlacedCall,
} from './types.js';

export type ClientAuth =
  /** IAM: SigV4 with credentials from the usual AWS chain unless given. */
  | {
      readonly kind: 'sigv4';
      readonly region: string;
      readonly credentials?: SigV4Credentials;
    }
  /** An API key, or the local host's API_TOKEN: `authorization: Bearer <key>`. */
  | { readonly kind: 'apiKey'; readonly key: string }
  /** The local host without API_TOKEN. */
  | { readonly kind: 'none' };

export interface Retry {
  /** The attempt about to be sent (2 for the first resend). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The answer that is resent, and the seconds waited before it is. */
  readonly status: number;
  readonly code: ErrorCode;
  readonly waitSeconds: number;
}

export interface ClientOptions {
  /** `https://api.example.com` or `http://127.0.0.1:3000`: the routes' paths are appended to it. */
  readonly baseUrl: string;
  readonly auth: ClientAuth;
  /** Sends of one request in all, the first included (3 by default). */
  readonly maxAttempts?: number;
  /** The longest wait that is resent rather than answered (10 s by default). */
  readonly maxRetryWaitSeconds?: number;
  /** Waits before a resend; tests inject one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told before each resend (the CLI prints a progress line). */
  readonly onRetry?: (retry: Retry) => void;
}

export interface ClientError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Seconds after which the same request may succeed. */
  readonly retryAfter?: number;
  /** The refusal's other fields (`requestPermissionAfter`, a pause's `reason` and `pausedUntil`). */
  readonly details?: Omit<ErrorBody, 'error' | 'message' | 'retryAfter'>;
}

/** `status` 0: no answer came (the connection failed); the error is then `unavailable`. */
export type Outcome<T> =
  | { readonly ok: true; readonly status: number; readonly body: T }
  | { readonly ok: false; readonly status: number; readonly error: ClientError };

const isErrorCode = (value: string): value is ErrorCode => Object.hasOwn(errorStatuses, value);

/**
 * The code of an answer that is not callgate's error body: API Gateway's own refusals
 * (`{"message":"Forbidden"}` for a signature IAM refuses, `Too Many Requests` for its throttling).
 */
const codeOfStatus = (status: number): ErrorCode => {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'unavailable';
  return status < 500 ? 'invalid_request' : 'internal_error';
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Seconds, from the body's `retryAfter` or else the `Retry-After` header (seconds or an HTTP date). */
const retryAfterOf = (body: unknown, header: string | null, now: number): number | undefined => {
  if (isRecord(body) && typeof body.retryAfter === 'number' && body.retryAfter >= 0) {
    return body.retryAfter;
  }
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
};

const errorOf = (status: number, body: unknown, retryAfter: number | undefined): ClientError => {
  const base = { ...(retryAfter === undefined ? {} : { retryAfter }) };
  if (isRecord(body) && typeof body.error === 'string' && isErrorCode(body.error)) {
    const { error, message, retryAfter: _, ...details } = body;
    return {
      code: body.error,
      message: typeof message === 'string' ? message : error,
      ...base,
      ...(Object.keys(details).length > 0 ? { details: details as ClientError['details'] } : {}),
    };
  }
  const message =
    isRecord(body) && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  return { code: codeOfStatus(status), message, ...base };
};

const queryString = (query: Readonly<Record<string, string | number | undefined>>): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
};

interface Send {
  readonly endpoint: EndpointName;
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const createClient = (options: ClientOptions) => {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const maxAttempts = options.maxAttempts ?? 3;
  const maxWait = options.maxRetryWaitSeconds ?? 10;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const auth = options.auth;
  const signer: RequestSigner | undefined =
    auth.kind === 'sigv4'
      ? sigV4Signer({ region: auth.region, credentials: auth.credentials })
      : undefined;

  const headersFor = async (
    method: string,
    url: URL,
    body: string | undefined,
    extra: Readonly<Record<string, string>>,
  ): Promise<Record<string, string>> => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra,
    };
    if (auth.kind === 'apiKey') headers.authorization = `Bearer ${auth.key}`;
    if (!signer) return headers;
    // fetch sets the host itself, from the same URL the signature covers.
    const { host: _, ...signed } = await signer({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    return signed;
  };

  const send = async <T>({
    endpoint,
    params,
    query,
    body,
    headers = {},
  }: Send): Promise<Outcome<T>> => {
    const { method } = endpoints[endpoint];
    const url = new URL(`${baseUrl}${endpointPath(endpoint, params)}${queryString(query ?? {})}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: await headersFor(method, url, text, headers),
          ...(text === undefined ? {} : { body: text }),
        });
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        return {
          ok: false,
          status: 0,
          error: {
            code: 'unavailable',
            message: `no answer from ${url.origin}: ${cause instanceof Error ? cause.message : String(cause)}`,
          },
        };
      }
      const answer = parseJson(await response.text());
      if (response.ok) return { ok: true, status: response.status, body: answer as T };
      const retryAfter = retryAfterOf(answer, response.headers.get('retry-after'), Date.now());
      const error = errorOf(response.status, answer, retryAfter);
      const transient = response.status === 503 || response.status === 429;
      // API Gateway's throttling names no wait: a second is what its token bucket refills in.
      const wait = retryAfter ?? 1;
      if (!transient || attempt >= maxAttempts || wait > maxWait) {
        return { ok: false, status: response.status, error };
      }
      options.onRetry?.({
        attempt: attempt + 1,
        maxAttempts,
        status: response.status,
        code: error.code,
        waitSeconds: wait,
      });
      await sleep(wait * 1000);
    }
  };

  return {
    /** POST /v1/calls. Resends carry the same Idempotency-Key: one is drawn when none is given. */
    placeCall: (request: PlaceCallRequest, options: { readonly idempotencyKey?: string } = {}) =>
      send<PlacedCall>({
        endpoint: 'placeCall',
        body: request,
        headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
      }),
    readCall: (callId: string) => send<CallLogView>({ endpoint: 'readCall', params: { callId } }),
    listCalls: (query: ListCallsQuery) =>
      send<CallList>({ endpoint: 'listCalls', query: { ...query } }),
    requestPermission: (request: PermissionRequestBody) =>
      send<PermissionRequestSent>({ endpoint: 'requestPermission', body: request }),
    permissionState: (pair: PairRef) =>
      send<PairPermission>({ endpoint: 'permissionState', params: { ...pair } }),
    correctPermission: (pair: PairRef, correction: PermissionCorrection) =>
      send<PairPermission>({
        endpoint: 'correctPermission',
        params: { ...pair },
        body: correction,
      }),
    createIntent: (request: CreateIntentRequest) =>
      send<IntentView>({ endpoint: 'createIntent', body: request }),
    readIntent: (intentId: string) =>
      send<IntentView>({ endpoint: 'readIntent', params: { intentId } }),
    cancelIntent: (intentId: string) =>
      send<IntentView>({ endpoint: 'cancelIntent', params: { intentId } }),
    listIntents: (query: ListIntentsQuery) =>
      send<IntentList>({ endpoint: 'listIntents', query: { ...query } }),
    liftPause: (business: string) =>
      send<PauseLift>({ endpoint: 'liftPause', params: { business } }),
    health: () => send<Health>({ endpoint: 'health' }),
  } satisfies Record<EndpointName, unknown>;
};

export type Client = ReturnType<typeof createClient>;
