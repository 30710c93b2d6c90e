/**
 * Events end to end through the local host: every scenario's committed changes read back from DynamoDB
 * Local's stream by the events function, as `GET /_sandbox/events` and the webhook show them.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createHandler as eventsHandler } from '../../functions/events/handler.js';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { createLogger } from '../../functions/shared/log.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { createLocalEventBus } from '../../local/event-bus.js';
import type { LocalHost } from '../../local/host.js';
import { startStreamReader } from '../../local/stream.js';
import { exampleAgents, exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  pathOf,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import { type Loopback, startLoopback } from '../support/loopback.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;

const sandboxEvents = async (host: LocalHost, after?: string) => {
  const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
  const response = await fetch(`${host.url}/_sandbox/events${query}`);
  return { status: response.status, events: (await response.json()) as Envelope[] };
};

/** A user's events, as a consumer filtering on the pair would see them, after the stream caught up. */
const eventsOf = async (host: LocalHost, user: string) => {
  await host.settled();
  return (await sandboxEvents(host)).events.filter((e) => e.user === user);
};

/** The types of one item's events (DynamoDB orders a stream per item, not across items). */
const pairTypes = (events: readonly Envelope[]) =>
  events.filter((e) => e.type.startsWith('permission.')).map((e) => e.type);
const callTypes = (events: readonly Envelope[], callId: string) =>
  events.filter((e) => 'callId' in e.data && e.data.callId === callId).map((e) => e.type);

describe('events from the table stream (local host)', () => {
  let host: LocalHost;
  let webhook: Loopback;
  /** The receiver's view: every request as it came, and whether the verifier took it. */
  const requests: { headers: Record<string, string>; body: string; verified: boolean }[] = [];
  const delivered: unknown[] = [];
  /** Requests the receiver answers 503 before it takes the next one. */
  let failNext = 0;
  beforeAll(async () => {
    webhook = await startLoopback(({ headers: sent, text: body }) => {
      const headers = {
        'webhook-id': String(sent['webhook-id']),
        'webhook-timestamp': String(sent['webhook-timestamp']),
        'webhook-signature': String(sent['webhook-signature']),
      };
      let verified = true;
      try {
        new StandardWebhook(webhookSecret).verify(body, headers);
      } catch {
        verified = false;
      }
      requests.push({ headers, body, verified });
      if (failNext > 0) {
        failNext--;
        return { status: 503 };
      }
      if (verified) delivered.push(JSON.parse(body));
      return { status: verified ? 204 : 401 };
    });
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 50 } }),
      webhookUrl: `${webhook.url}/callgate-events`,
      webhookSecret,
    });
  });
  afterAll(async () => {
    await host.close();
    await webhook.close();
  });

  /** A business-initiated call from placement to hangup; the user answers or not. */
  const businessCall = async (user: string, dialStatus: 'completed' | 'no-answer' | 'busy') => {
    const placed = await placeCall(host, { from: business, to: user });
    expect(placed.status).toBe(201);
    const callId = placed.body.callId as string;
    const [request] = (await recordedCalls(host)).filter((r) =>
      r.params.answer_url?.includes(callId),
    );
    const answer = await postSignedForm(
      host,
      pathOf(request?.params.answer_url),
      agentLegAnswerForm(business),
    );
    const dial = plivoXml.parse(await answer.text()).Response.Dial;
    const status = await postSignedForm(host, pathOf(dial['@action']), dialStatusForm(dialStatus));
    expect(status.status).toBe(200);
    const hangup = await postSignedForm(
      host,
      pathOf(request?.params.hangup_url),
      hangupForm(randomUUID()),
    );
    expect(hangup.status).toBe(200);
    return callId;
  };

  it('request → reply → the daily calls answered: requested, granted, then placed/answered/ended per call', async () => {
    const { businessCallsPer24Hours: dailyCalls, permissionSeconds } = host.deps.config.rules;
    const user = newUser();
    const requested = await asJson(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: user }),
      }),
    );
    expect(requested.status).toBe(202);
    await acceptPermission(host, user, business);
    const callIds: string[] = [];
    for (let i = 0; i < dailyCalls; i++) callIds.push(await businessCall(user, 'completed'));
    // The next is refused: nothing is written, so nothing is announced.
    expect((await placeCall(host, { from: business, to: user })).status).toBe(429);

    const events = await eventsOf(host, user);
    expect(pairTypes(events)).toEqual(['permission.requested', 'permission.granted']);
    const granted = events.find((e) => e.type === 'permission.granted');
    expect(granted).toMatchObject({
      business,
      user,
      data: { permanent: false, source: 'reply' },
    });
    expect(
      Date.parse(String(granted?.data && 'expiresAt' in granted.data && granted.data.expiresAt)),
    ).toBe(Date.parse(granted?.time ?? '') + permissionSeconds * 1000);
    for (const callId of callIds) {
      expect(callTypes(events, callId)).toEqual(['call.placed', 'call.answered', 'call.ended']);
    }
    const placed = events.find((e) => e.type === 'call.placed');
    // The local host has no authorizer: every /v1 request's actor is `local`.
    expect(placed?.data).toEqual({
      callId: callIds[0],
      agent: exampleAgents.india,
      actor: 'local',
    });
    const ended = events.find((e) => e.type === 'call.ended');
    expect(ended?.data).toEqual({
      callId: callIds[0],
      direction: 'outbound',
      durationSeconds: 42,
      hangupCause: 'NORMAL_CLEARING',
      outcome: 'answered',
      actor: 'local',
    });
    expect(events).toHaveLength(2 + 3 * dailyCalls);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('missed ×warnAt warns, missed ×revokeAt revokes: call.missed counts the streak, then permission.revoked', async () => {
    const { warnAt, revokeAt } = host.deps.config.rules.missedCalls;
    const missed: string[] = [];
    /** call.missed of the first `count` misses: the streak, warned from warnAt on. */
    const streak = (count: number) =>
      missed.slice(0, count).map((callId, i) => ({
        callId,
        consecutiveMissed: i + 1,
        warning: i + 1 >= warnAt,
        actor: 'local',
      }));
    const user = newUser();
    await acceptPermission(host, user, business);
    for (let i = 0; i < warnAt; i++)
      missed.push(await businessCall(user, i === 0 ? 'no-answer' : 'busy'));
    const afterWarning = (await eventsOf(host, user)).filter((e) => e.type === 'call.missed');
    expect(afterWarning.map((e) => e.data)).toEqual(streak(warnAt));

    // A new day: the daily limit is not what stops the revoking miss.
    await advanceClock(host, 24 * 3600);
    for (let i = warnAt; i < revokeAt; i++) missed.push(await businessCall(user, 'no-answer'));
    const events = await eventsOf(host, user);
    expect(events.filter((e) => e.type === 'call.missed').map((e) => e.data)).toEqual(
      streak(revokeAt),
    );
    expect(pairTypes(events)).toEqual(['permission.granted', 'permission.revoked']);
    const revoked = events.find((e) => e.type === 'permission.revoked');
    expect(revoked?.data).toMatchObject({ reason: 'missed_calls' });
    for (const callId of missed) {
      expect(callTypes(events, callId)).toEqual(['call.placed', 'call.missed', 'call.ended']);
    }
    // Revoked: the next placement is refused and announces nothing.
    expect((await placeCall(host, { from: business, to: user })).status).toBe(403);
    expect(await eventsOf(host, user)).toHaveLength(events.length);
  });

  it('an inbound call: call.started, the callback grant (source inbound_call), then call.ended', async () => {
    const user = newUser();
    const callUuid = randomUUID();
    const answer = await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(callUuid, user, business),
    );
    expect(answer.status).toBe(200);
    await host.settled();
    const hangup = await postSignedForm(host, plivoPaths.hangup, {
      ...hangupForm(callUuid, { Duration: '65' }),
      From: user.slice(1),
      To: business.slice(1),
    });
    expect(hangup.status).toBe(200);
    const events = await eventsOf(host, user);
    expect(callTypes(events, callUuid)).toEqual(['call.started', 'call.ended']);
    expect(events.find((e) => e.type === 'call.ended')?.data).toEqual({
      callId: callUuid,
      direction: 'inbound',
      durationSeconds: 65,
      hangupCause: 'NORMAL_CLEARING',
      outcome: 'answered',
    });
    expect(events.filter((e) => e.type.startsWith('permission.')).map((e) => e.data)).toEqual([
      expect.objectContaining({ permanent: false, source: 'inbound_call' }),
    ]);
  });

  it('a manual correction announces its decision with source manual, and none as permission.cleared', async () => {
    const user = newUser();
    const correct = (body: Record<string, unknown>) =>
      fetch(`${host.url}/v1/permissions/${business}/${user}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await correct({ status: 'permanent' })).status).toBe(200);
    expect((await correct({ status: 'none' })).status).toBe(200);
    const events = await eventsOf(host, user);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'permission.granted',
        { permanent: true, expiresAt: null, source: 'manual', actor: 'local' },
      ],
      ['permission.cleared', { source: 'manual', actor: 'local' }],
    ]);
  });

  it('a user first known by a BSUID: one permission.granted, not another when a message links the number', async () => {
    const bsuid = newBsuid();
    const user = newUser();
    const messageUuid = randomUUID();
    const grant = { response: 'accept', is_permanent: false };
    const byBsuid = permissionReplyForm(bsuid, business, grant, messageUuid);
    expect((await postSignedForm(host, plivoPaths.message, byBsuid)).status).toBe(200);
    // Plivo delivers the same reply again, now naming the number too: the link moves the grant.
    const withBoth = {
      ...permissionReplyForm(user, business, grant, messageUuid),
      FromUserId: bsuid,
    };
    const again = await asJson(await postSignedForm(host, plivoPaths.message, withBoth));
    expect(again.body).toMatchObject({ outcome: 'duplicate' });
    await host.settled();
    const events = (await sandboxEvents(host)).events.filter(
      (e) => 'userId' in e && e.userId === bsuid,
    );
    expect(events.map((e) => [e.type, e.user])).toEqual([['permission.granted', bsuid]]);
    const view = await asJson(await fetch(`${host.url}/v1/permissions/${business}/${user}`));
    expect(view.body).toMatchObject({ permission: { status: 'temporary' } });
  });

  it('GET /_sandbox/events?after=<id> returns the rest; an unknown id is 404', async () => {
    await host.settled();
    const all = (await sandboxEvents(host)).events;
    expect(all.length).toBeGreaterThan(3);
    const middle = all[2]?.id ?? '';
    expect((await sandboxEvents(host, middle)).events).toEqual(all.slice(3));
    const last = all.at(-1)?.id ?? '';
    expect((await sandboxEvents(host, last)).events).toEqual([]);
    expect((await sandboxEvents(host, 'no-such-event')).status).toBe(404);
  });

  it('POSTs every envelope to CALLGATE_WEBHOOK_URL signed: the Standard Webhooks verifier takes each, webhook-id is the event id', async () => {
    await host.settled();
    const events = (await sandboxEvents(host)).events;
    expect(delivered).toEqual(events);
    expect(requests.every((r) => r.verified)).toBe(true);
    const taken = requests.filter((r) => r.verified);
    expect(taken.map((r) => r.headers['webhook-id'])).toEqual(events.map((e) => e.id));
  });

  it('a captured delivery replayed after 5 minutes is refused by the verifier, and so is a tampered body', async () => {
    await host.settled();
    const captured = requests.at(-1);
    if (!captured) throw new Error('no delivery captured');
    const verifier = new StandardWebhook(webhookSecret);
    expect(() => verifier.verify(captured.body, captured.headers)).not.toThrow();
    const tampered = captured.body.replace(/"type":"[^"]+"/, '"type":"permission.revoked"');
    expect(tampered).not.toBe(captured.body);
    expect(() => verifier.verify(tampered, captured.headers)).toThrow(
      'No matching signature found',
    );
    // The verifier's clock 6 minutes on (only around this synchronous check: the host runs here too).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 6 * 60_000 });
    try {
      expect(() => verifier.verify(captured.body, captured.headers)).toThrow(
        'Message timestamp too old',
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('a delivery the receiver refuses is tried again with the same webhook-id, signed again', async () => {
    await host.settled();
    const before = requests.length;
    failNext = 1;
    const requested = await fetch(`${host.url}/v1/permission-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: business, to: newUser() }),
    });
    expect(requested.status).toBe(202);
    await host.settled();
    const [refused, retried] = requests.slice(before);
    expect(retried?.headers['webhook-id']).toBe(refused?.headers['webhook-id']);
    expect(retried?.body).toBe(refused?.body);
    expect(refused?.verified && retried?.verified).toBe(true);
    expect(delivered.at(-1)).toEqual(JSON.parse(retried?.body ?? ''));
  });

  it('the host refuses to start a webhook without a whsec_ signing secret, quoting none', async () => {
    const webhookUrl = 'http://127.0.0.1:9/hook';
    await expect(startTestHost({ webhookUrl })).rejects.toThrow(/CALLGATE_WEBHOOK_SECRET/);
    const wrong = `whsec_${randomBytes(8).toString('base64')}`;
    const refused = startTestHost({ webhookUrl, webhookSecret: wrong });
    await expect(refused).rejects.toThrow(/at least 24 bytes/);
    await expect(refused).rejects.not.toThrow(wrong.slice(6));
  });

  it('reading the stream again (a redelivery) yields the same events with the same ids', async () => {
    await host.settled();
    const first = (await sandboxEvents(host)).events;
    const bus = createLocalEventBus({ logger: createLogger() });
    const reader = startStreamReader({
      endpoint: inject('dynamoEndpoint'),
      tableName: host.deps.db.tableName,
      handler: eventsHandler({
        bus,
        logger: createLogger(),
        metrics: createMetricsRecorder().forFunction('events'),
      }),
      logger: createLogger(),
    });
    try {
      await reader.settled();
      expect(bus.events()).toEqual(first);
    } finally {
      await reader.stop();
    }
  });
});
