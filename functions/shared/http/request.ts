import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './errors.js';

/** API Gateway allows 10 MB; nothing callgate is sent comes near 64 KB. */
export const maxBodyBytes = 64 * 1024;

/** Nothing callgate reads is nested deeper than 4 levels; the margin is for Plivo's own fields. */
export const maxJsonDepth = 32;

export interface ParsedRequest {
  readonly method: string;
  /** The route's path as the caller addressed it, without an API Gateway stage prefix. */
  readonly path: string;
  /** `/<stage>` when the request came through a named stage's URL (the stage prefixed the path), else ''. */
  readonly stagePrefix: string;
  readonly rawQuery: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  /** Form fields (strings) or the JSON object's fields. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The body as Plivo signs it: every field a string, a repeated form field as a list. */
  readonly signedParams: Readonly<Record<string, string | readonly string[]>>;
  /** Set on the business API: who called (http/actor.ts), for its log lines and what it writes. */
  readonly actor?: string;
  /** Set on webhooks once the Plivo signature verified. */
  readonly signature?: { readonly version: 'v3' | 'v2'; readonly nonce: string };
}

const lowerCaseHeaders = (headers: APIGatewayProxyEventV2['headers']) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

const decodeBody = (event: APIGatewayProxyEventV2): string => {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBodyBytes) {
    throw new HttpError(413, 'payload_too_large', `Body is over ${maxBodyBytes} bytes`);
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text;
};

const parseForm = (text: string) => {
  // Maps, not object literals: a field named `__proto__` or `toString` must stay an ordinary field.
  const body = new Map<string, string>();
  const signed = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(text)) {
    if (!body.has(key)) body.set(key, value);
    const previous = signed.get(key);
    signed.set(
      key,
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [previous, value],
    );
  }
  return { body: Object.fromEntries(body), signed: Object.fromEntries(signed) };
};

/**
 * How deep the arrays and objects of a JSON text nest, counted on the text. JSON.parse takes thousands of
 * levels, but what walks the value afterwards (JSON.stringify for the signature, zod) recurses and
 * overflows the stack; JSON.parse has no depth limit and no library here has one, hence this scan.
 * Stops counting once past `limit`.
 */
const jsonDepthOver = (text: string, limit: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character, so `\"` does not end the string.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
};

const parseJson = (text: string) => {
  if (jsonDepthOver(text, maxJsonDepth)) {
    throw new HttpError(
      400,
      'invalid_request',
      `Body is nested more than ${maxJsonDepth} levels deep`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_request', 'Body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'invalid_request', 'Body must be a JSON object');
  }
  const body = value as Record<string, unknown>;
  const signed = Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return { body, signed };
};

/**
 * The public base URL the request was made under: the configured one, with the named stage the request
 * came through when the configuration leaves it out. Plivo signs the URL it called, and the callbacks
 * callgate gives it must come back through the same stage.
 */
export const requestBaseUrl = (publicBaseUrl: string, request: ParsedRequest): string =>
  request.stagePrefix === '' || publicBaseUrl.endsWith(request.stagePrefix)
    ? publicBaseUrl
    : `${publicBaseUrl}${request.stagePrefix}`;

/** What a route's body may be: Plivo's webhooks post forms (or JSON), the business API takes JSON. */
export type BodyMedia = 'form_or_json' | 'json';

const unsupportedMedia = (accepted: BodyMedia): HttpError =>
  new HttpError(
    415,
    'unsupported_media_type',
    accepted === 'json'
      ? 'Send the body as JSON with Content-Type: application/json'
      : 'Send application/x-www-form-urlencoded or application/json',
  );

/** Turns an HTTP API payload-v2 event into a request the handlers can trust the shape of. */
export const parseRequest = (
  event: APIGatewayProxyEventV2,
  accepted: BodyMedia = 'form_or_json',
): ParsedRequest => {
  const headers = lowerCaseHeaders(event.headers);
  const method = event.requestContext?.http?.method ?? 'GET';
  const stage = event.requestContext?.stage;
  const rawPath = event.rawPath ?? '/';
  // Through the generated endpoint a named stage prefixes the path; through a custom domain it does not.
  const stagePrefix =
    stage && stage !== '$default' && rawPath.startsWith(`/${stage}/`) ? `/${stage}` : '';
  const path = rawPath.slice(stagePrefix.length);
  const text = decodeBody(event);
  // API Gateway joins a repeated header with commas: the same media type sent twice is still that type.
  const mediaTypes = new Set(
    (headers['content-type'] ?? '')
      .split(',')
      .map((value) => value.split(';')[0]?.trim().toLowerCase() ?? '')
      .filter((value) => value !== ''),
  );
  const contentType = mediaTypes.size === 1 ? ([...mediaTypes][0] as string) : '';
  let parsed: { body: Record<string, unknown>; signed: Record<string, string | string[]> };
  if (text.trim() === '') {
    parsed = { body: {}, signed: {} };
  } else if (contentType === 'application/x-www-form-urlencoded' && accepted === 'form_or_json') {
    parsed = parseForm(text);
  } else if (contentType === 'application/json' || contentType.endsWith('+json')) {
    parsed = parseJson(text);
  } else {
    throw unsupportedMedia(accepted);
  }
  return {
    method,
    path,
    stagePrefix,
    rawQuery: event.rawQueryString ?? '',
    query: Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    ),
    headers,
    pathParameters: event.pathParameters ?? {},
    body: parsed.body,
    signedParams: parsed.signed,
  };
};
