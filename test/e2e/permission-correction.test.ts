/**
 * PUT /v1/permissions/{business}/{user}: an operator sets the permission by hand when callgate and Meta
 * drifted apart. Through the local host: the view it answers, what GET shows after it (source `manual`),
 * what POST /v1/calls then does, and every refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../local/host.js';
import { exampleConfig, exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission, asJson, placeCall, startTestHost } from '../support/local-host.js';

const business = exampleNumbers.india;

describe('an operator corrects the permission', () => {
  let host: LocalHost;
  beforeAll(async () => {
    // The bounds this file asserts (7 days), set here rather than taken from the defaults.
    const week = 7 * 24 * 3600;
    host = await startTestHost({
      config: {
        ...exampleConfig,
        rules: { ...exampleConfig.rules, permissionSeconds: week, refusalStandsSeconds: week },
      },
    });
  });
  afterAll(() => host.close());

  const url = (user: string, from = business) =>
    `${host.url}/v1/permissions/${encodeURIComponent(from)}/${encodeURIComponent(user)}`;
  const put = async (user: string, body: unknown, from = business) =>
    asJson(
      await fetch(url(user, from), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  const get = async (user: string) => asJson(await fetch(url(user)));
  const now = async () =>
    Date.parse(((await (await fetch(`${host.url}/_sandbox/clock`)).json()) as { now: string }).now);

  it('temporary until a given time: calls are placed, GET shows it with source manual', async () => {
    const user = newUser();
    const expiresAt = new Date((await now()) + 3 * 24 * 3600 * 1000).toISOString();
    const corrected = await put(user, { status: 'temporary', expiresAt });
    expect(corrected.status).toBe(200);
    expect(corrected.body.permission).toEqual({
      status: 'temporary',
      expiresAt,
      source: 'manual',
      decidedAt: expect.any(String),
    });
    expect((await get(user)).body).toEqual(corrected.body);
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
  });

  it('permanent, revoked and none replace what a reply had decided', async () => {
    const user = newUser();
    await acceptPermission(host, user, business);
    expect((await get(user)).body.permission).toMatchObject({ source: 'reply' });

    const revoked = await put(user, { status: 'revoked' });
    expect(revoked.body.permission).toMatchObject({ status: 'revoked', source: 'manual' });
    const refused = await placeCall(host, { from: business, to: user });
    expect([refused.status, refused.body.error]).toEqual([403, 'permission_revoked']);

    const none = await put(user, { status: 'none' });
    expect(none.body.permission).toEqual({
      status: 'no_permission',
      source: 'manual',
      decidedAt: expect.any(String),
    });
    expect((await placeCall(host, { from: business, to: user })).body.error).toBe('no_permission');

    const permanent = await put(user, { status: 'permanent' });
    expect(permanent.body.permission).toEqual({
      status: 'permanent',
      source: 'manual',
      decidedAt: expect.any(String),
    });
    expect((await placeCall(host, { from: business, to: user })).status).toBe(201);
  });

  it.each([
    [{ status: 'permanent', expiresAt: '2099-01-01T00:00:00Z' }, /only for temporary/],
    [{ status: 'temporary', expiresAt: '2000-01-01T00:00:00Z' }, /in the future/],
    [{ status: 'granted' }, /status/],
    [{ status: 'temporary', expiresAt: 'tomorrow' }, /expiresAt/],
    [{ status: 'temporary', expiresAt: '9999-12-31T00:00:00Z' }, /at most 7 days from now/],
    [{ status: 'rejected', expiresAt: '9999-12-31T00:00:00Z' }, /at most 7 days from now/],
    [{ status: 'revoked', expiresAt: '9999-12-31T00:00:00Z' }, /at most 7 days from now/],
    [{ status: 'none', note: 'x' }, /note/],
    [{}, /status/],
  ])('400 for %j, nothing written', async (body, message) => {
    const user = newUser();
    const refused = await put(user, body);
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_request']);
    expect(String(refused.body.message)).toMatch(message);
    expect((await get(user)).body.permission).toEqual({ status: 'no_permission' });
  });

  it('a temporary grant lasts at most permissionSeconds: 7 days from now is taken, an hour more is 400', async () => {
    const user = newUser();
    const latest = (await now()) + 7 * 24 * 3600 * 1000;
    const over = await put(user, {
      status: 'temporary',
      expiresAt: new Date(latest + 3600 * 1000).toISOString(),
    });
    expect([over.status, over.body.error]).toEqual([400, 'invalid_request']);
    expect(over.body.message).toMatch(/status permanent/);
    expect((await get(user)).body.permission).toEqual({ status: 'no_permission' });
    const expiresAt = new Date(latest).toISOString();
    const taken = await put(user, { status: 'temporary', expiresAt });
    expect(taken.status).toBe(200);
    expect(taken.body.permission).toMatchObject({ status: 'temporary', expiresAt });
  });

  it('404 for a business number that is not configured, 400 for a bad user number', async () => {
    expect((await put(newUser(), { status: 'none' }, '+919999999999')).status).toBe(404);
    const bad = await put('+1', { status: 'none' });
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_number']);
  });
});
