/**
 * Plivo's callbacks duplicated, raced and out of order, through the local host: every signed callback is
 * sent again byte for byte (Plivo's retries) or in parallel, and every test reads the table to check
 * that each was applied once: the missed count, the lease, the call record, the permission.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, hangupForm, plivoXml } from '../support/plivo-forms.js';
import {
  callRecordsOf,
  dialStatusPath,
  leasesOf,
  outboundAnswerPath,
  outboundHangupPath,
  permissionReply,
  placeCall,
  readItem,
  signedCallback,
} from './support.js';

const business = exampleNumbers.india;

describe('duplicate and out-of-order callbacks', () => {
  let host: LocalHost;
  const db = () => host.deps.db;
  const send = (path: string, params: Record<string, string>) =>
    signedCallback(host, path, params, sandboxAuthToken);
  const pair = (user: string) => readItem(db(), keys.pair(business, user));
  const call = (callId: string) => readItem(db(), keys.call(callId));

  const grant = async (user: string, messageUuid = randomUUID()) => {
    const reply = await send(
      plivoPaths.message,
      permissionReply(user, business, 'accept', messageUuid),
    ).send();
    expect(reply.status).toBe(200);
  };
  const place = async (user: string): Promise<string> => {
    const placed = await placeCall(host, business, user);
    expect(placed.status).toBe(201);
    return String(placed.body.callId);
  };
  const dialStatus = (callId: string, status: string) =>
    send(dialStatusPath(callId), { DialStatus: status, DialALegUUID: randomUUID() });
  const hangup = (callId: string) =>
    send(outboundHangupPath(callId), {
      CallUUID: randomUUID(),
      HangupCause: 'NORMAL_CLEARING',
      Duration: '12',
    });
  const speak = async (response: Response) => {
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response.Speak as string | undefined;
  };

  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  it('hangup before a missed dial status: the miss is counted once, the lease released once and not taken again', async () => {
    const user = newUser();
    await grant(user);
    const callId = await place(user);
    expect(await leasesOf(db(), business)).toContain(callId);

    const ended = await hangup(callId).send();
    expect(await ended.json()).toEqual({ callId, outcome: 'ended' });
    expect(await leasesOf(db(), business)).not.toContain(callId);

    const missed = dialStatus(callId, 'no-answer');
    expect(await speak(await missed.send())).toBe('The customer did not answer.');
    expect(await pair(user)).toMatchObject({ permission: 'temporary', missed: 1 });
    expect(await call(callId)).toMatchObject({ dialStatus: 'no-answer', durationSeconds: 12 });
    expect(await leasesOf(db(), business)).not.toContain(callId);

    // Plivo retries the dial status: nothing moves.
    const before = await pair(user);
    expect(await speak(await missed.send())).toBe('The customer did not answer.');
    expect(await pair(user)).toEqual(before);
    expect(await leasesOf(db(), business)).not.toContain(callId);
  });

  it('hangup before a connected dial status: the earlier miss is reset, the lease stays released', async () => {
    const user = newUser();
    await grant(user);
    const first = await place(user);
    expect((await dialStatus(first, 'busy').send()).status).toBe(200);
    expect((await hangup(first).send()).status).toBe(200);
    expect(await pair(user)).toMatchObject({ missed: 1 });

    const second = await place(user);
    expect(await (await hangup(second).send()).json()).toEqual({
      callId: second,
      outcome: 'ended',
    });
    expect(await speak(await dialStatus(second, 'completed').send())).toBeUndefined();
    expect(await pair(user)).not.toHaveProperty('missed');
    expect(await call(second)).toMatchObject({ dialStatus: 'completed' });
    expect(await leasesOf(db(), business)).not.toContain(second);
    expect(await leasesOf(db(), business)).not.toContain(first);
  });

  it('the same dial status ten times at once: one miss counted', async () => {
    const user = newUser();
    await grant(user);
    const callId = await place(user);
    const missed = dialStatus(callId, 'no-answer');
    const responses = await Promise.all(Array.from({ length: 10 }, () => missed.send()));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await pair(user)).toMatchObject({ missed: 1 });
    expect(await pair(user)).not.toHaveProperty('warnedAt');
    expect(await call(callId)).toMatchObject({ dialStatus: 'no-answer' });
  });

  it('a second, different dial status for the same call is not applied: the first one stands', async () => {
    const user = newUser();
    await grant(user);
    const callId = await place(user);
    expect((await dialStatus(callId, 'no-answer').send()).status).toBe(200);
    const pairAfterMiss = await pair(user);
    expect(pairAfterMiss).toMatchObject({ missed: 1 });
    expect((await dialStatus(callId, 'completed').send()).status).toBe(200);
    expect(await pair(user)).toEqual(pairAfterMiss);
    expect(await call(callId)).toMatchObject({ dialStatus: 'no-answer' });
  });

  it('the same hangup ten times at once: ended once, its lease released, another call keeps its lease', async () => {
    const user = newUser();
    await grant(user);
    const callId = await place(user);
    const other = await place(user);
    const ended = hangup(callId);
    const outcomes = await Promise.all(
      Array.from(
        { length: 10 },
        async () => ((await (await ended.send()).json()) as { outcome: string }).outcome,
      ),
    );
    expect(outcomes.filter((o) => o === 'ended')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already_ended')).toHaveLength(9);
    const leases = await leasesOf(db(), business);
    expect(leases).not.toContain(callId);
    expect(leases).toContain(other);
    expect(await call(callId)).toMatchObject({
      durationSeconds: 12,
      hangupCause: 'NORMAL_CLEARING',
    });
    // Its agent never answered, so the user was never dialed: its daily slot was given back, once.
    expect(Object.keys((await pair(user))?.calls as object)).toEqual([other]);
  });

  it('the agent leg answer retried, also in parallel: the same <Dial>, marked dialed once', async () => {
    const user = newUser();
    await grant(user);
    const callId = await place(user);
    const snapshot = async () => ({
      pair: await pair(user),
      call: await call(callId),
      leases: await leasesOf(db(), business),
    });
    const before = await snapshot();
    const answer = send(outboundAnswerPath(callId), {
      CallUUID: randomUUID(),
      From: business.slice(1),
      To: exampleAgents.india,
      Direction: 'outbound',
      CallStatus: 'in-progress',
    });
    const bodies = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const response = await answer.send();
        expect(response.status).toBe(200);
        return response.text();
      }),
    );
    expect(new Set(bodies).size).toBe(1);
    const dial = plivoXml.parse(bodies[0] ?? '').Response.Dial;
    expect([dial['@callType'], String(dial.User)]).toEqual(['whatsapp', user.slice(1)]);
    // Only the call learned when its user was dialed (the first answer's time, kept by the retries).
    const after = await snapshot();
    expect(after.call?.dialedAt).toEqual(expect.any(Number));
    expect({ ...after, call: { ...after.call, dialedAt: undefined } }).toEqual({
      ...before,
      call: { ...before.call, dialedAt: undefined },
    });
  });

  it('an inbound answer retried after its hangup: no lease kept, no second record', async () => {
    const user = newUser();
    const callId = randomUUID();
    const answer = send(plivoPaths.answer, {
      CallUUID: callId,
      From: user.slice(1),
      To: business.slice(1),
      Direction: 'inbound',
      CallStatus: 'ringing',
    });
    const first = await answer.send();
    expect(first.status).toBe(200);
    const xml = await first.text();
    expect(await leasesOf(db(), business)).toContain(callId);
    const hangupParams = hangupForm(callId, { From: user.slice(1), To: business.slice(1) });
    expect(await (await send(plivoPaths.hangup, hangupParams).send()).json()).toEqual({
      callId,
      outcome: 'ended',
    });
    await host.settled();
    const pairAfterCall = await pair(user);

    const retries = await Promise.all(Array.from({ length: 5 }, () => answer.send()));
    for (const retry of retries) {
      expect(retry.status).toBe(200);
      expect(await retry.text()).toBe(xml);
    }
    // Each retry's lease is released once the call's record shows the call over.
    await host.settled();
    expect(await leasesOf(db(), business)).not.toContain(callId);
    expect(await callRecordsOf(db(), user)).toHaveLength(1);
    expect(await call(callId)).toHaveProperty('endedAt');
    expect(await pair(user)).toEqual(pairAfterCall);
  });

  it('a permission reply redelivered after a newer reply is deduplicated: the newer one stands', async () => {
    const user = newUser();
    const accepted = send(
      plivoPaths.message,
      permissionReply(user, business, 'accept', randomUUID()),
    );
    expect(await (await accepted.send()).json()).toMatchObject({ outcome: 'applied' });
    const rejected = send(
      plivoPaths.message,
      permissionReply(user, business, 'reject', randomUUID()),
    );
    expect(await (await rejected.send()).json()).toMatchObject({
      outcome: 'applied',
      permission: 'rejected',
    });
    expect(await (await accepted.send()).json()).toEqual({ outcome: 'duplicate' });
    expect(await pair(user)).toMatchObject({ permission: 'rejected', version: 2 });
    const refused = await placeCall(host, business, user);
    expect([refused.status, refused.body.error]).toEqual([403, 'permission_rejected']);
  });

  it('an older reply delivered late for the first time is applied in arrival order (Plivo forwards no reply time)', async () => {
    // Documents current behaviour: without a timestamp from Plivo there is nothing to order replies by,
    // so the last one to arrive decides. See docs/failures.md, *Retries and reordering*.
    const user = newUser();
    const newer = send(plivoPaths.message, permissionReply(user, business, 'reject'));
    const older = send(plivoPaths.message, permissionReply(user, business, 'accept'));
    expect((await newer.send()).status).toBe(200);
    expect((await older.send()).status).toBe(200);
    expect(await pair(user)).toMatchObject({ permission: 'temporary', version: 2 });
  });
});
