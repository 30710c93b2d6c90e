/**
 * Users, numbers and BSUIDs shaped like callgate's own keys, through the local host: store key prefixes,
 * `#`, a parent BSUID's prefix alone, ids past 128 characters, look-alike Unicode and case variants.
 * Each is a clear 4xx on every route that takes a user or a number, never a 5xx and never a read of
 * another item; a BSUID is taken exactly as written, so two that differ in case are two users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { asJson, postSignedForm, startTestHost } from '../support/local-host.js';
import { permissionReplyForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;

describe('user keys shaped like the store’s', () => {
  let host: LocalHost;
  let granted: string;
  beforeAll(async () => {
    host = await startTestHost();
    granted = newUser();
    const reply = await postSignedForm(
      host,
      plivoPaths.message,
      permissionReplyForm(granted, business, { response: 'accept', is_permanent: true }),
    );
    expect(reply.status).toBe(200);
  });
  afterAll(() => host.close());

  const send = async (method: string, path: string, body?: unknown) =>
    asJson(
      await fetch(`${host.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  const shaped = [
    `PAIR#${business}#${'+919812345678'}`,
    `${'+919812345678'}#STATE`,
    'INTENT#00000000-0000-4000-8000-000000000000',
    'NUMBER#+918035737458',
    '#',
    'US.',
    'US.ENT.',
    `US.${'1'.repeat(129)}`,
    'US.１２３４５６７８',
    'ＵＳ.12345678',
    'us.12345678',
    'US.1234#5678',
    'US.12345678 ',
    'US.12345678\u0000',
    'US.12345678\u200b',
    'US..12345678',
    'STATE',
  ];

  it.each(shaped)('%j is a 400 on every route that takes a user', async (user) => {
    const path = `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`;
    const answers = [
      await send('GET', path),
      await send('PUT', path, { permission: 'permanent' }),
      await send('POST', '/v1/permission-requests', { from: business, to: user }),
      await send('POST', '/v1/calls', { from: business, to: user }),
      await send('POST', '/v1/call-intents', { from: business, to: user }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^invalid_(number|request)$/);
    }
  });

  it.each([`PAIR#${business}`, `NUMBER#${business}`, `${business}#PAUSE`, '#'])(
    '%j is a 400 as a business number',
    async (number) => {
      const encoded = encodeURIComponent(number);
      for (const answer of [
        await send('DELETE', `/v1/numbers/${encoded}/pause`),
        await send('GET', `/v1/permissions/${encoded}/${encodeURIComponent(granted)}`),
      ]) {
        expect(answer.status).toBe(400);
      }
    },
  );

  it('an intent id shaped like a key is a 400, not a read of the key', async () => {
    for (const id of ['INTENT#x', `ACTIVEINTENT#${business}#${granted}`, '..%2F..']) {
      const answer = await send('GET', `/v1/call-intents/${encodeURIComponent(id)}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it('a webhook naming a user by a key-shaped id is refused 400, and writes no pair', async () => {
    for (const user of ['PAIR#x', 'US.ENT.', `US.${'9'.repeat(129)}`]) {
      const form = {
        ...permissionReplyForm(newUser(), business, { response: 'accept' }),
        From: user,
      };
      const answer = await asJson(await postSignedForm(host, plivoPaths.message, form));
      expect([answer.status, answer.body.error]).toEqual([400, 'invalid_number']);
      expect(await readItem(host.deps.db, keys.pair(business, user))).toBeUndefined();
    }
  });

  it('a BSUID is taken as written: two that differ in case are two users', async () => {
    const bsuid = `${newBsuid()}abc`;
    const upper = bsuid.toUpperCase();
    const reply = await postSignedForm(
      host,
      plivoPaths.message,
      permissionReplyForm(bsuid, business, { response: 'accept', is_permanent: true }),
    );
    expect(reply.status).toBe(200);
    const state = async (user: string) =>
      (await send('GET', `/v1/permissions/${encodeURIComponent(business)}/${user}`)).body;
    expect(await state(bsuid)).toMatchObject({ user: bsuid, permission: { status: 'permanent' } });
    expect(await state(upper)).toMatchObject({
      user: upper,
      permission: { status: 'no_permission' },
    });
    // The longest BSUID Meta allows, parent or not, is a user like any other.
    for (const longest of [`US.${'a1'.repeat(64)}`, `US.ENT.${'Z9'.repeat(64)}`]) {
      expect(
        (await send('GET', `/v1/permissions/${encodeURIComponent(business)}/${longest}`)).status,
      ).toBe(200);
    }
  });
});
