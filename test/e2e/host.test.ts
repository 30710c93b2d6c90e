import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { routes } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { signV2, signV3 } from '../support/plivo-sign.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const json = (response: Response): Promise<any> => response.json();

const webhookRoutes = routes.filter((r) => r.auth === 'plivo-signature');
const plivoParams = {
  CallUUID: 'c7a0f4c2-0000-4000-8000-000000000001',
  From: '919412341234',
  To: plivoDigits(exampleNumbers.india),
  Direction: 'inbound',
  CallStatus: 'ringing',
};

describe('local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  it('answers GET /health', async () => {
    const response = await fetch(`${host.url}/health`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'ok', businessNumbers: 3 });
  });

  it.each(webhookRoutes)('refuses an unsigned POST $path with 403', async ({ path }) => {
    const response = await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(plivoParams).toString(),
    });
    expect(response.status).toBe(403);
    expect(await json(response)).toEqual({
      error: 'bad_signature',
      message: 'Missing Plivo signature headers',
    });
  });

  it.each(webhookRoutes)('refuses a POST $path signed with another token', async ({ path }) => {
    const response = await postSignedForm(host, path, plivoParams, 'not-the-token');
    expect(response.status).toBe(403);
    expect((await json(response)).error).toBe('bad_signature');
  });

  it.each(webhookRoutes)('refuses a signed POST $path whose body was changed', async ({ path }) => {
    const headers = signV3({
      method: 'POST',
      url: `${host.publicBaseUrl}${path}`,
      params: plivoParams,
      authToken: 'sandbox-auth-token',
    });
    const response = await fetch(`${host.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...plivoParams, From: '919999999999' }).toString(),
    });
    expect(response.status).toBe(403);
  });

  it.each(webhookRoutes)('lets a correctly signed POST $path through', async ({ path }) => {
    const response = await postSignedForm(host, path, plivoParams);
    expect(response.status).not.toBe(403);
    expect(response.status).toBeLessThan(500);
  });

  it.each(webhookRoutes)(
    'accepts a V2 signature on $path only where Plivo may send V2',
    async ({ path }) => {
      const response = await fetch(`${host.url}${path}`, {
        method: 'POST',
        headers: {
          ...signV2({ url: `${host.publicBaseUrl}${path}`, authToken: 'sandbox-auth-token' }),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(plivoParams).toString(),
      });
      // V2 signs no body: voice callbacks, which always carry V3, refuse it.
      if (path === '/plivo/whatsapp/message') expect(response.status).toBe(200);
      else expect(response.status).toBe(403);
    },
  );

  it('answers unknown routes 404 and wrong methods 405 with contract errors', async () => {
    const missing = await fetch(`${host.url}/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toBe('not_found');
    const wrongMethod = await fetch(`${host.url}/plivo/whatsapp/answer`);
    expect(wrongMethod.status).toBe(405);
    expect((await json(wrongMethod)).error).toBe('method_not_allowed');
  });

  it('refuses a path that is not valid percent-encoding with 400', async () => {
    const response = await fetch(`${host.url}/v1/permissions/%E0%A4%A/919412341234`);
    expect(response.status).toBe(400);
  });

  it('moves the sandbox clock forward and refuses a bad advance', async () => {
    const before = Date.parse((await json(await fetch(`${host.url}/_sandbox/clock`))).now);
    const moved = await fetch(`${host.url}/_sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 86_400 }),
    });
    expect(moved.status).toBe(200);
    const now = Date.parse((await json(moved)).now);
    expect(now - before).toBeGreaterThanOrEqual(86_400_000);
    expect(now - before).toBeLessThan(86_400_000 + 60_000);
    const health = await json(await fetch(`${host.url}/health`));
    expect(Date.parse(health.time)).toBeGreaterThanOrEqual(now);
    const bad = await fetch(`${host.url}/_sandbox/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceSeconds: -5 }),
    });
    expect(bad.status).toBe(400);
  });

  it('shows what the sandbox would have sent to Plivo', async () => {
    const response = await fetch(`${host.url}/_sandbox/plivo/requests`);
    expect(response.status).toBe(200);
    expect(Array.isArray(await json(response))).toBe(true);
  });
});

describe('local host with API_TOKEN', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ apiToken: 'local-secret' });
  });
  afterAll(() => host.close());

  it('requires the bearer token on /v1 routes', async () => {
    const url = `${host.url}/v1/permissions/${encodeURIComponent(exampleNumbers.india)}/%2B919412341234`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const allowed = await fetch(url, { headers: { authorization: 'Bearer local-secret' } });
    expect(allowed.status).not.toBe(401);
  });

  it('keeps /health open', async () => {
    expect((await fetch(`${host.url}/health`)).status).toBe(200);
  });
});

describe('local host with real Plivo credentials', () => {
  it('serves no sandbox routes', async () => {
    const host = await startTestHost({
      plivo: {
        authId: 'MAXXXXXXXXXXXXXXXXXX',
        authToken: 'live-token',
        apiUrl: 'http://127.0.0.1:9',
      },
    });
    try {
      expect(host.sandbox).toBe(false);
      expect((await fetch(`${host.url}/_sandbox/plivo/requests`)).status).toBe(404);
    } finally {
      await host.close();
    }
  });
});
