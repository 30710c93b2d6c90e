/**
 * The sandbox plays Meta's newer parts through its own API: a user's text opens the window so the
 * next permission request goes free-form (and the user's reply to it grants), Meta pauses a business
 * number (and hides its call button) until the clock or an operator lifts it, and the clock passing a
 * temporary permission's end brings `permission.expired`, each shown on the timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { permissionExpiryLookDelayMs } from '../../functions/shared/scheduling/wakeups.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import {
  eventually,
  request,
  sandboxState,
  sandboxUser,
  timeline,
  userPath,
} from '../support/sandbox.js';

const business = exampleNumbers.india;
const other = exampleNumbers.jamaica;

const events = async (host: LocalHost, type: Envelope['type']) => {
  await host.settled();
  return ((await request(host, 'GET', '/_sandbox/events')).body as unknown as Envelope[]).filter(
    (e) => e.type === type,
  );
};

const permission = async (host: LocalHost, user: string, from = business) =>
  (
    await request(
      host,
      'GET',
      `/v1/permissions/${encodeURIComponent(from)}/${encodeURIComponent(user)}`,
    )
  ).body as unknown as Record<string, unknown> & { permission: { status: string } };

const pausePath = (number: string) =>
  `/_sandbox/businesses/${encodeURIComponent(number)}/account-update`;

describe('the sandbox plays the window, a paused number and an expiry', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
      simulate: true,
    });
  });
  afterAll(() => host.close());

  it("a user's text opens the window: the request goes interactive, the user sees it and accepts it", async () => {
    const user = newUser();
    const outside = newUser();
    const template = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: outside,
    });
    expect([template.status, template.body.sent]).toEqual([202, 'template']);

    const sent = await request(host, 'POST', userPath(user, 'messages'), {
      business,
      text: 'Please call me',
    });
    expect(sent).toEqual({
      status: 200,
      body: { status: 200, body: { outcome: 'user_message', window: 'opened' } },
    });
    expect((await permission(host, user)).customerServiceWindow).toMatchObject({ open: true });

    const asked = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: user,
    });
    expect([asked.status, asked.body.sent]).toEqual([202, 'interactive']);
    const [pending] = (await sandboxUser(host, user)).requests;
    expect(pending).toMatchObject({ business, kind: 'interactive', template: 'interactive' });
    expect((await sandboxUser(host, outside)).requests[0]).toMatchObject({ kind: 'template' });

    const entries = await timeline(host);
    const summaries = entries.filter((e) => e.user === user).map((e) => `${e.kind}: ${e.summary}`);
    expect(summaries).toContain(`user: ${user} writes to ${business}: “Please call me”`);
    expect(
      summaries.some(
        (s) => s.startsWith('plivo-api: ') && s.includes('interactive call_permission_request'),
      ),
    ).toBe(true);
    expect(
      entries.some(
        (e) => e.user === outside && e.kind === 'plivo-api' && e.summary.includes('template'),
      ),
    ).toBe(true);

    const reply = await request(host, 'POST', userPath(user, 'permission-reply'), {
      business,
      response: 'accept',
    });
    expect(reply.body.status).toBe(200);
    expect((await permission(host, user)).permission).toMatchObject({ status: 'temporary' });
  });

  it('refuses a message to an unknown business number and an empty text 400', async () => {
    const user = newUser();
    const unknown = await request(host, 'POST', userPath(user, 'messages'), {
      business: '+14155550123',
    });
    expect([unknown.status, unknown.body.error]).toEqual([400, 'unknown_business_number']);
    const empty = await request(host, 'POST', userPath(user, 'messages'), { business, text: '' });
    expect(empty.status).toBe(400);
  });

  it('Meta pauses a number and hides its call button: refused until the clock passes the end', async () => {
    const user = newUser();
    await request(host, 'PUT', userPath(user), { permissionRequests: 'accept' });
    expect(
      (await request(host, 'POST', '/v1/permission-requests', { from: business, to: user })).status,
    ).toBe(202);
    await eventually(
      async () => (await permission(host, user)).permission.status === 'temporary',
      'the accepted permission',
    );

    const paused = await request(host, 'POST', pausePath(business), {
      seconds: 3600,
      hideCallButton: true,
    });
    expect(paused.status).toBe(200);
    expect(paused.body.body).toMatchObject({
      outcome: 'applied',
      restricted: [
        { business, restriction: 'calls_paused' },
        { business, restriction: 'call_button_hidden' },
      ],
    });
    const call = await request(host, 'POST', '/v1/calls', { from: business, to: user });
    expect([call.status, call.body.error]).toEqual([403, 'number_paused']);
    const asked = await request(host, 'POST', '/v1/permission-requests', {
      from: business,
      to: newUser(),
    });
    expect([asked.status, asked.body.error]).toEqual([403, 'number_paused']);
    expect(
      (await request(host, 'POST', '/v1/permission-requests', { from: other, to: newUser() }))
        .status,
    ).toBe(202);

    const shown = (await sandboxState(host)).businesses.find((b) => b.number === business);
    expect(shown).toMatchObject({
      paused: { inForce: true, reason: 'RESTRICTED_BIZ_INITIATED_CALLING' },
      callButtonHidden: { inForce: true },
    });
    expect((await events(host, 'number.paused')).map((e) => e.business)).toContain(business);

    const mark = (await timeline(host)).at(-1)?.id;
    expect((await request(host, 'POST', '/_sandbox/clock', { advanceSeconds: 3600 })).status).toBe(
      200,
    );
    const ended = (await timeline(host, mark))
      .filter((e) => e.kind === 'clock')
      .map((e) => e.summary);
    expect(ended.some((s) => s.startsWith(`Meta's pause of ${business} ended`))).toBe(true);
    expect(ended.some((s) => s.startsWith(`${business}'s call button is shown again`))).toBe(true);
    expect((await sandboxState(host)).businesses.find((b) => b.number === business)).toMatchObject({
      paused: null,
      callButtonHidden: null,
    });
    expect((await request(host, 'POST', '/v1/calls', { from: business, to: user })).status).toBe(
      201,
    );
  });

  it("an operator's lift shows in the state and on the timeline", async () => {
    const paused = await request(host, 'POST', pausePath(other), {});
    expect(paused.body.body).toMatchObject({
      restricted: [{ business: other, restriction: 'calls_paused' }],
    });
    const lifted = await request(host, 'DELETE', `/v1/numbers/${encodeURIComponent(other)}/pause`);
    expect(lifted.body).toMatchObject({ business: other, lifted: true });
    expect((await sandboxState(host)).businesses.find((b) => b.number === other)).toMatchObject({
      paused: { inForce: false, liftedAt: expect.any(String) },
    });
    // The event comes through the table's stream, after the lift has answered.
    expect((await events(host, 'number.unpaused')).map((e) => e.business)).toContain(other);
    const entries = await timeline(host);
    expect(
      entries.some((e) => e.kind === 'api' && e.summary.startsWith('DELETE /v1/numbers/')),
    ).toBe(true);
    expect(entries.some((e) => e.kind === 'event' && e.summary === 'number.unpaused')).toBe(true);
    expect(
      (await request(host, 'POST', '/v1/permission-requests', { from: other, to: newUser() }))
        .status,
    ).toBe(202);
  });

  it('refuses an account update that restricts nothing, too short, or to an unknown number 400', async () => {
    expect((await request(host, 'POST', pausePath(business), { pauseCalls: false })).status).toBe(
      400,
    );
    expect((await request(host, 'POST', pausePath(business), { seconds: 1 })).status).toBe(400);
    const unknown = await request(host, 'POST', pausePath('+14155550123'), {});
    expect([unknown.status, unknown.body.error]).toEqual([400, 'unknown_business_number']);
  });

  it('the clock passing a temporary permission’s end brings permission.expired, on the timeline', async () => {
    const user = newUser();
    await request(host, 'PUT', userPath(user), { permissionRequests: 'accept' });
    await request(host, 'POST', '/v1/permission-requests', { from: other, to: user });
    const granted = await eventually(async () => {
      const found = (await events(host, 'permission.granted')).find((e) => e.user === user);
      return found?.data && 'expiresAt' in found.data && found.data.expiresAt;
    }, 'the temporary grant');
    const expiresAt = Date.parse(String(granted));

    const seconds = Math.ceil((expiresAt + permissionExpiryLookDelayMs - host.clock.now()) / 1000);
    expect(
      (await request(host, 'POST', '/_sandbox/clock', { advanceSeconds: seconds })).status,
    ).toBe(200);
    const expired = (await events(host, 'permission.expired')).filter((e) => e.user === user);
    expect(expired).toHaveLength(1);
    expect(
      (await timeline(host)).some(
        (e) => e.kind === 'event' && e.user === user && e.summary === 'permission.expired',
      ),
    ).toBe(true);
    expect((await permission(host, user, other)).permission).toMatchObject({ status: 'expired' });
  });
});
