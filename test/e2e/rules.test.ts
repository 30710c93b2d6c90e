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
import { keys } from '../../functions/shared/store/keys.js';
import { leaseExpiresAt, leasesOf } from '../../functions/shared/store/leases.js';
import type { LocalHost } from '../../infra/local/host.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import { dialStatusForm, plivoXml } from '../support/plivo-forms.js';

const india = '+918035737458';
const jamaica = '+18765550123';
const newYork = '+12125550123';
const day = 24 * 3600;
let userCounter = 0;
const newUser = () => `+91984${String(++userCounter).padStart(7, '0')}`;

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
      for (let i = 0; i < 3; i++) await unansweredCall(host, user);
      // The grant and the pair's TTL (grant + 7 days, then 7 more shown as expired) are over;
      // DynamoDB deletes the item "later".
      await advanceClock(host, 15 * day);
      const pair = await readItem(host, keys.pair(india, user));
      expect((pair?.ttl as number) * 1000).toBeLessThan(host.clock.now());
      // The user grants permission again; with the item deleted this pair would have no history.
      await accept(host, user);
      await unansweredCall(host, user);
      // One unanswered call of the new grant must not revoke it (4 in a row do).
      const state = await permissionState(host, india, user);
      expect(state.body.permission).toMatchObject({ status: 'temporary' });
      expect((await placeCall(host, { from: india, to: user })).status).toBe(201);
    });

    it('a new grant by reply resets the consecutive-missed count, as an inbound grant and a revocation do', async () => {
      const user = newUser();
      await accept(host, user);
      await advanceClock(host, 6 * day);
      for (let i = 0; i < 3; i++) await unansweredCall(host, user);
      await advanceClock(host, 2 * day); // the 7-day grant is over; the pair item still lives
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
        To: 'sip:support@phone.plivo.com',
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

    it("a call whose agent never answered (the user's phone never rang) does not use one of the user's 5 daily calls", async () => {
      const user = newUser();
      await accept(host, user);
      for (let i = 0; i < 5; i++) {
        const placed = await placeCall(host, { from: india, to: user });
        expect(placed.status).toBe(201);
        // The agent leg rang out: Plivo never fetched the answer URL, so no <Dial> reached the user.
        const hangup = await postSignedForm(
          host,
          `${plivoPaths.hangup}?call=${placed.body.callId}`,
          {
            CallUUID: randomUUID(),
            From: india.slice(1),
            To: 'sip:support@phone.plivo.com',
            Direction: 'outbound',
            HangupCause: 'NO_ANSWER',
            HangupCauseName: 'No Answer',
            Duration: '0',
          },
        );
        expect(hangup.status).toBe(200);
        await advanceClock(host, 120);
      }
      const sixth = await placeCall(host, { from: india, to: user });
      expect([sixth.status, sixth.body.error]).toEqual([201, undefined]);
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
        To: 'sip:support@phone.plivo.com',
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
