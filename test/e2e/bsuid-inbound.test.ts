/**
 * Users with a username reaching the business: an inbound call or a message from a business-scoped
 * user ID (BSUID) alone, or naming the number too, through the local host. The call is answered, ended
 * and logged with the user's `userId`; a message opens the window under the user's one pair; Meta's
 * user_changed_user_id links the new BSUID to the number.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { readLive } from '../../functions/shared/store/client.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import { type LocalHost, sandboxAuthToken } from '../../local/host.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';
import { signV2 } from '../support/plivo-sign.js';

const business = exampleNumbers.india;

const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

describe('inbound calls and messages from users known by a BSUID', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  const stored = (user: string) =>
    readLive<Record<string, unknown>>(host.deps.db, keys.pair(business, user), Date.now() + 1);
  const callLog = async (callId: string) =>
    json(await fetch(`${host.url}/v1/calls/${encodeURIComponent(callId)}`));
  const leases = async () => Object.keys(await leasesOf(host.deps.db, business));
  const answer = async (form: Record<string, string>) => {
    const response = await postSignedForm(host, plivoPaths.answer, form);
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()) as { Response: Record<string, unknown> };
  };
  const hangup = async (callId: string, fields: Record<string, string>) =>
    json(await postSignedForm(host, plivoPaths.hangup, hangupForm(callId, fields)));
  const eventsOf = async (callId: string) => {
    await host.settled();
    const events = (await (await fetch(`${host.url}/_sandbox/events`)).json()) as Envelope[];
    return events.filter((e) => 'callId' in e.data && e.data.callId === callId);
  };
  const ignoredUserIds = () =>
    host.metrics
      .filter((metric) => metric.name === 'UserIdsIgnored')
      .map((metric) => `${metric.dimensions.function} ${metric.dimensions.reason}`);

  it('a call from a BSUID alone is answered, its pair granted and its window opened, its hangup ends it, and the log and events name the BSUID', async () => {
    const bsuid = newBsuid();
    const callId = randomUUID();
    const document = await answer({
      ...inboundAnswerForm(callId, business, business),
      From: bsuid,
    });
    expect(document.Response.Speak).toBeDefined();
    expect(document.Response.Hangup).toBeUndefined();
    expect(await leases()).toContain(callId);
    await host.settled();
    expect(await stored(bsuid)).toMatchObject({
      user: bsuid,
      userId: bsuid,
      permission: 'temporary',
      permissionSource: 'inbound_call',
    });
    expect((await stored(bsuid))?.windowOpenUntil).toBeGreaterThan(Date.now());

    expect(await hangup(callId, { From: bsuid, To: business })).toMatchObject({
      status: 200,
      body: { outcome: 'ended' },
    });
    expect(await leases()).not.toContain(callId);
    expect(await callLog(callId)).toMatchObject({
      status: 200,
      body: {
        direction: 'inbound',
        user: bsuid,
        userId: bsuid,
        status: 'ended',
        outcome: 'answered',
      },
    });
    const events = await eventsOf(callId);
    expect(events.map((e) => e.type)).toEqual(['call.started', 'call.ended']);
    for (const event of events) expect(event).toMatchObject({ user: bsuid, userId: bsuid });
  });

  it('a call naming the number and the BSUID links them: a later reply by the BSUID alone lands on the number', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    const callId = randomUUID();
    await answer({ ...inboundAnswerForm(callId, number, business), FromUserId: bsuid });
    await host.settled();
    expect(await stored(bsuid)).toMatchObject({ linkedTo: number, userId: bsuid });
    expect(await stored(number)).toMatchObject({
      userId: bsuid,
      permission: 'temporary',
      permissionSource: 'inbound_call',
    });
    expect((await callLog(callId)).body).toMatchObject({ user: number, userId: bsuid });

    const reply = await json(
      await postSignedForm(
        host,
        plivoPaths.message,
        permissionReplyForm(bsuid, business, { response: 'accept', is_permanent: true }),
      ),
    );
    expect(reply.body).toMatchObject({ outcome: 'applied', permission: 'permanent' });
    expect(await stored(number)).toMatchObject({ permission: 'permanent' });
    expect(await stored(bsuid)).not.toHaveProperty('permission');
  });

  it('a call from a BSUID linked before is the number’s: its lease, record and grant are under the number', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    await postSignedForm(host, plivoPaths.message, {
      ...permissionReplyForm(number, business, { response: 'reject' }),
      FromUserId: bsuid,
    });
    const callId = randomUUID();
    await answer({ ...inboundAnswerForm(callId, business, business), From: bsuid });
    await host.settled();
    expect((await callLog(callId)).body).toMatchObject({ user: number, userId: bsuid });
    expect(await stored(number)).toMatchObject({ permission: 'temporary' });
    expect(await stored(bsuid)).not.toHaveProperty('permission');
    expect(await hangup(callId, { From: bsuid, To: business })).toMatchObject({
      body: { outcome: 'ended' },
    });
    expect(await leases()).not.toContain(callId);
  });

  it('a user ID beside From that cannot be read is ignored and counted: the number alone is the caller', async () => {
    const number = newUser();
    const callId = randomUUID();
    const before = ignoredUserIds().length;
    await answer({ ...inboundAnswerForm(callId, number, business), FromUserId: 'not-a-bsuid' });
    await host.settled();
    expect((await callLog(callId)).body).toMatchObject({ user: number });
    expect((await callLog(callId)).body).not.toHaveProperty('userId');
    expect(ignoredUserIds().slice(before)).toEqual(['answer not_a_bsuid']);
  });

  it('parallel calls from one BSUID, one naming the number too, leave one permission', async () => {
    for (let round = 0; round < 4; round++) {
      const bsuid = newBsuid();
      const number = newUser();
      await Promise.all([
        answer({ ...inboundAnswerForm(randomUUID(), business, business), From: bsuid }),
        answer({ ...inboundAnswerForm(randomUUID(), number, business), FromUserId: bsuid }),
      ]);
      await host.settled();
      const [underBsuid, underNumber] = await Promise.all([stored(bsuid), stored(number)]);
      expect(underBsuid).toMatchObject({ linkedTo: number });
      expect(underBsuid).not.toHaveProperty('permission');
      expect(underNumber?.permission).toBe('temporary');
    }
  });

  describe("a user's message", () => {
    const text = (from: string, fields: Record<string, string> = {}) => ({
      From: from,
      To: business.slice(1),
      Type: 'whatsapp',
      ContentType: 'text',
      Body: 'hello',
      MessageUUID: randomUUID(),
      ...fields,
    });
    const send = async (form: Record<string, string>) =>
      json(await postSignedForm(host, plivoPaths.message, form));
    const request = async (to: string) =>
      json(
        await fetch(`${host.url}/v1/permission-requests`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: business, to }),
        }),
      );

    it('from a BSUID alone opens its window; nothing can be sent to it until it is linked', async () => {
      const bsuid = newBsuid();
      expect(await send(text(bsuid))).toEqual({
        status: 200,
        body: { outcome: 'user_message', window: 'opened' },
      });
      expect((await stored(bsuid))?.windowOpenUntil).toBeGreaterThan(Date.now());
      expect(await stored(bsuid)).toMatchObject({ user: bsuid, userId: bsuid });
      expect(await request(bsuid)).toMatchObject({
        status: 422,
        body: { error: 'bsuid_not_messageable' },
      });
    });

    it('naming the number too links them, and a later message by the BSUID alone opens the number’s window: the request goes interactive', async () => {
      const bsuid = newBsuid();
      const number = newUser();
      await send(text(bsuid));
      expect(await send(text(number.slice(1), { FromUserId: bsuid }))).toMatchObject({
        body: { outcome: 'user_message' },
      });
      expect(await stored(bsuid)).toMatchObject({ linkedTo: number });
      expect(await stored(bsuid)).not.toHaveProperty('windowOpenUntil');
      expect(await stored(number)).toMatchObject({ userId: bsuid });

      const other = newBsuid();
      const linked = newUser();
      await postSignedForm(host, plivoPaths.message, {
        ...permissionReplyForm(linked, business, { response: 'accept', is_permanent: false }),
        FromUserId: other,
      });
      // A temporary grant stands, so no request may go: end it, then let the BSUID's message open the window.
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(other)}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ status: 'none' }),
        },
      );
      expect(await stored(linked)).not.toHaveProperty('windowOpenUntil');
      expect((await send(text(other))).body).toEqual({ outcome: 'user_message', window: 'opened' });
      expect((await stored(linked))?.windowOpenUntil).toBeGreaterThan(Date.now());
      expect(await stored(other)).not.toHaveProperty('windowOpenUntil');
      const sent = await request(other);
      expect(sent).toMatchObject({ status: 202, body: { sent: 'interactive' } });
    });

    it('with a BSUID field that cannot be read, is the number’s alone, and counted', async () => {
      const number = newUser();
      const before = ignoredUserIds().length;
      expect((await send(text(number.slice(1), { FromUserId: 'us.1' }))).body).toMatchObject({
        outcome: 'user_message',
        window: 'opened',
      });
      expect(ignoredUserIds().slice(before)).toEqual(['permission-reply not_a_bsuid']);
      expect(await stored(number)).not.toHaveProperty('userId');
    });
  });

  describe("Meta's user_changed_user_id", () => {
    const change = (previous: string, next: string) => ({
      To: business.slice(1),
      FromUserId: next,
      MessageUUID: randomUUID(),
      System: JSON.stringify({ type: 'user_changed_user_id', previous_user_id: previous }),
    });
    const send = async (form: Record<string, string>) =>
      json(await postSignedForm(host, plivoPaths.message, form));
    const state = async (user: string) =>
      json(
        await fetch(
          `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
        ),
      );

    it('links the new BSUID to the number the previous one was linked to: the permission is found under it', async () => {
      const [previous, next, number] = [newBsuid(), newBsuid(), newUser()];
      await postSignedForm(host, plivoPaths.message, {
        ...permissionReplyForm(number, business, { response: 'accept', is_permanent: true }),
        FromUserId: previous,
      });
      expect(await send(change(previous, next))).toEqual({
        status: 200,
        body: { outcome: 'user_id_changed' },
      });
      expect(await stored(next)).toMatchObject({ linkedTo: number, userId: next });
      expect((await state(next)).body).toMatchObject({ permission: { status: 'permanent' } });
      // Redelivered: nothing more.
      expect((await send(change(previous, next))).body).toEqual({ outcome: 'user_id_changed' });
    });

    it('of a BSUID linked to no number changes nothing, and is counted', async () => {
      const [previous, next] = [newBsuid(), newBsuid()];
      const before = ignoredUserIds().length;
      expect((await send(change(previous, next))).body).toEqual({
        outcome: 'ignored',
        reason: 'previous_unlinked',
      });
      expect(await stored(next)).toBeUndefined();
      expect(ignoredUserIds().slice(before)).toEqual([
        'permission-reply user_id_change_previous_unlinked',
      ]);
    });
  });

  it('a V2 signature, which signs no body, links nothing: a message opens the number’s window alone, a reply decides for the number alone, a user ID change is ignored', async () => {
    const v2 = (form: Record<string, string>) =>
      fetch(`${host.url}${plivoPaths.message}`, {
        method: 'POST',
        headers: {
          ...signV2({
            url: `${host.publicBaseUrl}${plivoPaths.message}`,
            authToken: sandboxAuthToken,
          }),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form).toString(),
      });
    const [bsuid, number] = [newBsuid(), newUser()];
    const message = {
      From: number.slice(1),
      FromUserId: bsuid,
      To: business.slice(1),
      ContentType: 'text',
      MessageUUID: randomUUID(),
    };
    expect((await json(await v2(message))).body).toEqual({
      outcome: 'user_message',
      window: 'opened',
    });
    expect(await stored(bsuid)).toBeUndefined();
    expect(await stored(number)).not.toHaveProperty('userId');

    const reply = await v2({
      ...permissionReplyForm(number, business, {
        response: 'accept',
        response_source: 'user_action',
      }),
      FromUserId: bsuid,
    });
    expect(reply.status).toBe(200);
    expect(await stored(bsuid)).toBeUndefined();
    expect(await stored(number)).toMatchObject({ permission: 'temporary' });
    expect(await stored(number)).not.toHaveProperty('userId');

    const change = {
      To: business.slice(1),
      FromUserId: newBsuid(),
      MessageUUID: randomUUID(),
      System: JSON.stringify({ type: 'user_changed_user_id', previous_user_id: bsuid }),
    };
    expect((await json(await v2(change))).body).toEqual({
      outcome: 'ignored',
      reason: 'v2_signed',
    });
  });
});
