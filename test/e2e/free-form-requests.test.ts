/**
 * Free-form call-permission requests, end to end through the local host: a user's message or call
 * opens the customer-service window, a request inside it goes as Meta's interactive message (the
 * Message API request the sandbox recorded), outside it as the template; the request limits hold
 * across both kinds.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../functions/shared/config/schema.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { advanceClock, asJson, postSignedForm, startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, hangupForm, inboundAnswerForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;
const digits = (number: string) => number.slice(1);

/** Always open; the India number grants nothing on an inbound call (so a request may follow one); Jamaica sends templates only. */
const config = (): Config => {
  const base = alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } });
  return {
    ...base,
    numbers: base.numbers.map((number) =>
      number.number === business
        ? {
            ...number,
            callbackPermissionOnInbound: false,
            freeFormPermissionRequest: { enabled: true, body: 'May we call you back?' },
          }
        : number.number === jamaica
          ? { ...number, freeFormPermissionRequest: { enabled: false } }
          : number,
    ),
  };
};

const userText = (user: string, to = business, messageUuid: string = randomUUID()) => ({
  From: digits(user),
  To: digits(to),
  Type: 'whatsapp',
  ContentType: 'text',
  Body: 'hello, can someone call me?',
  MessageUUID: messageUuid,
});

interface RecordedMessage {
  readonly api: string;
  readonly params: {
    readonly src?: string;
    readonly dst?: string;
    readonly type?: string;
    readonly template?: unknown;
    readonly interactive?: unknown;
  };
}

const sentTo = async (host: LocalHost, user: string) =>
  ((await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as RecordedMessage[]).filter(
    (r) => r.api === 'message' && r.params.dst === digits(user),
  );

describe('free-form permission requests (sandbox)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: config() });
  });
  afterAll(() => host.close());

  const request = async (body: Record<string, unknown>) =>
    asJson(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );

  const state = async (user: string, from = business) =>
    asJson(await fetch(`${host.url}/v1/permissions/${from}/${user}`));

  it('a text opens the window: the request goes interactive, with the configured body', async () => {
    const user = newUser();
    const message = userText(user);
    const opened = await asJson(await postSignedForm(host, plivoPaths.message, message));
    expect(opened).toEqual({ status: 200, body: { outcome: 'user_message', window: 'opened' } });
    // Plivo redelivers it: nothing moves.
    const again = await asJson(await postSignedForm(host, plivoPaths.message, message));
    expect(again.body).toEqual({ outcome: 'duplicate' });

    const view = await state(user);
    const window = view.body.customerServiceWindow as { open: boolean; remainingSeconds: number };
    expect(window.open).toBe(true);
    expect(window.remainingSeconds).toBeLessThan(24 * 3600);

    const sent = await request({ from: business, to: user });
    expect(sent.status).toBe(202);
    expect(sent.body.sent).toBe('interactive');
    const [recorded, ...more] = await sentTo(host, user);
    expect(more).toEqual([]);
    expect(recorded?.params).toEqual({
      src: digits(business),
      dst: digits(user),
      type: 'whatsapp',
      interactive: {
        type: 'call_permission_request',
        action: { name: 'call_permission_request' },
        body: { text: 'May we call you back?' },
      },
    });
    await host.settled();
    const requested = (host.eventBus.events() ?? []).filter(
      (e) => e.type === 'permission.requested' && e.user === user,
    );
    // `local`: the local host's caller, which has no authorizer.
    expect(requested.map((e) => e.data)).toEqual([{ kind: 'interactive', actor: 'local' }]);
  });

  it("the request's own body; a forced template inside the window; a template's body refused", async () => {
    const user = newUser();
    await postSignedForm(host, plivoPaths.message, userText(user));
    const refused = await request({ from: business, to: user, kind: 'template', body: 'x' });
    expect(refused.status).toBe(400);
    const sent = await request({ from: business, to: user, kind: 'interactive', body: 'Call?' });
    expect(sent.body.sent).toBe('interactive');
    const [recorded] = await sentTo(host, user);
    expect(recorded?.params.interactive).toMatchObject({ body: { text: 'Call?' } });

    const other = newUser();
    await postSignedForm(host, plivoPaths.message, userText(other));
    const template = await request({ from: business, to: other, kind: 'template' });
    expect(template.body.sent).toBe('template');
    expect((await sentTo(host, other))[0]?.params.template).toBeDefined();
  });

  it('24 h after the message the window has closed: the template, and a forced free-form request is 409', async () => {
    const user = newUser();
    await postSignedForm(host, plivoPaths.message, userText(user));
    await advanceClock(host, 24 * 3600);
    expect((await state(user)).body.customerServiceWindow).toEqual({ open: false });
    const forced = await request({ from: business, to: user, kind: 'interactive' });
    expect(forced.status).toBe(409);
    expect(forced.body.error).toBe('window_closed');
    // Nothing was counted: the template still goes.
    const sent = await request({ from: business, to: user });
    expect([sent.status, sent.body.sent]).toEqual([202, 'template']);
    const recorded = await sentTo(host, user);
    expect(recorded.map((r) => Object.keys(r.params).sort())).toEqual([
      ['dst', 'src', 'template', 'type'],
    ]);
  });

  it('an inbound call opens the window from the stream', async () => {
    const user = newUser();
    const callUuid = randomUUID();
    const answer = await postSignedForm(
      host,
      plivoPaths.answer,
      inboundAnswerForm(callUuid, user, business),
    );
    expect(answer.status).toBe(200);
    await host.settled();
    await postSignedForm(host, plivoPaths.hangup, {
      ...hangupForm(callUuid, { Duration: '30' }),
      From: digits(user),
      To: digits(business),
    });
    expect((await state(user)).body.customerServiceWindow).toMatchObject({ open: true });
    const sent = await request({ from: business, to: user });
    expect(sent.body.sent).toBe('interactive');
  });

  it('the limits hold across both kinds: of parallel requests one is sent', async () => {
    const user = newUser();
    await postSignedForm(host, plivoPaths.message, userText(user));
    const answers = await Promise.all(
      ['interactive', 'template', undefined, 'interactive', 'template', undefined].map((kind) =>
        request({ from: business, to: user, ...(kind ? { kind } : {}) }),
      ),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 429).map((a) => a.body.error)).toEqual(
      Array(5).fill('request_limit'),
    );
    expect(await sentTo(host, user)).toHaveLength(1);
  });

  it('a number with free-form off sends the template, and refuses a forced free-form request', async () => {
    const user = newUser();
    await postSignedForm(host, plivoPaths.message, userText(user, jamaica));
    const forced = await request({ from: jamaica, to: user, kind: 'interactive' });
    expect([forced.status, forced.body.error]).toEqual([409, 'free_form_off']);
    const sent = await request({ from: jamaica, to: user });
    expect(sent.body.sent).toBe('template');
  });

  it('a forged message webhook is 403 and opens nothing', async () => {
    const user = newUser();
    const forged = await postSignedForm(host, plivoPaths.message, userText(user), 'not-the-token');
    expect(forged.status).toBe(403);
    expect((await state(user)).body.customerServiceWindow).toEqual({ open: false });
  });
});
