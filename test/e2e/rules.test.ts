/**
 * Meta's rules where they meet each other, end to end through the local host (sandbox Plivo, signed
 * webhooks): missed calls across grants, daily calls that never rang, leases against call length,
 * agents and restricted countries. The host's clock is moved to 2030 first, so every TTL written is in the REAL future and DynamoDB
 * Local's sweeper leaves expired-by-our-clock items in place, as DynamoDB does for hours to days.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { leaseExpiresAt, leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const india = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;
const newYork = exampleNumbers.newYork;
const day = 24 * 3600;

const accept = (host: LocalHost, user: string, business = india) =>
  acceptPermission(host, user, business);

const permissionState = async (host: LocalHost, business: string, user: string) =>
  asJson(
    await fetch(
      `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    ),
  );

/** A business-initiated call the user does not answer: placed, then Plivo's dial status no-answer. */
const unansweredCall = async (host: LocalHost, user: string) => {
  const placed = await placeCall(host, { from: india, to: user });
  expect(placed.status).toBe(201);
  const status = await postSignedForm(
    host,
    `${plivoPaths.dialStatus}?call=${placed.body.callId}`,
    dialStatusForm('no-answer'),
  );
  expect(status.status).toBe(200);
};

/** How many unanswered calls in a row revoke a permission, as the host is configured. */
const revokeAt = (host: LocalHost) => host.deps.config.rules.missedCalls.revokeAt;
/** How long a reply's grant lasts, in seconds, as the host is configured. */
const grantSeconds = (host: LocalHost) => host.deps.config.rules.permissionSeconds;

const readItem = async (host: LocalHost, key: { pk: string; sk: string }) =>
  (
    await host.deps.db.doc.send(
      new GetCommand({ TableName: host.deps.db.tableName, Key: key, ConsistentRead: true }),
    )
  ).Item;

describe('rules across grants, calls and leases', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
    // Into 2030: TTLs we write are in the real future, so DynamoDB Local never deletes them.
    await advanceClock(host, Math.ceil((Date.UTC(2030, 0, 6, 12) - Date.now()) / 1000));
  });
  afterAll(() => host.close());

  describe('missed-call count and pair TTL', () => {
    it('a pair past its TTL that DynamoDB has not deleted yet is treated as absent: a new grant starts from zero misses', async () => {
      const user = newUser();
      await accept(host, user);
      for (let i = 1; i < revokeAt(host); i++) await unansweredCall(host, user);
      // The grant and the pair's TTL (the grant, then 7 days shown as expired) are over; DynamoDB
      // deletes the item "later".
      await advanceClock(host, grantSeconds(host) + 8 * day);
      const pair = await readItem(host, keys.pair(india, user));
      expect((pair?.ttl as number) * 1000).toBeLessThan(host.clock.now());
      // The user grants permission again; with the item deleted this pair would have no history.
      await accept(host, user);
      await unansweredCall(host, user);
      // One unanswered call of the new grant must not revoke it (revokeAt in a row do).
      const state = await permissionState(host, india, user);
      expect(state.body.permission).toMatchObject({ status: 'temporary' });
      expect((await placeCall(host, { from: india, to: user })).status).toBe(201);
    });

    it('a new grant by reply resets the consecutive-missed count', async () => {
      const user = newUser();
      await accept(host, user);
      await advanceClock(host, grantSeconds(host) - day);
      for (let i = 1; i < revokeAt(host); i++) await unansweredCall(host, user);
      await advanceClock(host, 2 * day); // the grant is over; the pair item still lives
      await accept(host, user);
      await unansweredCall(host, user);
      const state = await permissionState(host, india, user);
      expect(state.body.permission).toMatchObject({ status: 'temporary' });
    });
  });

  describe('business-initiated calls', () => {
    it('an agent given as a Plivo endpoint username is dialed as a SIP URI by the Call API', async () => {
      // agentSchema accepts "a Plivo endpoint username"; Plivo's Call API `to` takes a number or `sip:…`.
      const user = newUser();
      await accept(host, user);
      const placed = await placeCall(host, { from: india, to: user, agent: 'sales_desk_2' });
      expect(placed.status).toBe(201);
      const [request] = (await recordedCalls(host)).filter((r) =>
        String(r.params.answer_url).includes(String(placed.body.callId)),
      );
      expect(request?.params.to).toBe('sip:sales_desk_2@phone.plivo.com');
    });

    it('an agent that is a phone number behind a SIP gateway is refused, as for inbound calls', async () => {
      const user = newUser();
      await accept(host, user);
      const placed = await placeCall(host, {
        from: india,
        to: user,
        agent: 'sip:+14155550123@pstn-gateway.example.com',
      });
      expect(placed.status).toBe(400);
    });

    it("the call's concurrency lease lasts as long as Plivo may keep the call up", async () => {
      const user = newUser();
      await accept(host, user);
      const placedAt = host.clock.now();
      const placed = await placeCall(host, { from: india, to: user });
      expect(placed.status).toBe(201);
      const callId = String(placed.body.callId);
      const [request] = (await recordedCalls(host)).filter((r) =>
        String(r.params.answer_url).includes(callId),
      );
      const answer = await postSignedForm(host, `${plivoPaths.answer}?call=${callId}`, {
        CallUUID: randomUUID(),
        From: india.slice(1),
        To: exampleAgents.india,
        Direction: 'outbound',
        CallStatus: 'in-progress',
      });
      const dial = plivoXml.parse(await answer.text()).Response.Dial;
      // Agent rings (ring_timeout), then the user rings (Dial timeout), then the bridge lasts up to
      // Dial timeLimit: only after all of it may the lease lapse and be reaped for another call.
      const longest =
        (Number(request?.params.ring_timeout) +
          Number(dial['@timeout']) +
          Number(dial['@timeLimit'])) *
        1000;
      const leaseExpiresAt = (await leasesOf(host.deps.db, india))[callId];
      expect(leaseExpiresAt).toBeGreaterThanOrEqual(placedAt + longest);
    });

    it("a call whose agent never answered (the user's phone never rang) does not use one of the user's daily calls", async () => {
      const user = newUser();
      await accept(host, user);
      for (let i = 0; i < host.deps.config.rules.businessCallsPer24Hours; i++) {
        const placed = await placeCall(host, { from: india, to: user });
        expect(placed.status).toBe(201);
        // The agent leg rang out: Plivo never fetched the answer URL, so no <Dial> reached the user.
        const hangup = await postSignedForm(
          host,
          `${plivoPaths.hangup}?call=${placed.body.callId}`,
          {
            CallUUID: randomUUID(),
            From: india.slice(1),
            To: exampleAgents.india,
            Direction: 'outbound',
            HangupCause: 'NO_ANSWER',
            HangupCauseName: 'No Answer',
            Duration: '0',
          },
        );
        expect(hangup.status).toBe(200);
        await advanceClock(host, 120);
      }
      const oneMore = await placeCall(host, { from: india, to: user });
      expect([oneMore.status, oneMore.body.error]).toEqual([201, undefined]);
    });

    it('a call whose user was dialed keeps its place among the daily calls after its hangup', async () => {
      const user = newUser();
      await accept(host, user);
      const placed = await placeCall(host, { from: india, to: user });
      expect(placed.status).toBe(201);
      const callId = String(placed.body.callId);
      const leg = await postSignedForm(host, `${plivoPaths.answer}?call=${callId}`, {
        CallUUID: randomUUID(),
        From: india.slice(1),
        To: exampleAgents.india,
        Direction: 'outbound',
        CallStatus: 'in-progress',
      });
      expect(plivoXml.parse(await leg.text()).Response.Dial['@callType']).toBe('whatsapp');
      const hangup = await postSignedForm(host, `${plivoPaths.hangup}?call=${callId}`, {
        CallUUID: randomUUID(),
        HangupCause: 'NORMAL_CLEARING',
        Duration: '30',
      });
      expect(await hangup.json()).toMatchObject({ outcome: 'ended' });
      const state = await permissionState(host, india, user);
      const startCall = (
        state.body.actions as { action: string; limits: { used: number }[] }[]
      ).find((a) => a.action === 'start_call');
      expect(startCall?.limits[0]?.used).toBe(1);
    });

    it('permission state: start_call cannot be performed from a business number in a restricted country', async () => {
      const user = newUser();
      await accept(host, user, newYork);
      const placed = await placeCall(host, { from: newYork, to: user });
      expect([placed.status, placed.body.error]).toEqual([403, 'country_restricted']);
      const state = await permissionState(host, newYork, user);
      expect(state.status).toBe(200);
      expect(state.body.actions).toContainEqual(
        expect.objectContaining({ action: 'start_call', canPerform: false }),
      );
    });
  });

  describe('inbound calls', () => {
    it("an inbound call's lease outlives the call: greeting + ring + Dial timeLimit", async () => {
      const callId = randomUUID();
      const startedAt = host.clock.now();
      const answer = await postSignedForm(host, plivoPaths.answer, {
        CallUUID: callId,
        From: newUser().slice(1),
        To: jamaica.slice(1),
        Direction: 'inbound',
        CallStatus: 'in-progress',
      });
      const document = plivoXml.parse(await answer.text()).Response;
      const dial = document.Dial;
      expect(dial).toBeDefined();
      const lease = (await leasesOf(host.deps.db, jamaica))[callId];
      // Even ignoring the greeting's length, the bridge can end only after ring timeout + timeLimit.
      expect(lease && leaseExpiresAt(lease)).toBeGreaterThanOrEqual(
        startedAt + (Number(dial['@timeout']) + Number(dial['@timeLimit'])) * 1000,
      );
    });
  });
});

describe('a revocation after missed calls, and what starts the streak again', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // Inbound calls are answered at any hour; Jamaica's number grants no callback permission. Each test
    // places its calls back to back, faster than the example account's 10 calls per second.
    const config = alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } });
    host = await startTestHost({
      config: {
        ...config,
        numbers: config.numbers.map((n) =>
          n.number === jamaica ? { ...n, callbackPermissionOnInbound: false } : n,
        ),
      },
    });
  });
  afterAll(() => host.close());

  /** A user whose grant by reply the unanswered calls in a row revoked. */
  const revokedUser = async (business = india) => {
    const user = newUser();
    await accept(host, user, business);
    for (let i = 0; i < revokeAt(host); i++) {
      const placed = await placeCall(host, { from: business, to: user });
      expect(placed.status).toBe(201);
      await postSignedForm(
        host,
        `${plivoPaths.dialStatus}?call=${placed.body.callId}`,
        dialStatusForm('no-answer'),
      );
    }
    return user;
  };

  /** A call from the user that callgate answers and that ends: a connected call. */
  const inboundCall = async (user: string, business: string) => {
    const callId = randomUUID();
    const answer = await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(callId, user, business),
    );
    expect(plivoXml.parse(await answer.text()).Response.Dial).toBeDefined();
    await host.settled();
    await postSignedForm(host, plivoPaths.hangup, hangupForm(callId));
  };

  it('the state view says the missed calls decided it and shows the streak that did, as the event does', async () => {
    const user = await revokedUser();
    const state = await permissionState(host, india, user);
    expect(state.body.permission).toStrictEqual({
      status: 'revoked',
      expiresAt: expect.any(String),
      source: 'missed_calls',
      decidedAt: expect.any(String),
      revokedReason: 'missed_calls',
    });
    expect(state.body).toMatchObject({ consecutiveMissed: revokeAt(host), warned: true });
    const { decidedAt, expiresAt } = state.body.permission as Record<string, string>;
    await host.settled();
    const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as {
      type: string;
      time: string;
      user: string;
      data: Record<string, unknown>;
    }[];
    const decisions = events.filter((e) => e.user === user && e.type.startsWith('permission.'));
    expect(decisions.map(({ type, time, data }) => ({ type, time, data }))).toEqual([
      { type: 'permission.granted', time: expect.any(String), data: expect.anything() },
      {
        type: 'permission.revoked',
        time: decidedAt,
        data: { reason: 'missed_calls', standsUntil: expiresAt },
      },
    ]);
    // The decision the view shows is the revocation's, not the grant's.
    expect(decisions[0]?.time).not.toBe(decidedAt);
  });

  it('a new grant by reply, an operator and a callback grant each start the streak again', async () => {
    const byReply = await revokedUser();
    await accept(host, byReply);
    const replied = await permissionState(host, india, byReply);
    expect(replied.body.permission).toMatchObject({ status: 'temporary', source: 'reply' });
    expect(replied.body).toMatchObject({ consecutiveMissed: 0, warned: false });

    const byOperator = await revokedUser();
    const corrected = await asJson(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(india)}/${encodeURIComponent(byOperator)}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'permanent' }),
        },
      ),
    );
    expect(corrected.body).toMatchObject({
      permission: { status: 'permanent', source: 'manual' },
      consecutiveMissed: 0,
      warned: false,
    });

    const byCallback = await revokedUser();
    await inboundCall(byCallback, india);
    const called = await permissionState(host, india, byCallback);
    expect(called.body.permission).toMatchObject({ status: 'temporary', source: 'inbound_call' });
    expect(called.body.permission).not.toHaveProperty('revokedReason');
    expect(called.body).toMatchObject({ consecutiveMissed: 0, warned: false });
  });

  it('a connected call without a callback grant breaks the streak; the revocation still stands', async () => {
    const user = await revokedUser(jamaica);
    await inboundCall(user, jamaica);
    const state = await permissionState(host, jamaica, user);
    expect(state.body.permission).toMatchObject({
      status: 'revoked',
      source: 'missed_calls',
      revokedReason: 'missed_calls',
    });
    expect(state.body).toMatchObject({ consecutiveMissed: 0, warned: false });
  });
});
