/**
 * The sandbox plays users with a username: one known by a business-scoped user ID (BSUID) alone, and
 * one whose number Meta still shows beside it. Their replies carry the shapes the reply reader reads,
 * and what callgate refuses to send a BSUID alone shows on the timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newBsuid, newUser } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import { eventually, request, sandboxState, timeline, userPath } from '../support/sandbox.js';

const business = exampleNumbers.india;

const permission = async (host: LocalHost, user: string) =>
  (
    await request(
      host,
      'GET',
      `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
    )
  ).body as unknown as Record<string, unknown> & { permission: { status: string } };

/** The params of the last message webhook the sandbox posted for `user`. */
const lastMessageParams = async (host: LocalHost, user: string) =>
  (await timeline(host))
    .filter(
      (e) => e.kind === 'webhook' && e.user === user && e.request?.url.endsWith(plivoPaths.message),
    )
    .at(-1)?.request?.params;

describe('the sandbox plays users with a username', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
      simulate: true,
    });
  });
  afterAll(() => host.close());

  it('a user known by a BSUID alone replies with `From` the BSUID; callgate refuses to call them, and the timeline says why', async () => {
    const bsuid = newBsuid();
    const created = await request(host, 'PUT', userPath(bsuid), {});
    expect(created).toMatchObject({ status: 200, body: { number: bsuid, userId: bsuid } });
    expect((await sandboxState(host)).users.map((u) => u.number)).toContain(bsuid);

    const replied = await request(host, 'POST', userPath(bsuid, 'permission-reply'), {
      business,
      response: 'accept',
    });
    expect(replied.body).toMatchObject({
      status: 200,
      body: { outcome: 'applied', permission: 'temporary' },
    });
    const params = await lastMessageParams(host, bsuid);
    expect(params?.From).toBe(bsuid);
    expect(params).not.toHaveProperty('FromUserId');
    expect((await permission(host, bsuid)).permission.status).toBe('temporary');

    const call = await request(host, 'POST', '/v1/calls', { from: business, to: bsuid });
    expect(call).toMatchObject({ status: 422, body: { error: 'bsuid_not_dialable' } });
    const refused = await eventually(
      async () =>
        (await timeline(host)).find(
          (e) => e.kind === 'api' && e.user === bsuid && e.summary.includes('bsuid_not_dialable'),
        ),
      'the refused call on the timeline',
    );
    expect(refused.summary).toBe('POST /v1/calls → 422 bsuid_not_dialable');

    // Their call to the business comes with `From` the BSUID, and callgate answers it.
    const inbound = await request(host, 'POST', userPath(bsuid, 'calls'), { business });
    expect(inbound.status).toBe(202);
    const answered = await eventually(
      async () =>
        (await timeline(host)).find(
          (e) =>
            e.kind === 'webhook' &&
            e.user === bsuid &&
            e.request?.url.includes('/plivo/whatsapp/answer') &&
            e.response?.status === 200,
        ),
      'the answered call from the BSUID',
    );
    expect(answered.request?.params).toMatchObject({ From: bsuid });
  });

  it('a user with a username whose number Meta shows replies with both, which links them: the grant is found under either', async () => {
    const number = newUser();
    const bsuid = newBsuid();
    const created = await request(host, 'PUT', userPath(number), { userId: bsuid });
    expect(created).toMatchObject({ status: 200, body: { number, userId: bsuid } });

    const replied = await request(host, 'POST', userPath(number, 'permission-reply'), {
      business,
      response: 'accept',
      permanent: true,
    });
    expect(replied.body).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    const params = await lastMessageParams(host, number);
    expect(params).toMatchObject({ From: number.slice(1), FromUserId: bsuid });
    expect((await permission(host, bsuid)).permission.status).toBe('permanent');
    expect((await permission(host, number)).permission.status).toBe('permanent');

    // A message names both too.
    await request(host, 'POST', userPath(number, 'messages'), { business, text: 'Call me' });
    expect(await lastMessageParams(host, number)).toMatchObject({
      From: number.slice(1),
      FromUserId: bsuid,
    });

    // The business calls the BSUID: callgate dials the number it is linked to.
    const call = await request(host, 'POST', '/v1/calls', { from: business, to: bsuid });
    expect(call.status).toBe(201);
  });

  it('refuses a username that is no BSUID, and a second BSUID for a user known by one', async () => {
    const wrong = await request(host, 'PUT', userPath(newUser()), { userId: 'us.123' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const bsuid = newBsuid();
    const twice = await request(host, 'PUT', userPath(bsuid), { userId: newBsuid() });
    expect(twice.status).toBe(409);
    const neither = await request(host, 'PUT', userPath('US-123'), {});
    expect(neither).toMatchObject({ status: 400, body: { error: 'invalid_number' } });
  });
});
