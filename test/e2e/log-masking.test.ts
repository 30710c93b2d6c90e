/**
 * Everything the local host writes during a tour of its routes (inbound and placed calls, permission
 * requests and replies, a user's message, Meta's account update pausing a number, a call intent,
 * inbound calls from a business-scoped user ID,
 * refusals of every kind, numbers percent-encoded in paths and bodies): no line holds a full phone
 * number, in any spelling it came in, nor a token. Then users with a username (BSUIDs of digits, of
 * letters alone, a parent's) through replies, refusals, an operator's lift and an expiry: no line
 * holds one in full.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { leaksIn } from '../support/leaks.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
} from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

const authToken = 'auth-token-7f3c9d2a-only-in-this-test';
const apiToken = 'api-token-4e8b1a6c-only-in-this-test';
const business = exampleNumbers.india;
const digits = business.slice(1);
const user = '+919812345671';
const caller = '+919812345672';
const stranger = '+919812345673';
const numbers = [business, exampleNumbers.newYork, user, caller, stranger];
const bsuid = 'US.13491208655302741918';

describe('the local host’s output during a tour', () => {
  let host: LocalHost;
  const output: string[] = [];
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write;
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        output.push(String(chunk));
        return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = write;
      });
    }
    host = await startTestHost({
      config: alwaysOpenExampleConfig(),
      sandboxAuthToken: authToken,
      apiToken,
    });
  });

  afterAll(async () => {
    await host?.close();
    for (const undo of restore.splice(0)) undo();
  });

  const api = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${host.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body }),
    });
  const pair = (to: string) => JSON.stringify({ from: business, to });
  const signed = (path: string, form: Record<string, string>, token = authToken) =>
    postSignedForm(host, path, form, token);
  /** A JSON body on the message URL, signed as Plivo signs one (V3 over its top-level values). */
  const signedJson = (body: Record<string, unknown>) =>
    fetch(`${host.url}${plivoPaths.message}`, {
      method: 'POST',
      headers: {
        ...signV3({
          method: 'POST',
          url: `${host.publicBaseUrl}${plivoPaths.message}`,
          params: Object.fromEntries(
            Object.entries(body).map(([name, value]) => [
              name,
              typeof value === 'string' ? value : JSON.stringify(value),
            ]),
          ),
          authToken,
        }),
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });

  it('holds no full number and no token', async () => {
    // A permission request, the user's acceptance, a placed call through its dial status and hangup.
    expect((await api('POST', '/v1/permission-requests', pair(user))).status).toBe(202);
    const reply = permissionReplyForm(user, business, { response: 'accept' });
    expect((await signed(plivoPaths.message, reply)).status).toBe(200);
    const placed = await api('POST', '/v1/calls', pair(user));
    expect(placed.status).toBe(201);
    const { callId } = (await placed.json()) as { callId: string };
    const leg = agentLegAnswerForm(business);
    expect((await signed(`${plivoPaths.answer}?call=${callId}`, leg)).status).toBe(200);
    const dial = dialStatusForm('completed', leg.CallUUID);
    expect((await signed(`${plivoPaths.dialStatus}?call=${callId}`, dial)).status).toBe(200);
    const legEnded = hangupForm(leg.CallUUID as string, { From: leg.From as string });
    expect((await signed(`${plivoPaths.hangup}?call=${callId}`, legEnded)).status).toBe(200);

    // An inbound call answered and hung up; one to a number callgate does not serve.
    const inbound = inboundAnswerForm(randomUUID(), caller, business);
    expect((await signed(plivoPaths.answer, inbound)).status).toBe(200);
    const ended = hangupForm(inbound.CallUUID as string, {
      From: caller.slice(1),
      To: business.slice(1),
    });
    expect((await signed(plivoPaths.hangup, ended)).status).toBe(200);
    // A caller known by a BSUID alone, and one whose BSUID beside the number is no BSUID.
    const bsuidCall = randomUUID();
    const byBsuid = { ...inboundAnswerForm(bsuidCall, caller, business), From: bsuid };
    expect((await signed(plivoPaths.answer, byBsuid)).status).toBe(200);
    const bsuidEnded = hangupForm(bsuidCall, { From: bsuid, To: digits });
    expect((await signed(plivoPaths.hangup, bsuidEnded)).status).toBe(200);
    const oddId = { ...inboundAnswerForm(randomUUID(), caller, business), FromUserId: `${bsuid}!` };
    expect((await signed(plivoPaths.answer, oddId)).status).toBe(200);
    const elsewhere = inboundAnswerForm(randomUUID(), caller, '+919999999999');
    expect((await signed(plivoPaths.answer, elsewhere)).status).toBe(200);

    // A user's text message, opening the customer-service window.
    const userText = {
      From: caller.slice(1),
      To: digits,
      Type: 'whatsapp',
      ContentType: 'text',
      Body: 'hello, can someone call me?',
      MessageUUID: randomUUID(),
    };
    const message = await signed(plivoPaths.message, userText);
    expect(await message.json()).toMatchObject({ outcome: 'user_message' });
    const bsuidText = { ...userText, From: bsuid, MessageUUID: randomUUID() };
    const fromBsuid = await signed(plivoPaths.message, bsuidText);
    expect(await fromBsuid.json()).toMatchObject({ outcome: 'user_message' });
    const oddText = { ...userText, FromUserId: `${bsuid}!`, MessageUUID: randomUUID() };
    expect(await (await signed(plivoPaths.message, oddText)).json()).toMatchObject({
      outcome: 'user_message',
    });

    // A call intent for a user without permission: it asks for it.
    expect((await api('POST', '/v1/call-intents', pair(stranger))).status).toBe(202);

    // Refusals: each logs its path and the pair it was about.
    const path = (b: string, u: string) => `/v1/permissions/${b}/${u}`;
    expect(
      (
        await api('GET', path(`%2B${digits}`, '%2B919812345673'), undefined, {
          authorization: 'Bearer wrong',
        })
      ).status,
    ).toBe(401);
    expect((await api('GET', path(`%2b${digits}`, '%2B9198123abc'))).status).toBe(400);
    expect((await api('GET', path('%2B919999999999', '%2B919812345673'))).status).toBe(404);
    expect((await api('GET', path(`%2B${digits}`, '%2B91%2098123%2045673'))).status).toBe(400);
    expect((await api('POST', '/v1/calls', pair(stranger))).status).toBe(403);
    expect((await api('POST', '/v1/calls', pair('+91 98123 45673'))).status).toBe(400);
    expect(
      (await api('POST', '/v1/calls', JSON.stringify({ from: business, to: 919812345673 }))).status,
    ).toBe(400);
    const form = `from=%2B${digits}&to=%2B919812345673`;
    const formPost = await api('POST', '/v1/calls', form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(formPost.status).toBeGreaterThanOrEqual(400);
    expect(formPost.status).toBeLessThan(500);
    const forged = { From: stranger.slice(1), To: business.slice(1) };
    expect((await signed(plivoPaths.message, forged, 'forged')).status).toBe(403);

    // Meta pauses the business number (last: it refuses the number's calls from then on).
    const pause = await signedJson({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: Math.floor(host.clock.now() / 1000),
          changes: [
            {
              field: 'account_update',
              value: {
                phone_number: digits,
                event: 'ACCOUNT_RESTRICTION',
                restriction_info: [
                  {
                    restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING',
                    expiration: new Date(host.clock.now() + 7 * 24 * 3600_000).toISOString(),
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(await pause.json()).toMatchObject({ outcome: 'applied' });
    await host.settled();

    const text = output.join('');
    // The capture saw the tour's log lines (else the assertions below would prove nothing).
    for (const message of [
      'call-permission request sent',
      'call-permission reply',
      'business-initiated call placed',
      'dial status',
      'call ended',
      'inbound call answered',
      'inbound call to a number that is not configured',
      'inbound call: the caller is taken from From alone',
      'user message: the user is taken from From alone',
      'call intent created',
      'request refused',
      'user message: customer-service window',
      'business number restricted by Meta',
    ]) {
      expect(text).toContain(message);
    }
    expect(text).toContain(`/v1/permissions/***${digits.slice(-4)}/***5673`);
    expect(leaksIn(text, [authToken, apiToken])).toEqual([]);
    for (const number of numbers) {
      expect(text, number).not.toContain(number.slice(1));
      // The national number too (the last 10 digits).
      expect(text, number).not.toContain(number.slice(-10));
    }
    expect(text).toContain('US.***1918');
    expect(text).not.toContain(bsuid.slice(3));
    expect(text).not.toContain(authToken);
    expect(text).not.toContain(apiToken);
  });
  it('holds no BSUID, letters only or digits, through replies, refusals, a lift and an expiry', async () => {
    const bsuids = ['US.13491208655302741918', 'US.AbCdEfGhIjKlMnOpQr', 'IN.ENT.ZyXwVuTsRqPoNmLk'];
    const [digitsOnly, lettersOnly, parent] = bsuids as [string, string, string];
    const linkedNumber = '+919812345674';
    const replies = [
      permissionReplyForm(lettersOnly, business, { response: 'accept' }),
      {
        ...permissionReplyForm(linkedNumber, business, { response: 'accept' }),
        FromUserId: digitsOnly,
      },
      {
        ...permissionReplyForm(lettersOnly, business, { response: 'reject' }),
        FromParentUserId: parent,
      },
      // A payload callgate cannot read is logged cut short, with what it names.
      {
        ...permissionReplyForm(lettersOnly, business, {}),
        Interactive: JSON.stringify({ type: 'call_permission_reply', from_user_id: lettersOnly }),
      },
      { ...permissionReplyForm(parent, '+919999999999', { response: 'accept' }) },
    ];
    for (const reply of replies) {
      expect((await signed(plivoPaths.message, reply)).status).toBeLessThan(500);
    }
    for (const user of bsuids) {
      expect((await api('GET', `/v1/permissions/${business}/${user}`)).status).toBe(200);
      expect((await api('POST', '/v1/calls', pair(user))).status).toBeLessThan(500);
      expect((await api('POST', '/v1/permission-requests', pair(user))).status).toBeLessThan(500);
      expect((await api('GET', `/v1/permissions/${business}/${user}x%23`)).status).toBe(400);
      expect((await api('GET', `/v1/permissions/${business}/${user.toLowerCase()}`)).status).toBe(
        400,
      );
    }
    const pause = await signedJson({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: Math.floor(host.clock.now() / 1000) + 1,
          changes: [
            {
              field: 'account_update',
              value: {
                phone_number: digits,
                event: 'ACCOUNT_RESTRICTION',
                restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING' }],
              },
            },
          ],
        },
      ],
    });
    expect(pause.status).toBe(200);
    expect((await api('DELETE', `/v1/numbers/${encodeURIComponent(business)}/pause`)).status).toBe(
      200,
    );
    await fetch(`${host.url}/_sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify({ advanceSeconds: host.deps.config.rules.permissionSeconds + 600 }),
    });
    await host.settled();

    const text = output.join('');
    expect(text).toContain('number pause lifted by an operator');
    expect(text).toContain('permission expiry looked at');
    expect(leaksIn(text, [authToken, apiToken])).toEqual([]);
    for (const bsuid of bsuids) {
      const id = bsuid.slice(bsuid.lastIndexOf('.') + 1);
      expect(text, bsuid).not.toContain(id);
    }
    expect(text).not.toContain(linkedNumber.slice(-10));
  });
});
