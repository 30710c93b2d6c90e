/**
 * References that travel, through the local host: a reference and metadata sent with
 * POST /v1/permission-requests, /v1/calls and /v1/call-intents come back on every event that follows
 * (the reply that answers the request, the call's, the intent's and its call's), in the call log and
 * the intent view; bad shapes are 400s naming the field; an Idempotency-Key's replay with other values
 * is another request. The caller's name (`actor`, `local` on a host without an authorizer) is on the
 * request's log lines and its events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { metaWebhook, pausing } from '../support/account-updates.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  asJson,
  pathOf,
  permissionReply,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
} from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';
import { jsonLinesWhile } from '../support/stdout.js';

const business = exampleNumbers.india;
const reference = 'TICKET-4711 — Zürich';
const metadata = { contact: 'c-19', 'crm.deal': 'd:77', queue: 'billing' };
const sent = { reference, metadata };
const travelled = { ...sent, actor: 'local' };

describe('references that travel (local host)', () => {
  let host: LocalHost;

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
    });
  });
  afterAll(async () => host?.close());

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    asJson(
      await fetch(`${host.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    );
  const get = async (path: string) => asJson(await fetch(`${host.url}${path}`));
  const eventsOf = async (user: string) => {
    await host.settled();
    const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
    return events.filter((e) => e.user === user);
  };
  /** The placed call's agent answers, the user answers, both legs hang up. */
  const answerAndEnd = async (callId: string) => {
    const call = (await recordedCalls(host)).find((c) => c.params.answer_url?.includes(callId));
    const leg = agentLegAnswerForm(business);
    expect((await postSignedForm(host, pathOf(call?.params.answer_url), leg)).status).toBe(200);
    const dial = dialStatusForm('completed', leg.CallUUID);
    const dialed = await postSignedForm(host, `${plivoPaths.dialStatus}?call=${callId}`, dial);
    expect(dialed.status).toBe(200);
    const hangup = hangupForm(leg.CallUUID as string);
    const ended = await postSignedForm(host, `${plivoPaths.hangup}?call=${callId}`, hangup);
    expect(ended.status).toBe(200);
  };

  it('a permission request: on permission.requested and on the grant that answers it, not on a later decision', async () => {
    const user = newUser();
    const requested = await post('/v1/permission-requests', { from: business, to: user, ...sent });
    expect(requested.status).toBe(202);
    await acceptPermission(host, user, business);
    const events = await eventsOf(user);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['permission.requested', { kind: 'template', ...travelled }],
      [
        'permission.granted',
        expect.objectContaining({ source: 'reply', permanent: false, ...travelled }),
      ],
    ]);
    // A second reply answers no request.
    await host.settled();
    const before = events.length;
    await permissionReply(host, user, business, {
      response: 'reject',
      response_source: 'user_action',
    });
    const after = (await eventsOf(user)).slice(before);
    expect(after.map((e) => e.type)).toEqual(['permission.rejected']);
    expect(after[0]?.data).not.toHaveProperty('reference');
    expect(after[0]?.data).not.toHaveProperty('actor');
  });

  it('a business-initiated call: on call.placed, answered and ended, and in the call log', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const placed = await post('/v1/calls', { from: business, to: user, ...sent });
    expect(placed.status).toBe(201);
    const callId = String(placed.body.callId);
    await answerAndEnd(callId);
    const ofCall = (await eventsOf(user)).filter((e) => e.type.startsWith('call.'));
    expect(ofCall.map((e) => e.type)).toEqual(['call.placed', 'call.answered', 'call.ended']);
    for (const event of ofCall) expect(event.data).toMatchObject(travelled);
    const log = await get(`/v1/calls/${callId}`);
    expect(log.body).toMatchObject({ status: 'ended', outcome: 'answered', ...sent });
    expect(log.body).not.toHaveProperty('actor');
  });

  it('an Idempotency-Key: the same values replay, other ones are another request (409)', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const body = { from: business, to: user, ...sent };
    const key = { 'idempotency-key': `refs-${user}` };
    const first = await post('/v1/calls', body, key);
    expect(first.status).toBe(201);
    const reordered = { contact: 'c-19', queue: 'billing', 'crm.deal': 'd:77' };
    for (const replay of [body, { ...body, metadata: reordered }]) {
      const again = await post('/v1/calls', replay, key);
      expect(again).toEqual(first);
    }
    for (const other of [
      { ...body, reference: 'TICKET-4712' },
      { ...body, metadata: { ...metadata, queue: 'sales' } },
      { from: business, to: user, metadata },
      { from: business, to: user, reference },
      { from: business, to: user },
    ]) {
      const refused = await post('/v1/calls', other, key);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe('idempotency_key_reused');
    }
    // A key first used without either still replays without either.
    const bareUser = newUser();
    await acceptPermission(host, bareUser, business);
    const bare = { from: business, to: bareUser };
    const bareKey = { 'idempotency-key': `refs-bare-${bareUser}` };
    const bareFirst = await post('/v1/calls', bare, bareKey);
    expect(bareFirst.status).toBe(201);
    expect(await post('/v1/calls', bare, bareKey)).toEqual(bareFirst);
    expect((await post('/v1/calls', { ...bare, reference }, bareKey)).status).toBe(409);
  });

  it('a call intent: on its request, its intent.* events, the call it places and that call’s log', async () => {
    const user = newUser();
    const created = await post('/v1/call-intents', { from: business, to: user, ...sent });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'waiting_permission', ...sent });
    expect(created.body).not.toHaveProperty('actor');
    const intentId = String(created.body.intentId);
    await acceptPermission(host, user, business);
    await host.settled();
    const intent = await get(`/v1/call-intents/${intentId}`);
    expect(intent.body).toMatchObject({ status: 'placed', ...sent });
    const callId = String(intent.body.callId);
    await answerAndEnd(callId);

    const events = await eventsOf(user);
    // Events of different items interleave: the set is checked, each item's order elsewhere.
    expect(events.map((e) => e.type).sort()).toEqual(
      [
        'intent.waiting_permission',
        'permission.requested',
        'intent.waiting_permission',
        'permission.granted',
        'intent.placed',
        'call.placed',
        'call.answered',
        'call.ended',
      ].sort(),
    );
    expect(events).toHaveLength(8);
    for (const event of events) expect(event.data).toMatchObject(travelled);
    expect(events.find((e) => e.type === 'call.placed')?.data).toMatchObject({ intentId, callId });
    expect((await get(`/v1/calls/${callId}`)).body).toMatchObject({ callId, ...sent });
  });

  it('a second POST keeps the open intent’s references; intent.cancelled names who cancelled, with them', async () => {
    const user = newUser();
    const created = await post('/v1/call-intents', { from: business, to: user, ...sent });
    const intentId = String(created.body.intentId);
    // A second POST for the pair gets the open intent, with its own references.
    const second = await post('/v1/call-intents', {
      from: business,
      to: user,
      reference: 'OTHER-1',
      metadata: { other: 'x' },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ intentId, ...sent });
    const cancelled = await asJson(
      await fetch(`${host.url}/v1/call-intents/${intentId}`, { method: 'DELETE' }),
    );
    expect(cancelled.body).toMatchObject({ status: 'cancelled', ...sent });
    const events = await eventsOf(user);
    expect(events.find((e) => e.type === 'intent.cancelled')?.data).toEqual({
      intentId,
      ...travelled,
    });
  });

  it("an operator's correction and lift name the actor; Meta's pause names none", async () => {
    const user = newUser();
    const corrected = await fetch(`${host.url}/v1/permissions/${business}/${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'permanent' }),
    });
    expect(corrected.status).toBe(200);
    const [granted] = await eventsOf(user);
    expect(granted?.data).toEqual({
      permanent: true,
      expiresAt: null,
      source: 'manual',
      actor: 'local',
    });

    // Another number of the configuration, so the other tests' calls go on.
    const paused = exampleNumbers.jamaica;
    const now = host.clock.now();
    const update = metaWebhook(pausing(paused, now + 24 * 3600 * 1000), now);
    const params = Object.fromEntries(
      Object.entries(update).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
    const signed = signV3({
      method: 'POST',
      url: `${host.publicBaseUrl}${plivoPaths.message}`,
      params,
      authToken: sandboxAuthToken,
    });
    const delivered = await fetch(`${host.url}${plivoPaths.message}`, {
      method: 'POST',
      headers: { ...signed, 'content-type': 'application/json' },
      body: JSON.stringify(update),
    });
    expect(delivered.status).toBe(200);
    const lifted = await fetch(`${host.url}/v1/numbers/${encodeURIComponent(paused)}/pause`, {
      method: 'DELETE',
    });
    expect((await asJson(lifted)).body.lifted).toBe(true);
    await host.settled();
    const all = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
    const ofNumber = all.filter((e) => e.business === paused && e.type.startsWith('number.'));
    expect(ofNumber.map((e) => e.type)).toEqual(['number.paused', 'number.unpaused']);
    expect(ofNumber[0]?.data).not.toHaveProperty('actor');
    expect(ofNumber[1]?.data).toMatchObject({ reason: 'operator', actor: 'local' });
  });

  it('bad shapes are 400 invalid_request naming the field, on each route, and store nothing', async () => {
    const bad: [unknown, string][] = [
      [{ reference: '' }, 'reference: must be 1 to 128 characters'],
      [{ reference: 'x'.repeat(129) }, 'reference: must be 1 to 128 characters'],
      [{ reference: 'a\nb' }, 'reference: must be 1 to 128 characters without control characters'],
      [{ reference: 7 }, 'reference: must be a string'],
      [{ metadata: 'contact=c-19' }, 'metadata: must be an object'],
      [{ metadata: ['c-19'] }, 'metadata: must be an object'],
      [
        { metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) },
        'metadata: must have at most 10 keys',
      ],
      [{ metadata: { k: 'x'.repeat(1017) } }, 'metadata: must be at most 1024 bytes'],
      [{ metadata: { k: 1 } }, 'metadata.k: a metadata value must be a string'],
      [{ metadata: { 'bad key': 'v' } }, 'metadata.bad key: a metadata key is 1 to 64'],
      [{ metadata: { [`k${'x'.repeat(64)}`]: 'v' } }, 'a metadata key is 1 to 64'],
      [{ refrence: 'T-1' }, 'refrence'],
    ];
    const routes = ['/v1/calls', '/v1/call-intents', '/v1/permission-requests'];
    const user = newUser();
    await acceptPermission(host, user, business);
    const answers = await Promise.all(
      routes.flatMap((route) =>
        bad.map(async ([fields, message]) => ({
          route,
          message,
          answer: await post(route, { from: business, to: user, ...(fields as object) }),
        })),
      ),
    );
    for (const { route, message, answer } of answers) {
      expect([route, answer.status, answer.body.error]).toEqual([route, 400, 'invalid_request']);
      expect(String(answer.body.message)).toContain(message);
    }
    // The 1 KB limit's edge is accepted: `{"k":"…"}` with 1017 characters is 1025 bytes, 1016 is 1024.
    const edge = await post('/v1/calls', {
      from: business,
      to: user,
      metadata: { k: 'x'.repeat(1016) },
    });
    expect(edge.status).toBe(201);
    const calls = (await eventsOf(user)).filter((e) => e.type === 'call.placed');
    expect(calls).toHaveLength(1);
  });

  it('every log line of a /v1 request names its caller, refused ones included', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const lines = await jsonLinesWhile(async () => {
      expect((await post('/v1/calls', { from: business, to: user, ...sent })).status).toBe(201);
      expect((await post('/v1/calls', { from: business, to: user, reference: '' })).status).toBe(
        400,
      );
      expect((await post('/v1/calls', '{not json')).status).toBe(400);
    });
    const logged = lines.filter((line) => typeof line.message === 'string' && 'level' in line);
    const messages = logged.map((line) => line.message);
    expect(messages).toEqual(
      expect.arrayContaining(['business-initiated call placed', 'request refused']),
    );
    const ofRequests = logged.filter((line) =>
      ['business-initiated call placed', 'request refused'].includes(String(line.message)),
    );
    expect(ofRequests.length).toBeGreaterThanOrEqual(3);
    for (const line of ofRequests) expect(line.actor).toBe('local');
    // Metadata is not logged: it may hold what the business would not put in its logs.
    expect(JSON.stringify(lines)).not.toContain('crm.deal');
  });
});
