/**
 * The client's SigV4 signature, checked as API Gateway checks it: the server side signs the request it
 * received again with the AWS SDK's own signer (the headers the signature names, its date, the same
 * secret) and compares. The default credential chain is read when none are given.
 */
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../../client/client.js';
import { sigV4Service } from '../../../client/sigv4.js';
import { exampleNumbers, newUser } from '../../support/fixtures.js';
import {
  jsonAnswer,
  type Loopback,
  type LoopbackRequest,
  startLoopback,
} from '../../support/loopback.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCY',
};
const region = 'eu-west-1';
let server: Loopback | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** The signature API Gateway would compute for what arrived, with `secret`. */
const expectedAuthorization = async (request: LoopbackRequest, secretAccessKey: string) => {
  const authorization = String(request.headers.authorization);
  const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const accessKeyId = /Credential=([^/]+)\//.exec(authorization)?.[1] ?? '';
  const headers: Record<string, string> = {};
  for (const name of signedNames) headers[name] = String(request.headers[name]);
  // The body's hash is what arrived, never what the header claims.
  if ('x-amz-content-sha256' in headers) {
    headers['x-amz-content-sha256'] = createHash('sha256').update(request.text).digest('hex');
  }
  const url = new URL(request.url, `http://${request.headers.host}`);
  const query: Record<string, string[]> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const verifier = new SignatureV4({
    service: sigV4Service,
    region,
    credentials: { accessKeyId, secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await verifier.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      body: request.text === '' ? undefined : request.text,
    },
    { signingDate },
  );
  return signed.headers.authorization;
};

const serve = async () => {
  server = await startLoopback(() => jsonAnswer(200, { items: [] }));
  return server;
};

describe('SigV4', () => {
  it('signs a body, a percent-encoded path and a query as API Gateway verifies them', async () => {
    const server = await serve();
    const client = createClient({
      baseUrl: server.url,
      auth: { kind: 'sigv4', region, credentials },
    });
    const business = exampleNumbers.india;
    const user = newUser();
    await client.correctPermission({ business, user }, { status: 'revoked' });
    await client.listCalls({ business, since: '2026-12-01T00:00:00Z', limit: 2 });
    await client.placeCall({ from: business, to: user });
    expect(server.requests).toHaveLength(3);
    for (const request of server.requests) {
      const authorization = String(request.headers.authorization);
      expect(authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${region}/execute-api/aws4_request, SignedHeaders=`,
        ),
      );
      expect(authorization).toContain('host');
      expect(authorization).toEqual(
        await expectedAuthorization(request, credentials.secretAccessKey),
      );
      expect(authorization).not.toEqual(await expectedAuthorization(request, 'another secret'));
    }
    // The body and the Idempotency-Key are signed: neither can be changed on the way.
    const [, , placement] = server.requests;
    expect(placement?.headers.authorization).toMatch(/SignedHeaders=[^,]*idempotency-key/);
    const tampered = {
      ...placement,
      text: placement?.text.replace(user, newUser()),
    } as LoopbackRequest;
    expect(await expectedAuthorization(tampered, credentials.secretAccessKey)).not.toEqual(
      placement?.headers.authorization,
    );
  });

  it('reads credentials from the usual AWS chain when none are given (here the environment)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'env-session');
    const server = await serve();
    const client = createClient({ baseUrl: server.url, auth: { kind: 'sigv4', region } });
    expect(await client.health()).toMatchObject({ ok: true });
    const [request] = server.requests;
    expect(String(request?.headers.authorization)).toContain('Credential=AKIDFROMENV/');
    expect(request?.headers['x-amz-security-token']).toBe('env-session');
    if (!request) throw new Error('no request');
    expect(request.headers.authorization).toEqual(
      await expectedAuthorization(request, 'env-secret'),
    );
  });
});
