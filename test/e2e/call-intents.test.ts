/**
 * Call intents end to end through the local host: POST /v1/call-intents, the permission request, the
 * user's reply on the message webhook, the sandbox clock driving the due moments, and the dispatcher
 * woken by events and wake-ups exactly as on AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as intentDispatcher } from '../../functions/intent-dispatcher/handler.js';
import type { Config } from '../../functions/shared/config/schema.js';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { localContext } from '../../local/event.js';
import type { LocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  pathOf,
  permissionReply,
  placeCall,
  pool,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;

const postIntent = async (host: LocalHost, body: Record<string, unknown>) =>
  asJson(
    await fetch(`${host.url}/v1/call-intents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );

const getIntent = async (host: LocalHost, intentId: string) =>
  asJson(await fetch(`${host.url}/v1/call-intents/${intentId}`));

const deleteIntent = async (host: LocalHost, intentId: string) =>
  asJson(await fetch(`${host.url}/v1/call-intents/${intentId}`, { method: 'DELETE' }));

/** The intent once everything the last request set off has run (stream, events, dispatcher). */
const settledIntent = async (host: LocalHost, intentId: string) => {
  await host.settled();
  return (await getIntent(host, intentId)).body;
};

const callsTo = async (host: LocalHost, user: string) => {
  const digits = user.slice(1);
  const calls = await recordedCalls(host);
  // The Call API rings the agent; the user is in the callback URLs' call record, so match on them.
  const ids = new Set<string>();
  for (const call of calls) {
    const callId = new URL(call.params.answer_url ?? 'http://x').searchParams.get('call');
    if (!callId) continue;
    const log = await asJson(await fetch(`${host.url}/v1/calls/${callId}`));
    if (log.body.user === user || log.body.user === digits) ids.add(callId);
  }
  return [...ids];
};

const messagesTo = async (host: LocalHost, user: string) => {
  const requests = (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
    api: string;
    params: { dst?: string };
  }[];
  return requests.filter((r) => r.api === 'message' && r.params.dst === user.slice(1));
};

const intentEvents = async (host: LocalHost, intentId: string) => {
  await host.settled();
  const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
  return events.filter((e) => 'intentId' in e.data && e.data.intentId === intentId);
};

/** A business-initiated call left ringing: placed, the agent answers, the user is dialed; no dial status yet. */
const ringCall = async (host: LocalHost, user: string) => {
  const placed = await placeCall(host, { from: business, to: user });
  expect(placed.status).toBe(201);
  const callId = String(placed.body.callId);
  const call = (await recordedCalls(host)).find((c) => c.params.answer_url?.includes(callId));
  const answered = await postSignedForm(
    host,
    pathOf(call?.params.answer_url),
    agentLegAnswerForm(business),
  );
  expect(answered.status).toBe(200);
  return callId;
};

/** Plivo's dial status for a ringing call. */
const settleCall = async (host: LocalHost, callId: string, status: 'no-answer' | 'completed') => {
  const dial = await postSignedForm(
    host,
    `/plivo/whatsapp/dial-status?call=${callId}`,
    dialStatusForm(status),
  );
  expect(dial.status).toBe(200);
};

/** Misses a business-initiated call: placed, the agent answers, the user does not. */
const missCall = async (host: LocalHost, user: string) =>
  settleCall(host, await ringCall(host, user), 'no-answer');

/** Outbound hours that are closed now: open one hour a day, starting two hours from now (UTC). */
const closedNowHours = (now: number) => {
  const hour = (new Date(now).getUTCHours() + 2) % 24;
  const pad = (h: number) => String(h).padStart(2, '0');
  const interval = `${pad(hour)}:00-${hour === 23 ? '24' : pad(hour + 1)}:00`;
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  return {
    timeZone: 'UTC',
    weekly: Object.fromEntries(days.map((d) => [d, [interval]])),
    holidays: [],
  };
};

/** The first whole UTC hour `hour` at or after `now`. */
const nextUtcHour = (now: number, hour: number) => {
  const date = new Date(now);
  const at = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), hour);
  return at >= now ? at : at + 24 * 3600 * 1000;
};

/**
 * A local host on `config` for the describe block this is called in: started before the block's tests,
 * closed after them.
 */
const hostPerBlock = (config: () => Config) => {
  let started: LocalHost | undefined;
  beforeAll(async () => {
    started = await startTestHost({ config: config() });
  });
  afterAll(async () => started?.close());
  return {
    get host(): LocalHost {
      if (!started) throw new Error('the host starts before the block’s tests');
      return started;
    },
  };
};

describe('call intents through the local host (sandbox)', () => {
  // Tests place calls back to back, faster than the example account's calls per second; they count to
  // 5 calls a day and a revocation at the 4th miss, set here rather than taken from the defaults.
  const local = hostPerBlock(() =>
    alwaysOpenExampleConfig({
      account: { callsPerSecond: 1000 },
      rules: { businessCallsPer24Hours: 5, missedCalls: { warnAt: 2, revokeAt: 4 } },
    }),
  );

  it('without permission: the request goes out, the grant places the call within the settle', async () => {
    const user = newUser();
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.status).toBe(202);
    const intentId = String(created.body.intentId);
    expect(created.body).toMatchObject({
      status: 'waiting_permission',
      reason: 'awaiting_reply',
      from: business,
      to: user,
    });
    expect(await messagesTo(local.host, user)).toHaveLength(1);

    await acceptPermission(local.host, user, business);
    const placed = await settledIntent(local.host, intentId);
    expect(placed).toMatchObject({ status: 'placed' });
    expect(await callsTo(local.host, user)).toEqual([placed.callId]);
    const log = await asJson(await fetch(`${local.host.url}/v1/calls/${String(placed.callId)}`));
    expect(log.status).toBe(200);

    // In order per item (the stream orders each item's changes, not changes across items).
    const events = await intentEvents(local.host, intentId);
    const ofIntent = events.filter((e) => e.type.startsWith('intent.'));
    expect(ofIntent.map((e) => [e.type, 'reason' in e.data ? e.data.reason : undefined])).toEqual([
      ['intent.waiting_permission', 'request_due'],
      ['intent.waiting_permission', 'awaiting_reply'],
      ['intent.placed', undefined],
    ]);
    expect(events.filter((e) => e.type === 'call.placed').map((e) => e.data)).toEqual([
      // The intent's actor: the local host's, which has no authorizer.
      { callId: placed.callId, agent: exampleAgents.india, intentId, actor: 'local' },
    ]);
    // The same request is not sent twice for one intent.
    expect(await messagesTo(local.host, user)).toHaveLength(1);
  });

  it("a client's Idempotency-Key shaped like an intent's own cannot take its call", async () => {
    const user = newUser();
    const created = await postIntent(local.host, { from: business, to: user });
    const intentId = String(created.body.intentId);
    expect(created.body.status).toBe('waiting_permission');
    const other = newUser();
    await acceptPermission(local.host, other, business);
    for (const key of [`intent:${intentId}`, `intent#${intentId}`]) {
      const hijack = await fetch(`${local.host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ from: business, to: other }),
      });
      expect(hijack.status).toBe(201);
    }

    await acceptPermission(local.host, user, business);
    const placed = await settledIntent(local.host, intentId);
    expect(placed).toMatchObject({ status: 'placed' });
    expect(await callsTo(local.host, user)).toEqual([placed.callId]);
  });

  it('with permission: placed at once (202 placed, with the call)', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('placed');
    expect(await callsTo(local.host, user)).toEqual([created.body.callId]);
  });

  it('at the daily limit: scheduled at retryAfter, placed when the clock gets there', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    for (let i = 0; i < 5; i++) {
      expect((await placeCall(local.host, { from: business, to: user })).status).toBe(201);
    }
    const refused = await placeCall(local.host, { from: business, to: user });
    expect(refused.body.error).toBe('daily_call_limit');
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'scheduled', reason: 'daily_call_limit' });
    const intentId = String(created.body.intentId);
    const scheduledAt = Date.parse(String(created.body.scheduledAt));
    expect(scheduledAt - local.host.clock.now()).toBeGreaterThan(23 * 3600 * 1000);

    await advanceClock(local.host, 12 * 3600);
    expect((await getIntent(local.host, intentId)).body.status).toBe('scheduled');
    await advanceClock(local.host, Math.ceil((scheduledAt - local.host.clock.now()) / 1000));
    const placed = (await getIntent(local.host, intentId)).body;
    expect(placed.status).toBe('placed');
    expect((await callsTo(local.host, user)).length).toBe(6);
  });

  it('a rejection declines it; so does a standing revocation', async () => {
    const user = newUser();
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body.status).toBe('waiting_permission');
    await permissionReply(local.host, user, business, {
      response: 'reject',
      response_source: 'user_action',
    });
    const declined = await settledIntent(local.host, String(created.body.intentId));
    expect(declined).toMatchObject({ status: 'declined', reason: 'permission_rejected' });
    // A new intent for a user who just said no ends at once, and holds nothing.
    const again = await postIntent(local.host, { from: business, to: user });
    expect(again).toMatchObject({
      status: 202,
      body: { status: 'declined', reason: 'permission_rejected' },
    });
  });

  it('after 3 missed calls in a row it is declined with revocation_risk, never placed', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    for (let i = 0; i < 3; i++) await missCall(local.host, user);
    const before = (await callsTo(local.host, user)).length;
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'declined', reason: 'revocation_risk' });
    expect((await callsTo(local.host, user)).length).toBe(before);
  });

  it('2 missed and a third call still ringing: it waits for that call, declined once it is missed', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    for (let i = 0; i < 2; i++) await missCall(local.host, user);
    const ringing = await ringCall(local.host, user);
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'scheduled', reason: 'calls_in_progress' });
    expect(await callsTo(local.host, user)).toHaveLength(3);

    await settleCall(local.host, ringing, 'no-answer');
    const declined = await settledIntent(local.host, String(created.body.intentId));
    expect(declined).toMatchObject({ status: 'declined', reason: 'revocation_risk' });
    expect(await callsTo(local.host, user)).toHaveLength(3);
    const state = await asJson(
      await fetch(
        `${local.host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      ),
    );
    expect(state.body.permission).not.toMatchObject({ status: 'revoked' });
  });

  it('2 missed and a third call still ringing: placed once the user answers that call', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    for (let i = 0; i < 2; i++) await missCall(local.host, user);
    const ringing = await ringCall(local.host, user);
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'scheduled', reason: 'calls_in_progress' });

    await settleCall(local.host, ringing, 'completed');
    const placed = await settledIntent(local.host, String(created.body.intentId));
    expect(placed.status).toBe('placed');
    expect(await callsTo(local.host, user)).toHaveLength(4);
  });

  it('notAfter ends a waiting intent expired', async () => {
    const user = newUser();
    const notAfter = new Date(local.host.clock.now() + 3600 * 1000).toISOString();
    const created = await postIntent(local.host, { from: business, to: user, notAfter });
    expect(created.body).toMatchObject({ status: 'waiting_permission', notAfter });
    await advanceClock(local.host, 3601);
    const expired = (await getIntent(local.host, String(created.body.intentId))).body;
    expect(expired.status).toBe('expired');
    // The pair is free again: a new intent is a new one.
    const next = await postIntent(local.host, { from: business, to: user });
    expect(next.status).toBe(202);
    expect(next.body.intentId).not.toBe(created.body.intentId);
  });

  it('DELETE cancels a waiting intent (again: the same answer); a placed one is 409', async () => {
    const user = newUser();
    const created = await postIntent(local.host, { from: business, to: user });
    const intentId = String(created.body.intentId);
    const cancelled = await deleteIntent(local.host, intentId);
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    expect((await deleteIntent(local.host, intentId)).body.status).toBe('cancelled');
    // A grant after the cancel places nothing.
    await acceptPermission(local.host, user, business);
    await local.host.settled();
    expect(await callsTo(local.host, user)).toEqual([]);
    expect((await intentEvents(local.host, intentId)).map((e) => e.type)).toEqual([
      'intent.waiting_permission',
      'intent.waiting_permission',
      'intent.cancelled',
    ]);

    const placed = await postIntent(local.host, { from: business, to: user });
    expect(placed.body.status).toBe('placed');
    const refused = await deleteIntent(local.host, String(placed.body.intentId));
    expect([refused.status, refused.body.error]).toEqual([409, 'intent_placed']);
  });

  it('a second POST for the pair returns the open intent (200)', async () => {
    const user = newUser();
    const first = await postIntent(local.host, { from: business, to: user });
    const second = await postIntent(local.host, { from: business, to: user });
    expect(second.status).toBe(200);
    expect(second.body.intentId).toBe(first.body.intentId);
  });

  it('50 parallel POSTs for one pair: one intent, one call', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    const answers = await pool(
      Array.from({ length: 50 }, () => () => postIntent(local.host, { from: business, to: user })),
      50,
    );
    expect(answers.every((a) => a.status === 202 || a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.intentId)).size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    await local.host.settled();
    expect(await callsTo(local.host, user)).toHaveLength(1);
  });

  it('wake-ups and events delivered many times over place one call', async () => {
    const user = newUser();
    await acceptPermission(local.host, user, business);
    for (let i = 0; i < 5; i++) {
      expect((await placeCall(local.host, { from: business, to: user })).status).toBe(201);
    }
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body.status).toBe('scheduled');
    const intentId = String(created.body.intentId);
    await advanceClock(local.host, 24 * 3600 - 60);
    expect((await getIntent(local.host, intentId)).body.status).toBe('scheduled');
    // Past the due moment, without the wake-up running: then it arrives 10 times at once, with a
    // redelivered grant event for the pair in the middle.
    local.host.clock.advance(120);
    const dispatcher = intentDispatcher(local.host.deps, () => local.host.wakeups);
    const grant = (await (await fetch(`${local.host.url}/_sandbox/events`)).json()) as Envelope[];
    const grantEvent = grant.find((e) => e.user === user && e.type === 'permission.granted');
    expect(grantEvent).toBeDefined();
    await Promise.all([
      ...Array.from({ length: 10 }, () =>
        dispatcher({ intentId }, localContext('intent-dispatcher')),
      ),
      dispatcher(
        {
          source: 'callgate',
          'detail-type': 'permission.granted',
          detail: grantEvent as Envelope,
        },
        localContext('intent-dispatcher'),
      ),
    ]);
    await local.host.runDueWakeups();
    expect((await getIntent(local.host, intentId)).body.status).toBe('placed');
    expect(await callsTo(local.host, user)).toHaveLength(6);
  });

  it('refuses what can never succeed, like POST /v1/calls', async () => {
    const user = newUser();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ from: business, to: '+12' }, 400, 'invalid_number'],
      [{ from: '+919876543210', to: user }, 404, 'unknown_business_number'],
      [{ from: exampleNumbers.newYork, to: user }, 403, 'country_restricted'],
      [{ from: business, to: user, notAfter: '2000-01-01T00:00:00Z' }, 400, 'invalid_request'],
      [{ from: business, to: user, notAfter: 'tomorrow' }, 400, 'invalid_request'],
      [{ from: business, to: user, notafter: '2099-01-01T00:00:00Z' }, 400, 'invalid_request'],
    ];
    for (const [body, status, error] of cases) {
      const answer = await postIntent(local.host, body);
      expect([answer.status, answer.body.error], JSON.stringify(body)).toEqual([status, error]);
    }
    expect((await getIntent(local.host, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await getIntent(local.host, 'nope')).status).toBe(400);
    expect((await deleteIntent(local.host, '00000000-0000-4000-8000-000000000000')).status).toBe(
      404,
    );
  });
});

describe('call intents and outbound hours', () => {
  let opensAt: number;
  const local = hostPerBlock((): Config => {
    const config = alwaysOpenExampleConfig();
    const hours = closedNowHours(Date.now());
    opensAt = nextUtcHour(Date.now(), (new Date().getUTCHours() + 2) % 24);
    return { ...config, numbers: config.numbers.map((n) => ({ ...n, outbound: { hours } })) };
  });

  it('a grant outside the hours schedules the call for the next opening, placed when the clock gets there', async () => {
    const user = newUser();
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body.status).toBe('waiting_permission');
    const intentId = String(created.body.intentId);
    await acceptPermission(local.host, user, business);
    const scheduled = await settledIntent(local.host, intentId);
    expect(scheduled).toMatchObject({
      status: 'scheduled',
      reason: 'outside_hours',
      scheduledAt: new Date(opensAt).toISOString(),
    });
    expect(await callsTo(local.host, user)).toEqual([]);

    await advanceClock(local.host, Math.ceil((opensAt - local.host.clock.now()) / 1000) + 1);
    const placed = (await getIntent(local.host, intentId)).body;
    expect(placed.status).toBe('placed');
    expect(await callsTo(local.host, user)).toEqual([placed.callId]);
  });

  it('an opening 90 s away: placed at the opening even when the clock moves right after the POST (8 trials)', async () => {
    const late: string[] = [];
    for (let trial = 0; trial < 8; trial++) {
      await local.host.settled();
      const opening = nextUtcHour(
        local.host.clock.now() + 3600 * 1000,
        new Date(opensAt).getUTCHours(),
      );
      await advanceClock(
        local.host,
        Math.floor((opening - 90_000 - local.host.clock.now()) / 1000),
      );
      const user = newUser();
      await acceptPermission(local.host, user, business);
      await local.host.settled();
      const created = await postIntent(local.host, { from: business, to: user });
      expect(created.body).toMatchObject({
        status: 'scheduled',
        reason: 'outside_hours',
        scheduledAt: new Date(opening).toISOString(),
      });
      // No settle in between: the intent's event may reach the dispatcher only after the clock moved.
      await advanceClock(local.host, Math.ceil((opening - local.host.clock.now()) / 1000) + 1);
      const intent = (await getIntent(local.host, String(created.body.intentId))).body;
      if (intent.status !== 'placed') late.push(`trial ${trial}: ${JSON.stringify(intent)}`);
    }
    expect(late).toEqual([]);
  });

  it('a wait whose event arrives after its moment has passed is taken at once, not after a hand-off', async () => {
    await local.host.settled();
    const opening = nextUtcHour(
      local.host.clock.now() + 3600 * 1000,
      new Date(opensAt).getUTCHours(),
    );
    await advanceClock(local.host, Math.floor((opening - 90_000 - local.host.clock.now()) / 1000));
    const user = newUser();
    await acceptPermission(local.host, user, business);
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'scheduled', reason: 'outside_hours' });
    const intentId = String(created.body.intentId);
    const [scheduled] = (await intentEvents(local.host, intentId)).filter(
      (e) => e.type === 'intent.scheduled',
    );
    expect(scheduled).toBeDefined();
    // The wake-up that event set is gone, and the clock passed the opening before the event came again.
    local.host.wakeups.clear();
    local.host.clock.advance(Math.ceil((opening - local.host.clock.now()) / 1000) + 1);
    const dispatcher = intentDispatcher(local.host.deps, () => local.host.wakeups);
    await dispatcher(
      { source: 'callgate', 'detail-type': 'intent.scheduled', detail: scheduled as Envelope },
      localContext('intent-dispatcher'),
    );
    await local.host.runDueWakeups();
    expect((await getIntent(local.host, intentId)).body.status).toBe('placed');
  });
  it('a wake-up written for an earlier moment leaves the wait for the opening its own wake-up', async () => {
    await local.host.settled();
    const opening = nextUtcHour(
      local.host.clock.now() + 3600 * 1000,
      new Date(opensAt).getUTCHours(),
    );
    await advanceClock(local.host, Math.floor((opening - 600_000 - local.host.clock.now()) / 1000));
    const user = newUser();
    await acceptPermission(local.host, user, business);
    const created = await postIntent(local.host, { from: business, to: user });
    expect(created.body).toMatchObject({ status: 'scheduled', reason: 'outside_hours' });
    const intentId = String(created.body.intentId);
    await local.host.settled();
    // The opening's wake-up is lost; an earlier one (a hand-off, a redelivery) still comes.
    local.host.wakeups.clear();
    const dispatcher = intentDispatcher(local.host.deps, () => local.host.wakeups);
    await dispatcher({ intentId }, localContext('intent-dispatcher'));
    expect((await getIntent(local.host, intentId)).body.status).toBe('scheduled');
    await advanceClock(local.host, Math.ceil((opening - local.host.clock.now()) / 1000));
    expect((await getIntent(local.host, intentId)).body.status).toBe('placed');
  });
});

describe('call intents refused by the calls per second', () => {
  const local = hostPerBlock(() => alwaysOpenExampleConfig({ account: { callsPerSecond: 2 } }));

  it('20 intents at once: those refused by cps_limit are taken when the clock reaches their moment', async () => {
    // A slow machine may space the POSTs out past the limit: another 20 until one is refused.
    const created: { status: number; body: Record<string, unknown> }[] = [];
    for (let round = 0; round < 3 && !created.some((c) => c.body.reason === 'cps_limit'); round++) {
      const users = Array.from({ length: 20 }, newUser);
      for (const user of users) await acceptPermission(local.host, user, business);
      await local.host.settled();
      created.push(
        ...(await pool(
          users.map((user) => () => postIntent(local.host, { from: business, to: user })),
          20,
        )),
      );
    }
    expect(created.filter((c) => c.body.reason === 'cps_limit').length).toBeGreaterThan(0);
    const intents = () =>
      Promise.all(
        created.map(async (c) => (await getIntent(local.host, String(c.body.intentId))).body),
      );
    // Each step moves the clock by a second: once it returns, nothing due by then may still wait.
    for (let step = 0; step < 12; step++) {
      const reached = local.host.clock.now() + 1000;
      await advanceClock(local.host, 1);
      const overdue = (await intents()).filter(
        (i) => i.status === 'scheduled' && Date.parse(String(i.scheduledAt)) <= reached,
      );
      expect(overdue, `after ${step + 1} s`).toEqual([]);
    }
    await local.host.settled();
    const end = local.host.clock.now();
    const stuck = (await intents()).filter(
      (i) => i.status !== 'placed' && !(Date.parse(String(i.scheduledAt)) > end),
    );
    expect(stuck).toEqual([]);
  }, 240_000);
});
