/**
 * Input the business API and the webhooks must refuse with a clear 4xx, end to end through the local
 * host: deeply nested JSON, agents that reach a phone number in another spelling or carry markup,
 * unknown fields, numbers with whitespace, and bodies over the host's limit.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  asJson,
  placeCall,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';

const business = exampleNumbers.india;

/** An object nested `depth` deep: about 30 KB at 5,000, well under the body limit. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const postJson = async (host: LocalHost, path: string, body: string, headers = {}) =>
  asJson(
    await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }),
  );

describe('bounded input through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  describe('deeply nested JSON', () => {
    it.each(['/v1/calls', '/v1/permission-requests'])(
      'POST %s: 400 invalid_request, as a field or as the body',
      async (path) => {
        const user = newUser();
        for (const body of [
          `{"from":"${business}","to":"${user}","x":${nested(5000)}}`,
          nested(5000),
        ]) {
          const response = await postJson(host, path, body);
          expect(response.status).toBe(400);
          expect(response.body).toEqual({
            error: 'invalid_request',
            message: 'Body is nested more than 32 levels deep',
          });
        }
      },
    );

    it.each(routes.filter((r) => r.auth === 'plivo-signature').map((r) => r.path))(
      'POST %s with any signature header: 400 invalid_request',
      async (path) => {
        for (const header of ['X-Plivo-Signature-V3', 'X-Plivo-Signature-V2']) {
          const response = await postJson(host, path, nested(5000), { [header]: 'forged' });
          expect(response.status).toBe(400);
          expect(response.body.error).toBe('invalid_request');
        }
      },
    );
  });

  describe('the agent of a business-initiated call', () => {
    it.each([
      ['sip:+91-98123-45678@gw.example.com', 'phone number'],
      ['sip:%2B919812345678@gw.example.com', 'phone number'],
      ['sip:919812345678;user=phone@gw.example.com', 'phone number'],
      ['sip:alice@gw.example.com;user=phone', 'phone number'],
      ['sip:(91) 98123 45678@gw.example.com', 'phone number'],
      ['sip:00919812345678@gw.example.com', 'phone number'],
      ['tel:+919812345678', 'phone number'],
      ['tel:support', 'phone number'],
      ['sips:+919812345678@gw.example.com', 'phone number'],
    ])('refuses %s with 400, places nothing', async (agent, kind) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const before = (await recordedCalls(host)).length;
      const response = await placeCall(host, { from: business, to: user, agent });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.message).toMatch(new RegExp(`^agent: .*${kind}`));
      expect(await recordedCalls(host)).toHaveLength(before);
    });

    it.each([
      ['20 KB long', `sip:${'a'.repeat(20_000)}@example.com`],
      ['with markup', 'sip:a"><Number>919812345678</Number>@x.com'],
      ['with a quote', "sip:o'brien@pbx.example.com"],
      ['with a space', 'sip:a b@pbx.example.com'],
      ['with an invalid host', 'sip:alice@-pbx..example.com'],
      ['with no host', 'sip:alice@'],
      ['an endpoint name too short', 'ab'],
      ['an endpoint name with markup', 'desk<1>'],
    ])('refuses an agent %s with 400', async (_, agent) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const response = await placeCall(host, { from: business, to: user, agent });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.message).toMatch(/^agent: /);
    });

    it.each([
      'sip:1001@pbx.example.com',
      'sip:sales.team-2@pbx.example.com:5061',
      'sip:desk%2Done@10.0.0.12',
      'sales_desk_2',
    ])('places a call to %s', async (agent) => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const response = await placeCall(host, { from: business, to: user, agent });
      expect(response.status).toBe(201);
    });
  });

  describe('strict bodies', () => {
    it('POST /v1/calls: unknown fields are refused, naming them', async () => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const response = await placeCall(host, {
        from: business,
        to: user,
        agnet: 'sip:a@pbx.example.com',
        callerId: 'x',
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.message).toMatch(/agnet/);
      expect(response.body.message).toMatch(/callerId/);
    });

    it('POST /v1/permission-requests: unknown fields are refused, naming them', async () => {
      const response = await postJson(
        host,
        '/v1/permission-requests',
        JSON.stringify({ from: business, to: newUser(), template: 'other' }),
      );
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_request');
      expect(response.body.message).toMatch(/template/);
    });

    it.each(['\n', ' ', '\t', '\u0000'])(
      'a number with %j around it is 400 invalid_number, not trimmed',
      async (space) => {
        const user = newUser();
        await acceptPermission(host, user, business);
        const call = await placeCall(host, { from: business, to: `${user}${space}` });
        expect(call.status).toBe(400);
        expect(call.body.error).toBe('invalid_number');
        const leading = await placeCall(host, { from: `${space}${business}`, to: user });
        expect(leading.status).toBe(400);
        expect(leading.body.error).toBe('invalid_number');
        const request = await postJson(
          host,
          '/v1/permission-requests',
          JSON.stringify({ from: business, to: `${newUser()}${space}` }),
        );
        expect(request.status).toBe(400);
        expect(request.body.error).toBe('invalid_number');
      },
    );

    it('says whether a number is not E.164 at all, or E.164 in no assigned range', async () => {
      const reserved = await placeCall(host, { from: business, to: '+447700900123' });
      expect(reserved.status).toBe(400);
      expect(reserved.body).toMatchObject({ error: 'invalid_number' });
      expect(reserved.body.message).toBe(
        "to is written as E.164, but is not a number in +44's numbering plan (a reserved, unassigned or mis-sized range)",
      );
      const written = await placeCall(host, { from: `0${business.slice(3)}`, to: '+919812345678' });
      expect(written.body.message).toBe(
        'from is not an E.164 number: + and 7 to 15 digits, such as +919812345678',
      );
    });
  });

  describe('/v1 takes JSON, and numbers in E.164 with +', () => {
    const v1Routes = [
      ['POST', '/v1/calls'],
      ['POST', '/v1/permission-requests'],
      ['POST', '/v1/call-intents'],
      [
        'PUT',
        `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent('+919812345678')}`,
      ],
    ] as const;

    it.each(v1Routes)(
      '%s %s with a form body (curl -d): 415 naming application/json',
      async (method, path) => {
        for (const contentType of ['application/x-www-form-urlencoded', undefined]) {
          const before = (await recordedCalls(host)).length;
          const response = await fetch(`${host.url}${path}`, {
            method,
            headers: contentType ? { 'content-type': contentType } : {},
            body: JSON.stringify({ from: business, to: newUser(), status: 'none' }),
          });
          expect(response.status).toBe(415);
          const body = (await response.json()) as Record<string, unknown>;
          expect(body.error).toBe('unsupported_media_type');
          expect(body.message).toMatch(/application\/json/);
          expect(body.message).not.toMatch(/form/);
          expect(await recordedCalls(host)).toHaveLength(before);
        }
      },
    );

    it.each(['/v1/calls', '/v1/permission-requests', '/v1/call-intents'])(
      'POST %s: a number that is not a string says it must be one',
      async (path) => {
        const response = await postJson(
          host,
          path,
          JSON.stringify({ from: business, to: 919812345678 }),
        );
        expect([response.status, response.body.error]).toEqual([400, 'invalid_request']);
        expect(response.body.message).toMatch(/^to: must be a string/);
        const missing = await postJson(host, path, JSON.stringify({ from: business }));
        expect(missing.body.message).toMatch(/^to: is required/);
      },
    );

    it('a number without + is refused as the message says, on every /v1 route', async () => {
      const user = newUser();
      await acceptPermission(host, user, business);
      const before = (await recordedCalls(host)).length;
      const bare = user.slice(1);
      for (const [path, body] of [
        ['/v1/calls', { from: business, to: bare }],
        ['/v1/calls', { from: business.slice(1), to: user }],
        ['/v1/permission-requests', { from: business, to: bare }],
        ['/v1/call-intents', { from: business, to: bare }],
      ] as const) {
        const refused = await postJson(host, path, JSON.stringify(body));
        expect([refused.status, refused.body.error]).toEqual([400, 'invalid_number']);
        expect(refused.body.message).toMatch(/is not an E\.164 number: \+ and 7 to 15 digits/);
      }
      const state = await asJson(
        await fetch(`${host.url}/v1/permissions/${business.slice(1)}/${bare}`),
      );
      expect([state.status, state.body.error]).toEqual([400, 'invalid_number']);
      for (const written of [encodeURIComponent(user), user]) {
        const read = await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${written}`,
        );
        expect(read.status).toBe(200);
      }
      expect(await recordedCalls(host)).toHaveLength(before);
    });
  });

  it('a Content-Type sent twice is read as API Gateway joins it: the same type twice is that type', async () => {
    const send = (types: string[]) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${host.url}/v1/calls`, { method: 'POST' });
        request.setHeader('content-type', types);
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end(JSON.stringify({ from: business, to: newUser() }));
      });
    // Refused for its missing permission (403), so read as JSON: not 415.
    expect(await send(['application/json', 'application/json'])).toBe(403);
    expect(await send(['application/json', 'text/plain'])).toBe(415);
  });

  it('a body over 1 MB is answered 413 payload_too_large, not a reset connection', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end(`{"from":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'payload_too_large',
      message: 'Body is over 1048576 bytes',
    });
  });
});
