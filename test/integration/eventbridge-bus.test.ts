/**
 * The EventBridge bus over real HTTP: the SDK's client against a 127.0.0.1 server that answers PutEvents
 * as EventBridge does (AWS JSON 1.1), whole-request errors and per-entry failures included.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { createEventBridgeBus } from '../../functions/shared/events/eventbridge-bus.js';
import { exampleNumbers, temporaryGrantMs } from '../support/fixtures.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';

const busName = 'callgate-events';
const business = exampleNumbers.india;
const t0 = Date.UTC(2030, 5, 1, 10);

interface WireEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time: number;
}

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly entries: readonly WireEntry[];
  /** The envelope ids of the request's entries, in order. */
  readonly ids: readonly string[];
}

/** How the server answers a request: a status and body for it whole, or which entries fail. */
type Answer = { status: number; body: unknown } | { failIds: ReadonlySet<string> };
let answer: (request: Received, index: number) => Answer;
const received: Received[] = [];
let eventBridge: Loopback;

const idOf = (entry: WireEntry) => (JSON.parse(entry.Detail) as Envelope).id;

beforeAll(async () => {
  eventBridge = await startLoopback((request) => {
    const { Entries: entries } = request.json<{ Entries: WireEntry[] }>();
    const got = { headers: request.headers, entries, ids: entries.map(idOf) };
    const reply = answer(got, received.length);
    received.push(got);
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' };
    if ('status' in reply) return jsonAnswer(reply.status, reply.body, headers);
    const results = got.ids.map((id) =>
      reply.failIds.has(id)
        ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
        : { EventId: randomUUID() },
    );
    const failed = results.filter((r) => 'ErrorCode' in r).length;
    return jsonAnswer(200, { FailedEntryCount: failed, Entries: results }, headers);
  });
});

afterAll(() => eventBridge.close());

beforeEach(() => {
  received.length = 0;
  answer = () => ({ failIds: new Set() });
});

// A fresh client per bus: the SDK's retry quota is per client.
const bus = (attempts?: number) =>
  createEventBridgeBus({
    busName,
    attempts,
    backoffMs: 1,
    client: new EventBridgeClient({
      endpoint: eventBridge.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 3,
    }),
  });

let changeCounter = 0;
/** Envelopes as the events function derives them: a grant, a placed call, its end, in turn. */
const envelopes = (count: number): Envelope[] =>
  Array.from({ length: count }, (_, i): Envelope => {
    const id = `${++changeCounter}c0ffee${String(i).padStart(4, '0')}-0`;
    const user = `+91980000${String(i).padStart(4, '0')}`;
    const time = new Date(t0 + i * 1000).toISOString();
    const callId = randomUUID();
    switch (i % 3) {
      case 0:
        return {
          id,
          type: 'permission.granted',
          time,
          business,
          user,
          data: {
            permanent: false,
            expiresAt: new Date(t0 + temporaryGrantMs).toISOString(),
            source: 'reply',
          },
        };
      case 1:
        return { id, type: 'call.placed', time, business, user, data: { callId, agent: null } };
      default:
        return {
          id,
          type: 'call.ended',
          time,
          business,
          user,
          data: {
            callId,
            direction: 'outbound',
            durationSeconds: 42,
            hangupCause: 'NORMAL_CLEARING',
            outcome: 'answered',
          },
        };
    }
  });

const throttled = {
  status: 400,
  body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
};
const internal = { status: 500, body: { __type: 'InternalException', message: 'Internal error' } };

describe('EventBridge bus over HTTP', () => {
  it('puts 23 envelopes in requests of 10, 10 and 3, each entry from its envelope', async () => {
    const sent = envelopes(23);
    expect(await bus().put(sent)).toEqual({ failedIds: [] });
    expect(received.map((r) => r.entries.length)).toEqual([10, 10, 3]);
    for (const request of received) {
      expect(request.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
      expect(request.headers['content-type']).toBe('application/x-amz-json-1.1');
    }
    const entries = received.flatMap((r) => r.entries);
    expect(entries).toHaveLength(sent.length);
    entries.forEach((entry, i) => {
      const envelope = sent[i] as Envelope;
      expect(entry.Source).toBe('callgate');
      expect(entry.DetailType).toBe(envelope.type);
      expect(JSON.parse(entry.Detail)).toEqual(envelope);
      expect(entry.EventBusName).toBe(busName);
      // AWS JSON sends timestamps as epoch seconds.
      expect(entry.Time * 1000).toBe(Date.parse(envelope.time));
    });
  });

  it('puts again only the entries that failed, and reports none when they then go', async () => {
    const sent = envelopes(13);
    const failing = new Set([sent[2]?.id, sent[7]?.id, sent[11]?.id] as string[]);
    answer = (_, index) => ({ failIds: index === 0 || index === 2 ? failing : new Set() });
    expect(await bus().put(sent)).toEqual({ failedIds: [] });
    expect(received.map((r) => r.ids)).toEqual([
      sent.slice(0, 10).map((e) => e.id),
      [sent[2]?.id, sent[7]?.id],
      sent.slice(10).map((e) => e.id),
      [sent[11]?.id],
    ]);
    // A re-put entry is the same entry, not a rebuilt one.
    expect(received[1]?.entries[0]).toEqual(received[0]?.entries[2]);
  });

  it('reports an entry that fails on every one of its attempts, and only it', async () => {
    const sent = envelopes(5);
    const doomed = sent[3]?.id as string;
    answer = () => ({ failIds: new Set([doomed]) });
    expect(await bus(3).put(sent)).toEqual({ failedIds: [doomed] });
    expect(received.map((r) => r.ids)).toEqual([sent.map((e) => e.id), [doomed], [doomed]]);
  });

  it('reports the failed entries of every request of the batch', async () => {
    const sent = envelopes(21);
    const doomed = [sent[0]?.id, sent[15]?.id, sent[20]?.id] as string[];
    answer = () => ({ failIds: new Set(doomed) });
    expect(await bus(2).put(sent)).toEqual({ failedIds: doomed });
    expect(received).toHaveLength(6);
  });

  for (const [name, error] of [
    ['a 500', internal],
    ['a ThrottlingException', throttled],
  ] as const) {
    it(`lets the SDK retry a request answered with ${name} whole`, async () => {
      const sent = envelopes(4);
      answer = (_, index) => (index === 0 ? error : { failIds: new Set() });
      expect(await bus().put(sent)).toEqual({ failedIds: [] });
      expect(received.map((r) => r.ids)).toEqual([sent.map((e) => e.id), sent.map((e) => e.id)]);
    });

    it(`rejects when every try of a request is answered with ${name}`, async () => {
      answer = () => error;
      await expect(bus().put(envelopes(4))).rejects.toMatchObject({
        name: error.body.__type,
        $metadata: { httpStatusCode: error.status, attempts: 3 },
      });
      expect(received).toHaveLength(3);
    });
  }

  it('rejects on a later request after putting the earlier ones', async () => {
    const sent = envelopes(15);
    answer = (_, index) => (index === 0 ? { failIds: new Set() } : internal);
    await expect(bus().put(sent)).rejects.toMatchObject({ name: 'InternalException' });
    // The first ten went; a caller retries all fifteen, and consumers deduplicate on the ids.
    expect(received.map((r) => r.entries.length)).toEqual([10, 5, 5, 5]);
  });

  it('sends nothing for no envelopes', async () => {
    expect(await bus().put([])).toEqual({ failedIds: [] });
    expect(received).toHaveLength(0);
  });
});
