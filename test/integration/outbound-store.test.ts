/**
 * Business-initiated calls against DynamoDB Local: the place-call, answer and dial-status handlers run
 * in-process on real storage, with the sandbox telephony or the real REST adapter talking to a loopback
 * server standing in for api.plivo.com.
 */

import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler as answerHandler } from '../../functions/answer/handler.js';
import { createHandler as dialStatusHandler } from '../../functions/dial-status/handler.js';
import { createHandler as placeCallHandler } from '../../functions/place-call/handler.js';
import type { Config, Rules } from '../../functions/shared/config/schema.js';
import type { Deps } from '../../functions/shared/deps.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { leaseExpiry } from '../../functions/shared/rules/concurrency.js';
import type { Db } from '../../functions/shared/store/client.js';
import { idempotencyKeys } from '../../functions/shared/store/items/idempotency.js';
import { leasesOf as storedLeases } from '../../functions/shared/store/items/leases.js';
import { keyPrefixes, keys } from '../../functions/shared/store/keys.js';
import { createPlivoRest } from '../../functions/shared/telephony/plivo-rest.js';
import type { Telephony } from '../../functions/shared/telephony/port.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { createSandboxTelephony, type SandboxTelephony } from '../../local/sandbox/telephony.js';
import { createTestDb, fillLeases, scanTable } from '../support/dynamo.js';
import {
  exampleAgents,
  exampleConfig,
  exampleNumbers,
  newBusiness,
  newUser,
} from '../support/fixtures.js';
import { jsonAnswer, startLoopback } from '../support/loopback.js';
import { plivoXml } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

const jamaica = exampleNumbers.jamaica;
const newYork = exampleNumbers.newYork;
const hour = 3_600_000;
const day = 24 * hour;
const authToken = 'integration-auth-token';
const publicBaseUrl = 'https://callgate.example.com';
/** The example's rules, as every harness without its own runs them. */
const {
  businessCallsPer24Hours: dailyCalls,
  missedCalls,
  permissionSeconds,
  refusalStandsSeconds,
} = exampleConfig.rules;

let db: Db;
let harnessCounter = 0;

beforeAll(async () => {
  db = await createTestDb();
});

interface Response {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

const invoke = async (
  handler: LambdaHandler,
  fn: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response> => {
  const url = new URL(`${publicBaseUrl}${path}`);
  const event = toPayloadV2Event(
    { method: 'POST', url, headers, body: Buffer.from(body), sourceIp: '127.0.0.1' },
    `POST ${url.pathname}`,
    {},
    new Date(),
  );
  const result = await handler(event, localContext(fn));
  const text = result.body ?? '';
  const isJson = String(result.headers?.['content-type']).includes('json');
  return { status: result.statusCode ?? 200, text, body: isJson ? JSON.parse(text) : {} };
};

/** The three outbound handlers on one table, with a clock the test moves. */
const harness = (
  options: {
    rules?: Partial<Rules>;
    callsPerSecond?: number;
    telephony?: Telephony;
    business?: string;
  } = {},
) => {
  // Each harness starts a month after the last, so CPS buckets (one per second) never mix between
  // tests; and after the real now, so DynamoDB Local's own TTL sweeper leaves the items alone.
  const clock = { now: Date.now() + ++harnessCounter * 30 * day };
  const sandbox: SandboxTelephony = createSandboxTelephony(() => clock.now);
  const config: Config = {
    ...exampleConfig,
    account: { callsPerSecond: options.callsPerSecond ?? 1000 },
    rules: { ...exampleConfig.rules, ...options.rules },
  };
  // Each harness gets its own business number so lines (leases) never mix between tests.
  const business = options.business ?? newBusiness();
  if (!config.numbers.some((n) => n.number === business)) {
    config.numbers = [
      ...config.numbers,
      { ...(config.numbers[0] as Config['numbers'][number]), number: business },
    ];
  }
  const deps: Deps = {
    config,
    clock: () => clock.now,
    db,
    telephony: options.telephony ?? sandbox,
    plivoAuthToken: async () => authToken,
    listingCursorKey: async () => 'test-listing-cursor-key',
    publicBaseUrl,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: createMetricsRecorder().forFunction('test'),
  };
  const place = placeCallHandler(deps);
  const answer = answerHandler(deps);
  const dial = dialStatusHandler(deps);
  const webhook = (
    handler: LambdaHandler,
    fn: string,
    path: string,
    params: Record<string, string>,
  ) =>
    invoke(handler, fn, path, new URLSearchParams(params).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...signV3({ method: 'POST', url: `${publicBaseUrl}${path}`, params, authToken }),
    });
  return {
    clock,
    sandbox,
    deps,
    business,
    placeCall: (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      invoke(place, 'place-call', '/v1/calls', JSON.stringify(body), {
        'content-type': 'application/json',
        ...headers,
      }),
    answer: (callId: string) =>
      webhook(answer, 'answer', `/plivo/whatsapp/answer?call=${callId}`, {
        CallUUID: randomUUID(),
        From: 'sip:agent@phone.plivo.com',
        To: business.slice(1),
        CallStatus: 'in-progress',
        Direction: 'outbound',
      }),
    dialStatus: (callId: string, DialStatus: string) =>
      webhook(dial, 'dial-status', `/plivo/whatsapp/dial-status?call=${callId}`, {
        DialStatus,
        DialALegUUID: randomUUID(),
        DialBLegUUID: DialStatus === 'completed' ? randomUUID() : '',
      }),
  };
};

type Harness = ReturnType<typeof harness>;

const rawItem = async (key: { pk: string; sk: string }) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true })))
    .Item;

/** Writes the pair item as a permission reply would have left it. */
const grant = async (
  h: Harness,
  user: string,
  permission: 'temporary' | 'permanent' | 'rejected' | 'revoked' = 'temporary',
  until: number | null = h.clock.now + permissionSeconds * 1000,
) => {
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: {
        ...keys.pair(h.business, user),
        business: h.business,
        user,
        permission,
        permissionAt: h.clock.now,
        ...(until === null
          ? {}
          : { permissionUntil: until, ttl: Math.ceil((h.clock.now + 7 * day) / 1000) }),
        permissionSource: 'reply',
        version: 1,
      },
    }),
  );
};

const pairOf = (h: Harness, user: string) => rawItem(keys.pair(h.business, user));
const leasesOf = async (business: string) => Object.keys(await storedLeases(db, business));
/** Call API requests counted in the last second, by the account's calls-per-second slots. */
const cpsOf = async (h: Harness) => {
  const slots = (await scanTable(db)).filter(
    (item) => String(item.pk).startsWith(keyPrefixes.cpsSlot) && item.sk === 'SLOT',
  );
  return slots.filter((slot) => (slot.at as number) > h.clock.now - 1000).length;
};

/** Placed, or the refusal shows in the failure message. */
const expectPlaced = ({ status, body }: Response) => {
  expect([status, body.error, body.message]).toEqual([201, undefined, undefined]);
};

describe('refusals before any storage', () => {
  it('400 invalid_number, 400 for an agent that is a phone number, 404 for an unknown business number', async () => {
    const h = harness();
    const user = newUser();
    expect((await h.placeCall({ from: '+123', to: user })).body.error).toBe('invalid_number');
    expect((await h.placeCall({ from: h.business, to: '91981' })).body.error).toBe(
      'invalid_number',
    );
    const phoneAgent = await h.placeCall({ from: h.business, to: user, agent: '+919412341234' });
    expect(phoneAgent.status).toBe(400);
    expect(phoneAgent.body.message).toMatch(/agent/);
    expect((await h.placeCall({ to: user })).status).toBe(400);
    const unknown = await h.placeCall({ from: '+919876543210', to: user });
    expect([unknown.status, unknown.body.error]).toEqual([404, 'unknown_business_number']);
    expect(h.sandbox.requests()).toHaveLength(0);
  });

  it('403 country_restricted for +1 212 (US) but not for +1 876 (Jamaica)', async () => {
    const us = harness({ business: newYork });
    const user = newUser();
    await grant(us, user);
    const refused = await us.placeCall({ from: newYork, to: user });
    expect([refused.status, refused.body.error]).toEqual([403, 'country_restricted']);
    const jm = harness({ business: jamaica });
    await grant(jm, user);
    const placed = await jm.placeCall({ from: jamaica, to: user });
    expect(placed.body.error).toBeUndefined();
    expect(placed.status).toBe(201);
    expect(jm.sandbox.requests()[0]?.params).toMatchObject({
      from: plivoDigits(jamaica),
      to: exampleAgents.jamaica,
    });
  });
});

describe('permission refusals', () => {
  it.each([
    ['no_permission', undefined],
    ['permission_rejected', 'rejected'],
    ['permission_revoked', 'revoked'],
  ] as const)('403 %s', async (code, permission) => {
    const h = harness();
    const user = newUser();
    if (permission) await grant(h, user, permission);
    const response = await h.placeCall({ from: h.business, to: user });
    expect([response.status, response.body.error]).toEqual([403, code]);
    expect(h.sandbox.requests()).toHaveLength(0);
  });

  it('403 permission_expired once the clock passes the grant, also when DynamoDB has not deleted the item', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user, 'temporary', h.clock.now + hour);
    expectPlaced(await h.placeCall({ from: h.business, to: user }));
    h.clock.now += hour;
    const response = await h.placeCall({ from: h.business, to: user });
    expect([response.status, response.body.error]).toEqual([403, 'permission_expired']);
    // Past the item's own TTL it reads as absent.
    h.clock.now += 8 * day;
    expect((await h.placeCall({ from: h.business, to: user })).body.error).toBe('no_permission');
  });
});

describe('placing a call', () => {
  it('201 with the call id; the agent leg is asked for with our answer and hangup URLs; one of everything is taken', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const response = await h.placeCall({ from: h.business, to: user });
    expect(response.status).toBe(201);
    const callId = response.body.callId as string;
    expect(response.body).toMatchObject({
      from: h.business,
      to: user,
      agent: exampleAgents.india,
      status: 'placing',
    });
    expect(h.sandbox.requests().map((r) => r.params)).toEqual([
      {
        from: h.business.slice(1),
        to: exampleAgents.india,
        answer_url: `${publicBaseUrl}/plivo/whatsapp/answer?call=${callId}`,
        answer_method: 'POST',
        hangup_url: `${publicBaseUrl}/plivo/whatsapp/hangup?call=${callId}`,
        hangup_method: 'POST',
        ring_timeout: 30,
        time_limit: h.deps.config.rules.maxCallSeconds,
      },
    ]);
    const pair = await pairOf(h, user);
    expect(pair?.calls).toEqual({ [callId]: h.clock.now });
    expect(pair?.version).toBe(2);
    expect(await leasesOf(h.business)).toEqual([callId]);
    expect(await cpsOf(h)).toBe(1);
    expect(await rawItem(keys.call(callId))).toMatchObject({
      direction: 'outbound',
      business: h.business,
      user,
    });
  });

  it('uses a given agent, and keeps a permanent grant without TTL', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user, 'permanent', null);
    const response = await h.placeCall({ from: h.business, to: user, agent: 'desk-7' });
    expect(response.status).toBe(201);
    // An endpoint username goes to the Call API as its Plivo SIP URI.
    expect(h.sandbox.requests()[0]?.params).toMatchObject({ to: 'sip:desk-7@phone.plivo.com' });
    expect((await pairOf(h, user))?.ttl).toBeUndefined();
  });

  it('429 daily_call_limit after the daily calls in 24 h, retryAfter until the oldest leaves; allowed again then', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const first = h.clock.now;
    for (let i = 0; i < dailyCalls; i++) {
      expectPlaced(await h.placeCall({ from: h.business, to: user }));
      h.clock.now += hour;
    }
    const refused = await h.placeCall({ from: h.business, to: user });
    expect([refused.status, refused.body.error]).toEqual([429, 'daily_call_limit']);
    expect(refused.body.retryAfter).toBe((first + day - h.clock.now) / 1000);
    h.clock.now = first + day;
    expectPlaced(await h.placeCall({ from: h.business, to: user }));
    // The call that left the window is pruned from the pair.
    expect(Object.keys((await pairOf(h, user))?.calls ?? {})).toHaveLength(dailyCalls);
  });

  it('50 parallel requests for one pair place exactly the daily calls; the others get 429 daily_call_limit', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    // A request that lost every optimistic retry to the others gets 503 with nothing counted; the
    // client sends it again, as the contract asks.
    const placeUntilNot503 = async () => {
      for (;;) {
        const response = await h.placeCall({ from: h.business, to: user });
        if (response.status !== 503) return response;
        expect(response.body.retryAfter).toBe(1);
      }
    };
    const responses = await Promise.all(Array.from({ length: 50 }, placeUntilNot503));
    const statuses = responses.map((r) => `${r.status} ${r.body.error ?? ''}`.trim());
    expect(statuses.filter((s) => s === '201')).toHaveLength(dailyCalls);
    expect(statuses.filter((s) => s === '429 daily_call_limit')).toHaveLength(50 - dailyCalls);
    expect(h.sandbox.requests()).toHaveLength(dailyCalls);
    expect(Object.keys((await pairOf(h, user))?.calls ?? {})).toHaveLength(dailyCalls);
    expect(await leasesOf(h.business)).toHaveLength(dailyCalls);
    expect(await cpsOf(h)).toBe(dailyCalls);
  });
});

describe('which calls count toward the daily limit', () => {
  const dialed = async (h: Harness, user: string, dialStatus: string) => {
    const placed = await h.placeCall({ from: h.business, to: user });
    expectPlaced(placed);
    const callId = placed.body.callId as string;
    expect((await h.answer(callId)).status).toBe(200);
    expect((await h.dialStatus(callId, dialStatus)).status).toBe(200);
    return callId;
  };

  it('connected mode (Meta since 2025-12): only answered calls stay counted', async () => {
    const h = harness({ rules: { businessCallsPer24Hours: 2, businessCallsCounted: 'connected' } });
    const user = newUser();
    await grant(h, user);
    const missed = await dialed(h, user, 'no-answer');
    const failed = await dialed(h, user, 'failed');
    const calls = () => pairOf(h, user).then((pair) => Object.keys(pair?.calls ?? {}));
    expect(await calls()).toEqual([]);
    expect((await pairOf(h, user))?.missed).toBe(1);
    const answered = [await dialed(h, user, 'completed'), await dialed(h, user, 'completed')];
    expect((await calls()).sort()).toEqual([...answered].sort());
    expect(answered).not.toContain(missed);
    expect(answered).not.toContain(failed);
    const refused = await h.placeCall({ from: h.business, to: user });
    expect([refused.status, refused.body.error]).toEqual([429, 'daily_call_limit']);
  });

  it('dialed mode (the Plivo page, the default): every dialed call stays counted', async () => {
    const h = harness({ rules: { businessCallsPer24Hours: 2 } });
    const user = newUser();
    await grant(h, user);
    await dialed(h, user, 'no-answer');
    await dialed(h, user, 'failed');
    const refused = await h.placeCall({ from: h.business, to: user });
    expect([refused.status, refused.body.error]).toEqual([429, 'daily_call_limit']);
  });
});

describe('concurrency and CPS', () => {
  it('parallel calls at a small simultaneous-call cap never exceed it; an expired lease is reaped', async () => {
    const h = harness({ rules: { simultaneousCallsPerNumber: 3 } });
    const users = Array.from({ length: 20 }, newUser);
    await Promise.all(
      users.map((u) => grant(h, u, 'temporary', h.clock.now + permissionSeconds * 1000)),
    );
    const responses = await Promise.all(users.map((to) => h.placeCall({ from: h.business, to })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    expect(responses.filter((r) => r.body.error === 'concurrency_limit')).toHaveLength(17);
    expect(await leasesOf(h.business)).toHaveLength(3);
    expect(h.sandbox.requests()).toHaveLength(3);
    // Refused calls left nothing counted on their pairs.
    const refusedUser = users[responses.findIndex((r) => r.status === 429)] as string;
    expect((await pairOf(h, refusedUser))?.calls).toBeUndefined();
    // Hangups lost: once the leases expire, the next call reaps them and gets a line.
    h.clock.now = leaseExpiry(h.clock.now, h.deps.config.rules);
    const later = await h.placeCall({ from: h.business, to: refusedUser });
    expect(later.status).toBe(201);
    expect(await leasesOf(h.business)).toEqual([later.body.callId]);
  });

  it('at the real cap (the default): parallel calls fill it exactly', async () => {
    const h = harness();
    const cap = h.deps.config.rules.simultaneousCallsPerNumber;
    const leaseUntil = leaseExpiry(h.clock.now, h.deps.config.rules);
    // 995 calls already up (inbound ones, say), spread over the shards as full as each may be.
    await fillLeases(db, h.business, { count: cap - 5, limit: cap, expiresAt: leaseUntil });
    const users = Array.from({ length: 30 }, newUser);
    await Promise.all(users.map((u) => grant(h, u)));
    const responses = await Promise.all(users.map((to) => h.placeCall({ from: h.business, to })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(5);
    expect(responses.filter((r) => r.body.error === 'concurrency_limit')).toHaveLength(25);
    expect(await leasesOf(h.business)).toHaveLength(cap);
  });

  it('never more than the account calls per second in any one-second window, across a calendar second', async () => {
    const h = harness({ callsPerSecond: 3 });
    h.clock.now = Math.floor(h.clock.now / 1000) * 1000 + 700;
    const users = Array.from({ length: 6 }, newUser);
    await Promise.all(users.map((u) => grant(h, u)));
    const place = (i: number) => h.placeCall({ from: h.business, to: users[i] as string });
    for (let i = 0; i < 3; i++) expectPlaced(await place(i));
    // A new calendar second, 400 ms after the first request: still 3 in the last second.
    h.clock.now += 400;
    const refused = await place(3);
    expect([refused.status, refused.body.error, refused.body.retryAfter]).toEqual([
      429,
      'cps_limit',
      1,
    ]);
    h.clock.now += 599;
    expect((await place(3)).body.error).toBe('cps_limit');
    // Exactly one second after the first requests, they have left the window.
    h.clock.now += 1;
    expectPlaced(await place(3));
    expect(await cpsOf(h)).toBe(1);
  });

  it('429 cps_limit with retryAfter 1 beyond the account calls per second', async () => {
    const h = harness({ callsPerSecond: 2 });
    const users = Array.from({ length: 5 }, newUser);
    await Promise.all(users.map((u) => grant(h, u)));
    const responses = await Promise.all(users.map((to) => h.placeCall({ from: h.business, to })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(2);
    const refused = responses.filter((r) => r.body.error === 'cps_limit');
    expect(refused).toHaveLength(3);
    expect(refused.every((r) => r.body.retryAfter === 1)).toBe(true);
    expect(await cpsOf(h)).toBe(2);
    expect(await leasesOf(h.business)).toHaveLength(2);
    h.clock.now += 1000;
    const retry = users[responses.findIndex((r) => r.status === 429)] as string;
    expectPlaced(await h.placeCall({ from: h.business, to: retry }));
  });

  it('429 cps_limit under a permission that ends within the second: no retry, a request once it has', async () => {
    const h = harness({ callsPerSecond: 1 });
    const [first, ending] = [newUser(), newUser()];
    await grant(h, first);
    await grant(h, ending, 'temporary', h.clock.now + 500);
    expectPlaced(await h.placeCall({ from: h.business, to: first }));
    const refused = await h.placeCall({ from: h.business, to: ending });
    expect([refused.status, refused.body]).toEqual([
      429,
      {
        error: 'cps_limit',
        message: expect.stringContaining('the permission ends before it frees'),
        requestPermissionAfter: 1,
      },
    ]);
    h.clock.now += 1000;
    expect((await h.placeCall({ from: h.business, to: ending })).body.error).toBe(
      'permission_expired',
    );
  });
});

describe('Idempotency-Key', () => {
  it('the same key twice places one call and answers the same body', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const headers = { 'idempotency-key': randomUUID() };
    const first = await h.placeCall({ from: h.business, to: user }, headers);
    const second = await h.placeCall({ from: h.business, to: user }, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(h.sandbox.requests()).toHaveLength(1);
    expect(Object.keys((await pairOf(h, user))?.calls ?? {})).toHaveLength(1);
  });

  it('parallel retries place once; a different body with the key is a conflict', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const headers = { 'idempotency-key': 'order-4711' };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => h.placeCall({ from: h.business, to: user }, headers)),
    );
    const placed = responses.filter((r) => r.status === 201);
    expect(placed.length).toBeGreaterThanOrEqual(1);
    expect(new Set(placed.map((r) => r.body.callId)).size).toBe(1);
    expect(
      responses
        .filter((r) => r.status !== 201)
        .every((r) => r.body.error === 'idempotency_conflict'),
    ).toBe(true);
    expect(h.sandbox.requests()).toHaveLength(1);
    const other = await h.placeCall({ from: h.business, to: user, agent: 'desk-9' }, headers);
    expect([other.status, other.body.error]).toEqual([409, 'idempotency_key_reused']);
  });

  it('a retry after the limit filled up still gets the first answer', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const headers = { 'idempotency-key': randomUUID() };
    const first = await h.placeCall({ from: h.business, to: user }, headers);
    for (let i = 1; i < dailyCalls; i++) await h.placeCall({ from: h.business, to: user });
    const retry = await h.placeCall({ from: h.business, to: user }, headers);
    expect([retry.status, retry.body]).toEqual([201, first.body]);
    expect(h.sandbox.requests()).toHaveLength(dailyCalls);
  });

  it('400 for a key that is not visible ASCII', async () => {
    const h = harness();
    const response = await h.placeCall(
      { from: h.business, to: newUser() },
      { 'idempotency-key': 'a b' },
    );
    expect(response.status).toBe(400);
  });
});

/** A loopback server standing in for api.plivo.com, answering as `mode` says. */
const fakePlivo = async () => {
  let mode: 'ok' | 'error' | 'hang' = 'ok';
  const server = await startLoopback(() => {
    if (mode === 'hang') return 'hang';
    return mode === 'ok'
      ? jsonAnswer(201, { api_id: randomUUID(), message: 'call fired', request_uuid: randomUUID() })
      : jsonAnswer(500, { api_id: randomUUID(), error: 'internal error' });
  });
  return {
    url: server.url,
    received: server.requests,
    setMode: (next: typeof mode) => {
      mode = next;
    },
    close: server.close,
  };
};

describe('Plivo does not take the call: 502 plivo_error, everything released', () => {
  const credentials = async () => ({ authId: 'MAXXXXXXXXXXXXXXXXXX', authToken: 'secret' });

  const expectNothingHeld = async (h: Harness, user: string, callId: string | undefined) => {
    const pair = await pairOf(h, user);
    expect(Object.keys(pair?.calls ?? {})).toEqual([]);
    expect(await leasesOf(h.business)).toEqual([]);
    expect(await cpsOf(h)).toBe(0);
    if (callId) expect(await rawItem(keys.call(callId))).toBeUndefined();
  };

  it.each(['error', 'hang'] as const)(
    'Plivo %s: released, and the same key places it later',
    async (mode) => {
      const plivo = await fakePlivo();
      try {
        const h = harness({
          telephony: createPlivoRest({ credentials, baseUrl: plivo.url, timeoutMs: 300 }),
        });
        const user = newUser();
        await grant(h, user);
        const headers = { 'idempotency-key': randomUUID() };
        plivo.setMode(mode);
        const failed = await h.placeCall({ from: h.business, to: user }, headers);
        expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
        const sent = plivo.received[0]?.json<{ answer_url: string }>();
        const callId = new URL(sent?.answer_url ?? '').searchParams.get('call') ?? undefined;
        await expectNothingHeld(h, user, callId);
        expect(
          await rawItem(keys.idempotency(idempotencyKeys.client(headers['idempotency-key']))),
        ).toBeUndefined();
        plivo.setMode('ok');
        const later = await h.placeCall({ from: h.business, to: user }, headers);
        expect(later.status).toBe(201);
        expect(Object.keys((await pairOf(h, user))?.calls ?? {})).toEqual([later.body.callId]);
      } finally {
        await plivo.close();
      }
    },
  );

  it('Plivo unreachable (connection refused): released', async () => {
    const plivo = await fakePlivo();
    await plivo.close();
    const h = harness({
      telephony: createPlivoRest({ credentials, baseUrl: plivo.url, timeoutMs: 1000 }),
    });
    const user = newUser();
    await grant(h, user);
    const failed = await h.placeCall({ from: h.business, to: user });
    expect([failed.status, failed.body.error]).toEqual([502, 'plivo_error']);
    await expectNothingHeld(h, user, undefined);
    expect((await pairOf(h, user))?.version).toBe(3);
  });
});

describe('the agent leg and the dial status', () => {
  const placeFor = async (h: Harness, user: string) => {
    const response = await h.placeCall({ from: h.business, to: user });
    expect(response.status).toBe(201);
    return response.body.callId as string;
  };

  it('answers the agent leg with <Dial callType="whatsapp"> to the user', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const callId = await placeFor(h, user);
    const answer = await h.answer(callId);
    expect(answer.status).toBe(200);
    const doc = plivoXml.parse(answer.text);
    const dial = doc.Response.Dial;
    expect(dial['@callerId']).toBe(h.business.slice(1));
    expect(dial['@callType']).toBe('whatsapp');
    expect(dial['@action']).toBe(`${publicBaseUrl}/plivo/whatsapp/dial-status?call=${callId}`);
    expect(dial['@method']).toBe('POST');
    expect(Number(dial['@timeout'])).toBeGreaterThan(0);
    expect(String(dial.User)).toBe(user.slice(1));
    expect(Object.keys(doc.Response)).toEqual(['Dial']);
  });

  it('an unknown call id gets a short message and a hangup', async () => {
    const h = harness();
    for (const response of [await h.answer(randomUUID()), await h.answer('not-a-call')]) {
      const doc = plivoXml.parse(response.text);
      expect(response.status).toBe(200);
      expect(doc.Response.Speak).toBeTypeOf('string');
      expect(doc.Response).toHaveProperty('Hangup');
      expect(doc.Response.Dial).toBeUndefined();
    }
    const unknown = await h.dialStatus(randomUUID(), 'no-answer');
    expect(unknown.status).toBe(200);
    expect(plivoXml.parse(unknown.text).Response).toHaveProperty('Hangup');
    expect((await h.dialStatus(randomUUID(), 'ringing')).status).toBe(400);
  });

  it('missed calls in a row: warned at warnAt, revoked at revokeAt; then 403 permission_revoked', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const misses = ['no-answer', 'busy', 'timeout'];
    const statuses = Array.from(
      { length: missedCalls.revokeAt },
      (_, i) => misses[i % 3] as string,
    );
    for (const [i, status] of statuses.entries()) {
      const callId = await placeFor(h, user);
      const response = await h.dialStatus(callId, status);
      const doc = plivoXml.parse(response.text);
      expect(doc.Response.Speak).toBe('The customer did not answer.');
      expect(doc.Response).toHaveProperty('Hangup');
      const pair = await pairOf(h, user);
      if (i === 0) expect(pair).toMatchObject({ missed: 1 });
      if (i === missedCalls.warnAt - 1) {
        expect(pair).toMatchObject({ missed: missedCalls.warnAt, warnedAt: h.clock.now });
      }
      h.clock.now += 60_000;
    }
    const pair = await pairOf(h, user);
    expect(pair).toMatchObject({
      permission: 'revoked',
      revokedReason: 'missed_calls',
      permissionUntil: h.clock.now - 60_000 + refusalStandsSeconds * 1000,
    });
    // The streak that revoked it stays, and says so.
    expect(pair).toMatchObject({ missed: missedCalls.revokeAt, permissionSource: 'missed_calls' });
    const refused = await h.placeCall({ from: h.business, to: user });
    expect([refused.status, refused.body.error]).toEqual([403, 'permission_revoked']);
  });

  it('parallel callbacks for as many calls of one pair as revoke lose no miss and revoke once', async () => {
    const h = harness();
    const user = newUser();
    await grant(h, user);
    const callIds = [];
    for (let i = 0; i < missedCalls.revokeAt; i++) callIds.push(await placeFor(h, user));
    // Each callback delivered twice, all at once: Plivo retries.
    await Promise.all([...callIds, ...callIds].map((id) => h.dialStatus(id, 'no-answer')));
    const pair = await pairOf(h, user);
    expect(pair).toMatchObject({ permission: 'revoked', revokedReason: 'missed_calls' });
    // Two writes bumped the version besides the placements: grant (1) + revokeAt + revocation.
    expect(pair?.version).toBe(missedCalls.revokeAt + 2);
  });

  it('an answered call between misses resets the count; a retried callback is applied once; failed changes nothing', async () => {
    // Warned at the 2nd miss, set here rather than taken from the defaults.
    const h = harness({ rules: { missedCalls: { warnAt: 2, revokeAt: 4 } } });
    const user = newUser();
    await grant(h, user);
    const [a, b, c, d] = [
      await placeFor(h, user),
      await placeFor(h, user),
      await placeFor(h, user),
      await placeFor(h, user),
    ];
    await h.dialStatus(a as string, 'no-answer');
    await h.dialStatus(a as string, 'no-answer');
    await h.dialStatus(b as string, 'busy');
    expect(await pairOf(h, user)).toMatchObject({ missed: 2, warnedAt: h.clock.now });
    const connected = await h.dialStatus(c as string, 'completed');
    expect(plivoXml.parse(connected.text).Response).toEqual({ Hangup: '' });
    let pair = await pairOf(h, user);
    expect(pair?.missed).toBeUndefined();
    expect(pair?.warnedAt).toBeUndefined();
    await h.dialStatus(d as string, 'failed');
    pair = await pairOf(h, user);
    expect(pair?.missed).toBeUndefined();
    expect(pair?.permission).toBe('temporary');
    expect(await rawItem(keys.call(d as string))).toMatchObject({ dialStatus: 'failed' });
    expect(await rawItem(keys.call(c as string))).toMatchObject({ dialStatus: 'completed' });
  });
});
