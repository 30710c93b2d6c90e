/**
 * The listings through the local host: GET /v1/calls over calls placed and received for two users and
 * two business numbers, by number, user, time range and direction, paged with cursors to the end; bad
 * cursors and parameters refused; GET /v1/call-intents by status. The sandbox clock moves a minute
 * between calls, so each starts strictly after the one before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import {
  acceptPermission,
  advanceClock,
  asJson,
  placeCall,
  postSignedForm,
  startTestHost,
} from '../support/local-host.js';
import { alwaysOpenExampleConfig, inboundAnswerForm } from '../support/plivo-forms.js';

const india = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;

interface Made {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly direction: 'inbound' | 'outbound';
  /** When the sandbox clock stood as the call started (epoch ms). */
  readonly at: number;
}

type Listed = { callId: string; direction: string; business: string; user: string };

describe('GET /v1/calls and GET /v1/call-intents through the local host', () => {
  let host: LocalHost;
  const made: Made[] = [];
  const userA = newUser();
  const userB = newUser();

  const list = async (path: string, query: Record<string, string>) =>
    asJson(await fetch(`${host.url}${path}?${new URLSearchParams(query)}`));

  /** Every page of a listing, following cursors until none is given. */
  const everyPage = async (query: Record<string, string>) => {
    const pages: Listed[][] = [];
    let cursor: string | undefined;
    do {
      const page = await list('/v1/calls', { ...query, ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      pages.push(page.body.calls as Listed[]);
      cursor = page.body.cursor as string | undefined;
    } while (cursor !== undefined && pages.length < 20);
    return pages;
  };

  const expected = (keep: (call: Made) => boolean) =>
    made
      .filter(keep)
      .sort((a, b) => b.at - a.at)
      .map((call) => call.callId);

  beforeAll(async () => {
    host = await startTestHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 1000 } }),
    });
    const plan: [string, string, 'inbound' | 'outbound'][] = [
      [india, userA, 'outbound'],
      [india, userA, 'inbound'],
      [india, userB, 'outbound'],
      [jamaica, userA, 'outbound'],
      [india, userB, 'inbound'],
      [jamaica, userB, 'inbound'],
      [india, userA, 'outbound'],
    ];
    for (const [business, user, direction] of plan) {
      await advanceClock(host, 60);
      const at = host.clock.now();
      if (direction === 'outbound') {
        await acceptPermission(host, user, business);
        const placed = await placeCall(host, { from: business, to: user });
        expect(placed.status).toBe(201);
        made.push({ callId: placed.body.callId as string, business, user, direction, at });
      } else {
        const callId = randomUUID();
        const answer = await postSignedForm(
          host,
          plivoPaths.answer,
          inboundAnswerForm(callId, user.slice(1), business),
        );
        expect(answer.status).toBe(200);
        made.push({ callId, business, user, direction, at });
      }
    }
    // Inbound records are written from the table's stream.
    await host.settled();
  });
  afterAll(() => host.close());

  it("lists a number's calls newest first, as the call log shows each", async () => {
    const page = await list('/v1/calls', { business: india });
    expect(page.status).toBe(200);
    const calls = page.body.calls as Listed[];
    expect(calls.map((c) => c.callId)).toEqual(expected((c) => c.business === india));
    expect(page.body).not.toHaveProperty('cursor');
    const first = calls[0];
    if (!first) throw new Error('no call listed');
    const one = await asJson(await fetch(`${host.url}/v1/calls/${first.callId}`));
    expect(first).toEqual(one.body);
  });

  it("lists a user's calls with a number, and one direction", async () => {
    const byUser = await list('/v1/calls', { business: india, user: userA });
    expect((byUser.body.calls as Listed[]).map((c) => c.callId)).toEqual(
      expected((c) => c.business === india && c.user === userA),
    );
    const inbound = await list('/v1/calls', { business: india, direction: 'inbound' });
    expect((inbound.body.calls as Listed[]).map((c) => c.callId)).toEqual(
      expected((c) => c.business === india && c.direction === 'inbound'),
    );
    const userOutbound = await list('/v1/calls', {
      business: jamaica,
      user: userA,
      direction: 'outbound',
    });
    expect((userOutbound.body.calls as Listed[]).map((c) => c.callId)).toEqual(
      expected((c) => c.business === jamaica && c.user === userA && c.direction === 'outbound'),
    );
  });

  it('lists a time range: since inclusive, until exclusive', async () => {
    const sorted = [...made].sort((a, b) => a.at - b.at);
    const from = sorted[1];
    const to = sorted[5];
    if (!from || !to) throw new Error('too few calls');
    const page = await list('/v1/calls', {
      business: india,
      since: new Date(from.at).toISOString(),
      until: new Date(to.at).toISOString(),
    });
    expect(page.status).toBe(200);
    expect((page.body.calls as Listed[]).map((c) => c.callId)).toEqual(
      expected((c) => c.business === india && c.at >= from.at && c.at < to.at),
    );
  });

  it('pages through with cursors: every call once, newest first, then no cursor', async () => {
    for (const limit of ['1', '2', '4', '5']) {
      const pages = await everyPage({ business: india, limit });
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(Number(limit));
      expect(pages.flat().map((c) => c.callId)).toEqual(expected((c) => c.business === india));
    }
    const inbound = await everyPage({ business: india, direction: 'inbound', limit: '1' });
    expect(inbound.flat().map((c) => c.callId)).toEqual(
      expected((c) => c.business === india && c.direction === 'inbound'),
    );
  });

  it('refuses a tampered, foreign or malformed cursor with 400 invalid_cursor', async () => {
    const first = await list('/v1/calls', { business: india, limit: '2' });
    const cursor = first.body.cursor as string;
    expect(typeof cursor).toBe('string');
    const [position = '', mac = ''] = cursor.split('.');
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    const otherPosition = Buffer.from(
      Buffer.from(position, 'base64url')
        .toString()
        .replace(/^\d/, (d) => String((Number(d) + 1) % 10)),
    ).toString('base64url');
    const refused: Record<string, string>[] = [
      { business: india, limit: '2', cursor: `${position}.${flipped}` },
      { business: india, limit: '2', cursor: `${otherPosition}.${mac}` },
      // Another query's: another number, user, direction or time range.
      { business: jamaica, cursor },
      { business: india, user: userA, cursor },
      { business: india, direction: 'outbound', cursor },
      { business: india, since: '2020-01-01T00:00:00Z', cursor },
      { business: india, cursor: 'not-a-cursor' },
      { business: india, cursor: `${'A'.repeat(300)}.${mac}` },
    ];
    for (const query of refused) {
      const page = await list('/v1/calls', query);
      expect(page.status, JSON.stringify(query)).toBe(400);
      expect(page.body.error).toBe('invalid_cursor');
    }
    // A different page size is the same query.
    expect((await list('/v1/calls', { business: india, limit: '3', cursor })).status).toBe(200);
    // An intent listing's cursor is no call listing's.
    expect((await list('/v1/call-intents', { business: india, cursor })).body.error).toBe(
      'invalid_cursor',
    );
  });

  it('refuses bad parameters with a clear 4xx', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{}, 400, 'invalid_request'],
      [{ business: '12345' }, 400, 'invalid_number'],
      [{ business: '+919999999999' }, 404, 'unknown_business_number'],
      [{ business: india, user: 'someone' }, 400, 'invalid_number'],
      [{ business: india, limit: '0' }, 400, 'invalid_request'],
      [{ business: india, limit: '101' }, 400, 'invalid_request'],
      [{ business: india, limit: '2.5' }, 400, 'invalid_request'],
      [{ business: india, direction: 'sideways' }, 400, 'invalid_request'],
      [{ business: india, since: 'yesterday' }, 400, 'invalid_request'],
      [
        { business: india, since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' },
        400,
        'invalid_request',
      ],
      [{ business: india, directon: 'inbound' }, 400, 'invalid_request'],
    ];
    for (const [query, status, error] of cases) {
      const page = await list('/v1/calls', query);
      expect(page.status, JSON.stringify(query)).toBe(status);
      expect(page.body.error, JSON.stringify(query)).toBe(error);
    }
    // A `+` written bare in a query string reads as a space: still the number.
    const bare = await fetch(`${host.url}/v1/calls?business=${india}&limit=1`);
    expect(bare.status).toBe(200);
  });

  it('lists call intents by status, the open ones by default', async () => {
    const createIntent = async (to: string) =>
      asJson(
        await fetch(`${host.url}/v1/call-intents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: india, to }),
        }),
      );
    const waiting: string[] = [];
    for (let i = 0; i < 3; i++) {
      await advanceClock(host, 60);
      const created = await createIntent(newUser());
      expect(created.status).toBe(202);
      expect(created.body.status).toBe('waiting_permission');
      waiting.push(created.body.intentId as string);
    }
    const cancelled = waiting.shift() as string;
    expect(
      (await asJson(await fetch(`${host.url}/v1/call-intents/${cancelled}`, { method: 'DELETE' })))
        .status,
    ).toBe(200);

    const ids = (body: Record<string, unknown>) =>
      (body.intents as { intentId: string }[]).map((i) => i.intentId);
    const open = await list('/v1/call-intents', { business: india });
    expect(open.status).toBe(200);
    expect(ids(open.body)).toEqual([...waiting].reverse());
    const byStatus = await list('/v1/call-intents', { business: india, status: 'cancelled' });
    expect(ids(byStatus.body)).toEqual([cancelled]);
    expect(byStatus.body.intents).toEqual([
      (await asJson(await fetch(`${host.url}/v1/call-intents/${cancelled}`))).body,
    ]);

    const firstPage = await list('/v1/call-intents', { business: india, limit: '1' });
    expect(ids(firstPage.body)).toEqual([waiting[1]]);
    const second = await list('/v1/call-intents', {
      business: india,
      limit: '1',
      cursor: firstPage.body.cursor as string,
    });
    expect(ids(second.body)).toEqual([waiting[0]]);
    expect(second.body).not.toHaveProperty('cursor');

    expect((await list('/v1/call-intents', { business: india, status: 'gone' })).status).toBe(400);
    expect((await list('/v1/call-intents', { business: jamaica })).body).toEqual({ intents: [] });
  });
});
