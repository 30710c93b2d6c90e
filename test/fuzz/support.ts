/**
 * Shared pieces of the fuzz suites: seeds, payload-v2 events as API Gateway HTTP API builds them, the
 * response contract every route must keep, and table snapshots for "no state change".
 */

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { ErrorCode } from '../../functions/shared/http/errors.js';
import type { Result } from '../../functions/shared/http/middleware.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import type { Route } from '../../functions/shared/routes.js';
import type { Db } from '../../functions/shared/store/client.js';
import { scanTable } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';

/** Every code of the contract at run time; the type check below fails when ErrorCode gains one. */
export const errorCodes = [
  'invalid_request',
  'invalid_cursor',
  'invalid_number',
  'unknown_business_number',
  'country_restricted',
  'no_permission',
  'permission_expired',
  'permission_revoked',
  'permission_rejected',
  'permission_active',
  'daily_call_limit',
  'request_limit',
  'concurrency_limit',
  'cps_limit',
  'number_paused',
  'bsuid_not_dialable',
  'bsuid_not_messageable',
  'idempotency_conflict',
  'idempotency_key_reused',
  'intent_placed',
  'window_closed',
  'free_form_off',
  'plivo_error',
  'plivo_outcome_unknown',
  'bad_signature',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal_error',
] as const satisfies readonly ErrorCode[];
const everyCodeListed: [Exclude<ErrorCode, (typeof errorCodes)[number]>] extends [never]
  ? true
  : never = true;
void everyCodeListed;

/**
 * Fixed seeds keep CI deterministic. `FUZZ_SEED=random` (or a number) explores locally;
 * fast-check prints the seed and path of any counterexample so it can be replayed.
 * `FUZZ_RUNS` scales the case count (default 1,000 per route and mode).
 */
export const fuzzOptions = (fixedSeed: number) => {
  const env = process.env.FUZZ_SEED;
  const seed =
    env === undefined || env === ''
      ? fixedSeed
      : env === 'random'
        ? (Math.random() * 2 ** 31) | 0
        : Number(env);
  if (env === 'random') console.info(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return { seed, numRuns: Number(process.env.FUZZ_RUNS ?? 1000), endOnFailure: true };
};

/** The request as a client sends it, before API Gateway turns it into an event. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /**
   * How the event carries the body: as HTTP API does it (text types as text, the rest base64), or
   * the flag set on a body that is not base64 at all, or text with the flag unset whatever the type.
   */
  readonly encoding: 'as-api-gateway' | 'base64-flag-on-raw' | 'text';
}

const passedAsText = (contentType: string): boolean =>
  /^(application\/(json|[\w.+-]+\+json)|text\/)/i.test(contentType);

/** The payload-v2 event HTTP API would send; header names lower-cased, as HTTP API delivers them. */
export const payloadV2Event = (
  route: Route,
  request: FuzzRequest,
  pathParameters: Record<string, string> = {},
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  const query = request.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const hasBody = request.body.length > 0;
  let body: { body?: string; isBase64Encoded: boolean };
  if (!hasBody) body = { isBase64Encoded: false };
  else if (request.encoding === 'base64-flag-on-raw')
    body = { body: request.body.toString('latin1'), isBase64Encoded: true };
  else if (request.encoding === 'text' || passedAsText(headers['content-type'] ?? ''))
    body = { body: request.body.toString('utf8'), isBase64Encoded: false };
  else body = { body: request.body.toString('base64'), isBase64Encoded: true };
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: request.path,
    rawQueryString,
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: { ...query } } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: 'fuzz',
      apiId: 'fuzz',
      domainName: 'callgate.test',
      domainPrefix: 'callgate',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: 'fuzz',
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...body,
  };
};

const headerValue = (result: Result, name: string): string | undefined => {
  const headers = (result.headers ?? {}) as Record<string, unknown>;
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found === undefined ? undefined : String(found[1]);
};

/**
 * The contract every answer keeps, whatever came in: no 5xx; an error is `{error, message,
 * retryAfter? | requestPermissionAfter?}` with a known code; a 200 in XML is well-formed. Returns the status.
 */
export const expectContract = (result: Result, context: string): number => {
  const status = result.statusCode ?? 200;
  expect(status, `${context}: ${result.body}`).toBeGreaterThanOrEqual(200);
  expect(status, `${context}: ${result.body}`).toBeLessThan(500);
  const contentType = headerValue(result, 'content-type') ?? '';
  if (status >= 400) {
    expect(contentType, context).toBe('application/json');
    const body = JSON.parse(result.body ?? '') as Record<string, unknown>;
    const hint = ['retryAfter', 'requestPermissionAfter'].filter((key) => key in body);
    // One or the other: the request may succeed later, or only a permission request may.
    expect(hint.length, context).toBeLessThanOrEqual(1);
    expect(Object.keys(body).sort(), context).toEqual(['error', 'message', ...hint]);
    expect(errorCodes, context).toContain(body.error);
    expect(typeof body.message, context).toBe('string');
    for (const key of hint) expect(Number.isInteger(body[key]), context).toBe(true);
  } else if (contentType === 'application/xml') {
    expect(XMLValidator.validate(result.body ?? ''), `${context}: ${result.body}`).toBe(true);
  } else {
    expect(contentType, context).toBe('application/json');
    JSON.parse(result.body ?? '');
  }
  return status;
};

/** Every item of the table, in key order: equal snapshots mean nothing was written. */
export const snapshotTable = async (db: Db): Promise<string> => {
  const items = await scanTable(db);
  const key = (item: Record<string, unknown>) => `${item.pk}\u0000${item.sk}`;
  items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return JSON.stringify(items);
};

// ---------- generators ----------

/** Strings with what breaks parsers: NUL, control chars, lone surrogates, %-escapes, long runs. */
export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '%',
      '%zz',
      '%E0%A4%A',
      '\ud800',
      '+',
      '=',
      '&&&',
      '\r\n',
      '<Response/>',
      ']]>',
      '"\'><script>',
      'null',
      'true',
      '0',
      '-1',
      '1e309',
      'NaN',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      plivoDigits(exampleNumbers.india),
      exampleNumbers.india,
      '919412341234',
      '+919412341234',
      'sip:support@phone.plivo.com',
      '00000000-0000-4000-8000-000000000000',
    ),
    fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
  );

/** Field names Plivo and the API use, prototype keys, and anything at all. */
export const fieldName = (known: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString') },
    { weight: 1, arbitrary: fc.constantFrom(...known).map((k) => k.toUpperCase()) },
    { weight: 2, arbitrary: nastyString() },
  );

/** A JSON value of any shape: wrong types, numbers for strings, deep nesting, prototype keys. */
export const jsonValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 2, arbitrary: nastyString() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        Number(plivoDigits(exampleNumbers.india)),
        1e308,
        -0,
        0.5,
        true,
        false,
        null,
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: 2_000 })
        .map((depth) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
    },
  );

/** A JSON object whose fields are the route's, prototype keys or anything; values of any type. */
export const jsonObjectText = (
  known: readonly string[],
  value: fc.Arbitrary<unknown>,
): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fieldName(known), fc.oneof(value, jsonValue())), { maxLength: 8 })
    // Written by hand so that `__proto__` and duplicate keys reach the parser as sent.
    .map(
      (entries) =>
        `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`,
    );

/** A form body: known fields with fuzzed values, duplicates, raw bytes, broken %-escapes. */
export const formText = (
  known: readonly string[],
  value: fc.Arbitrary<string>,
): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .array(fc.tuple(fieldName(known), fc.oneof(value, nastyString())), { maxLength: 10 })
      .map((entries) => new URLSearchParams(entries).toString()),
    fc
      .array(fc.tuple(fieldName(known), nastyString()), { maxLength: 6 })
      // Not encoded at all: what a broken client sends.
      .map((entries) => entries.map(([k, v]) => `${k}=${v}`).join('&')),
  );

const contentTypeBases = [
  'application/x-www-form-urlencoded',
  'application/json',
  'application/vnd.plivo+json',
  'text/plain',
  'text/xml',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  '',
  'form',
  '*/*',
];

/** Content types with odd casing, charsets and parameters, or missing. */
export const contentType = (): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...contentTypeBases),
          fc.constantFrom('', '; charset=utf-8', '; charset=ISO-8859-1', ';charset="UTF-16"', ';'),
          fc.boolean(),
        )
        .map(([base, params, upper]) => `${upper ? base.toUpperCase() : base}${params}`),
    },
  );

/** Header names in any casing, with the content type (or not) and noise. */
export const headers = (type: fc.Arbitrary<string | undefined>) =>
  fc
    .tuple(
      type,
      fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE', 'cOnTeNt-TyPe'),
      fc.dictionary(
        fc.constantFrom('x-forwarded-for', 'Idempotency-Key', 'authorization', 'X-Custom', 'host'),
        nastyString().map((v) => v.slice(0, 300)),
        { maxKeys: 3 },
      ),
    )
    .map(([type, name, rest]) => ({ ...rest, ...(type === undefined ? {} : { [name]: type }) }));

export const encoding = (): fc.Arbitrary<FuzzRequest['encoding']> =>
  fc.constantFrom('as-api-gateway', 'as-api-gateway', 'base64-flag-on-raw', 'text');

/** A body of the given kind, or raw bytes, or just over the size limit. */
export const body = (
  form: fc.Arbitrary<string>,
  json: fc.Arbitrary<string>,
): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 4, arbitrary: form.map((t) => Buffer.from(t, 'utf8')) },
    { weight: 4, arbitrary: json.map((t) => Buffer.from(t, 'utf8')) },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 60 }).map((t) => Buffer.from(`{"from":${t}`, 'utf8')),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 64 * 1024 - 2, max: 64 * 1024 + 2 })
        .map((n) => Buffer.from(`a=${'b'.repeat(n)}`)),
    },
  );
