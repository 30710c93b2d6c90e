import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeV2Signature,
  computeV3Signature,
  randomNonce,
  type SignatureMethod,
  type SignatureParams,
  signV2,
  signV3,
  type VerifyResult,
  verifyPlivoSignature,
} from '../../../functions/shared/plivo/signature.js';
import {
  lowerCaseHeaders,
  sdkComputeV2,
  sdkComputeV3,
  sdkValidateV2,
  sdkValidateV3,
} from '../../support/plivo-sign.js';

const RUNS = { numRuns: 1_000, seed: 20_240_611 } as const;

// ---------------------------------------------------------------------------------------------
// Generators (printable ASCII; see the non-ASCII section for why)
// ---------------------------------------------------------------------------------------------

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Printable ASCII, with the characters that matter to the algorithm made frequent. */
const tricky = fc.oneof(printable, fc.constantFrom(...'&=?.+%/ ,#'));
const text = (maxLength: number) => fc.string({ unit: tricky, maxLength });

// The SDK keeps its maps in plain objects: `__proto__` and `Object.prototype` names make it crash or
// drop keys (an SDK bug, not Plivo's algorithm), so the oracle does not generate them.
const key = text(8).filter((k) => !(k in Object.prototype));
const value = fc.oneof(text(10), fc.array(text(6), { maxLength: 3 }));
const params: fc.Arbitrary<SignatureParams> = fc
  .uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 6 })
  .map((entries) => Object.fromEntries(entries));

const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
const host = fc.oneof(
  fc.constant('localhost'),
  fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.')),
);
const segment = fc.stringMatching(/^[A-Za-z0-9._~%-]{1,10}$/);
const url = fc
  .record({
    scheme: fc.constantFrom('http', 'https'),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
    segments: fc.array(segment, { maxLength: 4 }),
    trailingSlash: fc.boolean(),
    // Everything printable but '#', which would start the fragment.
    query: fc.option(fc.string({ unit: tricky.filter((c) => c !== '#'), maxLength: 24 }), {
      nil: undefined,
    }),
    fragment: fc.option(text(10), { nil: undefined }),
  })
  .map(({ scheme, host, port, segments, trailingSlash, query, fragment }) => {
    const path = segments.map((s) => `/${s}`).join('') + (trailingSlash ? '/' : '');
    return (
      `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path}` +
      (query === undefined ? '' : `?${query}`) +
      (fragment === undefined ? '' : `#${fragment}`)
    );
  });
const nonce = fc
  .string({ unit: printable, minLength: 1, maxLength: 24 })
  .filter((n) => n.trim() !== '');
const token = fc.string({ unit: printable, minLength: 1, maxLength: 40 });
const method = fc.constantFrom<SignatureMethod>('GET', 'POST');

// ---------------------------------------------------------------------------------------------
// Oracle: the plivo SDK (4.79)
// ---------------------------------------------------------------------------------------------

describe('oracle: same signatures as the plivo SDK (printable ASCII)', () => {
  it('V3: ours is accepted by the SDK, and the SDK value equals ours and is accepted by us', () => {
    fc.assert(
      fc.property(method, url, params, nonce, token, (m, u, p, n, t) => {
        const ours = computeV3Signature({ method: m, url: u, params: p, nonce: n, authToken: t });
        expect(
          sdkValidateV3({ method: m, url: u, params: p, nonce: n, authToken: t, signature: ours }),
        ).toBe(true);
        const sdk = sdkComputeV3({ method: m, url: u, params: p, nonce: n, authToken: t });
        expect(sdk).toBe(ours);
        const headers = { 'x-plivo-signature-v3': sdk, 'x-plivo-signature-v3-nonce': n };
        const result = verifyPlivoSignature({
          method: m,
          url: u,
          params: p,
          headers,
          authToken: t,
        });
        // An '@' may make the loose parser sign only part of the url: refused on purpose.
        if (u.includes('@') && !result.ok) expect(result.reason).toBe('unsupported url');
        else expect(result).toEqual({ ok: true, version: 'v3' });
      }),
      RUNS,
    );
  });

  it('V3 POST without params (both with and without a query string)', () => {
    fc.assert(
      fc.property(url, nonce, token, (u, n, t) => {
        const ours = computeV3Signature({
          method: 'POST',
          url: u,
          params: {},
          nonce: n,
          authToken: t,
        });
        expect(sdkComputeV3({ method: 'POST', url: u, params: {}, nonce: n, authToken: t })).toBe(
          ours,
        );
      }),
      RUNS,
    );
  });

  it('V2: ours is accepted by the SDK, and the SDK value equals ours and is accepted by us', () => {
    fc.assert(
      fc.property(url, nonce, token, (u, n, t) => {
        const ours = computeV2Signature({ url: u, nonce: n, authToken: t });
        expect(sdkValidateV2({ url: u, nonce: n, authToken: t, signature: ours })).toBe(true);
        const sdk = sdkComputeV2({ url: u, nonce: n, authToken: t });
        expect(sdk).toBe(ours);
        const headers = { 'x-plivo-signature-v2': sdk, 'x-plivo-signature-v2-nonce': n };
        const result = verifyPlivoSignature({
          method: 'POST',
          url: u,
          params: {},
          headers,
          authToken: t,
        });
        if (u.includes('@') && !result.ok) expect(result.reason).toBe('unsupported url');
        else expect(result).toEqual({ ok: true, version: 'v2' });
      }),
      RUNS,
    );
  });

  it('a tampered param value is rejected by us and by the SDK', () => {
    const nonEmpty = params.filter((p) => Object.keys(p).length > 0);
    fc.assert(
      fc.property(method, url, nonEmpty, nonce, token, fc.nat(), (m, u, p, n, t, pick) => {
        const signature = computeV3Signature({
          method: m,
          url: u,
          params: p,
          nonce: n,
          authToken: t,
        });
        const keys = Object.keys(p);
        const k = keys[pick % keys.length] as string;
        const v = p[k] as string | readonly string[];
        // Appending a char changes the length of the signed string, so it can never collide.
        const tampered = { ...p, [k]: typeof v === 'string' ? `${v}X` : [...v, 'X'] };
        const headers = { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': n };
        const result = verifyPlivoSignature({
          method: m,
          url: u,
          params: tampered,
          headers,
          authToken: t,
        });
        expect(result.ok).toBe(false);
        expect(
          sdkValidateV3({ method: m, url: u, params: tampered, nonce: n, authToken: t, signature }),
        ).toBe(false);
      }),
      RUNS,
    );
  });

  it('does not mutate the params (the SDK sorts arrays in place; frozen input would throw)', () => {
    const p = Object.freeze({ b: Object.freeze(['3', '1', '2']), a: 'x' });
    const args = {
      method: 'GET',
      url: 'https://h.example/p?b=0',
      params: p,
      nonce: '1',
      authToken: 't',
    } as const;
    expect(computeV3Signature(args)).toBe(sdkComputeV3(args));
    expect(computeV3Signature({ ...args, method: 'POST' })).toBe(
      sdkComputeV3({ ...args, method: 'POST' }),
    );
    expect(p.b).toEqual(['3', '1', '2']);
  });

  const oddUrls = [
    'https://h.example',
    'https://h.example/',
    'https://h.example?x=1',
    'https://h.example/?x=1',
    'https://h.example/p?',
    'https://h.example/p?&',
    'https://h.example/p?#',
    'https://h.example/p?=a&b&&c=%zz&d=%C3%A9+x',
    'https://h.example/p?a=1&a=0&a=',
    'https://h.example/p ',
    'https://h.example/a.b/c.d/e.f?g.h',
    'https://h.example:/p',
    'https://h.example:abc/p',
    'https://user:pw@h.example:8443/p?q=1',
    'https://h.example/p?a:b@evil.example/x',
    'HTTPS://H.Example/P',
    'h.example/p?x=1',
    '//h.example/p',
    'ftp://h.example/p',
  ];
  it.each(oddUrls)('odd url %j: same V3 (GET, POST) and V2 as the SDK', (u) => {
    const paramSets: SignatureParams[] = [{}, { a: 'b', c: ['d', 'e'] }];
    for (const p of paramSets) {
      for (const m of ['GET', 'POST'] as const) {
        const args = { method: m, url: u, params: p, nonce: '99', authToken: 'tok' };
        expect(computeV3Signature(args)).toBe(sdkComputeV3(args));
      }
    }
    const v2args = { url: u, nonce: '99', authToken: 'tok' };
    expect(computeV2Signature(v2args)).toBe(sdkComputeV2(v2args));
  });

  it('refuses urls the SDK would sign only in part (cross-endpoint replay through "@")', () => {
    const args = {
      method: 'POST',
      params: { CallUUID: 'u' },
      nonce: '99',
      authToken: 'tok',
    } as const;
    const hangup = computeV3Signature({ ...args, url: 'https://h.example/plivo/hangup' });
    // The SDK signs only 'https://h.example/plivo/hangup' for this answer url: it accepts the replay.
    const replayUrl = 'https://h.example/plivo/answer?z=q:w@h.example/plivo/hangup';
    expect(sdkValidateV3({ ...args, url: replayUrl, signature: hangup })).toBe(true);
    const headers = { 'x-plivo-signature-v3': hangup, 'x-plivo-signature-v3-nonce': '99' };
    expect(verifyPlivoSignature({ ...args, url: replayUrl, headers })).toEqual({
      ok: false,
      reason: 'unsupported url',
    });
    for (const u of ['https://h.example:abc/p', 'h.example/p', 'ftp://h.example/p', 'https:///p']) {
      const signature = computeV3Signature({ ...args, url: u });
      const h = { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': '99' };
      expect(verifyPlivoSignature({ ...args, url: u, headers: h })).toEqual({
        ok: false,
        reason: 'unsupported url',
      });
    }
    // An '@' the parser does not take for userinfo is fine.
    const fine = 'https://h.example/p?a:b:c@d';
    const signature = computeV3Signature({ ...args, url: fine });
    const h = { 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': '99' };
    expect(verifyPlivoSignature({ ...args, url: fine, headers: h }).ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Known answers, built by hand (string to sign written out, HMAC with node:crypto, and the
// base64 pinned from an independent Python `hmac` computation)
// ---------------------------------------------------------------------------------------------

describe('known-answer vectors', () => {
  const authToken = 'my-auth-token';
  const n = '05429567804466091622';
  const hmac = (s: string) => createHmac('sha256', authToken).update(s, 'utf8').digest('base64');

  it('V3 POST, no query: url + "?" + sorted key+value pairs + "." + nonce', () => {
    const signed =
      'https://callgate.example.com/plivo/answer/?CallUUIDe2d3-11DirectioninboundFrom919412341234To918035737458.05429567804466091622';
    const expected = 'iEkfspq85+D/ILrR84KZR2rgrmwwLJCSc8XAWjqZlR0=';
    expect(hmac(signed)).toBe(expected);
    const got = computeV3Signature({
      method: 'POST',
      url: 'https://callgate.example.com/plivo/answer/',
      params: {
        To: '918035737458',
        From: '919412341234',
        CallUUID: 'e2d3-11',
        Direction: 'inbound',
      },
      nonce: n,
      authToken,
    });
    expect(got).toBe(expected);
  });

  it('V3 POST with a query: url?sortedQuery + "." + params + "." + nonce (fragment ignored)', () => {
    const signed =
      'https://callgate.example.com/plivo/hangup?b=2&tenant=acme.CallUUIDxHangupCauseNORMAL_CLEARING.05429567804466091622';
    const expected = 'yjnt+gFvaK0uwayFp7MR2nq6TukEMdtjb9IcivWBEjA=';
    expect(hmac(signed)).toBe(expected);
    const got = computeV3Signature({
      method: 'POST',
      url: 'https://callgate.example.com/plivo/hangup?tenant=acme&b=2#ct=2000,rt=40000',
      params: { HangupCause: 'NORMAL_CLEARING', CallUUID: 'x' },
      nonce: n,
      authToken,
    });
    expect(got).toBe(expected);
  });

  it('V3 GET: query (decoded, "+" is a space) and params merged and sorted, then "." + nonce', () => {
    const signed = 'http://localhost:3000/answer?a=2&m=x y&z=1.05429567804466091622';
    const expected = 'a/uPn6w9GoLVt0jFi/UDMhOtXHxQ3QDhWThSzMnL060=';
    expect(hmac(signed)).toBe(expected);
    const got = computeV3Signature({
      method: 'GET',
      url: 'http://localhost:3000/answer?z=1&m=x+y',
      params: { a: '2' },
      nonce: n,
      authToken,
    });
    expect(got).toBe(expected);
  });

  it('V3 POST with a repeated key: its values sorted, each written as key+value', () => {
    const expected = 'zne/g+R/M67GUQTECi6TFoaw7Tz0GR6/al/vT+yT5Ss=';
    expect(hmac('https://h.example/p?ab1b2.05429567804466091622')).toBe(expected);
    const got = computeV3Signature({
      method: 'POST',
      url: 'https://h.example/p',
      params: { b: ['2', '1'], a: '' },
      nonce: n,
      authToken,
    });
    expect(got).toBe(expected);
  });

  it('V2: HMAC of protocol://host/path (no query) + nonce', () => {
    const expected = 'a1J3LUh21mofUbd/6+CxxtDwLzRY+Ug5kgbanY1YAww=';
    expect(hmac('https://callgate.example.com/plivo/message05429567804466091622')).toBe(expected);
    const got = computeV2Signature({
      url: 'https://callgate.example.com/plivo/message?x=1',
      nonce: n,
      authToken,
    });
    expect(got).toBe(expected);
  });

  it('V3 POST without params and without query: url + "." + nonce', () => {
    const got = computeV3Signature({
      method: 'POST',
      url: 'https://h.example/p',
      params: {},
      nonce: n,
      authToken,
    });
    expect(got).toBe(hmac(`https://h.example/p.${n}`));
  });
});

// ---------------------------------------------------------------------------------------------
// Verification: acceptances and rejections
// ---------------------------------------------------------------------------------------------

describe('verifyPlivoSignature', () => {
  const authToken = 'SAMPLE-AUTH-TOKEN-0123456789';
  const url = 'https://callgate.example.com/plivo/answer?tenant=acme';
  const params = {
    CallUUID: 'b0c9a1f6-8d5a-11ee-9a3b-0242ac120002',
    From: '919412341234',
    To: '918035737458',
    Direction: 'inbound',
  };
  const n = '12345678901234567890';
  const v3 = computeV3Signature({ method: 'POST', url, params, nonce: n, authToken });
  const v2 = computeV2Signature({ url, nonce: n, authToken });
  const v3Headers = { 'x-plivo-signature-v3': v3, 'x-plivo-signature-v3-nonce': n };
  const v2Headers = { 'x-plivo-signature-v2': v2, 'x-plivo-signature-v2-nonce': n };
  const results: VerifyResult[] = [];
  const verify = (over: Partial<Parameters<typeof verifyPlivoSignature>[0]>): VerifyResult => {
    const result = verifyPlivoSignature({
      method: 'POST',
      url,
      params,
      headers: v3Headers,
      authToken,
      ...over,
    });
    results.push(result);
    return result;
  };
  const rejected = (result: VerifyResult) => expect(result.ok).toBe(false);

  it('accepts the genuine V3 request (and the SDK agrees)', () => {
    expect(verify({})).toEqual({ ok: true, version: 'v3' });
    expect(sdkValidateV3({ method: 'POST', url, params, nonce: n, authToken, signature: v3 })).toBe(
      true,
    );
  });

  it('rejects a tampered, added or removed param', () => {
    rejected(verify({ params: { ...params, To: '918035737459' } }));
    rejected(verify({ params: { ...params, Extra: '' } }));
    const { Direction: _removed, ...withoutDirection } = params;
    rejected(verify({ params: withoutDirection }));
    rejected(verify({ params: {} }));
  });

  it('rejects a wrong url', () => {
    rejected(verify({ url: 'https://callgate.example.com/plivo/hangup?tenant=acme' }));
    rejected(verify({ url: 'https://callgate.example.com/plivo/answer/?tenant=acme' }));
    rejected(verify({ url: 'https://evil.example.com/plivo/answer?tenant=acme' }));
    rejected(verify({ url: 'http://callgate.example.com/plivo/answer?tenant=acme' }));
    rejected(verify({ url: 'https://callgate.example.com:8443/plivo/answer?tenant=acme' }));
    rejected(verify({ url: 'https://callgate.example.com/plivo/answer?tenant=other' }));
    rejected(verify({ url: 'https://callgate.example.com/plivo/answer' }));
  });

  it('ignores the fragment (Plivo retry tuning lives there)', () => {
    expect(verify({ url: `${url}#ct=2000,rt=40000` })).toEqual({ ok: true, version: 'v3' });
  });

  it('rejects a wrong token', () => {
    expect(verify({ authToken: `${authToken}x` })).toEqual({
      ok: false,
      reason: 'V3 signature mismatch',
    });
  });

  it('rejects a wrong, missing or empty nonce', () => {
    rejected(
      verify({ headers: { ...v3Headers, 'x-plivo-signature-v3-nonce': '12345678901234567891' } }),
    );
    expect(verify({ headers: { 'x-plivo-signature-v3': v3 } })).toEqual({
      ok: false,
      reason: 'missing V3 nonce',
    });
    expect(verify({ headers: { ...v3Headers, 'x-plivo-signature-v3-nonce': '' } })).toEqual({
      ok: false,
      reason: 'missing V3 nonce',
    });
    expect(verify({ headers: { ...v3Headers, 'x-plivo-signature-v3-nonce': '  ' } }).ok).toBe(
      false,
    );
  });

  it('rejects missing signature headers and empty headers', () => {
    expect(verify({ headers: { 'x-plivo-signature-v3-nonce': n } })).toEqual({
      ok: false,
      reason: 'missing V3 signature',
    });
    expect(verify({ headers: { ...v3Headers, 'x-plivo-signature-v3': '' } })).toEqual({
      ok: false,
      reason: 'missing V3 signature',
    });
    expect(verify({ headers: {} })).toEqual({ ok: false, reason: 'missing signature headers' });
    expect(verify({ headers: { 'content-type': 'application/x-www-form-urlencoded' } })).toEqual({
      ok: false,
      reason: 'missing signature headers',
    });
    // Header names must be lower-cased by the caller.
    rejected(verify({ headers: { 'X-Plivo-Signature-V3': v3, 'X-Plivo-Signature-V3-Nonce': n } }));
  });

  it('rejects a GET signature replayed as a POST (and vice versa)', () => {
    const get = computeV3Signature({ method: 'GET', url, params, nonce: n, authToken });
    const headers = { 'x-plivo-signature-v3': get, 'x-plivo-signature-v3-nonce': n };
    expect(verify({ method: 'GET', headers })).toEqual({ ok: true, version: 'v3' });
    rejected(verify({ method: 'POST', headers }));
    rejected(verify({ method: 'GET' }));
  });

  it('does not fall back to V2 when a V3 header is present but wrong (no downgrade)', () => {
    expect(verify({ headers: v2Headers })).toEqual({ ok: true, version: 'v2' });
    const wrongV3 = { ...v2Headers, 'x-plivo-signature-v3': v2, 'x-plivo-signature-v3-nonce': n };
    expect(verify({ headers: wrongV3 })).toEqual({ ok: false, reason: 'V3 signature mismatch' });
    rejected(verify({ headers: { ...v2Headers, 'x-plivo-signature-v3-nonce': n } }));
    rejected(verify({ headers: { ...v2Headers, 'x-plivo-signature-ma-v3': '' } }));
  });

  it('accepts one right signature among comma-separated ones, in either V3 header', () => {
    const other = computeV3Signature({
      method: 'POST',
      url,
      params,
      nonce: n,
      authToken: 'other-token',
    });
    expect(verify({ headers: { ...v3Headers, 'x-plivo-signature-v3': `${other},${v3}` } }).ok).toBe(
      true,
    );
    expect(
      verify({ headers: { ...v3Headers, 'x-plivo-signature-v3': `${v3}, ${other}` } }).ok,
    ).toBe(true);
    expect(
      verify({ headers: { ...v3Headers, 'x-plivo-signature-v3': `${other},,${other}` } }).ok,
    ).toBe(false);
    expect(
      verify({
        headers: {
          ...v3Headers,
          'x-plivo-signature-v3': other,
          'x-plivo-signature-ma-v3': `x,${v3}`,
        },
      }),
    ).toEqual({ ok: true, version: 'v3' });
    // The SDK agrees on the comma-separated form.
    expect(
      sdkValidateV3({
        method: 'POST',
        url,
        params,
        nonce: n,
        authToken,
        signature: `${other},${v3}`,
      }),
    ).toBe(true);
  });

  it('accepts the Ma-V3 header alone', () => {
    const headers = { 'x-plivo-signature-ma-v3': v3, 'x-plivo-signature-v3-nonce': n };
    expect(verify({ headers })).toEqual({ ok: true, version: 'v3' });
  });

  it('V2: accepts V2 and Ma-V2, rejects a wrong one or a missing nonce; body and query are not signed', () => {
    expect(
      verify({ headers: { 'x-plivo-signature-ma-v2': v2, 'x-plivo-signature-v2-nonce': n } }).ok,
    ).toBe(true);
    expect(verify({ headers: { ...v2Headers, 'x-plivo-signature-v2': `${v3},${v2}` } }).ok).toBe(
      true,
    );
    expect(verify({ headers: { ...v2Headers, 'x-plivo-signature-v2': v3 } })).toEqual({
      ok: false,
      reason: 'V2 signature mismatch',
    });
    expect(verify({ headers: { 'x-plivo-signature-v2': v2 } })).toEqual({
      ok: false,
      reason: 'missing V2 nonce',
    });
    expect(verify({ headers: { 'x-plivo-signature-v2-nonce': n } })).toEqual({
      ok: false,
      reason: 'missing V2 signature',
    });
    rejected(verify({ headers: v2Headers, url: 'https://callgate.example.com/plivo/answer/' }));
    rejected(verify({ headers: v2Headers, authToken: 'other' }));
    // V2 covers only protocol://host/path + nonce (a known weakness of V2; prefer V3).
    expect(verify({ headers: v2Headers, params: { forged: '1' }, url: `${url}&x=1` }).ok).toBe(
      true,
    );
  });

  it('rejects an unsupported method at runtime', () => {
    expect(verify({ method: 'PUT' as SignatureMethod })).toEqual({
      ok: false,
      reason: 'unsupported method',
    });
    expect(() =>
      computeV3Signature({ method: 'PUT' as SignatureMethod, url, nonce: n, authToken }),
    ).toThrow();
  });

  it('never puts the token or the expected signature in a reason', () => {
    expect(results.length).toBeGreaterThan(20);
    for (const result of results) {
      if (result.ok) continue;
      expect(result.reason).not.toContain(authToken);
      expect(result.reason).not.toContain(v3);
      expect(result.reason).not.toContain(v2);
      expect(result.reason.length).toBeLessThan(40);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Facts of Plivo's algorithm worth knowing (true for the SDK too)
// ---------------------------------------------------------------------------------------------

describe('properties of the V3 scheme itself', () => {
  it('GET and POST sign the same string when there are no params', () => {
    const args = { url: 'https://h.example/p?a=1', params: {}, nonce: '1', authToken: 't' };
    const get = computeV3Signature({ ...args, method: 'GET' });
    expect(computeV3Signature({ ...args, method: 'POST' })).toBe(get);
    expect(sdkComputeV3({ ...args, method: 'POST' })).toBe(get);
  });

  it('POST params have no separators: {ab: "c"} and {a: "bc"} sign the same', () => {
    const args = {
      method: 'POST',
      url: 'https://h.example/p',
      nonce: '1',
      authToken: 't',
    } as const;
    const one = computeV3Signature({ ...args, params: { ab: 'c' } });
    expect(computeV3Signature({ ...args, params: { a: 'bc' } })).toBe(one);
    expect(sdkComputeV3({ ...args, params: { a: 'bc' } })).toBe(one);
  });

  it('POST with a key whose value list is empty still adds the "?" (the SDK tests the object)', () => {
    const args = {
      method: 'POST',
      url: 'https://h.example/p',
      nonce: '1',
      authToken: 't',
    } as const;
    expect(computeV3Signature({ ...args, params: { k: [] } })).toBe(
      sdkComputeV3({ ...args, params: { k: [] } }),
    );
    expect(computeV3Signature({ ...args, params: { k: [] } })).not.toBe(
      computeV3Signature({ ...args, params: {} }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Non-ASCII: a documented divergence from the Node SDK
// ---------------------------------------------------------------------------------------------

describe('non-ASCII input (we hash UTF-8 once; the Node SDK double-encodes url/nonce/token)', () => {
  const authToken = 'tok';
  const n = '42';
  const url = 'https://h.example/caf\u00e9';
  const params = { Name: 'Jos\u00e9' };
  const signed = `${url}?NameJos\u00e9.${n}`;
  /** What `hmac.update(utf8.encode(s))` hashes: every UTF-8 byte re-encoded as a UTF-8 char. */
  const doubleEncoded = (s: string) =>
    Buffer.from(Buffer.from(s, 'utf8').toString('latin1'), 'utf8');

  it('ours: HMAC-SHA256 over the UTF-8 bytes, once (as Plivo servers and the Python SDK)', () => {
    const once = createHmac('sha256', authToken)
      .update(Buffer.from(signed, 'utf8'))
      .digest('base64');
    expect(computeV3Signature({ method: 'POST', url, params, nonce: n, authToken })).toBe(once);
    const headers = { 'x-plivo-signature-v3': once, 'x-plivo-signature-v3-nonce': n };
    expect(verifyPlivoSignature({ method: 'POST', url, params, headers, authToken }).ok).toBe(true);
  });

  it('the Node SDK: the url part is double-encoded (its params are not), so the values differ', () => {
    const sdk = sdkComputeV3({ method: 'POST', url, params, nonce: n, authToken });
    const ours = computeV3Signature({ method: 'POST', url, params, nonce: n, authToken });
    expect(sdk).not.toBe(ours);
    const sdkString = Buffer.concat([
      doubleEncoded(`${url}?`),
      Buffer.from(`NameJos\u00e9.${n}`, 'utf8'),
    ]);
    expect(sdk).toBe(createHmac('sha256', authToken).update(sdkString).digest('base64'));
    expect(
      sdkValidateV3({ method: 'POST', url, params, nonce: n, authToken, signature: ours }),
    ).toBe(false);
  });

  it('non-ASCII only in params: both agree (the SDK encodes params once)', () => {
    const ascii = 'https://h.example/cafe';
    const ours = computeV3Signature({ method: 'POST', url: ascii, params, nonce: n, authToken });
    expect(sdkComputeV3({ method: 'POST', url: ascii, params, nonce: n, authToken })).toBe(ours);
  });

  it('percent-encoded urls (what Plivo actually sends) are ASCII: both agree', () => {
    const encoded = 'https://h.example/caf%C3%A9?q=%C3%A9';
    const ours = computeV3Signature({
      method: 'POST',
      url: encoded,
      params: {},
      nonce: n,
      authToken,
    });
    expect(sdkComputeV3({ method: 'POST', url: encoded, params: {}, nonce: n, authToken })).toBe(
      ours,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The signer (the CLI's `plivo send` and the tests)
// ---------------------------------------------------------------------------------------------

describe('signV3 / signV2, the one signer that plays Plivo', () => {
  it('draws a fresh 20-digit nonce for each request unless one is given', () => {
    const nonces = new Set(Array.from({ length: 50 }, randomNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^\d{20}$/);
    const url = 'https://callgate.example.com/plivo/answer';
    expect(signV2({ url, authToken: 't' })['X-Plivo-Signature-V2-Nonce']).toMatch(/^\d{20}$/);
    const given = signV3({ method: 'POST', url, params: { A: '1' }, authToken: 't', nonce: '42' });
    expect(given).toEqual({
      'X-Plivo-Signature-V3': computeV3Signature({
        method: 'POST',
        url,
        params: { A: '1' },
        nonce: '42',
        authToken: 't',
      }),
      'X-Plivo-Signature-V3-Nonce': '42',
    });
  });

  it('signV3 / signV2 produce headers that verify (with us and with the SDK)', () => {
    const url = 'https://callgate.example.com/plivo/answer';
    const params = { CallUUID: 'u', From: '1', To: '2' };
    const authToken = 'tkn';
    const h3 = signV3({ method: 'POST', url, params, authToken });
    expect(h3['X-Plivo-Signature-V3-Nonce']).toMatch(/^\d{20}$/);
    expect(
      verifyPlivoSignature({
        method: 'POST',
        url,
        params,
        headers: lowerCaseHeaders(h3),
        authToken,
      }),
    ).toEqual({
      ok: true,
      version: 'v3',
    });
    expect(
      sdkValidateV3({
        method: 'POST',
        url,
        params,
        authToken,
        nonce: h3['X-Plivo-Signature-V3-Nonce'],
        signature: h3['X-Plivo-Signature-V3'],
      }),
    ).toBe(true);
    const h2 = signV2({ url, authToken, nonce: 'abc' });
    expect(h2['X-Plivo-Signature-V2-Nonce']).toBe('abc');
    expect(
      verifyPlivoSignature({
        method: 'POST',
        url,
        params,
        headers: lowerCaseHeaders(h2),
        authToken,
      }),
    ).toEqual({
      ok: true,
      version: 'v2',
    });
    expect(
      sdkValidateV2({ url, authToken, nonce: 'abc', signature: h2['X-Plivo-Signature-V2'] }),
    ).toBe(true);
  });
});
