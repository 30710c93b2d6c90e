/** The Plivo REST adapter over real HTTP, against a 127.0.0.1 server standing in for api.plivo.com. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { createPlivoRest } from '../../functions/shared/telephony/plivo-rest.js';
import {
  type CallParams,
  type MessageParams,
  TelephonyError,
} from '../../functions/shared/telephony/port.js';
import { type Loopback, type LoopbackRequest, startLoopback } from '../support/loopback.js';

const authId = 'MAXXXXXXXXXXXXXXXXXX';
const authToken = 'plivo-secret-token';

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** What the next request gets: status and raw body (or one by its URL), or no answer at all. */
let reply: Reply | ((url: string) => Reply) | 'hang' = { status: 201, body: '{}' };
let plivo: Loopback;
let received: LoopbackRequest[];
let baseUrl: string;

beforeAll(async () => {
  plivo = await startLoopback((request) => {
    if (reply === 'hang') return 'hang';
    const { status, body } = typeof reply === 'function' ? reply(request.url) : reply;
    return { status, headers: { 'content-type': 'application/json' }, body };
  });
  received = plivo.requests;
  baseUrl = plivo.url;
});

afterAll(() => plivo.close());

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
    expect(request?.json()).toEqual(call);
  });

  it.each([400, 401, 404, 429])(
    '%i: refused, with the status and Plivo’s error text',
    async (status) => {
      reply = { status, body: JSON.stringify({ api_id: 'a1', error: 'invalid to address' }) };
      const error = await failure(adapter().placeCall(call));
      expect([error.kind, error.mayHaveActed]).toEqual(['refused', false]);
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

  it('201 without request_uuid, or with a body that is not JSON: unreadable, so Plivo may have acted', async () => {
    reply = { status: 201, body: JSON.stringify({ api_id: 'a1' }) };
    const noId = await failure(adapter().placeCall(call));
    expect([noId.kind, noId.mayHaveActed]).toEqual(['unreadable', true]);
    reply = { status: 201, body: 'not json' };
    expect((await failure(adapter().placeCall(call))).kind).toBe('unreadable');
    expect(plivoErrors()).toEqual(['unreadable IN', 'unreadable IN']);
  });

  it('no answer within timeoutMs: timeout', async () => {
    reply = 'hang';
    const error = await failure(adapter({ timeoutMs: 200 }).placeCall(call));
    expect([error.kind, error.mayHaveActed]).toEqual(['timeout', true]);
    expect(received).toHaveLength(1);
    expect(plivoErrors()).toEqual(['timeout IN']);
  });

  it('connection refused: unreachable', async () => {
    const closed = await startLoopback(() => 'hang');
    await closed.close();
    const error = await failure(adapter({ url: closed.url }).placeCall(call));
    expect([error.kind, error.mayHaveActed]).toEqual(['unreachable', false]);
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
    const sent = await adapter().sendMessage({
      src: '918035737458',
      dst: '919412341234',
      type: 'whatsapp',
      template,
    });
    expect(sent).toEqual({ messageUuid: 'm-1' });
    expect(received[0]?.url).toBe(`/v1/Account/${authId}/Message/`);
    expect(received[0]?.json()).toMatchObject({ type: 'whatsapp', template });
  });

  it('202 without message_uuid: unreadable, so the message may have gone', async () => {
    reply = { status: 202, body: JSON.stringify({ api_id: 'a3', message: 'message(s) queued' }) };
    const error = await failure(
      adapter().sendMessage({
        src: '918035737458',
        dst: '919412341234',
        type: 'whatsapp',
        template: { name: 'call_permission_request', language: 'en' },
      }),
    );
    expect([error.kind, error.mayHaveActed]).toEqual(['unreadable', true]);
  });
});

describe('Message API against the SDK', () => {
  /** What plivo-node sends for the same message, captured by the same server. */
  const sdkBody = async (params: MessageParams): Promise<unknown> => {
    const { Client } = await import('plivo');
    const client = new Client(authId, authToken, { url: `${baseUrl}/v1/Account/${authId}` });
    const { src, dst, ...optional } = params;
    await client.messages.create(src, dst, undefined as unknown as string, optional);
    return received.at(-1)?.json();
  };

  const adapterBody = async (params: MessageParams): Promise<unknown> => {
    await adapter().sendMessage(params);
    return received.at(-1)?.json();
  };

  it.each<[string, MessageParams]>([
    [
      'the template',
      {
        src: '918035737458',
        dst: '919412341234',
        type: 'whatsapp',
        template: { name: 'call_permission_request', language: 'en' },
      },
    ],
    [
      'the free-form request with a body',
      {
        src: '918035737458',
        dst: '919412341234',
        type: 'whatsapp',
        interactive: {
          type: 'call_permission_request',
          action: { name: 'call_permission_request' },
          body: { text: 'May we call you about your order?' },
        },
      },
    ],
    [
      'the free-form request without a body',
      {
        src: '918035737458',
        dst: '919412341234',
        type: 'whatsapp',
        interactive: {
          type: 'call_permission_request',
          action: { name: 'call_permission_request' },
        },
      },
    ],
  ])('%s: the same JSON body as plivo-node sends, to the same URL', async (_, params) => {
    reply = {
      status: 202,
      body: JSON.stringify({ api_id: 'a3', message: 'message(s) queued', message_uuid: ['m-2'] }),
    };
    const ours = await adapterBody(params);
    const oursUrl = received.at(-1)?.url;
    const theirs = await sdkBody(params);
    expect(ours).toEqual(theirs);
    expect(received.at(-1)?.url).toBe(oursUrl);
    expect(received.at(-1)?.headers['content-type']).toContain('application/json');
  });
});

describe('Live Call API', () => {
  const uuids = (count: number) =>
    Array.from(
      { length: count },
      (_, n) => `${String(n).padStart(8, '0')}-b1cd-499b-82d1-b39bca50dc31`,
    );
  const listPath = (offset: number) =>
    `/v1/Account/${authId}/Call/?status=live&limit=20&offset=${offset}`;
  /** Plivo listing `live` 20 at a time from the `offset` asked for. */
  const paged =
    (live: readonly string[]) =>
    (url: string): Reply => {
      const offset = Number(new URL(url, baseUrl).searchParams.get('offset'));
      return {
        status: 200,
        body: JSON.stringify({ api_id: 'x', calls: live.slice(offset, offset + 20) }),
      };
    };
  const liveCalls = () => {
    const live = adapter().liveCalls;
    if (!live) throw new Error('the REST adapter lists live calls');
    return live;
  };

  it('GET ?status=live&limit=20&offset=0 with basic auth: one page shorter than 20 is the whole list', async () => {
    const [a, b] = ['EAC94337-B1CD-499B-82D1-B39BCA50DC31', '2a3c7e4f-9d41-4f7a-8a55-7c0f5a3e9b12'];
    reply = { status: 200, body: JSON.stringify({ api_id: 'x', calls: [a, b] }) };
    expect(await liveCalls().list()).toEqual({
      kind: 'listed',
      callUuids: new Set([a.toLowerCase(), b]),
    });
    const [request] = received;
    expect(received).toHaveLength(1);
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(listPath(0));
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${authId}:${authToken}`).toString('base64')}`,
    );
    expect(request?.text).toBe('');
  });

  it('reads page after page by offset until one is short: 1,000 calls are 51 pages', async () => {
    const live = uuids(1_000);
    reply = paged(live);
    expect(await liveCalls().list()).toEqual({ kind: 'listed', callUuids: new Set(live) });
    const offsets = received.map((r) => r.url);
    expect(new Set(offsets).size).toBe(offsets.length);
    // Every page up to the empty one at 1,000; pages asked for beside it are empty too.
    for (let offset = 0; offset <= 1_000; offset += 20) expect(offsets).toContain(listPath(offset));
    expect(
      offsets.every((url) =>
        url.startsWith(`/v1/Account/${authId}/Call/?status=live&limit=20&offset=`),
      ),
    ).toBe(true);
  });

  it('a page of exactly 20 is not the end: the next, empty, page ends the list', async () => {
    const live = uuids(20);
    reply = paged(live);
    expect(await liveCalls().list()).toEqual({ kind: 'listed', callUuids: new Set(live) });
    expect(received.map((r) => r.url)).toEqual([listPath(0), listPath(20), listPath(40)]);
  });

  it('a 200 that is not the documented list is unknown, never an empty list', async () => {
    for (const body of ['{"api_id":"x"}', '{"api_id":"x","calls":[', '[]', '{"calls":[]}']) {
      reply = { status: 200, body };
      expect(await liveCalls().list(), body).toMatchObject({
        kind: 'unknown',
        reason: 'unreadable',
      });
    }
    expect(plivoErrors()).toEqual([]);
  });

  it('a page Plivo refuses fails the whole list: refused, counted', async () => {
    const live = uuids(100);
    reply = (url) =>
      url === listPath(40) ? { status: 500, body: '{"error":"internal error"}' } : paged(live)(url);
    await expect(liveCalls().list()).rejects.toMatchObject({ kind: 'refused', status: 500 });
    expect(plivoErrors()).toEqual(['500 unknown']);
  });

  it('looks one call up: 200 with its call_uuid is live, 404 is not live, anything else unknown', async () => {
    const [uuid] = uuids(1) as [string];
    reply = {
      status: 200,
      body: JSON.stringify({ api_id: 'x', call_status: 'in-progress', call_uuid: uuid }),
    };
    expect(await liveCalls().lookup(uuid)).toBe('live');
    expect(received[0]?.url).toBe(`/v1/Account/${authId}/Call/${uuid}/?status=live`);
    reply = { status: 404, body: JSON.stringify({ api_id: 'x', error: 'not found' }) };
    expect(await liveCalls().lookup(uuid)).toBe('not_live');
    reply = { status: 404, body: '<html>not found</html>' };
    expect(await liveCalls().lookup(uuid)).toBe('unknown');
    reply = { status: 200, body: JSON.stringify({ api_id: 'x', call_uuid: uuids(2)[1] }) };
    expect(await liveCalls().lookup(uuid)).toBe('unknown');
    expect(plivoErrors()).toEqual([]);
    reply = { status: 503, body: '{"error":"unavailable"}' };
    await expect(liveCalls().lookup(uuid)).rejects.toMatchObject({ kind: 'refused', status: 503 });
    expect(plivoErrors()).toEqual(['503 unknown']);
  });
});
