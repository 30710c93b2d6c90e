import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/shared/http/errors.js';
import {
  maxBodyBytes,
  parseRequest,
  requestBaseUrl,
} from '../../../functions/shared/http/request.js';
import { toPayloadV2Event } from '../../../local/event.js';

const event = (overrides: Partial<APIGatewayProxyEventV2> & { contentType?: string }) => {
  const { contentType, ...rest } = overrides;
  return toPayloadV2Event(
    {
      method: 'POST',
      url: new URL('http://localhost:3000/plivo/whatsapp/answer'),
      headers: contentType ? { 'content-type': contentType } : {},
      body: Buffer.alloc(0),
      sourceIp: '127.0.0.1',
    },
    'POST /plivo/whatsapp/answer',
    {},
    new Date(0),
  ) as APIGatewayProxyEventV2 & typeof rest;
};

const refusal = (fn: () => unknown): HttpError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('parseRequest', () => {
  it('round-trips any form body through the base64 encoding HTTP API applies', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 }), {
          maxKeys: 8,
        }),
        (fields) => {
          const form = new URLSearchParams(fields).toString();
          const built = toPayloadV2Event(
            {
              method: 'POST',
              url: new URL('http://localhost:3000/plivo/whatsapp/hangup?call=abc'),
              headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
              body: Buffer.from(form, 'utf8'),
              sourceIp: '127.0.0.1',
            },
            'POST /plivo/whatsapp/hangup',
            {},
            new Date(0),
          );
          if (form.length > 0) expect(built.isBase64Encoded).toBe(true);
          const parsed = parseRequest(built);
          expect(parsed.body).toEqual(fields);
          expect(parsed.signedParams).toEqual(fields);
          expect(parsed.query).toEqual({ call: 'abc' });
          expect(parsed.rawQuery).toBe('call=abc');
        },
      ),
      { numRuns: 1000, seed: 42 },
    );
  });

  it('passes JSON through as text and keeps nested values for signing as JSON text', () => {
    const built = toPayloadV2Event(
      {
        method: 'POST',
        url: new URL('http://localhost:3000/v1/calls'),
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ from: '+918035737458', nested: { a: 1 } })),
        sourceIp: '127.0.0.1',
      },
      'POST /v1/calls',
      {},
      new Date(0),
    );
    expect(built.isBase64Encoded).toBe(false);
    const parsed = parseRequest(built);
    expect(parsed.body).toEqual({ from: '+918035737458', nested: { a: 1 } });
    expect(parsed.signedParams).toEqual({ from: '+918035737458', nested: '{"a":1}' });
  });

  it('keeps every value of a repeated form field for the signature and the first for the handler', () => {
    const parsed = parseRequest({
      ...event({ contentType: 'application/x-www-form-urlencoded' }),
      body: Buffer.from('a=1&a=2&b=3').toString('base64'),
      isBase64Encoded: true,
    });
    expect(parsed.body).toEqual({ a: '1', b: '3' });
    expect(parsed.signedParams).toEqual({ a: ['1', '2'], b: '3' });
  });

  it('reads a Content-Type sent twice as API Gateway joins it, and refuses two different ones', () => {
    const form = 'application/x-www-form-urlencoded';
    const twice = parseRequest({ ...event({ contentType: `${form},${form}` }), body: 'a=1' });
    expect(twice.body).toEqual({ a: '1' });
    const withCharset = `${form}; charset=utf-8, ${form}`;
    expect(parseRequest({ ...event({ contentType: withCharset }), body: 'a=1' }).body).toEqual({
      a: '1',
    });
    expect(
      refusal(() =>
        parseRequest({ ...event({ contentType: `${form},application/json` }), body: 'a=1' }),
      ).status,
    ).toBe(415);
  });

  it('refuses bodies it cannot read with a 4xx naming the problem', () => {
    expect(
      refusal(() => parseRequest({ ...event({ contentType: 'application/json' }), body: '{"a":' }))
        .status,
    ).toBe(400);
    expect(
      refusal(() => parseRequest({ ...event({ contentType: 'application/json' }), body: '[1,2]' }))
        .message,
    ).toMatch(/JSON object/);
    expect(
      refusal(() => parseRequest({ ...event({ contentType: 'text/plain' }), body: 'hello' }))
        .status,
    ).toBe(415);
    expect(refusal(() => parseRequest({ ...event({}), body: 'x=1' })).code).toBe(
      'unsupported_media_type',
    );
    expect(
      refusal(() =>
        parseRequest({
          ...event({ contentType: 'application/json' }),
          body: `"${'x'.repeat(maxBodyBytes)}"`,
        }),
      ).status,
    ).toBe(413);
  });

  it('a JSON-only route (the business API) refuses a form body with 415 naming application/json', () => {
    const form = { ...event({ contentType: 'application/x-www-form-urlencoded' }), body: 'a=1' };
    expect(parseRequest(form).body).toEqual({ a: '1' });
    const refused = refusal(() => parseRequest(form, 'json'));
    expect([refused.status, refused.code, refused.message]).toEqual([
      415,
      'unsupported_media_type',
      'Send the body as JSON with Content-Type: application/json',
    ]);
    const json = { ...event({ contentType: 'application/json' }), body: '{"a":1}' };
    expect(parseRequest(json, 'json').body).toEqual({ a: 1 });
    expect(parseRequest(event({}), 'json').body).toEqual({});
  });

  it('treats an empty body as no fields whatever the content type', () => {
    expect(parseRequest(event({ contentType: 'application/json' })).body).toEqual({});
    expect(parseRequest(event({})).body).toEqual({});
  });

  it('strips a named stage from the path (signatures use the public path)', () => {
    const staged = event({});
    const parsed = parseRequest({
      ...staged,
      rawPath: '/prod/plivo/whatsapp/answer',
      requestContext: { ...staged.requestContext, stage: 'prod' },
    });
    expect(parsed.path).toBe('/plivo/whatsapp/answer');
    expect(parsed.stagePrefix).toBe('/prod');
    expect(requestBaseUrl('https://api.example.com', parsed)).toBe('https://api.example.com/prod');
    expect(requestBaseUrl('https://api.example.com/prod', parsed)).toBe(
      'https://api.example.com/prod',
    );
    // Through a custom domain the stage is not in the path: the base URL stands.
    const mapped = parseRequest({
      ...staged,
      rawPath: '/plivo/whatsapp/answer',
      requestContext: { ...staged.requestContext, stage: 'prod' },
    });
    expect(mapped.stagePrefix).toBe('');
    expect(requestBaseUrl('https://calls.example.com', mapped)).toBe('https://calls.example.com');
  });

  it('lower-cases header names', () => {
    const parsed = parseRequest({ ...event({}), headers: { 'X-Plivo-Signature-V3': 'abc' } });
    expect(parsed.headers['x-plivo-signature-v3']).toBe('abc');
  });
});
