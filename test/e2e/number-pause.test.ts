/**
 * Meta pauses a business number (an account_update on the message webhook): through the local host,
 * business-initiated calls and permission requests are refused 403 number_paused with Meta's reason
 * and the end, the state view and the bus say so, call intents wait it out, and the pause lifts when
 * the clock passes its end or when an operator lifts it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { CallParams } from '../../functions/shared/telephony/port.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import type { SandboxTelephony } from '../../local/sandbox/telephony.js';
import { metaWebhook, pausing } from '../support/account-updates.js';
import { exampleConfig, exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  placeCall,
  postSignedForm,
  startTestHost,
} from '../support/local-host.js';
import { signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const other = exampleNumbers.jamaica;
const digits = (number: string) => number.replace(/\D/g, '');
const day = 24 * 3600 * 1000;

describe('a business number Meta paused', () => {
  let host: LocalHost;
  beforeEach(async () => {
    host = await startTestHost({ config: { ...exampleConfig, account: { callsPerSecond: 1000 } } });
  });
  afterEach(() => host.close());

  /** A JSON body signed as Plivo signs one (V3 over its top-level values). */
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
  const requestPermission = async (to: string, from = business) => {
    const response = await fetch(`${host.url}/v1/permission-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, to }),
    });
    return { ...(await asJson(response)), retryAfter: response.headers.get('retry-after') };
  };
  const state = async (user: string, from = business) =>
    asJson(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(from)}/${encodeURIComponent(user)}`,
      ),
    );
  const lift = async (number = business) =>
    asJson(
      await fetch(`${host.url}/v1/numbers/${encodeURIComponent(number)}/pause`, {
        method: 'DELETE',
      }),
    );
  const numberEvents = async () => {
    await host.settled();
    const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
    return events.filter((event) => event.type.startsWith('number.'));
  };

  it('refuses calls and requests with the reason and end until the clock passes it', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const now = host.clock.now();
    const until = now + 7 * day;
    const pause = metaWebhook(pausing(business, until), now);

    expect(await postSignedJson(pause)).toEqual({
      status: 200,
      body: {
        outcome: 'applied',
        restricted: [
          { business, restriction: 'calls_paused', until: new Date(until).toISOString() },
        ],
      },
    });
    // Plivo's redelivery changes nothing.
    expect((await postSignedJson(pause)).body.outcome).toBe('duplicate');

    const pausedUntil = new Date(until).toISOString();
    const refusedCall = await placeCall(host, { from: business, to: user });
    expect(refusedCall.status).toBe(403);
    expect(refusedCall.body).toMatchObject({
      error: 'number_paused',
      reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
      pausedUntil,
    });
    // Seconds to the end, whatever the host's clock ran meanwhile.
    expect(Number(refusedCall.body.retryAfter)).toBeGreaterThan(7 * 24 * 3600 - 60);
    expect(Number(refusedCall.body.retryAfter)).toBeLessThanOrEqual(7 * 24 * 3600);
    const refusedRequest = await requestPermission(newUser());
    expect([refusedRequest.status, refusedRequest.body.error]).toEqual([403, 'number_paused']);
    expect(refusedRequest.body.pausedUntil).toBe(pausedUntil);
    expect(Number(refusedRequest.retryAfter)).toBeGreaterThan(7 * 24 * 3600 - 60);
    // The other number is not paused.
    expect((await requestPermission(newUser(), other)).status).toBe(202);

    const view = await state(user);
    expect(view.body.businessNumber).toEqual({
      paused: {
        inForce: true,
        reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
        since: new Date(Math.floor(now / 1000) * 1000).toISOString(),
        until: pausedUntil,
      },
      callButtonHidden: null,
    });
    expect(view.body.actions).toMatchObject([
      { action: 'send_call_permission_request', canPerform: false, reason: 'number_paused' },
      { action: 'start_call', canPerform: false, reason: 'number_paused' },
    ]);

    const events = await numberEvents();
    expect(events.map((event) => [event.type, event.business, event.user])).toEqual([
      ['number.paused', business, undefined],
    ]);
    expect(events[0]?.data).toEqual({
      reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
      since: new Date(Math.floor(now / 1000) * 1000).toISOString(),
      until: pausedUntil,
    });
    expect(host.metrics.filter((m) => m.name === 'NumbersPaused')).toHaveLength(1);

    await advanceClock(host, 7 * 24 * 3600);
    const grantAgain = newUser();
    await acceptPermission(host, grantAgain, business);
    expect((await placeCall(host, { from: business, to: grantAgain })).status).toBe(201);
    expect((await state(grantAgain)).body.businessNumber).toMatchObject({
      paused: null,
    });
  });

  it('lifts by an operator: allowed again, announced once', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const now = host.clock.now();
    await postSignedJson(metaWebhook(pausing(business, now + 7 * day), now));
    expect((await placeCall(host, { from: business, to: user })).body.error).toBe('number_paused');

    const lifted = await lift();
    expect(lifted).toEqual({
      status: 200,
      body: {
        business,
        lifted: true,
        reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
        pausedUntil: new Date(now + 7 * day).toISOString(),
      },
    });
    expect(await lift()).toEqual({ status: 200, body: { business, lifted: false } });
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
    expect((await state(user)).body.businessNumber).toMatchObject({
      paused: { inForce: false, liftedAt: expect.any(String) },
    });
    expect((await numberEvents()).map((event) => event.type)).toEqual([
      'number.paused',
      'number.unpaused',
    ]);
    // A redelivery of the update does not pause the number again.
    await postSignedJson(metaWebhook(pausing(business, now + 7 * day), now));
    expect((await placeCall(host, { from: business, to: newUser() })).body.error).toBe(
      'no_permission',
    );
  });

  it('refuses an unsigned account_update 403, and an unknown number or path 400/404', async () => {
    const now = host.clock.now();
    const response = await fetch(`${host.url}${plivoPaths.message}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metaWebhook(pausing(business, now + day), now)),
    });
    expect(response.status).toBe(403);
    const user = newUser();
    await acceptPermission(host, user, business);
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);

    expect((await lift('+12')).status).toBe(400);
    expect((await lift('+14155550123')).status).toBe(404);
  });

  it('reads the value alone in a form field and flattened; ignores an unconfigured number', async () => {
    const now = host.clock.now();
    const form = await postSignedForm(host, plivoPaths.message, {
      From: digits(business),
      To: digits(business),
      MessageUUID: '6a7b8c9d-0000-4000-8000-000000000001',
      Type: 'account_update',
      Value: JSON.stringify(pausing('+14155550123', now + day)),
    });
    expect(await asJson(form)).toEqual({
      status: 200,
      body: { outcome: 'ignored', restricted: [] },
    });
    expect(
      host.metrics.filter(
        (m) =>
          m.name === 'AccountUpdatesIgnored' && m.dimensions.reason === 'unknown_business_number',
      ),
    ).toHaveLength(1);

    const flattened = await postSignedForm(host, plivoPaths.message, {
      MessageUUID: '6a7b8c9d-0000-4000-8000-000000000002',
      Field: 'account_update',
      Event: 'CALLING_PAUSED',
      PhoneNumber: digits(other),
      Expiration: String(Math.floor((now + day) / 1000)),
    });
    expect((await asJson(flattened)).body).toMatchObject({
      outcome: 'applied',
      restricted: [{ business: other, restriction: 'calls_paused' }],
    });
    expect((await requestPermission(newUser(), other)).body.error).toBe('number_paused');
    expect((await requestPermission(newUser(), business)).status).toBe(202);
  });

  it('fails closed: an update naming no number pauses every number, an unreadable end 7 days', async () => {
    const now = host.clock.now();
    const update = metaWebhook(
      {
        event: 'ACCOUNT_RESTRICTION',
        restriction_info: [
          { restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING', expiration: 'soon' },
        ],
      },
      now,
    );
    const applied = await postSignedJson(update);
    const since = Math.floor(now / 1000) * 1000;
    expect(applied.body.restricted).toEqual(
      exampleConfig.numbers.map(({ number }) => ({
        business: number,
        restriction: 'calls_paused',
        until: new Date(since + 7 * day).toISOString(),
      })),
    );
    expect((await requestPermission(newUser(), other)).body.error).toBe('number_paused');
    // The operator lifts the one Meta did not pause.
    expect((await lift(other)).body.lifted).toBe(true);
    expect((await requestPermission(newUser(), other)).status).toBe(202);
    expect((await requestPermission(newUser(), business)).body.error).toBe('number_paused');
  });

  it('records a hidden call button and refuses nothing', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const now = host.clock.now();
    const hidden = await postSignedJson(
      metaWebhook(
        {
          phone_number: digits(business),
          event: 'ACCOUNT_RESTRICTION',
          restriction_info: [
            { restriction_type: 'CALL_BUTTON_HIDDEN_LOW_PICKUP', expiration: now / 1000 + 86_400 },
          ],
        },
        now,
      ),
    );
    expect(hidden.body.restricted).toMatchObject([{ business, restriction: 'call_button_hidden' }]);
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
    expect((await state(user)).body.businessNumber).toMatchObject({
      paused: null,
      callButtonHidden: { inForce: true, reason: 'CALL_BUTTON_HIDDEN_LOW_PICKUP' },
    });
    expect((await numberEvents()).map((event) => event.type)).toEqual([
      'number.call_button_hidden',
    ]);
  });

  it('ignores an account update about something else, and counts one it cannot read', async () => {
    const now = host.clock.now();
    const other = await postSignedJson(
      metaWebhook({ event: 'PARTNER_APP_INSTALLED', waba_info: { waba_id: '1' } }, now),
    );
    expect(other.body).toEqual({ outcome: 'ignored', restricted: [] });
    const unreadable = await postSignedJson({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'account_update', value: 'paused!' }] }],
    });
    expect(unreadable).toEqual({ status: 200, body: { outcome: 'ignored', restricted: [] } });
    expect(
      host.metrics.filter(
        (m) => m.name === 'AccountUpdatesIgnored' && m.dimensions.reason === 'unreadable',
      ),
    ).toHaveLength(1);
  });

  it('has a call intent wait for the pause to end, then place the call', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    const now = host.clock.now();
    const until = now + 2 * day;
    await postSignedJson(metaWebhook(pausing(business, until), now));
    const created = await asJson(
      await fetch(`${host.url}/v1/call-intents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: user }),
      }),
    );
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      status: 'scheduled',
      reason: 'number_paused',
      scheduledAt: new Date(until).toISOString(),
    });
    const intent = async () =>
      (await asJson(await fetch(`${host.url}/v1/call-intents/${String(created.body.intentId)}`)))
        .body;
    await advanceClock(host, day / 1000);
    expect((await intent()).status).toBe('scheduled');
    await advanceClock(host, Math.ceil((until - host.clock.now()) / 1000));
    expect((await intent()).status).toBe('placed');
  });
  describe('an operator lifting the pause', () => {
    const createIntent = async (to: string, from = business) =>
      asJson(
        await fetch(`${host.url}/v1/call-intents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from, to }),
        }),
      );
    const intentOf = async (intentId: unknown) =>
      (await asJson(await fetch(`${host.url}/v1/call-intents/${String(intentId)}`))).body;
    const callsPlacedTo = () =>
      (host.telephony as SandboxTelephony).requests().filter((r) => r.api === 'call');

    it('wakes every intent waiting on that number at once, and none waiting on another', async () => {
      const users = [newUser(), newUser()];
      const elsewhere = newUser();
      for (const user of users) await acceptPermission(host, user, business);
      await acceptPermission(host, elsewhere, other);
      const now = host.clock.now();
      const until = now + 2 * day;
      await postSignedJson(metaWebhook(pausing(business, until), now));
      await postSignedJson(metaWebhook(pausing(other, until), now));
      const waiting = [
        ...(await Promise.all(users.map((user) => createIntent(user)))),
        await createIntent(elsewhere, other),
      ];
      for (const created of waiting) {
        expect(created.body).toMatchObject({ status: 'scheduled', reason: 'number_paused' });
      }
      await host.settled();
      expect(callsPlacedTo()).toEqual([]);

      expect((await lift()).body.lifted).toBe(true);
      // No clock moves: the lift's event wakes them, not their wake-ups at the pause's end.
      await host.settled();
      expect(host.clock.now() - now).toBeLessThan(day);
      const [first, second, asleep] = await Promise.all(
        waiting.map((created) => intentOf(created.body.intentId)),
      );
      expect([first?.status, second?.status]).toEqual(['placed', 'placed']);
      for (const placed of [first, second]) {
        const call = await asJson(await fetch(`${host.url}/v1/calls/${String(placed?.callId)}`));
        expect(call.status).toBe(200);
      }
      expect(callsPlacedTo().map((r) => (r.params as CallParams).from)).toEqual([
        digits(business),
        digits(business),
      ]);
      expect(asleep).toMatchObject({
        status: 'scheduled',
        reason: 'number_paused',
        scheduledAt: new Date(until).toISOString(),
      });
    });

    it('wakes intents whose waits race the lift', async () => {
      const users = [newUser(), newUser(), newUser()];
      for (const user of users) await acceptPermission(host, user, business);
      const now = host.clock.now();
      await postSignedJson(metaWebhook(pausing(business, now + 2 * day), now));
      const waiting = await Promise.all(users.map((user) => createIntent(user)));
      // Lifted before the intents' waits reached the dispatcher: whichever of a wait's mark and the
      // lift's look at the marks comes first, each intent is woken.
      expect((await lift()).body.lifted).toBe(true);
      await host.settled();
      const after = await Promise.all(waiting.map((created) => intentOf(created.body.intentId)));
      expect(after.map((intent) => intent?.status)).toEqual(['placed', 'placed', 'placed']);
      expect(callsPlacedTo()).toHaveLength(users.length);
    });
  });
});
