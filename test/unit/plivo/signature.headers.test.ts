/**
 * The signature headers as Plivo and proxies may write them: comma-separated candidates with spaces
 * around them, and headers that are present but hold only whitespace, which sign nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  computeV2Signature,
  computeV3Signature,
  type SignatureMethod,
  verifyPlivoSignature,
} from '../../../functions/shared/plivo/signature.js';
import { sdkComputeV2, sdkComputeV3 } from '../../support/plivo-sign.js';

const authToken = 'SAMPLE-AUTH-TOKEN-0123456789';
const url = 'https://callgate.example.com/plivo/answer';
const params = { CallUUID: 'b0c9a1f6-8d5a-11ee-9a3b-0242ac120002', Direction: 'inbound' };
const nonce = '12345678901234567890';
const v3 = computeV3Signature({ method: 'POST', url, params, nonce, authToken });
const v2 = computeV2Signature({ url, nonce, authToken });
const other = computeV3Signature({ method: 'POST', url, params, nonce, authToken: 'other' });

const verify = (headers: Record<string, string>) =>
  verifyPlivoSignature({ method: 'POST', url, params, headers, authToken });

describe('comma-separated signatures, with whitespace around them', () => {
  it.each([
    ` ${v3}`,
    `${v3} `,
    `\t${v3}\t`,
    `${other}, ${v3}`,
    `${other} ,${v3} `,
    `${other},\t${v3}`,
    ` , ${v3}`,
  ])('V3 %j is accepted', (header) => {
    expect(verify({ 'x-plivo-signature-v3': header, 'x-plivo-signature-v3-nonce': nonce })).toEqual(
      { ok: true, version: 'v3' },
    );
  });

  it('V2 too', () => {
    expect(
      verify({ 'x-plivo-signature-v2': `${other}, ${v2} `, 'x-plivo-signature-v2-nonce': nonce }),
    ).toEqual({ ok: true, version: 'v2' });
  });

  it.each([`${v3}x`, `${v3.slice(0, -2)} ${v3.slice(-2)}`, `${other}, ${other}`, ' , '])(
    'V3 %j is refused: whitespace is trimmed around a candidate, never inside one',
    (header) => {
      expect(
        verify({ 'x-plivo-signature-v3': header, 'x-plivo-signature-v3-nonce': nonce }),
      ).toEqual({ ok: false, reason: 'V3 signature mismatch' });
    },
  );
});

describe('whitespace-only headers are missing, not a signature', () => {
  it.each([' ', '   ', '\t', ' \t '])('V3 signature %j', (blank) => {
    expect(verify({ 'x-plivo-signature-v3': blank, 'x-plivo-signature-v3-nonce': nonce })).toEqual({
      ok: false,
      reason: 'missing V3 signature',
    });
    expect(
      verify({
        'x-plivo-signature-v3': blank,
        'x-plivo-signature-ma-v3': blank,
        'x-plivo-signature-v3-nonce': nonce,
      }),
    ).toEqual({ ok: false, reason: 'missing V3 signature' });
  });

  it.each([' ', '\t'])('V3 nonce %j', (blank) => {
    expect(verify({ 'x-plivo-signature-v3': v3, 'x-plivo-signature-v3-nonce': blank })).toEqual({
      ok: false,
      reason: 'missing V3 nonce',
    });
  });

  it.each([' ', '\t'])('V2 signature and nonce %j', (blank) => {
    expect(verify({ 'x-plivo-signature-v2': blank, 'x-plivo-signature-v2-nonce': nonce })).toEqual({
      ok: false,
      reason: 'missing V2 signature',
    });
    expect(verify({ 'x-plivo-signature-v2': v2, 'x-plivo-signature-v2-nonce': blank })).toEqual({
      ok: false,
      reason: 'missing V2 nonce',
    });
  });

  it('a blank Ma-V3 beside the right V3 does not hide it', () => {
    expect(
      verify({
        'x-plivo-signature-v3': v3,
        'x-plivo-signature-ma-v3': '  ',
        'x-plivo-signature-v3-nonce': nonce,
      }),
    ).toEqual({ ok: true, version: 'v3' });
  });
});

describe('odd urls are signed as the SDK signs them', () => {
  it.each([
    'user:pw@h.example/p',
    'u:pw@h.example/p',
    'user:@h.example/p?q=1',
    'a.b:pw@h.example/p',
    'http://user:pw@h.example/p',
  ])('%j (user info without or with a scheme)', (odd) => {
    const args = { url: odd, params, nonce, authToken };
    for (const method of ['GET', 'POST'] as const) {
      expect(computeV3Signature({ ...args, method })).toBe(sdkComputeV3({ ...args, method }));
    }
    expect(computeV2Signature(args)).toBe(sdkComputeV2(args));
  });
});

describe('params', () => {
  it('a param without a value (an absent optional field) is signed as absent', () => {
    const withUndefined = { ...params, Digits: undefined } as unknown as Record<string, string>;
    expect(
      computeV3Signature({ method: 'POST', url, params: withUndefined, nonce, authToken }),
    ).toBe(v3);
  });

  it('a method other than GET or POST cannot be signed', () => {
    expect(() =>
      computeV3Signature({ method: 'PUT' as SignatureMethod, url, nonce, authToken }),
    ).toThrow('unsupported method for a Plivo V3 signature');
  });
});
