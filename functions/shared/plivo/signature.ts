/**
 * Plivo webhook signatures (V3 and V2), verified without the `plivo` SDK.
 *
 * Why not the SDK: `plivo` is ~1 MB of CommonJS (lodash, axios, xml builders…) and is slow to load
 * in a Lambda cold start, just to compute one HMAC. This module depends only on Node built-ins:
 * `node:crypto` for the HMAC and `node:querystring` (built in, no install) so that query strings are
 * decoded exactly as the SDK decodes them. The SDK 4.79 (`dist/utils/v3Security.js`, `security.js`)
 * is the oracle: test/unit/plivo/signature.test.ts checks, property by property, that both compute the
 * same signatures.
 *
 * Differences from the SDK, on purpose:
 * - Non-ASCII: the SDK runs `utf8.encode()` on the url, nonce and token (turning them into "binary
 *   strings", one char per UTF-8 byte) and then passes them to `hmac.update(string)` /
 *   `createHmac(alg, string)`, which UTF-8-encode them AGAIN: any non-ASCII char in the url or the
 *   token is double-encoded (its params, which it does not `utf8.encode`, are encoded once).
 *   Plivo's servers (and the Python SDK) sign the UTF-8 bytes once, so we hash the UTF-8 bytes once.
 *   For ASCII input, which is what Plivo sends in practice (urls are percent-encoded), both agree.
 * - Comparison is constant-time (the SDK uses `===`), every candidate signature is checked (no
 *   early exit), and surrounding whitespace around comma-separated signatures is ignored.
 * - The SDK builds its maps on plain objects, so it crashes or drops keys named like
 *   `Object.prototype` members (`__proto__`, `constructor`…); we use Maps and treat them as data.
 *
 * Nothing in this module logs.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';

/** Form / JSON body params as strings; a repeated key holds its values as an array. */
export type SignatureParams = Readonly<Record<string, string | readonly string[]>>;

export type SignatureMethod = 'GET' | 'POST';

export interface V3SignatureInput {
  readonly method: SignatureMethod;
  /** The full url Plivo called (scheme, host, optional port, path, optional query; fragment ignored). */
  readonly url: string;
  /** Body params (POST) or extra query params (GET); defaults to none. */
  readonly params?: SignatureParams;
  readonly nonce: string;
  readonly authToken: string;
}

export interface V2SignatureInput {
  readonly url: string;
  readonly nonce: string;
  readonly authToken: string;
}

/** Lower-cased header names. */
export type LowerCaseHeaders = Readonly<Record<string, string | undefined>>;

export interface VerifyInput {
  readonly method: SignatureMethod;
  readonly url: string;
  readonly params?: SignatureParams;
  readonly headers: LowerCaseHeaders;
  readonly authToken: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly version: 'v3' | 'v2' }
  | { readonly ok: false; readonly reason: string };

export const PLIVO_SIGNATURE_HEADERS = {
  v3: 'x-plivo-signature-v3',
  maV3: 'x-plivo-signature-ma-v3',
  v3Nonce: 'x-plivo-signature-v3-nonce',
  v2: 'x-plivo-signature-v2',
  maV2: 'x-plivo-signature-ma-v2',
  v2Nonce: 'x-plivo-signature-v2-nonce',
} as const;

/**
 * The SDK parses urls with `uri-parser` 1.0.1, i.e. Steven Levithan's parseUri 1.2.2 (MIT) in its
 * default "loose" mode. The same regex is used here so that odd urls split exactly as in the SDK.
 * Groups: 1 protocol, 6 host, 7 port, 9 path, 12 query, 13 anchor (the fragment, ignored).
 */
const LOOSE_URI =
  /^(?:(?![^:@]+:[^:@/]*@)([^:/?#.]+):)?(?:\/\/)?((?:(([^:@]*)(?::([^:@]*))?)?@)?([^:/?#]*)(?::(\d*))?)(((\/(?:[^?#](?![^?#/]*\.[^?#/.]+(?:[?#]|$)))*\/?)?([^?#/]*))(?:\?([^#]*))?(?:#(.*))?)/;

interface ParsedUrl {
  /** protocol://host[:port]/path, as the SDK's `buildUrl(protocol + proxy, { path })` builds it. */
  readonly base: string;
  /** Raw query string (without `?`), '' when none. */
  readonly query: string;
  /**
   * False when the loose parse would make the signed string ignore part of the url: an `@` that it
   * takes for userinfo (even in the query: `https://h/a?x=1@h/b` signs as `https://h/b`), an
   * unparsed tail (`https://h:abc/p` signs as `https://h/abc`), no http(s) scheme or no host.
   * computeV3/V2Signature still reproduce the SDK for such urls; verifyPlivoSignature refuses
   * them, so a signature made for one endpoint cannot be replayed to another through the quirk.
   */
  readonly sane: boolean;
}

function parseUrl(url: string): ParsedUrl {
  // The loose regex cannot fail (every part is optional), but keep strict-mode TypeScript happy.
  // Stryker disable OptionalChaining: m is never null
  const m = LOOSE_URI.exec(url);
  const protocol = m?.[1] ?? '';
  // Stryker disable next-line StringLiteral: groups 6, 9 and 2 match (maybe nothing) whenever m does
  const host = m?.[6] ?? '';
  const port = m?.[7] ?? '';
  // Stryker disable next-line StringLiteral: as host
  const path = m?.[9] ?? '';
  const query = m?.[12] ?? '';
  // Stryker disable next-line StringLiteral: as host
  const authority = m?.[2] ?? '';
  // Stryker restore OptionalChaining
  const sane =
    (protocol === 'http' || protocol === 'https') &&
    host !== '' &&
    !authority.includes('@') &&
    // Stryker disable next-line ConditionalExpression: m is never null
    m !== null &&
    m[0].length === url.length;
  const scheme = protocol === '' ? 'http://' : `${protocol}://`;
  const proxy = port === '' ? host : `${host}:${port}`;
  // build-url 1.3: drop ONE trailing '/' of the root, then append the trimmed path with a leading '/'.
  let base = scheme + proxy;
  if (base.endsWith('/')) base = base.slice(0, -1);
  if (path !== '') {
    const trimmed = path.trim();
    base += trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  }
  return { base, query, sane };
}

type MultiMap = Map<string, string[]>;

function addValues(map: MultiMap, key: string, value: string | readonly string[]): void {
  const values = typeof value === 'string' ? [value] : value;
  const existing = map.get(key);
  if (existing === undefined) map.set(key, [...values]);
  else existing.push(...values);
}

function paramsToMap(
  params: Readonly<Record<string, string | readonly string[] | undefined>>,
): MultiMap {
  const map: MultiMap = new Map();
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value !== undefined) addValues(map, key, value);
  }
  return map;
}

function queryToMap(query: string): MultiMap {
  // Same decoder as the SDK (`querystring.parse`: '+' → ' ', percent-decoding, max 1000 keys).
  return paramsToMap(parseQueryString(query));
}

/** Keys and each key's values sorted by UTF-16 code units (JS default sort, as the SDK). */
function sortedEntries(map: MultiMap): Array<[string, string[]]> {
  return [...map.keys()].sort().map((key) => {
    // Stryker disable next-line ArrayDeclaration: every key of the map has values
    const values = map.get(key) ?? [];
    return [key, [...values].sort()];
  });
}

/** `k=v&k=v…` with decoded keys and values, as the SDK's get_sorted_query_string. */
function sortedQueryString(map: MultiMap): string {
  const parts: string[] = [];
  for (const [key, values] of sortedEntries(map)) {
    for (const value of values) parts.push(`${key}=${value}`);
  }
  return parts.join('&');
}

/** `kvkv…` with no separators, as the SDK's get_sorted_params_string. */
function sortedParamsString(map: MultiMap): string {
  let out = '';
  for (const [key, values] of sortedEntries(map)) {
    for (const value of values) out += key + value;
  }
  return out;
}

/** The string that gets HMAC-ed, without the final `'.' + nonce` (SDK: construct_get/post_url). */
function v3BaseString(method: SignatureMethod, url: string, params: SignatureParams): string {
  const { base, query } = parseUrl(url);
  const queryMap = queryToMap(query);
  if (method === 'GET') {
    for (const [key, value] of paramsToMap(params)) addValues(queryMap, key, value);
    const queryString = sortedQueryString(queryMap);
    return queryString.length > 0 ? `${base}?${queryString}` : base;
  }
  if (method === 'POST') {
    // The SDK tests emptiness on the params OBJECT (lodash isEmpty): `{ k: [] }` is not empty.
    const noParams = Object.keys(params).length === 0;
    const queryString = sortedQueryString(queryMap);
    let out = base;
    if (queryString.length > 0 || !noParams) out += `?${queryString}`;
    if (queryString.length > 0 && !noParams) out += '.';
    return out + sortedParamsString(paramsToMap(params));
  }
  throw new Error('unsupported method for a Plivo V3 signature');
}

function hmacBase64(authToken: string, data: string): string {
  // Strings are UTF-8-encoded ONCE (see the module comment on the SDK's double encoding).
  // Stryker disable next-line StringLiteral: Buffer.from reads an empty encoding as UTF-8
  const key = Buffer.from(authToken, 'utf8');
  // Stryker disable next-line StringLiteral: as above
  const bytes = Buffer.from(data, 'utf8');
  return createHmac('sha256', key).update(bytes).digest('base64');
}

/** Plivo's V3 signature (`X-Plivo-Signature-V3`): HMAC-SHA256(authToken, base + '.' + nonce), base64. */
export function computeV3Signature(input: V3SignatureInput): string {
  const base = v3BaseString(input.method, input.url, input.params ?? {});
  return hmacBase64(input.authToken, `${base}.${input.nonce}`);
}

/** Plivo's V2 signature (`X-Plivo-Signature-V2`): HMAC-SHA256(authToken, protocol://host[:port]/path + nonce). */
export function computeV2Signature(input: V2SignatureInput): string {
  return hmacBase64(input.authToken, parseUrl(input.url).base + input.nonce);
}

// Type aliases (not interfaces), so that they are assignable to a Record of headers.
export type V3Headers = {
  readonly 'X-Plivo-Signature-V3': string;
  readonly 'X-Plivo-Signature-V3-Nonce': string;
};

export type V2Headers = {
  readonly 'X-Plivo-Signature-V2': string;
  readonly 'X-Plivo-Signature-V2-Nonce': string;
};

/** A random numeric nonce, like the ones Plivo sends (about 20 digits). */
export function randomNonce(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += String(randomInt(10));
  return out;
}

/**
 * The headers Plivo sends with a V3-signed request (`params`: the form body, or a GET's extras): what
 * the CLI's `plivo send` and the tests sign with, so that one signer plays Plivo everywhere.
 */
export function signV3(
  input: Omit<V3SignatureInput, 'nonce'> & { readonly nonce?: string },
): V3Headers {
  const nonce = input.nonce ?? randomNonce();
  return {
    'X-Plivo-Signature-V3': computeV3Signature({ ...input, nonce }),
    'X-Plivo-Signature-V3-Nonce': nonce,
  };
}

/** The headers Plivo sends with a V2-signed request (V2 does not sign the body). */
export function signV2(
  input: Omit<V2SignatureInput, 'nonce'> & { readonly nonce?: string },
): V2Headers {
  const nonce = input.nonce ?? randomNonce();
  return {
    'X-Plivo-Signature-V2': computeV2Signature({ ...input, nonce }),
    'X-Plivo-Signature-V2-Nonce': nonce,
  };
}

function digest(value: string): Buffer {
  // Stryker disable next-line StringLiteral: Buffer.from reads an empty encoding as UTF-8
  const bytes = Buffer.from(value, 'utf8');
  return createHash('sha256').update(bytes).digest();
}

/**
 * True when one of the comma-separated candidates equals `expected`. Constant-time per candidate:
 * both sides are hashed first so the buffers always have the same length, and every candidate is
 * compared (no early exit).
 */
function anyMatches(headerValues: readonly string[], expected: string): boolean {
  const expectedDigest = digest(expected);
  let matched = false;
  for (const headerValue of headerValues) {
    for (const candidate of headerValue.split(',')) {
      if (timingSafeEqual(digest(candidate.trim()), expectedDigest)) matched = true;
    }
  }
  return matched;
}

function present(value: string | undefined): value is string {
  return value !== undefined;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * Verifies a Plivo webhook. V3 first (`X-Plivo-Signature-V3` and/or `-Ma-V3`, with
 * `-V3-Nonce`); only when NO V3 header is present at all, V2 (`-V2` / `-Ma-V2` with `-V2-Nonce`).
 * A present-but-wrong V3 never falls back to V2 (no downgrade). Urls that the SDK's loose parser
 * would only partly sign are refused (see ParsedUrl.sane). Reasons never contain the token or the
 * expected signature.
 *
 * What a signature does not bind, callers must: a GET with no extra params signs the same string as a
 * POST with an empty body, and V3 concatenates the sorted params with nothing between a key and its
 * value (`CallUUID=<uuid>Directioninbound` signs like `CallUUID=<uuid>&Direction=inbound`). callgate's
 * webhooks take POST only and check every field Plivo sends by its exact format (http/middleware.ts
 * and the handlers).
 */
export function verifyPlivoSignature(input: VerifyInput): VerifyResult {
  const h = input.headers;
  const H = PLIVO_SIGNATURE_HEADERS;
  if (input.method !== 'GET' && input.method !== 'POST') {
    return { ok: false, reason: 'unsupported method' };
  }
  if (!parseUrl(input.url).sane) return { ok: false, reason: 'unsupported url' };
  const v3Signatures = [h[H.v3], h[H.maV3]].filter(nonEmpty);
  const v3Present = present(h[H.v3]) || present(h[H.maV3]) || present(h[H.v3Nonce]);
  if (v3Present) {
    const nonce = h[H.v3Nonce];
    if (!nonEmpty(nonce)) return { ok: false, reason: 'missing V3 nonce' };
    if (v3Signatures.length === 0) return { ok: false, reason: 'missing V3 signature' };
    const expected = computeV3Signature({
      method: input.method,
      url: input.url,
      params: input.params ?? {},
      nonce,
      authToken: input.authToken,
    });
    return anyMatches(v3Signatures, expected)
      ? { ok: true, version: 'v3' }
      : { ok: false, reason: 'V3 signature mismatch' };
  }
  const v2Present = present(h[H.v2]) || present(h[H.maV2]) || present(h[H.v2Nonce]);
  if (!v2Present) return { ok: false, reason: 'missing signature headers' };
  const nonce = h[H.v2Nonce];
  if (!nonEmpty(nonce)) return { ok: false, reason: 'missing V2 nonce' };
  const v2Signatures = [h[H.v2], h[H.maV2]].filter(nonEmpty);
  if (v2Signatures.length === 0) return { ok: false, reason: 'missing V2 signature' };
  const expected = computeV2Signature({ url: input.url, nonce, authToken: input.authToken });
  return anyMatches(v2Signatures, expected)
    ? { ok: true, version: 'v2' }
    : { ok: false, reason: 'V2 signature mismatch' };
}
