/**
 * Users with a username: named by a business-scoped user ID (BSUID) alone, or with their number too.
 * One permission per real user, found under either name; nothing goes out to a BSUID alone.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { numberShownMs } from '../../functions/shared/rules/user-link.js';
import { readLive } from '../../functions/shared/store/client.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import { permissionReplyForm } from '../support/plivo-forms.js';

const business = exampleNumbers.india;

const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

/** A reply as Plivo would forward it for a user with a username: `From` the BSUID or the number. */
const reply = (
  user: { number?: string; bsuid?: string },
  fields: Record<string, unknown> = { response: 'accept', is_permanent: false },
) => {
  const form = permissionReplyForm(user.number ?? (user.bsuid as string), business, fields);
  return user.number && user.bsuid ? { ...form, FromUserId: user.bsuid } : form;
};

describe('users known by a business-scoped user ID', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  const postReply = async (body: Record<string, string>) =>
    json(await postSignedForm(host, plivoPaths.message, body));
  const state = async (user: string) =>
    json(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      ),
    );
  const stored = (user: string) =>
    readLive<Record<string, unknown>>(host.deps.db, keys.pair(business, user), Date.now() + 1);
  const plivoRequests = async () =>
    ((await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as unknown[]).length;

  it('a BSUID-only reply grants; a later reply with both links, and the grant is found under either', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    expect(await postReply(reply({ bsuid }))).toEqual({
      status: 200,
      body: { outcome: 'applied', permission: 'temporary' },
    });
    const byBsuid = await state(bsuid);
    expect(byBsuid.status).toBe(200);
    expect(byBsuid.body).toMatchObject({
      business,
      user: bsuid,
      permission: { status: 'temporary' },
    });
    expect((await state(number)).body).toMatchObject({ permission: { status: 'no_permission' } });

    // A message that names both links them: the grant moves to the number, the BSUID keeps a link.
    const both = await postReply(
      reply({ number, bsuid }, { response: 'accept', is_permanent: true }),
    );
    expect(both.body).toMatchObject({ outcome: 'applied', permission: 'permanent' });
    expect((await state(number)).body).toMatchObject({ permission: { status: 'permanent' } });
    expect((await state(bsuid)).body).toMatchObject({
      user: bsuid,
      permission: { status: 'permanent' },
    });
    expect(await stored(bsuid)).toMatchObject({ linkedTo: number, userId: bsuid });
    expect(await stored(bsuid)).not.toHaveProperty('permission');
    expect(await stored(number)).toMatchObject({ userId: bsuid, permission: 'permanent' });

    // A later BSUID-only reply lands on the number's pair.
    await postReply(reply({ bsuid }, { response: 'reject' }));
    expect((await state(number)).body).toMatchObject({ permission: { status: 'rejected' } });
    expect(await stored(bsuid)).not.toHaveProperty('permission');
  });

  it('parallel replies, one BSUID-only and one with both, never leave two permissions', async () => {
    for (let round = 0; round < 5; round++) {
      const bsuid = newBsuid();
      const number = newUser();
      const results = await Promise.all([
        postReply(reply({ bsuid }, { response: 'accept', is_permanent: true })),
        postReply(reply({ number, bsuid })),
      ]);
      expect(results.map((result) => result.status)).toEqual([200, 200]);
      const [underBsuid, underNumber] = await Promise.all([stored(bsuid), stored(number)]);
      expect(underBsuid).toMatchObject({ linkedTo: number });
      expect(underBsuid).not.toHaveProperty('permission');
      expect(underNumber?.permission).toMatch(/^(temporary|permanent)$/);
    }
  });

  it('a call or a permission request to a BSUID alone is refused with its reason, and Plivo hears nothing', async () => {
    const bsuid = newBsuid();
    await postReply(reply({ bsuid }, { response: 'accept', is_permanent: true }));
    const before = await plivoRequests();
    const call = await json(
      await fetch(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: bsuid }),
      }),
    );
    expect(call).toMatchObject({ status: 422, body: { error: 'bsuid_not_dialable' } });
    const request = await json(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: newBsuid() }),
      }),
    );
    expect(request).toMatchObject({ status: 422, body: { error: 'bsuid_not_messageable' } });
    const intent = await json(
      await fetch(`${host.url}/v1/call-intents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: bsuid }),
      }),
    );
    expect(intent).toMatchObject({ status: 422, body: { error: 'bsuid_not_dialable' } });
    expect(await plivoRequests()).toBe(before);
  });

  it('a linked BSUID is sent to at its number', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    await postReply(reply({ number, bsuid }, { response: 'reject' }));
    const request = await json(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: bsuid }),
      }),
    );
    // Refused by the number's rejection, not for the BSUID: the request was for the number's pair.
    expect(request.body.error).not.toBe('bsuid_not_messageable');
  });

  it('a link expires with Meta’s 30 days or the number’s pair, whichever is later, renewed by each message naming both', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    const before = Date.now();
    await postReply(reply({ number, bsuid }));
    const stub = await stored(bsuid);
    const pair = await stored(number);
    expect(stub).toMatchObject({ linkedTo: number });
    // A temporary grant keeps the pair for weeks; Meta shows the number for 30 days after contact.
    expect(Number(stub?.ttl) * 1000).toBeGreaterThanOrEqual(before + numberShownMs);
    expect(Number(stub?.ttl)).toBeGreaterThanOrEqual(Number(pair?.ttl));

    // A permanent grant keeps the pair without a TTL: so is the link.
    await postReply(reply({ number, bsuid }, { response: 'accept', is_permanent: true }));
    expect(await stored(number)).not.toHaveProperty('ttl');
    expect(await stored(bsuid)).not.toHaveProperty('ttl');
    expect(await stored(bsuid)).toMatchObject({ linkedTo: number });

    await postReply(reply({ number, bsuid }, { response: 'reject' }));
    expect(Number((await stored(bsuid))?.ttl) * 1000).toBeGreaterThanOrEqual(
      before + numberShownMs,
    );
  });

  it('a link whose number’s pair is gone reads as a BSUID-only user; the next decision lands on the number again', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    await postReply(reply({ number, bsuid }, { response: 'accept', is_permanent: true }));
    // The number's pair expired away (or was deleted) while the link still stands.
    await host.deps.db.doc.send(
      new DeleteCommand({ TableName: host.deps.db.tableName, Key: keys.pair(business, number) }),
    );
    expect(await stored(bsuid)).toMatchObject({ linkedTo: number });
    const view = await state(bsuid);
    expect(view).toMatchObject({
      status: 200,
      body: { user: bsuid, permission: { status: 'no_permission' } },
    });
    const before = await plivoRequests();
    const call = await json(
      await fetch(`${host.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: bsuid }),
      }),
    );
    expect(call).toMatchObject({ status: 422, body: { error: 'bsuid_not_dialable' } });
    const request = await json(
      await fetch(`${host.url}/v1/permission-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: business, to: bsuid }),
      }),
    );
    expect(request).toMatchObject({ status: 422, body: { error: 'bsuid_not_messageable' } });
    expect(await plivoRequests()).toBe(before);

    expect((await postReply(reply({ bsuid }))).body).toMatchObject({ outcome: 'applied' });
    expect(await stored(number)).toMatchObject({ userId: bsuid, permission: 'temporary' });
    expect((await state(bsuid)).body).toMatchObject({ permission: { status: 'temporary' } });
  });

  const correct = async (user: string, body: Record<string, unknown>) =>
    json(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      ),
    );

  it('a correction by BSUID that a link overtakes between its read and its write lands on the number’s pair', async () => {
    const bsuid = newBsuid();
    const number = newUser();
    const bsuidKey = keys.pair(business, bsuid).pk;
    let linked = false;
    const name = 'linkBeforeCorrection';
    // The correction has read no link; a reply naming both links the BSUID before its write arrives.
    host.deps.db.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string; Key?: { pk?: { S?: string } } };
        if (!linked && input.UpdateExpression !== undefined && input.Key?.pk?.S === bsuidKey) {
          linked = true;
          expect((await postReply(reply({ number, bsuid }))).status).toBe(200);
        }
        return next(args);
      },
      { step: 'deserialize', name },
    );
    try {
      const corrected = await correct(bsuid, { status: 'permanent' });
      expect(linked).toBe(true);
      expect(corrected).toMatchObject({
        status: 200,
        body: { permission: { status: 'permanent' } },
      });
    } finally {
      host.deps.db.doc.middlewareStack.remove(name);
    }
    expect(await stored(bsuid)).toMatchObject({ linkedTo: number });
    expect(await stored(bsuid)).not.toHaveProperty('permission');
    expect(await stored(number)).toMatchObject({ permission: 'permanent', userId: bsuid });
  });

  it('parallel corrections by BSUID and replies naming both never answer 5xx nor leave two permissions', async () => {
    for (let round = 0; round < 5; round++) {
      const bsuid = newBsuid();
      const number = newUser();
      const [corrected, replied] = await Promise.all([
        correct(bsuid, { status: 'permanent' }),
        postReply(reply({ number, bsuid })),
      ]);
      expect([corrected.status, replied.status]).toEqual([200, 200]);
      const [underBsuid, underNumber] = await Promise.all([stored(bsuid), stored(number)]);
      expect(underBsuid).toMatchObject({ linkedTo: number });
      expect(underBsuid).not.toHaveProperty('permission');
      expect(underNumber?.permission).toMatch(/^(temporary|permanent)$/);
    }
  });

  it('a user that is neither a number nor a BSUID is a 400 that says both', async () => {
    const view = await state('us.1234');
    expect(view.status).toBe(400);
    expect(view.body.message).toMatch(/business-scoped user ID/);
  });
});
