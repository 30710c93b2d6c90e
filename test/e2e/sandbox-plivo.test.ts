import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/shared/log.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import type { LocalHost } from '../../local/host.js';
import { createSandboxPlivo } from '../../local/sandbox/plivo.js';
import { createTimeline } from '../../local/sandbox/timeline.js';
import { exampleNumbers } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, plivoXml } from '../support/plivo-forms.js';
import {
  callEnded,
  eventually,
  request,
  sandboxState,
  sandboxUser,
  timeline,
  userPath,
} from '../support/sandbox.js';

const business = exampleNumbers.india;

interface Envelope {
  readonly type: string;
  readonly user: string;
  readonly data: Record<string, unknown>;
}

const events = async (host: LocalHost, user: string) =>
  ((await request(host, 'GET', '/_sandbox/events')).body as unknown as Envelope[]).filter(
    (e) => e.user === user,
  );

const eventsOfType = async (host: LocalHost, user: string, type: string, count: number) =>
  eventually(async () => {
    const found = (await events(host, user)).filter((e) => e.type === type);
    return found.length >= count && found;
  }, `${count} ${type} for ${user}`);

const permission = async (host: LocalHost, user: string) =>
  (
    await request(
      host,
      'GET',
      `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    )
  ).body as unknown as { permission: { status: string } };

const placeCall = (host: LocalHost, user: string) =>
  request(host, 'POST', '/v1/calls', { from: business, to: user });

describe('the sandbox plays Plivo and the WhatsApp users', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // The tour counts to 5 calls a day, a warning at the 2nd miss and a revocation at the 4th, set here
    // rather than taken from the defaults.
    const rules = { businessCallsPer24Hours: 5, missedCalls: { warnAt: 2, revokeAt: 4 } };
    host = await startTestHost({ config: alwaysOpenExampleConfig({ rules }), simulate: true });
  });
  afterAll(() => host.close());

  it('walks the tour: permission, five calls, the sixth refused, misses that warn then revoke, an inbound call', async () => {
    const user = '+919812345601';
    const set = await request(host, 'PUT', userPath(user), {
      permissionRequests: 'accept',
      calls: 'answer',
      ringSeconds: 0,
      talkSeconds: 0,
    });
    expect(set.status).toBe(200);

    const asked = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: user,
    });
    expect(asked.status).toBe(202);
    await eventually(
      async () => (await permission(host, user)).permission.status === 'temporary',
      'the accepted permission',
    );

    for (let call = 1; call <= 5; call++) {
      expect((await placeCall(host, user)).status).toBe(201);
      await eventsOfType(host, user, 'call.ended', call);
    }
    const sixth = await placeCall(host, user);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error).toBe('daily_call_limit');
    expect(sixth.body.retryAfter).toBeGreaterThan(0);

    expect(
      (await request(host, 'POST', '/_sandbox/clock', { advanceSeconds: 86_400 })).status,
    ).toBe(200);
    await request(host, 'PUT', userPath(user), { calls: 'miss' });
    for (let miss = 1; miss <= 4; miss++) {
      expect((await placeCall(host, user)).status).toBe(201);
      await eventsOfType(host, user, 'call.missed', miss);
      if (miss === 2) {
        // The state says what the user has been told: two in a row, warned.
        expect(await permission(host, user)).toMatchObject({ consecutiveMissed: 2, warned: true });
      }
    }
    const missed = (await events(host, user)).filter((e) => e.type === 'call.missed');
    expect(missed.map((e) => e.data.warning)).toEqual([false, true, true, true]);
    const revoked = await eventsOfType(host, user, 'permission.revoked', 1);
    expect(revoked[0]?.data.reason).toBe('missed_calls');
    const revokedView = (await permission(host, user)) as unknown as Record<string, unknown>;
    expect(revokedView).toMatchObject({
      permission: { status: 'revoked', revokedReason: 'missed_calls', source: 'missed_calls' },
      // The streak that revoked it.
      consecutiveMissed: 4,
      warned: true,
    });
    const startCall = (revokedView.actions as { action: string }[])[1];
    expect(startCall).toMatchObject({
      action: 'start_call',
      canPerform: false,
      reason: 'permission_revoked',
    });
    expect(startCall).not.toHaveProperty('availableAt');
    expect((await placeCall(host, user)).body.error).toBe('permission_revoked');

    const inbound = await request(host, 'POST', userPath(user, 'calls'), { business, digits: '2' });
    expect(inbound.status).toBe(202);
    const callUuid = String(inbound.body.callUuid);
    await callEnded(host, callUuid);
    const requests = (await timeline(host)).filter(
      (e) => e.kind === 'webhook' && e.callUuid === callUuid,
    );
    const [answer, menu, dial, hangup] = requests;
    expect(requests).toHaveLength(4);
    expect(answer?.request?.params).toMatchObject({
      Direction: 'inbound',
      To: plivoDigits(business),
    });
    expect(plivoXml.parse(answer?.response?.body ?? '').Response.GetInput).toBeDefined();
    expect(menu?.request?.url).toContain('step=menu');
    expect(menu?.request?.params.Digits).toBe('2');
    expect(plivoXml.parse(menu?.response?.body ?? '').Response.Dial.User).toBe(
      'sip:support@phone.plivo.com',
    );
    expect(dial?.request?.params.DialStatus).toBe('completed');
    expect(hangup?.request?.url).toMatch(/\/plivo\/whatsapp\/hangup$/);
    // The Dial's action ended the call (its flow); the hangup after it changes nothing.
    expect(JSON.parse(hangup?.response?.body ?? '{}').outcome).toBe('already_ended');
    // Its event follows the hangup through the stream: wait for that call's, not just any sixth one.
    const ended = await eventually(
      async () =>
        (await events(host, user)).find(
          (e) => e.type === 'call.ended' && e.data.callId === callUuid,
        ),
      'the inbound call.ended',
    );
    expect(ended.data.direction).toBe('inbound');
  });

  it('lets a user asked about a call decline it, or answer and hang up on demand', async () => {
    const user = '+919812345602';
    await request(host, 'PUT', userPath(user), { calls: 'ask', talkSeconds: null });
    await request(
      host,
      'PUT',
      `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      {
        status: 'permanent',
      },
    );
    const ringing = async () =>
      eventually(async () => {
        const call = (await sandboxUser(host, user)).calls.find((c) => c.status === 'ringing');
        return call;
      }, 'a ringing call');

    expect((await placeCall(host, user)).status).toBe(201);
    const declined = await ringing();
    expect((await request(host, 'POST', userPath(user, 'decline'), {})).status).toBe(200);
    await callEnded(host, declined.callUuid);
    const missed = await eventsOfType(host, user, 'call.missed', 1);
    expect(missed[0]?.data).toMatchObject({ consecutiveMissed: 1 });

    expect((await placeCall(host, user)).status).toBe(201);
    const answered = await ringing();
    expect(
      (await request(host, 'POST', userPath(user, 'answer'), { callUuid: answered.callUuid }))
        .status,
    ).toBe(200);
    await eventually(
      async () => (await sandboxUser(host, user)).calls[0]?.status === 'connected',
      'the connected call',
    );
    expect((await request(host, 'POST', userPath(user, 'hangup'), {})).status).toBe(200);
    const hangup = await callEnded(host, answered.callUuid);
    expect(hangup.request?.params.HangupSource).toBe('Answer XML');
    await eventsOfType(host, user, 'call.answered', 1);
    expect((await sandboxUser(host, user)).calls).toEqual([]);
  });

  it('plays a menu with keys pressed live, and a voicemail when the agents miss', async () => {
    const user = '+919812345603';
    await request(host, 'PUT', '/_sandbox/agents', { calls: 'miss' });
    try {
      const call = String(
        (await request(host, 'POST', userPath(user, 'calls'), { business })).body.callUuid,
      );
      await eventually(
        async () =>
          (await timeline(host)).some((e) => e.callUuid === call && e.summary.startsWith('asks')),
        'the menu prompt',
      );
      expect((await request(host, 'POST', userPath(user, 'keys'), { digits: '1' })).status).toBe(
        200,
      );
      await callEnded(host, call);
      const webhooks = (await timeline(host)).filter(
        (e) => e.kind === 'webhook' && e.callUuid === call,
      );
      const urls = webhooks.map((e) => new URL(e.request?.url ?? '').searchParams.get('step'));
      expect(urls).toEqual([null, 'menu', 'dial', 'voicemail', null]);
      expect(webhooks[2]?.request?.params.DialStatus).toBe('no-answer');
      expect(plivoXml.parse(webhooks[2]?.response?.body ?? '').Response.Record).toBeDefined();
      expect(webhooks[3]?.request?.params.RecordingID).toMatch(/^[0-9a-f-]{36}$/);
      expect(plivoXml.parse(webhooks[3]?.response?.body ?? '').Response.Speak).toBe(
        'Thank you, we will call you back.',
      );
    } finally {
      await request(host, 'PUT', '/_sandbox/agents', { calls: 'answer' });
    }
  });

  it('ends a call when the caller hangs up in the menu', async () => {
    const user = '+919812345604';
    const call = String(
      (await request(host, 'POST', userPath(user, 'calls'), { business })).body.callUuid,
    );
    await eventually(
      async () => (await sandboxUser(host, user)).calls.length === 1,
      'the live call',
    );
    expect((await request(host, 'POST', userPath(user, 'hangup'), {})).status).toBe(200);
    const hangup = await callEnded(host, call);
    expect(hangup.request?.params).toMatchObject({ HangupSource: 'Caller', Direction: 'inbound' });
  });

  it('answers bad sandbox requests with a clear 4xx', async () => {
    const user = '+919812345605';
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', userPath('12'), {}, 400, 'invalid_number'],
      ['PUT', userPath(user), { calls: 'sometimes' }, 400, 'invalid_request'],
      ['PUT', userPath(user), { ringSeconds: -1 }, 400, 'invalid_request'],
      ['PUT', userPath(user), { mood: 'happy' }, 400, 'invalid_request'],
      [
        'POST',
        userPath(user, 'permission-reply'),
        { business: '+447700900999', response: 'accept' },
        400,
        'unknown_business_number',
      ],
      [
        'POST',
        userPath(user, 'permission-reply'),
        { business, response: 'maybe' },
        400,
        'invalid_request',
      ],
      ['POST', userPath(user, 'calls'), { business, digits: '1x' }, 400, 'invalid_request'],
      ['POST', userPath(user, 'hangup'), {}, 409, 'conflict'],
      ['POST', userPath(user, 'answer'), { callUuid: 'nope' }, 400, 'invalid_request'],
      ['POST', userPath(user, 'keys'), { digits: '1' }, 409, 'conflict'],
      ['POST', '/_sandbox/clock', { advanceSeconds: 'soon' }, 400, 'invalid_request'],
      ['POST', '/_sandbox/clock', { advanceSeconds: -1 }, 400, 'invalid_request'],
      ['GET', '/_sandbox/timeline?after=x', undefined, 400, 'invalid_request'],
      ['GET', '/_sandbox/nothing', undefined, 404, 'not_found'],
    ];
    for (const [method, path, body, status, error] of cases) {
      const answer = await request(host, method, path, body);
      expect({ method, path, status: answer.status, error: answer.body.error }).toEqual({
        method,
        path,
        status,
        error,
      });
    }
    const text = await fetch(`${host.url}${userPath(user)}`, { method: 'PUT', body: '{' });
    expect(text.status).toBe(400);
  });

  it('shows businesses, users and a timeline with events and clock moves', async () => {
    const state = await sandboxState(host);
    expect(state.simulating).toBe(true);
    expect(state.businesses.map((b) => b.number)).toEqual(Object.values(exampleNumbers));
    expect(state.businesses[0]).toMatchObject({ inbound: 'menu', menuKeys: ['1', '2', '3'] });
    expect(state.users.length).toBeGreaterThan(0);
    const entries = await timeline(host);
    const kinds = new Set(entries.map((e) => e.kind));
    for (const kind of ['api', 'plivo-api', 'webhook', 'event', 'clock', 'user', 'call']) {
      expect(kinds).toContain(kind);
    }
    const last = entries.at(-1)?.id ?? 0;
    expect(await timeline(host, last)).toEqual([]);
  });

  it('puts the business’s /v1 requests on the timeline: changes, and refusals with their code', async () => {
    const user = '+919812345607';
    const before = (await timeline(host)).at(-1)?.id ?? 0;
    expect((await placeCall(host, user)).status).toBe(403);
    const refusedRead = `/v1/permissions/${encodeURIComponent(business)}/abc`;
    expect((await request(host, 'GET', refusedRead)).status).toBe(400);
    expect((await request(host, 'GET', '/v1/nothing')).status).toBe(404);
    expect((await permission(host, user)).permission.status).toBe('no_permission');
    const asked = { from: business, to: user };
    expect((await request(host, 'POST', '/v1/permission-requests', asked)).status).toBe(202);

    const api = (await timeline(host, before)).filter((e) => e.kind === 'api');
    expect(api.map((e) => e.summary)).toEqual([
      'POST /v1/calls → 403 no_permission',
      `GET /v1/permissions/${encodeURIComponent(business)}/abc → 400 invalid_number`,
      'GET /v1/nothing → 404 not_found',
      'POST /v1/permission-requests → 202',
    ]);
    expect(api[0]).toMatchObject({
      business,
      user,
      request: { method: 'POST', params: { from: business, to: user } },
      response: { status: 403, contentType: 'application/json' },
    });
    expect(JSON.parse(api[0]?.response?.body ?? '{}')).toMatchObject({ error: 'no_permission' });
    expect(api[1]).toMatchObject({ business, user: 'abc' });
  });

  it('gives one call’s events', async () => {
    const user = '+919812345608';
    await request(host, 'PUT', userPath(user), { talkSeconds: 0 });
    const { callUuid } = (
      await request(host, 'POST', userPath(user, 'calls'), { business, digits: '2' })
    ).body as unknown as { callUuid: string };
    const ofCall = async () =>
      (await request(host, 'GET', `/_sandbox/events?callId=${callUuid}`))
        .body as unknown as Envelope[];
    const ended = await eventually(
      async () => (await ofCall()).some((e) => e.type === 'call.ended') && ofCall(),
      'the call’s call.ended',
    );
    expect(ended.map((e) => e.type)).toEqual(['call.started', 'call.ended']);
    expect(ended.every((e) => e.data.callId === callUuid)).toBe(true);
  });

  it('serves the page', async () => {
    const page = await fetch(`${host.url}/_sandbox/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('app.js');
    const redirect = await fetch(`${host.url}/_sandbox`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect((await fetch(`${host.url}/_sandbox/app.js`)).status).toBe(200);
  });
});

describe('the sandbox clock', () => {
  it('moves to the next opening of a business number’s hours', async () => {
    const host = await startTestHost({ simulate: true });
    try {
      const moved = await request(host, 'POST', '/_sandbox/clock', { untilOpen: business });
      expect(moved.status).toBe(200);
      const state = await sandboxState(host);
      expect(state.businesses.find((b) => b.number === business)?.hours?.openNow).toBe(true);
      expect(
        (await request(host, 'POST', '/_sandbox/clock', { untilOpen: '+15550100' })).status,
      ).toBe(400);
    } finally {
      await host.close();
    }
  });
});

describe('a sandbox that does not simulate', () => {
  it('records Plivo requests and refuses user actions', async () => {
    const host = await startTestHost();
    try {
      const answer = await request(host, 'PUT', userPath('+919812345606'), {});
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe('not_simulating');
      expect((await request(host, 'GET', '/_sandbox/state')).body.simulating).toBe(false);
    } finally {
      await host.close();
    }
  });
});

describe("the sandbox's requests", () => {
  it('go through the signature check: signed with another token they are refused', async () => {
    const host = await startTestHost();
    const timelineOfPlivo = createTimeline(Date.now);
    const plivo = createSandboxPlivo({
      clock: Date.now,
      hostUrl: host.url,
      publicBaseUrl: host.publicBaseUrl,
      authToken: 'not-the-token',
      config: host.deps.config,
      timeline: timelineOfPlivo,
      logger: createLogger(),
      simulate: true,
    });
    try {
      const answer = await plivo.permissionReply('+919812345607', {
        business,
        response: 'accept',
        permanent: false,
      });
      expect(answer.status).toBe(403);
      expect(timelineOfPlivo.after().at(-1)?.response?.status).toBe(403);
    } finally {
      await plivo.close();
      await host.close();
    }
  });
});

describe('POST /_sandbox/reset', () => {
  it('empties the table, ends the calls, forgets what the sandbox kept and puts the clock back', async () => {
    const host = await startTestHost({ config: alwaysOpenExampleConfig(), simulate: true });
    try {
      const user = '+919812345607';
      await request(host, 'PUT', userPath(user), { permissionRequests: 'accept', calls: 'ask' });
      expect(
        (await request(host, 'POST', '/v1/permission-requests', { from: business, to: user }))
          .status,
      ).toBe(202);
      await eventually(
        async () => (await permission(host, user)).permission.status === 'temporary',
        'the accepted permission',
      );
      expect((await placeCall(host, user)).status).toBe(201);
      const ringing = await eventually(
        async () => (await sandboxUser(host, user)).calls.find((c) => c.status === 'ringing'),
        'a ringing call',
      );
      await request(host, 'POST', '/_sandbox/clock', { advanceSeconds: 3 * 86_400 });
      const oldEvents = (await request(host, 'GET', '/_sandbox/events')).body as unknown as {
        id: string;
      }[];
      expect(oldEvents.length).toBeGreaterThan(0);

      expect((await request(host, 'POST', '/_sandbox/reset', { now: 'please' })).status).toBe(400);
      const before = Date.now();
      const reset = await request(host, 'POST', '/_sandbox/reset', {});
      expect(reset.status).toBe(200);
      const clockNow = Date.parse(String((await request(host, 'GET', '/_sandbox/clock')).body.now));
      // Back to real time, not 3 days ahead.
      expect(clockNow).toBeGreaterThanOrEqual(before);
      expect(clockNow).toBeLessThan(Date.now() + 1000);
      expect(Date.parse(String(reset.body.now))).toBeLessThanOrEqual(clockNow);

      expect((await permission(host, user)).permission.status).toBe('no_permission');
      expect((await sandboxState(host)).users).toEqual([]);
      expect((await request(host, 'GET', '/_sandbox/plivo/requests')).body).toEqual([]);
      expect((await request(host, 'GET', '/_sandbox/events')).body).toEqual([]);
      const after = await request(host, 'GET', `/_sandbox/events?after=${oldEvents[0]?.id}`);
      expect(after.status).toBe(404);
      const entries = await timeline(host);
      expect(entries.map((e) => e.kind)).toEqual(['clock']);
      expect(entries[0]?.summary).toContain('reset');
      // The ringing call ended without a callback: nothing reaches callgate about it any more.
      await host.settled();
      const seen = (await timeline(host)).filter((e) => e.callUuid === ringing.callUuid);
      expect(seen).toEqual([]);

      // The host works as new: a permission asked again is granted, and its events flow again (the
      // stream readers follow the new table's stream).
      await request(host, 'PUT', userPath(user), { permissionRequests: 'accept' });
      expect(
        (await request(host, 'POST', '/v1/permission-requests', { from: business, to: user }))
          .status,
      ).toBe(202);
      await eventsOfType(host, user, 'permission.granted', 1);
      expect((await permission(host, user)).permission.status).toBe('temporary');
    } finally {
      await host.close();
    }
  });
});
