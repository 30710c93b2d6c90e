/**
 * API keys through the local host, which runs the API-key authorizer's own handler before each route
 * of a group `api.auth` gives API keys, as API Gateway runs it on AWS. Locally nothing is cached: a
 * revoked key stops at its next request (on AWS, within the authorizer's 60 s cache TTL).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../functions/shared/config/schema.js';
import { createApiKey, revokeApiKey } from '../../functions/shared/operations/api-keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const apiToken = 'iam-stand-in-token-only-in-this-test';

/** Calls, permissions and intents take API keys; numbers stays IAM (locally: the API_TOKEN bearer). */
const mixedConfig = (): Config => ({
  ...alwaysOpenExampleConfig(),
  api: { auth: { calls: 'api-key', permissions: 'api-key', intents: 'api-key', numbers: 'iam' } },
});

describe('API keys through the local host', () => {
  let host: LocalHost;
  const output: string[] = [];
  const restore: (() => void)[] = [];
  const heldKeys: string[] = [];

  beforeAll(async () => {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        output.push(String(chunk));
        return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = write;
      });
    }
    host = await startTestHost({ config: mixedConfig(), apiToken });
  });

  afterAll(async () => {
    await host?.close();
    for (const undo of restore.splice(0)) undo();
  });

  const newKey = async (scopes: Parameters<typeof createApiKey>[1]['scopes'], name = 'crm') => {
    const created = await createApiKey(host.deps.db, { name, scopes }, host.clock.now());
    heldKeys.push(created.apiKey);
    return created;
  };

  const send = (method: string, path: string, authorization?: string, body?: unknown) =>
    fetch(`${host.url}${path}`, {
      method,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const permissionPath = (user: string) =>
    `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`;

  it('places a call with a key that has calls:write, and refuses it 403 on permissions:write', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const { apiKey } = await newKey(['calls:write']);
    const placed = await send('POST', '/v1/calls', `Bearer ${apiKey}`, {
      from: business,
      to: user,
    });
    expect(placed.status).toBe(201);
    const correction = await send('PUT', permissionPath(user), `Bearer ${apiKey}`, {
      status: 'revoked',
    });
    expect(correction.status).toBe(403);
    expect(await correction.json()).toEqual({
      error: 'forbidden',
      message: 'This API key lacks the scope permissions:write',
    });
    const read = await send('GET', permissionPath(user), `Bearer ${apiKey}`);
    expect(read.status).toBe(403);
    expect(((await read.json()) as { message: string }).message).toBe(
      'This API key lacks the scope permissions:read',
    );
  });

  it('serves a key with several scopes on each of them', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const { apiKey } = await newKey(['calls:read', 'permissions:read'], 'ticketing');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => send('GET', permissionPath(user), `Bearer ${apiKey}`)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const unknownCall = await send(
      'GET',
      '/v1/calls/00000000-0000-4000-8000-000000000000',
      `Bearer ${apiKey}`,
    );
    expect(unknownCall.status).toBe(404);
  });

  it('answers a missing key 401 and every bad key the same 403, as API Gateway does', async () => {
    const { apiKey, view } = await newKey(['calls:write'], 'revoked-one');
    await revokeApiKey(host.deps.db, view.keyId, host.clock.now());
    const { apiKey: live } = await newKey(['calls:write'], 'live-one');
    const body = { from: business, to: newUser() };
    const missing = await send('POST', '/v1/calls', undefined, body);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe('{"message":"Unauthorized"}');
    const bad = {
      unknown: `Bearer cg_${'0'.repeat(16)}_${live.slice(20)}`,
      malformed: `Bearer ${live.slice(0, -1)}`,
      'not a bearer': live,
      'wrong secret': `Bearer ${live.slice(0, 20)}${'A'.repeat(43)}`,
      revoked: `Bearer ${apiKey}`,
    };
    const answers = await Promise.all(
      Object.values(bad).map(async (authorization) => {
        const response = await send('POST', '/v1/calls', authorization, body);
        return {
          status: response.status,
          contentType: response.headers.get('content-type'),
          body: await response.text(),
        };
      }),
    );
    expect(answers).toEqual(
      Object.keys(bad).map(() => ({
        status: 403,
        contentType: 'application/json',
        body: '{"message":"Forbidden"}',
      })),
    );
    const reasons = host.metrics
      .filter((m) => m.name === 'ApiKeysRefused')
      .map((m) => [m.dimensions.function, m.dimensions.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['api-key-authorizer', 'unknown'],
        ['api-key-authorizer', 'malformed'],
        ['api-key-authorizer', 'wrong_secret'],
        ['api-key-authorizer', 'revoked'],
      ]),
    );
  });

  it('stops a key at the request after its revocation', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const { apiKey, view } = await newKey(['permissions:read'], 'to-revoke');
    expect((await send('GET', permissionPath(user), `Bearer ${apiKey}`)).status).toBe(200);
    await revokeApiKey(host.deps.db, view.keyId, host.clock.now());
    expect((await send('GET', permissionPath(user), `Bearer ${apiKey}`)).status).toBe(403);
  });

  it('keeps an IAM group on its own way in: the API_TOKEN bearer, never a key', async () => {
    const { apiKey } = await newKey(['numbers:write'], 'numbers');
    const lift = `/v1/numbers/${encodeURIComponent(business)}/pause`;
    expect((await send('DELETE', lift, `Bearer ${apiKey}`)).status).toBe(401);
    expect((await send('DELETE', lift, `Bearer ${apiToken}`)).status).not.toBe(401);
    expect((await send('GET', '/health')).status).toBe(200);
  });

  it('never writes a key, its secret or its hash to the logs', () => {
    const text = output.join('');
    expect(heldKeys.length).toBeGreaterThan(5);
    for (const key of heldKeys) {
      const secret = key.slice(20);
      const hash = createHash('sha256').update(secret).digest('base64url');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hash);
    }
    expect(text).not.toContain(apiToken);
    expect(text).toContain('api key refused');
  });
});
