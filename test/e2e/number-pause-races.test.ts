/**
 * Meta's pause of a business number under fire, through the local host: the same account_update
 * delivered many times at once and in another shape after operators' parallel lifts, one Meta value
 * forwarded for two numbers, an older pause arriving after a newer one, a pause arriving after its end,
 * a lift racing a new pause, a pause landing among permission requests in flight, and a pause arriving
 * while a call rings. One write and one event
 * per pause, never a 5xx, and the state view agrees with the last event.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { metaWebhook, pausing } from '../support/account-updates.js';
import { readItem } from '../support/dynamo.js';
import { exampleAgents, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  asJson,
  pathOf,
  placeCall,
  postSignedForm,
  recordedCalls,
  startTestHost,
} from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  plivoXml,
} from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const digits = (number: string) => number.replace(/\D/g, '');
const day = 24 * 3600 * 1000;

describe('a paused number under redeliveries and races', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
    });
  });
  afterAll(() => host.close());

  const postSignedJson = async (body: Record<string, unknown>) => {
    const params = Object.fromEntries(
      Object.entries(body).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
    const headers = signV3({
      method: 'POST',
      url: `${host.publicBaseUrl}${plivoPaths.message}`,
      params,
      authToken: sandboxAuthToken,
    });
    return asJson(
      await fetch(`${host.url}${plivoPaths.message}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  };
  const requestPermission = async (to: string, from = business) =>
    asJson(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from, to }),
      }),
    );
  const lift = async (number = business) =>
    asJson(
      await fetch(`${host.url}/v1/numbers/${encodeURIComponent(number)}/pause`, {
        method: 'DELETE',
      }),
    );
  const paused = async (number = business) =>
    (
      await asJson(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(number)}/${encodeURIComponent(newUser())}`,
        ),
      )
    ).body.businessNumber as { paused: { inForce: boolean } | null };
  const numberEvents = async (number: string) => {
    await host.settled();
    return (host.eventBus.events() as Envelope[]).filter(
      (event) => event.type.startsWith('number.') && event.business === number,
    );
  };
  const pausesCounted = () => host.metrics.filter((m) => m.name === 'NumbersPaused').length;

  it('the same pause delivered 12 times at once: one applied, the rest duplicates, one event', async () => {
    const now = host.clock.now();
    const pause = metaWebhook(pausing(business, now + 7 * day), now);
    const answers = await Promise.all(Array.from({ length: 12 }, () => postSignedJson(pause)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    const outcomes = answers.map((a) => a.body.outcome);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(11);
    expect((await numberEvents(business)).map((e) => e.type)).toEqual(['number.paused']);
    expect(pausesCounted()).toBe(1);

    // After an operator's lift, the same Meta webhook forwarded again in a form field, under a
    // MessageUUID of its own, is the pause already lifted: it does not pause the number again.
    const lifts = await Promise.all(Array.from({ length: 8 }, () => lift()));
    // Eight operators lift at once: one lifts it, the others find it lifted.
    expect(lifts.map((l) => l.status)).toEqual(Array(8).fill(200));
    expect(lifts.filter((l) => l.body.lifted === true)).toHaveLength(1);
    const forwarded = await postSignedForm(host, plivoPaths.message, {
      MessageUUID: '6a7b8c9d-0000-4000-8000-00000000a001',
      Body: JSON.stringify(pause),
    });
    expect(await asJson(forwarded)).toEqual({
      status: 200,
      body: { outcome: 'ignored', restricted: [] },
    });
    expect((await paused()).paused?.inForce).toBe(false);
    expect((await numberEvents(business)).map((e) => e.type)).toEqual([
      'number.paused',
      'number.unpaused',
    ]);
  });

  it('an older pause arriving after a newer one changes nothing', async () => {
    const number = exampleNumbers.jamaica;
    const now = host.clock.now();
    const newer = metaWebhook(pausing(number, now + 7 * day), now);
    const older = metaWebhook(pausing(number, now + 2 * day), now - 5 * day);
    expect((await postSignedJson(newer)).body.outcome).toBe('applied');
    expect(await postSignedJson(older)).toEqual({
      status: 200,
      body: { outcome: 'ignored', restricted: [] },
    });
    const stored = await readItem(host.deps.db, keys.numberRestriction(number, 'calls_paused'));
    expect(stored?.until).toBe(Date.parse(new Date(now + 7 * day).toISOString()));
    expect((await numberEvents(number)).map((e) => e.type)).toEqual(['number.paused']);
    await lift(number);
  });

  it('a lift racing a newer pause: the state view agrees with the last event', async () => {
    const number = exampleNumbers.newYork;
    const now = host.clock.now();
    await postSignedJson(metaWebhook(pausing(number, now + 7 * day), now - 60_000));
    const [lifts, repause] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => lift(number))),
      postSignedJson(metaWebhook(pausing(number, now + 7 * day), now)),
    ]);
    expect(lifts.map((l) => l.status)).toEqual(Array(6).fill(200));
    // Each pause is lifted at most once.
    expect(lifts.filter((l) => l.body.lifted).length).toBeLessThanOrEqual(2);
    expect(repause.body.outcome).toBe('applied');
    const events = await numberEvents(number);
    const last = events.at(-1)?.type;
    expect((await paused(number)).paused?.inForce).toBe(last === 'number.paused');
    expect(events.filter((e) => e.type === 'number.paused')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'number.unpaused')).toHaveLength(
      lifts.filter((l) => l.body.lifted).length,
    );
    await lift(number);
  });

  it('a pause landing among 12 permission requests in flight: each is sent or refused, counted as answered', async () => {
    const users = Array.from({ length: 12 }, () => newUser());
    const now = host.clock.now();
    const [answers] = await Promise.all([
      Promise.all(users.map((user) => requestPermission(user))),
      postSignedJson(metaWebhook(pausing(business, now + 7 * day), now + 1_000)),
    ]);
    for (const answer of answers) {
      expect([202, 403]).toContain(answer.status);
      if (answer.status === 403) expect(answer.body.error).toBe('number_paused');
    }
    // What was sent is counted on its pair; what was refused is not.
    for (const [index, user] of users.entries()) {
      const pair = await readItem(host.deps.db, keys.pair(business, user));
      expect(pair?.lastRequestId !== undefined).toBe(answers[index]?.status === 202);
    }
    // From the pause's answer on, every request is refused.
    expect((await requestPermission(newUser())).body.error).toBe('number_paused');
    await lift();
  });

  it('a pause while a call rings: the call connects and ends as placed, counted once', async () => {
    const from = exampleNumbers.jamaica;
    const user = newUser();
    await acceptPermission(host, user, from);
    const placed = await placeCall(host, { from, to: user });
    expect(placed.status).toBe(201);
    const now = host.clock.now();
    await postSignedJson(metaWebhook(pausing(from, now + 7 * day), now + 2_000));
    expect((await placeCall(host, { from, to: user })).body.error).toBe('number_paused');

    const callId = String(placed.body.callId);
    const request = (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
    const answered = await postSignedForm(
      host,
      pathOf(request?.params.answer_url),
      agentLegAnswerForm(from, exampleAgents.jamaica),
    );
    expect(answered.status).toBe(200);
    // Meta's rules decided at placement: the ringing call is bridged to the user, not refused.
    const dial = plivoXml.parse(await answered.text()).Response.Dial as Record<string, string>;
    expect(dial['@callType']).toBe('whatsapp');
    expect(
      (await postSignedForm(host, pathOf(dial['@action']), dialStatusForm('completed'))).status,
    ).toBe(200);
    const ended = await postSignedForm(
      host,
      pathOf(request?.params.hangup_url),
      hangupForm(randomUUID()),
    );
    expect(ended.status).toBe(200);
    const log = await asJson(await fetch(`${host.url}/v1/calls/${callId}`));
    expect(log.body).toMatchObject({ status: 'ended' });
    const pair = await readItem(host.deps.db, keys.pair(from, user));
    expect(Object.keys((pair?.calls ?? {}) as object)).toHaveLength(1);
    await lift(from);
  });

  it('one Meta value forwarded for two numbers (Plivo names each in To): both are paused', async () => {
    // Numbers of their own, so earlier tests' pauses stand apart.
    const first = business;
    const second = exampleNumbers.jamaica;
    const now = host.clock.now();
    const value = pausing(undefined, now + 7 * day);
    const forFirst = await postSignedJson({
      To: digits(first),
      ...metaWebhook(value, now + 5_000),
    });
    const forSecond = await postSignedJson({
      To: digits(second),
      ...metaWebhook(value, now + 5_000),
    });
    expect(forFirst.body.restricted).toMatchObject([{ business: first }]);
    expect(forSecond.body.restricted).toMatchObject([{ business: second }]);
    expect((await paused(first)).paused?.inForce).toBe(true);
    expect((await paused(second)).paused?.inForce).toBe(true);
  });
  it('a pause delivered after its end: nothing stands, nothing is announced or counted', async () => {
    const number = exampleNumbers.newYork;
    await lift(number);
    await host.settled();
    const eventsBefore = (await numberEvents(number)).length;
    const countedBefore = pausesCounted();
    const now = host.clock.now();
    const late = await postSignedJson(metaWebhook(pausing(number, now - day), now - 8 * day));
    expect(late).toEqual({ status: 200, body: { outcome: 'ignored', restricted: [] } });
    expect((await paused(number)).paused?.inForce ?? false).toBe(false);
    expect((await numberEvents(number)).length).toBe(eventsBefore);
    expect(pausesCounted()).toBe(countedBefore);
  });
});
