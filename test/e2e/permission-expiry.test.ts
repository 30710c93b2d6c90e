/**
 * `permission.expired` end to end through the local host: a reply grants a temporary permission, the
 * permission-expiry function reads the grant from the table's stream and sets a look at its end, the
 * sandbox clock passes it, and the event comes from the lapse the look records, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { permissionExpiryLookDelayMs } from '../../functions/shared/scheduling/wakeups.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  permissionReply,
  startTestHost,
} from '../support/local-host.js';

const business = exampleNumbers.india;
/** How far the clock moves per step while waiting for the event: finer than the stated delay. */
const stepSeconds = 20;

describe('permission.expired (local host)', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(async () => {
    await host.close();
  });

  const eventsOf = async (user: string, type: Envelope['type']) => {
    await host.settled();
    const response = await fetch(`${host.url}/_sandbox/events`);
    return ((await response.json()) as Envelope[]).filter(
      (e) => e.user === user && e.type === type,
    );
  };

  const grantedExpiry = async (user: string): Promise<number> => {
    await acceptPermission(host, user, business);
    const grants = await eventsOf(user, 'permission.granted');
    const expiresAt = grants.at(-1)?.data;
    if (!expiresAt || !('expiresAt' in expiresAt) || !expiresAt.expiresAt) {
      throw new Error('no temporary grant');
    }
    return Date.parse(expiresAt.expiresAt);
  };

  const statusOf = async (user: string) => {
    const { body } = await asJson(
      await fetch(
        `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`,
      ),
    );
    return body.permission as { status: string; expiresAt?: string };
  };

  /** Moves the clock to `at` at most (it only moves forward, and real time moves it too). */
  const clockTo = async (at: number) => {
    const seconds = Math.floor((at - host.clock.now()) / 1000);
    if (seconds > 0) await advanceClock(host, seconds);
  };

  it('a temporary grant by reply: the event once, within the stated delay of its end in the clock’s time', async () => {
    const user = newUser();
    const grantedAt = host.clock.now();
    const expiresAt = await grantedExpiry(user);
    expect(expiresAt - grantedAt).toBeGreaterThanOrEqual(
      host.deps.config.rules.permissionSeconds * 1000 - 1_000,
    );
    expect(host.permissionExpiries.pending().filter((look) => look.user === user)).toHaveLength(1);

    // Real time moves the sandbox clock too: seconds short of the end, not one.
    await clockTo(expiresAt - 10_000);
    expect(await eventsOf(user, 'permission.expired')).toEqual([]);
    expect((await statusOf(user)).status).toBe('temporary');

    let arrivedBy: number | undefined;
    while (host.clock.now() < expiresAt + 2 * permissionExpiryLookDelayMs) {
      await advanceClock(host, stepSeconds);
      if ((await eventsOf(user, 'permission.expired')).length > 0) {
        arrivedBy = host.clock.now();
        break;
      }
    }
    expect(arrivedBy).toBeDefined();
    expect(arrivedBy).toBeLessThanOrEqual(
      expiresAt + permissionExpiryLookDelayMs + stepSeconds * 1000,
    );
    const [expired, ...more] = await eventsOf(user, 'permission.expired');
    expect(more).toEqual([]);
    expect(expired).toMatchObject({
      type: 'permission.expired',
      time: new Date(expiresAt).toISOString(),
      business,
      user,
      data: { expiresAt: new Date(expiresAt).toISOString(), source: 'reply' },
    });
    const data = expired?.data as { grantedAt: string; expiredAt: string };
    expect(Date.parse(data.grantedAt)).toBeGreaterThanOrEqual(grantedAt);
    const expiredAt = Date.parse(data.expiredAt);
    expect(expiredAt).toBeGreaterThanOrEqual(expiresAt);
    expect(expiredAt - expiresAt).toBeLessThan(permissionExpiryLookDelayMs);
    expect(await statusOf(user)).toEqual(
      expect.objectContaining({ status: 'expired', expiresAt: new Date(expiresAt).toISOString() }),
    );
    expect(
      host.metrics.filter((m) => m.name === 'PermissionExpired' && m.dimensions.country === 'IN'),
    ).not.toHaveLength(0);

    // The same look delivered again (Scheduler delivers at least once): nothing more.
    await host.permissionExpiries.watch({ business, user, expiresAt });
    await advanceClock(host, 120);
    expect(await eventsOf(user, 'permission.expired')).toHaveLength(1);
  });

  it('a renewed permission: its old look emits nothing, the renewal’s end emits once', async () => {
    const user = newUser();
    const first = await grantedExpiry(user);
    await advanceClock(host, 86_400);
    const renewed = await grantedExpiry(user);
    expect(renewed).toBeGreaterThan(first);
    expect(host.permissionExpiries.pending().filter((look) => look.user === user)).toHaveLength(2);

    await clockTo(first + permissionExpiryLookDelayMs);
    expect(host.permissionExpiries.pending().filter((look) => look.user === user)).toHaveLength(1);
    expect(await eventsOf(user, 'permission.expired')).toEqual([]);
    expect((await statusOf(user)).status).toBe('temporary');

    await clockTo(renewed + permissionExpiryLookDelayMs);
    const expired = await eventsOf(user, 'permission.expired');
    expect(expired.map((e) => (e.data as { expiresAt: string }).expiresAt)).toEqual([
      new Date(renewed).toISOString(),
    ]);
  });

  it('a permanent grant, a rejection or an operator’s none before the end: nothing', async () => {
    const users = [newUser(), newUser(), newUser()];
    const ends = await Promise.all(users.map(grantedExpiry));
    const [permanent, rejected, cleared] = users as [string, string, string];
    await permissionReply(host, permanent, business, {
      response: 'accept',
      is_permanent: true,
      response_source: 'user_action',
    });
    await permissionReply(host, rejected, business, {
      response: 'reject',
      response_source: 'user_action',
    });
    const put = await fetch(
      `${host.url}/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(cleared)}`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'none' }),
      },
    );
    expect(put.status).toBe(200);
    await clockTo(Math.max(...ends) + permissionExpiryLookDelayMs);
    for (const user of users) {
      expect(await eventsOf(user, 'permission.expired'), user).toEqual([]);
    }
  });
});
