/**
 * The event-webhook function on SQS batches shaped as Lambda delivers them, POSTing to a loopback
 * receiver that verifies with the `standardwebhooks` library: what it sends, and which messages it
 * reports so SQS tries them again.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, type EventWebhookDeps } from '../../../functions/event-webhook/handler.js';
import { webhookCredentials } from '../../../functions/shared/events/webhook-delivery.js';
import { createLogger } from '../../../functions/shared/log.js';
import { createMetricsRecorder } from '../../../functions/shared/metrics.js';
import { type Loopback, type LoopbackRequest, startLoopback } from '../../support/loopback.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const apiKey = `key-${randomUUID()}`;

/** What the receiver answers, by the path it was called on. */
let answer: (path: string) => number | 'hang' = () => 204;
let receiver: Loopback;
let received: LoopbackRequest[];
beforeAll(async () => {
  receiver = await startLoopback(({ url }) => {
    const status = answer(url);
    if (status === 'hang') return 'hang';
    return { status, headers: status === 302 ? { location: `${receiver.url}/elsewhere` } : {} };
  });
  received = receiver.requests;
});
afterAll(() => receiver.close());
beforeEach(() => {
  received.length = 0;
  answer = () => 204;
});

const envelope = (type = 'call.ended') => ({
  id: randomUUID(),
  type,
  business: '+918035737458',
  data: { callId: randomUUID() },
});

const message = (body: string, receiveCount = 1): SQSRecord => ({
  messageId: randomUUID(),
  receiptHandle: randomUUID(),
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: String(Date.now()),
    SenderId: 'events.amazonaws.com',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:WebhookQueue',
  awsRegion: 'eu-west-1',
});

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

const handlerFor = (overrides: Partial<EventWebhookDeps> = {}) => {
  const recorder = createMetricsRecorder();
  const handler = createHandler({
    url: `${receiver.url}/hook`,
    credentials: async () => webhookCredentials(secret, {}),
    now: () => Date.now(),
    logger: createLogger(),
    metrics: recorder.forFunction('event-webhook'),
    timeoutMs: 300,
    ...overrides,
  });
  const counts = (name: string) =>
    recorder.counted.filter((c) => c.name === name).map((c) => c.dimensions.status ?? '');
  return { handler, counts };
};

const headersOf = (r: LoopbackRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('event-webhook', () => {
  it('POSTs each envelope as it was queued, signed: the verifier takes it, webhook-id is the event id', async () => {
    const { handler, counts } = handlerFor();
    const envelopes = [envelope('permission.granted'), envelope('call.placed')];
    // The bytes EventBridge queued, spacing included: signed and sent as they are.
    const bodies = envelopes.map((e) => JSON.stringify(e, null, 1));
    const result = await handler(batch(...bodies.map((b) => message(b))));
    expect(result.batchItemFailures).toEqual([]);
    expect(received.map((r) => r.text)).toEqual(bodies);
    for (const [i, r] of received.entries()) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toBe(envelopes[i]?.id);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(new Webhook(secret).verify(r.text, headersOf(r))).toEqual(envelopes[i]);
    }
    expect(counts('WebhookDelivered')).toHaveLength(2);
    expect(counts('WebhookFailed')).toEqual([]);
  });

  it('signs each attempt at its own time, with the same webhook-id', async () => {
    const body = JSON.stringify(envelope());
    let now = Date.UTC(2030, 0, 1);
    const { handler } = handlerFor({ now: () => now });
    await handler(batch(message(body)));
    now += 360_000;
    await handler(batch(message(body, 2)));
    const [first, second] = received;
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(Number(second?.headers['webhook-timestamp'])).toBe(
      Number(first?.headers['webhook-timestamp']) + 360,
    );
    expect(second?.headers['webhook-signature']).not.toBe(first?.headers['webhook-signature']);
  });

  it('reports every envelope the receiver did not take with a 2xx (4xx, 5xx, a redirect not followed); the others are done', async () => {
    const { handler, counts } = handlerFor();
    const envelopes = [envelope(), envelope(), envelope(), envelope(), envelope()];
    const answers = [200, 500, 400, 302, 202];
    let n = 0;
    answer = () => answers[n++] ?? 204;
    const records = envelopes.map((e) => message(JSON.stringify(e)));
    const result = await handler(batch(...records));
    expect(result.batchItemFailures).toEqual(
      [records[1], records[2], records[3]].map((r) => ({ itemIdentifier: r?.messageId })),
    );
    expect(received.map((r) => r.url)).toEqual(Array(5).fill('/hook'));
    expect(counts('WebhookFailed')).toEqual(['500', '400', '302']);
    expect(counts('WebhookDelivered')).toHaveLength(2);
  });

  it('a receiver that does not answer in time fails the rest of the batch untried', async () => {
    answer = () => 'hang';
    const { handler, counts } = handlerFor();
    const records = [envelope(), envelope(), envelope()].map((e) => message(JSON.stringify(e)));
    const result = await handler(batch(...records));
    expect(result.batchItemFailures).toEqual(records.map((r) => ({ itemIdentifier: r.messageId })));
    expect(received).toHaveLength(1);
    expect(counts('WebhookFailed')).toEqual(['timeout']);
  });

  it('an unreachable receiver fails the batch, counted unreachable', async () => {
    const closed = await startLoopback(() => 'hang');
    await closed.close();
    const { handler, counts } = handlerFor({ url: `${closed.url}/hook` });
    const records = [message(JSON.stringify(envelope())), message(JSON.stringify(envelope()))];
    const result = await handler(batch(...records));
    expect(result.batchItemFailures).toHaveLength(2);
    expect(counts('WebhookFailed')).toEqual(['unreachable']);
  });

  it('sends the configured header with its value from the secret, besides the signature', async () => {
    const stored = JSON.stringify({ signingSecret: secret, apiKey });
    const { handler } = handlerFor({
      credentials: async () =>
        webhookCredentials(stored, {
          signingSecretField: 'signingSecret',
          authHeader: { name: 'X-Api-Key', secretField: 'apiKey' },
        }),
    });
    const body = JSON.stringify(envelope());
    await handler(batch(message(body)));
    expect(received[0]?.headers['x-api-key']).toBe(apiKey);
    expect(() =>
      new Webhook(secret).verify(body, headersOf(received[0] as LoopbackRequest)),
    ).not.toThrow();
  });

  it('a secret it cannot read fails the whole batch, sending nothing and logging no secret', async () => {
    const { handler, counts } = handlerFor({
      credentials: async () => webhookCredentials('not-a-whsec-secret', {}),
    });
    const records = [message(JSON.stringify(envelope())), message(JSON.stringify(envelope()))];
    const result = await handler(batch(...records));
    expect(result.batchItemFailures).toHaveLength(2);
    expect(received).toEqual([]);
    expect(counts('WebhookFailed')).toEqual(['secret']);
  });

  it('a message that is not an envelope is reported, and the rest still go', async () => {
    const { handler, counts } = handlerFor();
    const bad = [message('not json'), message('{"type":"call.ended"}'), message('null')];
    const good = message(JSON.stringify(envelope()));
    const result = await handler(batch(...bad, good));
    expect(result.batchItemFailures).toEqual(bad.map((r) => ({ itemIdentifier: r.messageId })));
    expect(received).toHaveLength(1);
    expect(counts('WebhookFailed')).toEqual(['unreadable', 'unreadable', 'unreadable']);
  });
});

describe('webhookCredentials', () => {
  it('takes the whole secret string, or the named JSON fields', () => {
    const whole = webhookCredentials(secret, {});
    expect(whole.authHeader).toBeUndefined();
    const fields = webhookCredentials(JSON.stringify({ s: secret, k: apiKey }), {
      signingSecretField: 's',
      authHeader: { name: 'Authorization', secretField: 'k' },
    });
    expect(fields.key).toEqual(whole.key);
    expect(fields.authHeader).toEqual({ name: 'Authorization', value: apiKey });
    expect(
      webhookCredentials(JSON.stringify({ s: secret }), { signingSecretField: 's' }).key,
    ).toEqual(whole.key);
  });

  it('names a missing field or a secret that is not JSON, never a value', () => {
    const cases: [string, Parameters<typeof webhookCredentials>[1], RegExp][] = [
      [secret, { signingSecretField: 's' }, /is not JSON/],
      [JSON.stringify({ s: secret }), { signingSecretField: 'x' }, /no string field x$/],
      [
        JSON.stringify({ s: secret, k: 7 }),
        {
          signingSecretField: 's',
          authHeader: { name: 'X-Api-Key', secretField: 'k' },
        },
        /no string field k$/,
      ],
      ['null', { signingSecretField: 's' }, /no string field s$/],
    ];
    for (const [stored, layout, message] of cases) {
      expect(() => webhookCredentials(stored, layout)).toThrow(message);
      try {
        webhookCredentials(stored, layout);
      } catch (error) {
        expect((error as Error).message).not.toContain(secret.slice(6));
      }
    }
  });
});
