/** The Plivo REST adapter over real HTTP, against a 127.0.0.1 server standing in for api.plivo.com. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { createPlivoRest } from '../../functions/shared/telephony/plivo-rest.js';
import { type CallParams, TelephonyError } from '../../functions/shared/telephony/port.js';

const authId = 'MAXXXXXXXXXXXXXXXXXX';
const authToken = 'plivo-secret-token';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What the next request gets: status and raw body, or no answer at all. */
let reply: { status: number; body: string } | 'hang' = { status: 201, body: '{}' };
const received: Received[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      if (reply === 'hang') return;
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

beforeEach(() => {
  received.length = 0;
  metrics = createMetricsRecorder();
});

/** What the adapters count, reset before each test. */
let metrics = createMetricsRecorder();

const adapter = (options: { timeoutMs?: number; url?: string } = {}) =>
  createPlivoRest({
    credentials: async () => ({ authId, authToken }),
    baseUrl: options.url ?? baseUrl,
    timeoutMs: options.timeoutMs ?? 2_000,
    metrics: metrics.forFunction('place-call'),
  });

/** PlivoApiErrors counted, as `status country`. */
const plivoErrors = () =>
  metrics.counted
    .filter((m) => m.name === 'PlivoApiErrors')
    .map((m) => `${m.dimensions.status} ${m.dimensions.country}`);

const call: CallParams = {
  from: '918035737458',
  to: 'sip:support@phone.plivo.com',
  answer_url: 'https://callgate.example.com/plivo/whatsapp/answer?call=c1',
  answer_method: 'POST',
  hangup_url: 'https://callgate.example.com/plivo/whatsapp/hangup?call=c1',
  hangup_method: 'POST',
  ring_timeout: 30,
  time_limit: 14_400,
};

const failure = async (promise: Promise<unknown>): Promise<TelephonyError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TelephonyError);
  return error as TelephonyError;
};

describe('Call API', () => {
  it('201: posts the call as JSON with basic auth to the account URL and returns request_uuid', async () => {
    reply = {
      status: 201,
      body: JSON.stringify({ api_id: 'a1', message: 'call fired', request_uuid: 'r-123' }),
    };
    expect(await adapter().placeCall(call)).toEqual({ requestUuid: 'r-123' });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/v1/Account/${authId}/Call/`);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,
    );
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual(call);
  });

  it.each([400, 401, 404, 429])(
    '%i: refused, with the status and Plivo’s error text',
    async (status) => {
      reply = { status, body: JSON.stringify({ api_id: 'a1', error: 'invalid to address' }) };
      const error = await failure(adapter().placeCall(call));
      expect(error.kind).toBe('refused');
      expect(error.status).toBe(status);
      expect(error.message).toContain('invalid to address');
      expect(error.message).not.toContain(authToken);
      expect(plivoErrors()).toEqual([`${status} IN`]);
    },
  );

  it.each([500, 502, 503])('%i: refused, also with a body that is not JSON', async (status) => {
    reply = { status, body: '<html>Bad gateway</html>' };
    const error = await failure(adapter().placeCall(call));
    expect([error.kind, error.status]).toEqual(['refused', status]);
  });

  it('201 without request_uuid, or with a body that is not JSON: refused', async () => {
    reply = { status: 201, body: JSON.stringify({ api_id: 'a1' }) };
    expect((await failure(adapter().placeCall(call))).kind).toBe('refused');
    reply = { status: 201, body: 'not json' };
    expect((await failure(adapter().placeCall(call))).kind).toBe('refused');
    expect(plivoErrors()).toEqual(['refused IN', 'refused IN']);
  });

  it('no answer within timeoutMs: timeout', async () => {
    reply = 'hang';
    const error = await failure(adapter({ timeoutMs: 200 }).placeCall(call));
    expect(error.kind).toBe('timeout');
    expect(received).toHaveLength(1);
    expect(plivoErrors()).toEqual(['timeout IN']);
  });

  it('connection refused: unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(adapter({ url: `http://127.0.0.1:${port}` }).placeCall(call));
    expect(error.kind).toBe('unreachable');
    expect(plivoErrors()).toEqual(['unreachable IN']);
  });
});

describe('Message API', () => {
  it('202: sends the template and returns the first message_uuid', async () => {
    reply = {
      status: 202,
      body: JSON.stringify({ api_id: 'a2', message: 'message(s) queued', message_uuid: ['m-1'] }),
    };
    const template = { name: 'call_permission_request', language: 'en' };
    const sent = await adapter().sendTemplate({
      src: '918035737458',
      dst: '919412341234',
      type: 'whatsapp',
      template,
    });
    expect(sent).toEqual({ messageUuid: 'm-1' });
    expect(received[0]?.url).toBe(`/v1/Account/${authId}/Message/`);
    expect(received[0]?.body).toMatchObject({ type: 'whatsapp', template });
  });
});

describe('Live Call API', () => {
  it('GET ?status=live with basic auth: the live CallUUIDs, listed as strings or objects', async () => {
    const [a, b] = ['eac94337-b1cd-499b-82d1-b39bca50dc31', '2a3c7e4f-9d41-4f7a-8a55-7c0f5a3e9b12'];
    reply = { status: 200, body: JSON.stringify({ api_id: 'x', calls: [a, { call_uuid: b }, 7] }) };
    expect(await adapter().liveCallUuids()).toEqual(new Set([a, b]));
    const [request] = received;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(`/v1/Account/${authId}/Call/?status=live`);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,
    );
    expect(request?.body).toBeUndefined();
  });

  it('no live calls, or an answer without a list: an empty set; an HTTP error: refused', async () => {
    reply = { status: 200, body: '{"api_id":"x"}' };
    expect(await adapter().liveCallUuids()).toEqual(new Set());
    reply = { status: 500, body: '{"error":"internal error"}' };
    await expect(adapter().liveCallUuids()).rejects.toMatchObject({ kind: 'refused', status: 500 });
  });
});
