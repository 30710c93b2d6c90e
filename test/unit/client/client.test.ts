/**
 * The client over real HTTP, against a loopback server that answers as callgate (or API Gateway) would:
 * each method's request, its typed outcomes, and the resends of a 503 or a 429 with the same
 * Idempotency-Key after the wait the answer names, through an injected sleep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type Retry } from '../../../client/client.js';
import { exampleNumbers, newUser } from '../../support/fixtures.js';
import { type Answerer, jsonAnswer, type Loopback, startLoopback } from '../../support/loopback.js';

const business = exampleNumbers.india;
let server: Loopback | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const serve = async (answer: Answerer, options: Partial<ClientOptions> = {}) => {
  server = await startLoopback(answer);
  const slept: number[] = [];
  const retries: Retry[] = [];
  const client = createClient({
    baseUrl: `${server.url}/`,
    auth: { kind: 'none' },
    sleep: async (ms) => {
      slept.push(ms);
    },
    onRetry: (retry) => retries.push(retry),
    ...options,
  });
  return { client, server, slept, retries };
};

const placed = (user: string) => ({
  callId: '0b7d7d1e-3a55-4d4e-9f6a-2f0d6f3f1c11',
  requestUuid: 'r-1',
  from: business,
  to: user,
  agent: 'sip:agent@example.com',
  status: 'placing',
});

describe('a method sends its route and answers a typed outcome', () => {
  it('places a call: POST /v1/calls with the body as JSON and a drawn Idempotency-Key', async () => {
    const user = newUser();
    const { client, server } = await serve(() => jsonAnswer(201, placed(user)));
    const outcome = await client.placeCall({ from: business, to: user });
    expect(outcome).toEqual({ ok: true, status: 201, body: placed(user) });
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/calls');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.json()).toEqual({ from: business, to: user });
  });

  it('keeps an Idempotency-Key the caller gives', async () => {
    const { client, server } = await serve(() => jsonAnswer(201, placed('+919812345678')));
    await client.placeCall({ from: business, to: '+919812345678' }, { idempotencyKey: 'crm-42' });
    expect(server.requests[0]?.headers['idempotency-key']).toBe('crm-42');
  });

  it('puts path parameters percent-encoded and list filters in the query', async () => {
    const user = newUser();
    const { client, server } = await serve(() => jsonAnswer(200, { items: [] }));
    await client.permissionState({ business, user });
    await client.correctPermission({ business, user }, { status: 'permanent' });
    await client.liftPause(business);
    await client.readIntent('i-1');
    await client.cancelIntent('i-1');
    await client.listCalls({ business, direction: 'outbound', limit: 5, user: undefined });
    await client.listIntents({ business, status: 'scheduled', cursor: 'a b' });
    await client.health();
    const enc = encodeURIComponent;
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /v1/permissions/${enc(business)}/${enc(user)}`,
      `PUT /v1/permissions/${enc(business)}/${enc(user)}`,
      `DELETE /v1/numbers/${enc(business)}/pause`,
      'GET /v1/call-intents/i-1',
      'DELETE /v1/call-intents/i-1',
      `GET /v1/calls?business=${enc(business)}&direction=outbound&limit=5`,
      `GET /v1/call-intents?business=${enc(business)}&status=scheduled&cursor=a+b`,
      'GET /health',
    ]);
    expect(server.requests[0]?.headers['content-type']).toBeUndefined();
    expect(server.requests[1]?.json()).toEqual({ status: 'permanent' });
    expect(business).toMatch(/^\+/);
    expect(server.requests[0]?.url).toContain('%2B');
  });

  it('sends an API key as a bearer token', async () => {
    const { client, server } = await serve(() => jsonAnswer(200, { status: 'ok' }), {
      auth: { kind: 'apiKey', key: 'cg_secret' },
    });
    await client.health();
    expect(server.requests[0]?.headers.authorization).toBe('Bearer cg_secret');
  });
});

describe('a refusal is a typed error', () => {
  it("reads callgate's error body: code, message, retryAfter and the rest as details", async () => {
    const { client, slept } = await serve(() =>
      jsonAnswer(403, {
        error: 'no_permission',
        message: 'No call permission',
        requestPermissionAfter: 0,
      }),
    );
    const outcome = await client.placeCall({ from: business, to: newUser() });
    expect(outcome).toEqual({
      ok: false,
      status: 403,
      error: {
        code: 'no_permission',
        message: 'No call permission',
        details: { requestPermissionAfter: 0 },
      },
    });
    expect(slept).toEqual([]);
  });

  it('answers a 429 whose wait is long (a daily limit) at once, with its retryAfter', async () => {
    const { client, server, slept } = await serve(() =>
      jsonAnswer(429, { error: 'daily_call_limit', message: 'limit', retryAfter: 80_000 }),
    );
    const outcome = await client.placeCall({ from: business, to: newUser() });
    expect(outcome).toMatchObject({
      ok: false,
      status: 429,
      error: { code: 'daily_call_limit', retryAfter: 80_000 },
    });
    expect(server.requests).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it.each([
    [403, { message: 'Forbidden' }, 'unauthorized', 'Forbidden'],
    [401, { message: 'Unauthorized' }, 'unauthorized', 'Unauthorized'],
    [404, { message: 'Not Found' }, 'not_found', 'Not Found'],
    [400, 'not json', 'invalid_request', 'HTTP 400'],
    [500, { error: 'no_such_code', message: 'x' }, 'internal_error', 'x'],
  ])("maps API Gateway's own %i to a house code", async (status, body, code, message) => {
    const { client } = await serve(() => ({
      status,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }));
    expect(await client.readCall('c-1')).toEqual({ ok: false, status, error: { code, message } });
  });

  it('answers status 0, unavailable, when nothing listens', async () => {
    const { client, server } = await serve(() => jsonAnswer(200, {}));
    await server.refuseConnections();
    const outcome = await client.health();
    expect(outcome).toMatchObject({ ok: false, status: 0, error: { code: 'unavailable' } });
    expect(outcome.ok || outcome.error.message).toMatch(/^no answer from http:\/\/127\.0\.0\.1:/);
  });
});

describe('resends a 503 or a 429 after the wait it names, with the same Idempotency-Key', () => {
  it('resends a 503 after its retryAfter and answers the call placed', async () => {
    const user = newUser();
    const { client, server, slept, retries } = await serve((_, index) =>
      index === 0
        ? jsonAnswer(503, { error: 'unavailable', message: 'retry', retryAfter: 2 })
        : jsonAnswer(201, placed(user)),
    );
    const outcome = await client.placeCall({ from: business, to: user });
    expect(outcome).toMatchObject({ ok: true, status: 201 });
    expect(slept).toEqual([2000]);
    expect(retries).toEqual([
      { attempt: 2, maxAttempts: 3, status: 503, code: 'unavailable', waitSeconds: 2 },
    ]);
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(server.requests[1]?.text).toBe(server.requests[0]?.text);
  });

  it('reads the wait from Retry-After when the body has none (seconds, or an HTTP date)', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const { client, slept } = await serve(
      (_, index) =>
        [
          { status: 429, headers: { 'retry-after': '3' }, body: '' },
          { status: 503, headers: { 'retry-after': at }, body: '' },
          jsonAnswer(200, { status: 'ok' }),
        ][index] ?? jsonAnswer(500, {}),
      { maxRetryWaitSeconds: 120 },
    );
    expect(await client.health()).toMatchObject({ ok: true });
    expect(slept[0]).toBe(3000);
    expect(slept[1]).toBeGreaterThan(50_000);
    expect(slept[1]).toBeLessThanOrEqual(61_000);
  });

  it("waits a second on API Gateway's throttling, which names no wait", async () => {
    const { client, slept } = await serve((_, index) =>
      index === 0 ? jsonAnswer(429, { message: 'Too Many Requests' }) : jsonAnswer(200, {}),
    );
    expect(await client.health()).toMatchObject({ ok: true });
    expect(slept).toEqual([1000]);
  });

  it('stops after maxAttempts and answers the last refusal', async () => {
    const { client, server, slept } = await serve(
      () => jsonAnswer(503, { error: 'unavailable', message: 'down', retryAfter: 1 }),
      { maxAttempts: 4 },
    );
    const outcome = await client.requestPermission({ from: business, to: newUser() });
    expect(outcome).toEqual({
      ok: false,
      status: 503,
      error: { code: 'unavailable', message: 'down', retryAfter: 1 },
    });
    expect(server.requests).toHaveLength(4);
    expect(slept).toEqual([1000, 1000, 1000]);
  });

  it('does not resend other refusals', async () => {
    const { client, server } = await serve(() =>
      jsonAnswer(502, { error: 'plivo_error', message: 'Plivo said no', retryAfter: 1 }),
    );
    await client.placeCall({ from: business, to: newUser() });
    expect(server.requests).toHaveLength(1);
  });
});
