import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { sandboxAuthToken } from '../../local/host.js';
import { exampleConfig, exampleNumbers, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';
import { permissionReplyForm } from '../support/plivo-forms.js';
import { signV2, signV3 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;
const businessDigits = plivoDigits(business);

const replyForm = (user: string, fields: Record<string, unknown>, messageUuid?: string) =>
  permissionReplyForm(user, business, fields, messageUuid);

const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

describe('permission lifecycle through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // The request limits this block counts to, set here rather than taken from the defaults.
    const permissionRequests = { per24Hours: 1, per7Days: 2 };
    host = await startTestHost({
      config: { ...exampleConfig, rules: { ...exampleConfig.rules, permissionRequests } },
    });
  });
  afterAll(() => host.close());

  const requestPermission = async (to: string, from = business) =>
    json(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from, to }),
      }),
    );

  const rules = () => host.deps.config.rules;

  const state = async (user: string, businessPath = encodeURIComponent(business)) =>
    json(await fetch(`${host.url}/v1/permissions/${businessPath}/${encodeURIComponent(user)}`));

  const advance = async (advanceSeconds: number) => {
    const response = await fetch(`${host.url}/_sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds }),
    });
    expect(response.status).toBe(200);
  };

  const sentTemplates = async (user: string) => {
    const recorded = (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
      api: string;
      params: { dst?: string };
    }[];
    return recorded.filter((r) => r.api === 'message' && r.params.dst === user.replace('+', ''));
  };

  const postReply = async (body: Record<string, string>) =>
    json(await postSignedForm(host, plivoPaths.message, body));

  it('sends the template, then enforces 1 request per 24 h and 2 per 7 days', async () => {
    const user = newUser();
    const first = await requestPermission(user);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ messageId: expect.any(String), from: business, to: user });
    const sent = await sentTemplates(user);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.params).toEqual({
      src: businessDigits,
      dst: user.replace('+', ''),
      type: 'whatsapp',
      template: { name: 'call_permission_request', language: 'en' },
    });

    const view = await state(user);
    expect(view.body.actions).toMatchObject([
      {
        action: 'send_call_permission_request',
        canPerform: false,
        limits: [
          { window: 'PT24H', max: 1, used: 1, resetsAt: expect.any(String) },
          { window: 'P7D', max: 2, used: 1 },
        ],
      },
      { action: 'start_call', canPerform: false },
    ]);

    const daily = await fetch(`${host.url}/v1/permission-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: business, to: user }),
    });
    expect(daily.status).toBe(429);
    const dailyBody = (await daily.json()) as { error: string; retryAfter: number };
    expect(dailyBody.error).toBe('request_limit');
    expect(dailyBody.retryAfter).toBeGreaterThan(86_000);
    expect(dailyBody.retryAfter).toBeLessThanOrEqual(86_400);
    expect(daily.headers.get('retry-after')).toBe(String(dailyBody.retryAfter));

    await advance(24 * 3600);
    expect((await requestPermission(user)).status).toBe(202);
    await advance(24 * 3600);
    const weekly = await requestPermission(user);
    expect(weekly.status).toBe(429);
    // The first request leaves the 7-day window 5 days from now.
    expect(weekly.body.retryAfter).toBeGreaterThan(5 * 86_400 - 600);
    expect(weekly.body.retryAfter).toBeLessThanOrEqual(5 * 86_400);
    await advance(5 * 24 * 3600);
    expect((await requestPermission(user)).status).toBe(202);
    expect(await sentTemplates(user)).toHaveLength(3);
  });

  it('20 parallel requests for one pair send exactly 1 template', async () => {
    const user = newUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => requestPermission(user)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 429)).toHaveLength(19);
    expect(await sentTemplates(user)).toHaveLength(1);
  });

  it('an accept reply (form) grants 7 days; requests are refused while it lasts', async () => {
    const user = newUser();
    const body = replyForm(user, { response: 'accept', is_permanent: false });
    expect(await postReply(body)).toEqual({
      status: 200,
      body: { outcome: 'applied', permission: 'temporary' },
    });
    // Plivo redelivers: applied once.
    expect(await postReply(body)).toEqual({ status: 200, body: { outcome: 'duplicate' } });

    const granted = await state(user);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      business,
      user,
      permission: { status: 'temporary', expiresAt: expect.any(String) },
      actions: [
        { action: 'send_call_permission_request', canPerform: false },
        {
          action: 'start_call',
          canPerform: true,
          limits: [{ window: 'PT24H', max: rules().businessCallsPer24Hours, used: 0 }],
        },
      ],
    });
    const expiresAt = Date.parse((granted.body.permission as { expiresAt: string }).expiresAt);
    const permissionSeconds = rules().permissionSeconds;
    expect(Math.abs(expiresAt - (host.clock.now() + permissionSeconds * 1000))).toBeLessThan(
      60_000,
    );

    const active = await requestPermission(user);
    expect(active).toMatchObject({ status: 409, body: { error: 'permission_active' } });
    // A new request is possible once the temporary permission ends.
    expect(active.body.retryAfter).toBeGreaterThan(permissionSeconds - 600);
    expect(active.body.retryAfter).toBeLessThanOrEqual(permissionSeconds);
    await advance(permissionSeconds);
    expect((await state(user)).body.permission).toMatchObject({ status: 'expired' });
    expect((await requestPermission(user)).status).toBe(202);
  });

  it('a JSON body with Interactive as an object grants a permanent permission', async () => {
    const user = newUser();
    const params = {
      From: user.replace('+', ''),
      To: businessDigits,
      MessageUUID: randomUUID(),
      Interactive: {
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', is_permanent: true },
      },
    };
    // A JSON body is signed over its fields as strings (objects as their JSON text).
    const headers = signV3({
      method: 'POST',
      url: `${host.publicBaseUrl}${plivoPaths.message}`,
      params: { ...params, Interactive: JSON.stringify(params.Interactive) },
      authToken: sandboxAuthToken,
    });
    const response = await fetch(`${host.url}${plivoPaths.message}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    expect(await json(response)).toEqual({
      status: 200,
      body: { outcome: 'applied', permission: 'permanent' },
    });
    await advance(30 * 24 * 3600);
    expect((await state(user)).body.permission).toEqual({
      status: 'permanent',
      source: 'reply',
      decidedAt: expect.any(String),
    });
  });

  it('reject stands as rejected; an automatic reject revokes a grant', async () => {
    const rejecting = newUser();
    await postReply(replyForm(rejecting, { response: 'reject', response_source: 'user_action' }));
    expect((await state(rejecting)).body.permission).toMatchObject({ status: 'rejected' });

    const revoked = newUser();
    await postReply(replyForm(revoked, { response: 'accept' }));
    const result = await postReply(
      replyForm(revoked, { response: 'reject', response_source: 'automatic' }),
    );
    expect(result.body).toEqual({ outcome: 'applied', permission: 'revoked' });
    const view = await state(revoked);
    expect(view.body.permission).toMatchObject({ status: 'revoked' });
    expect(view.body.actions).toMatchObject([
      { action: 'send_call_permission_request', canPerform: true },
      { action: 'start_call', canPerform: false },
    ]);
  });

  it('a text keeps the window open and decides nothing; statuses and unconfigured business numbers change nothing', async () => {
    const user = newUser();
    const text = {
      From: user.replace('+', ''),
      To: businessDigits,
      Type: 'whatsapp',
      ContentType: 'text',
      Body: 'hello',
      MessageUUID: randomUUID(),
    };
    expect(await postReply(text)).toEqual({
      status: 200,
      body: { outcome: 'user_message', window: 'opened' },
    });
    const status = {
      MessageUUID: randomUUID(),
      From: businessDigits,
      To: text.From,
      Status: 'read',
    };
    expect((await postReply(status)).status).toBe(200);
    const elsewhere = { ...replyForm(user, { response: 'accept' }), To: '442071838750' };
    expect(await postReply(elsewhere)).toEqual({
      status: 200,
      body: { outcome: 'ignored', reason: 'unknown_business_number' },
    });
    expect((await state(user)).body.permission).toEqual({ status: 'no_permission' });
    // A text to a number callgate does not serve opens nothing.
    const elsewhereText = { ...text, To: '442071838750', MessageUUID: randomUUID() };
    expect((await postReply(elsewhereText)).body).toEqual({
      outcome: 'ignored',
      reason: 'unknown_business_number',
    });
  });

  it('refuses unsigned replies (403) and ones Plivo would not send (400); acknowledges unreadable ones (200), changing nothing', async () => {
    const user = newUser();
    const unsigned = await fetch(`${host.url}${plivoPaths.message}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(replyForm(user, { response: 'accept' })).toString(),
    });
    expect(unsigned.status).toBe(403);

    // Answered 200 so that Plivo stops retrying; logged as unrecognized.
    const unreadable = {
      status: 200,
      body: { outcome: 'ignored', reason: 'unrecognized_interactive' },
    };
    expect(await postReply({ ...replyForm(user, {}), Interactive: '{not json' })).toEqual(
      unreadable,
    );
    expect(await postReply(replyForm(user, { response: 'later' }))).toEqual(unreadable);
    const badNumber = await postReply({ ...replyForm(user, { response: 'accept' }), From: '12' });
    expect(badNumber).toMatchObject({ status: 400, body: { error: 'invalid_number' } });
    const { MessageUUID: _, ...withoutUuid } = replyForm(user, { response: 'accept' });
    expect(await postReply(withoutUuid)).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', message: 'MessageUUID: is required' },
    });
    expect((await state(user)).body.permission).toEqual({ status: 'no_permission' });
  });

  it('validates the permission-request and state inputs', async () => {
    expect(await requestPermission('+1234')).toMatchObject({
      status: 400,
      body: { error: 'invalid_number' },
    });
    expect(await requestPermission(newUser(), '+442071838750')).toMatchObject({
      status: 404,
      body: { error: 'unknown_business_number' },
    });
    const missing = await fetch(`${host.url}/v1/permission-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: business }),
    });
    expect(await json(missing)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await state('abc')).toMatchObject({ status: 400, body: { error: 'invalid_number' } });
    expect(await state(newUser(), '+442071838750')).toMatchObject({
      status: 404,
      body: { error: 'unknown_business_number' },
    });
  });

  describe('what a refusal says becomes possible, and when', () => {
    const hour = 3600;
    const call = async (to: string) => {
      const response = await fetch(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to }),
      });
      return { ...(await json(response)), retryAfterHeader: response.headers.get('retry-after') };
    };
    const correct = async (user: string, correction: Record<string, unknown>) =>
      json(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
          {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(correction),
          },
        ),
      );
    const action = async (user: string, name: string) =>
      ((await state(user)).body.actions as { action: string; availableAt?: string }[]).find(
        (a) => a.action === name,
      );
    const inHours = (from: number) => new Date(host.clock.now() + from * hour * 1000).toISOString();

    it('a rejected call says when a permission request may be sent, not a retry: once the rejection lapses the call is still refused', async () => {
      const user = newUser();
      await postReply(replyForm(user, { response: 'reject', response_source: 'user_action' }));
      const rejected = await call(user);
      expect(rejected).toMatchObject({ status: 403, body: { error: 'permission_rejected' } });
      // A rejection does not stop requests: one may be sent now.
      expect(rejected.body).not.toHaveProperty('retryAfter');
      expect(rejected.retryAfterHeader).toBeNull();
      expect(rejected.body.requestPermissionAfter).toBe(0);
      expect(await action(user, 'start_call')).not.toHaveProperty('availableAt');
      expect(await action(user, 'send_call_permission_request')).toMatchObject({
        canPerform: true,
      });

      expect((await requestPermission(user)).status).toBe(202);
      const asked = await call(user);
      expect(asked.body.error).toBe('permission_rejected');
      // The next request: when the request just sent leaves the 24 h window.
      expect(asked.body.requestPermissionAfter).toBeGreaterThan(24 * hour - 60);
      expect(asked.body.requestPermissionAfter).toBeLessThanOrEqual(24 * hour);
      expect(await action(user, 'send_call_permission_request')).toMatchObject({
        canPerform: false,
        reason: 'request_limit',
      });

      // The rejection no longer stands: a call is refused all the same, for want of a permission.
      await advance(rules().refusalStandsSeconds);
      const lapsed = await call(user);
      expect(lapsed).toMatchObject({ status: 403, body: { error: 'no_permission' } });
      expect(lapsed.body).not.toHaveProperty('retryAfter');
      expect(lapsed.body.requestPermissionAfter).toBe(0);
    });

    it("Meta's revocation: the call refused with when a request may be sent", async () => {
      const user = newUser();
      await postReply(replyForm(user, { response: 'accept' }));
      await postReply(replyForm(user, { response: 'reject', response_source: 'automatic' }));
      const revoked = await call(user);
      expect(revoked).toMatchObject({
        status: 403,
        body: { error: 'permission_revoked', requestPermissionAfter: 0 },
      });
      expect(revoked.body).not.toHaveProperty('retryAfter');
      expect(revoked.retryAfterHeader).toBeNull();
    });

    it('the daily limit of a permission that ends before the limit frees: no retry, a request once it has ended', async () => {
      const user = newUser();
      expect((await correct(user, { status: 'temporary', expiresAt: inHours(2) })).status).toBe(
        200,
      );
      const dailyCalls = host.deps.config.rules.businessCallsPer24Hours;
      for (let i = 0; i < dailyCalls; i++) expect((await call(user)).status).toBe(201);
      const full = await call(user);
      expect(full).toMatchObject({ status: 429, body: { error: 'daily_call_limit' } });
      expect(full.body).not.toHaveProperty('retryAfter');
      expect(full.retryAfterHeader).toBeNull();
      expect(full.body.requestPermissionAfter).toBeGreaterThan(2 * hour - 60);
      expect(full.body.requestPermissionAfter).toBeLessThanOrEqual(2 * hour);
      expect(await action(user, 'start_call')).toMatchObject({
        canPerform: false,
        reason: 'daily_call_limit',
      });
      expect(await action(user, 'start_call')).not.toHaveProperty('availableAt');

      // A permission lasting past the reset: the limit frees while it lasts, so a retry may succeed.
      const lasting = newUser();
      await postReply(replyForm(lasting, { response: 'accept' }));
      for (let i = 0; i < dailyCalls; i++) expect((await call(lasting)).status).toBe(201);
      const retry = await call(lasting);
      expect(retry.body.error).toBe('daily_call_limit');
      expect(retry.body.retryAfter).toBeGreaterThan(24 * hour - 60);
      expect(retry.retryAfterHeader).toBe(String(retry.body.retryAfter));
      expect(retry.body).not.toHaveProperty('requestPermissionAfter');
    });

    it('a request while a permission lasts: retryAfter waits for its end and for room in the windows', async () => {
      const user = newUser();
      const sentAt = host.clock.now();
      expect((await requestPermission(user)).status).toBe(202);
      // Granted elsewhere for an hour: the request sent now fills the 24 h window well past that.
      await correct(user, { status: 'temporary', expiresAt: inHours(1) });
      const active = await requestPermission(user);
      expect(active).toMatchObject({ status: 409, body: { error: 'permission_active' } });
      expect(active.body.retryAfter).toBeGreaterThan(24 * hour - 60);
      expect(active.body.retryAfter).toBeLessThanOrEqual(24 * hour);
      const request = await action(user, 'send_call_permission_request');
      expect(request).toMatchObject({ canPerform: false, reason: 'permission_active' });
      const availableAt = Date.parse(request?.availableAt ?? '');
      expect(availableAt).toBeGreaterThanOrEqual(sentAt + 24 * hour * 1000);
      expect(availableAt).toBeLessThanOrEqual(host.clock.now() + 24 * hour * 1000);
    });
  });

  it('applies a V2-signed reply once; its signature is never accepted again', async () => {
    const url = `${host.publicBaseUrl}${plivoPaths.message}`;
    // V2 signs the URL and the nonce only: a captured signature fits any body.
    const headers = signV2({ url, authToken: sandboxAuthToken });
    const post = (form: Record<string, string>) =>
      fetch(`${host.url}${plivoPaths.message}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
    const [user, victim] = [newUser(), newUser()];
    const genuine = replyForm(user, { response: 'accept', response_source: 'user_action' });
    expect(await json(await post(genuine))).toMatchObject({
      status: 200,
      body: { outcome: 'applied' },
    });
    // The same headers again, even on the same body: a V2 nonce is used once, whatever the request.
    expect(await json(await post(genuine))).toMatchObject({
      status: 403,
      body: { error: 'bad_signature' },
    });
    const forged = replyForm(victim, { response: 'accept', is_permanent: true });
    expect(await json(await post(forged))).toMatchObject({
      status: 403,
      body: { error: 'bad_signature' },
    });
    expect((await state(victim)).body.permission).toEqual({ status: 'no_permission' });
  });
});

describe('when Plivo refuses the template', () => {
  let plivo: Loopback;
  let host: LocalHost;
  let failNext = true;

  beforeAll(async () => {
    // A stand-in for Plivo's Message API on loopback: real HTTP through the REST adapter.
    plivo = await startLoopback(() =>
      failNext
        ? jsonAnswer(500, { error: 'internal error' })
        : jsonAnswer(202, { message: 'message(s) queued', message_uuid: [randomUUID()] }),
    );
    host = await startTestHost({
      plivo: {
        authId: 'MAXXXXXXXXXXXXXXXXXX',
        authToken: 'test-token',
        apiUrl: plivo.url,
      },
    });
  });
  afterAll(async () => {
    await host.close();
    await plivo.close();
  });

  it('answers 502 plivo_error and does not count the request', async () => {
    const user = newUser();
    const send = () =>
      fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: user }),
      }).then(json);
    const failed = await send();
    expect(failed).toMatchObject({ status: 502, body: { error: 'plivo_error' } });
    failNext = false;
    const sent = await send();
    expect(sent.status).toBe(202);
    expect(plivo.requests).toHaveLength(2);
    expect(plivo.requests[1]?.json()).toMatchObject({ src: businessDigits, type: 'whatsapp' });
  });
});
