/**
 * A number at capacity whose leases belong partly to calls that are over, their hangups lost (Plivo's
 * WhatsApp setup documents no Hangup URL): before refusing a caller, callgate asks Plivo's Live Call API
 * which calls are live and releases the leases of inbound calls it proves over. Through the local host
 * with the real Plivo REST adapter against a loopback server that answers as Plivo's Live Call API does
 * for its SDKs: the account's live CallUUIDs `limit` at a time (at most and by default 20) from `offset`,
 * and one live call by its CallUUID (404 once it is not live). Anything short of a whole list callgate
 * can read releases nothing, and the caller hears busy.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { leasesOf } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { readItem } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';
import { postSignedForm, startTestHost } from '../support/local-host.js';
import {
  jsonAnswer,
  type Loopback,
  type LoopbackAnswer,
  startLoopback,
} from '../support/loopback.js';
import {
  alwaysOpenExampleConfig,
  hangupForm,
  inboundAnswerForm,
  plivoXml,
} from '../support/plivo-forms.js';

const business = exampleNumbers.india;
/** The business number without +91, as no log line may hold it. */
const nationalDigits = business.slice(3);
const authToken = 'reconciliation-token';
const authId = 'MARECONCILEXXXXXXXXX';
let callerCounter = 0;
const newCaller = () => `+91988${String(++callerCounter).padStart(7, '0')}`;

/** The account's calls as Plivo's Live Call API sees them, and what it answers. */
const plivoAccount = {
  /** The account's live CallUUIDs, in the order Plivo lists them. */
  live: [] as string[],
  /** What a list request at `offset` gets instead of its page. */
  fault: undefined as ((offset: number) => LoopbackAnswer | undefined) | undefined,
  /** What the lookup of one call gets instead of its answer. */
  lookupFault: undefined as ((callUuid: string) => LoopbackAnswer | undefined) | undefined,
  /** Runs once a list page is sent: calls that start or end while callgate reads the list. */
  afterPage: undefined as ((offset: number) => void) | undefined,
  /** Every request, as `path?query`. */
  requests: [] as string[],
};

const liveCallApiAnswer = (url: URL): LoopbackAnswer => {
  const match = /^\/v1\/Account\/[^/]+\/Call\/(?:([^/]+)\/)?$/.exec(url.pathname);
  if (!match || url.searchParams.get('status') !== 'live') {
    return jsonAnswer(404, { api_id: randomUUID(), error: 'not found' });
  }
  const [, callUuid] = match;
  if (callUuid) {
    const fault = plivoAccount.lookupFault?.(callUuid);
    if (fault) return fault;
    return plivoAccount.live.includes(callUuid)
      ? jsonAnswer(200, {
          api_id: randomUUID(),
          call_status: 'in-progress',
          call_uuid: callUuid,
          direction: 'inbound',
        })
      : jsonAnswer(404, { api_id: randomUUID(), error: 'call not found' });
  }
  const limit = Number(url.searchParams.get('limit') ?? 20);
  const offset = Number(url.searchParams.get('offset') ?? 0);
  if (!(limit > 0 && limit <= 20)) {
    return jsonAnswer(400, { api_id: randomUUID(), error: '0 < limit <= 20' });
  }
  return (
    plivoAccount.fault?.(offset) ??
    jsonAnswer(200, {
      api_id: randomUUID(),
      calls: plivoAccount.live.slice(offset, offset + limit),
    })
  );
};

const listRequests = () => plivoAccount.requests.filter((r) => /\/Call\/\?/.test(r));
const lookups = () =>
  plivoAccount.requests.flatMap((r) => /\/Call\/([^/?]+)\/\?status=live$/.exec(r)?.[1] ?? []);

/** The JSON log lines written while `run` runs: a warning goes to stderr, the rest to stdout. */
const logLinesWhile = async (run: () => Promise<unknown>): Promise<Record<string, unknown>[]> => {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.startsWith('{')),
    );
    return true;
  };
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation(capture),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
};

/** The account's other live calls (other numbers, other traffic), placed among `ours` at random. */
const accountWith = (ours: readonly string[], total: number): string[] => {
  const all = [...ours, ...Array.from({ length: total - ours.length }, () => randomUUID())];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j] as string, all[i] as string];
  }
  return all;
};

let plivo: Loopback;

beforeAll(async () => {
  plivo = await startLoopback((request) => {
    const url = new URL(request.url, 'http://plivo.test');
    plivoAccount.requests.push(`${url.pathname}${url.search}`);
    const answer = liveCallApiAnswer(url);
    // The page is made before the hook runs: what it changes shows in the next page.
    if (url.pathname.endsWith('/Call/'))
      plivoAccount.afterPage?.(Number(url.searchParams.get('offset') ?? 0));
    return answer;
  });
});

afterAll(() => plivo.close());

const resetAccount = () => {
  plivoAccount.live = [];
  plivoAccount.fault = undefined;
  plivoAccount.lookupFault = undefined;
  plivoAccount.afterPage = undefined;
  plivoAccount.requests.length = 0;
};

const startHost = (simultaneousCallsPerNumber: number) =>
  startTestHost({
    config: alwaysOpenExampleConfig({ rules: { simultaneousCallsPerNumber } }),
    plivo: { authId, authToken, apiUrl: plivo.url },
  });

/** What one host's callers hear and hold. */
const numberOf = (host: LocalHost) => {
  const leases = async () => Object.keys(await leasesOf(host.deps.db, business)).sort();
  const answer = async (callId: string) => {
    const response = await postSignedForm(
      host,
      '/plivo/whatsapp/answer',
      inboundAnswerForm(callId, newCaller(), business),
      authToken,
    );
    expect(response.status).toBe(200);
    return plivoXml.parse(await response.text()).Response as Record<string, unknown>;
  };
  const busy = async (callId: string = randomUUID()) =>
    String((await answer(callId)).Speak) === refusals.atCapacity;
  /** `count` callers, each admitted and live at Plivo; their CallUUIDs. */
  const fill = async (count: number) => {
    const calls = Array.from({ length: count }, () => randomUUID());
    for (const callId of calls) expect(await busy(callId)).toBe(false);
    return calls;
  };
  const counted = (name: string) => host.metrics.filter((m) => m.name === name);
  return { leases, answer, busy, fill, counted };
};

describe('a 24-call number at capacity, reconciled with 1,000 live calls of the account', () => {
  let host: LocalHost;
  let number: ReturnType<typeof numberOf>;
  let ours: string[];

  beforeEach(async () => {
    resetAccount();
    host = await startHost(24);
    number = numberOf(host);
    ours = await number.fill(24);
    // Past the grace: a call this old is listed by Plivo while it is live.
    host.clock.advance(120);
  });
  afterEach(() => host.close());

  it('reads every page (20 calls each, by offset): all 24 live, nothing is released and the caller hears busy', async () => {
    plivoAccount.live = accountWith(ours, 1_000);
    expect(await number.busy()).toBe(true);
    expect(await number.leases()).toEqual([...ours].sort());
    // Every page from the first, 20 calls each: 50 full ones, the empty one that ends the list, and
    // any asked for beside it.
    const pages = listRequests();
    expect(pages.length).toBeGreaterThanOrEqual(51);
    expect(pages.sort()).toEqual(
      Array.from(
        { length: pages.length },
        (_, page) => `/v1/Account/${authId}/Call/?status=live&limit=20&offset=${page * 20}`,
      ).sort(),
    );
    expect(lookups()).toEqual([]);
    expect(number.counted('LeasesReaped')).toEqual([]);
    expect(number.counted('InboundRefusedAtCapacity')).toHaveLength(1);
  });

  it('releases only the calls Plivo no longer lists, each confirmed over by its own lookup; the caller is admitted', async () => {
    const over = ours.slice(0, 3);
    plivoAccount.live = accountWith(ours.slice(3), 997);
    const next = randomUUID();
    expect(await number.busy(next)).toBe(false);
    expect(await number.leases()).toEqual([...ours.slice(3), next].sort());
    expect(lookups().sort()).toEqual([...over].sort());
    for (const callId of over) {
      expect(await readItem(host.deps.db, keys.call(callId))).toMatchObject({
        endedBy: 'reconciliation',
      });
    }
    expect(number.counted('LeasesReaped').map((m) => m.value)).toEqual([3]);
    expect(number.counted('LiveCallsUnknown')).toEqual([]);
  });

  it('a live call the paging skipped (a call ended between two pages) is looked up, found live and kept', async () => {
    const [over, skipped] = ours as [string, string];
    const others = accountWith([], 990);
    // Listed 21st: once a call before it ends after the first page, it moves to the 20th place, which
    // the first page has already been read past, and the second page starts after it.
    plivoAccount.live = [...others.slice(0, 20), skipped, ...ours.slice(2), ...others.slice(20)];
    plivoAccount.afterPage = (offset) => {
      if (offset === 0) plivoAccount.live.splice(3, 1);
    };
    const next = randomUUID();
    expect(await number.busy(next)).toBe(false);
    expect(lookups().sort()).toEqual([over, skipped].sort());
    expect(await number.leases()).toEqual([...ours.slice(1), next].sort());
    expect(await readItem(host.deps.db, keys.call(skipped))).not.toHaveProperty('endedAt');
    expect(number.counted('LeasesReaped').map((m) => m.value)).toEqual([1]);
  });

  it('a call the list omits whose lookup fails is kept: the caller hears busy, counted and logged', async () => {
    const [over] = ours as [string];
    plivoAccount.live = accountWith(ours.slice(1), 999);
    plivoAccount.lookupFault = (callUuid) =>
      callUuid === over
        ? jsonAnswer(503, { api_id: randomUUID(), error: 'unavailable' })
        : undefined;
    const lines = await logLinesWhile(async () => expect(await number.busy()).toBe(true));
    expect(lookups()).toEqual([over]);
    expect(await number.leases()).toEqual([...ours].sort());
    expect(number.counted('LiveCallsUnknown').map((m) => [m.value, m.dimensions.reason])).toEqual([
      [1, 'unconfirmed'],
    ]);
    expect(number.counted('PlivoApiErrors').map((m) => m.dimensions.status)).toEqual(['503']);
    expect(
      lines.filter((line) => line.message === 'live calls unknown: leases kept'),
    ).toMatchObject([
      { level: 'WARN', business: `***${business.slice(-4)}`, reason: 'unconfirmed' },
    ]);
    expect(JSON.stringify(lines)).not.toContain(nationalDigits);
  });
});

/** Answers Plivo's Live Call API might give that do not make one whole list callgate can read. */
const notAWholeList: readonly {
  readonly name: string;
  readonly reason: string;
  readonly fault: (offset: number, live: readonly string[]) => LoopbackAnswer | undefined;
}[] = [
  {
    name: 'HTTP 200 without a calls list',
    reason: 'unreadable',
    fault: () => jsonAnswer(200, { api_id: randomUUID() }),
  },
  {
    name: 'HTTP 200 that is not JSON',
    reason: 'unreadable',
    fault: (offset) =>
      offset === 0 ? { status: 200, body: '{"api_id": "x", "calls": [' } : undefined,
  },
  {
    name: 'a list of objects rather than CallUUIDs',
    reason: 'unreadable',
    fault: (offset, live) =>
      jsonAnswer(200, {
        api_id: randomUUID(),
        calls: live.slice(offset, offset + 20).map((call_uuid) => ({ call_uuid })),
      }),
  },
  {
    name: 'an entry that is not a CallUUID, midway',
    reason: 'unreadable',
    fault: (offset, live) =>
      offset === 500
        ? jsonAnswer(200, { api_id: randomUUID(), calls: [...live.slice(500, 519), 'call-7'] })
        : undefined,
  },
  {
    name: 'a page longer than the 20 asked for (the limit ignored)',
    reason: 'incomplete',
    fault: (offset, live) =>
      jsonAnswer(200, { api_id: randomUUID(), calls: live.slice(offset, offset + 25) }),
  },
  {
    name: 'a total that the pages do not add up to',
    reason: 'incomplete',
    fault: (offset, live) =>
      jsonAnswer(200, {
        api_id: randomUUID(),
        meta: { limit: 20, offset, total_count: 1_020 },
        calls: live.slice(offset, offset + 20),
      }),
  },
  {
    name: 'a page failing midway (HTTP 500 at offset 500)',
    reason: 'unavailable',
    fault: (offset) =>
      offset === 500
        ? jsonAnswer(500, { api_id: randomUUID(), error: 'internal error' })
        : undefined,
  },
];

describe('an answer that is not a whole list releases nothing', () => {
  let host: LocalHost;
  let number: ReturnType<typeof numberOf>;
  let ours: string[];

  beforeAll(async () => {
    resetAccount();
    host = await startHost(24);
    number = numberOf(host);
    ours = await number.fill(24);
    host.clock.advance(120);
  });
  afterAll(() => host.close());

  it.each(notAWholeList)(
    '$name: the caller hears busy, counted as $reason and logged masked',
    async ({ fault, reason }) => {
      // 4 of the number's calls are over: a whole list would have let the caller in.
      const live = accountWith(ours.slice(4), 996);
      plivoAccount.live = live;
      plivoAccount.fault = (offset) => fault(offset, live);
      plivoAccount.requests.length = 0;
      const before = number.counted('LiveCallsUnknown').length;

      const lines = await logLinesWhile(async () => expect(await number.busy()).toBe(true));

      expect(await number.leases()).toEqual([...ours].sort());
      expect(lookups()).toEqual([]);
      expect(
        number
          .counted('LiveCallsUnknown')
          .slice(before)
          .map((m) => m.dimensions.reason),
      ).toEqual([reason]);
      const logged = lines.filter((line) => String(line.message).startsWith('live calls unknown'));
      expect(logged).toMatchObject([
        { level: 'WARN', business: `***${business.slice(-4)}`, reason },
      ]);
      expect(JSON.stringify(lines)).not.toContain(nationalDigits);
    },
  );
});

describe('a 2-call number: the grace and a late hangup', () => {
  let host: LocalHost;
  let number: ReturnType<typeof numberOf>;

  beforeAll(async () => {
    resetAccount();
    host = await startHost(2);
    number = numberOf(host);
  });
  afterAll(() => host.close());

  it('a call younger than a minute is never taken for over; a late hangup changes nothing', async () => {
    const [live, over] = await number.fill(2);
    plivoAccount.live = [live as string];
    plivoAccount.requests.length = 0;

    // Both calls are younger than the grace: nothing is taken for over, nothing is looked up.
    expect(await number.busy()).toBe(true);
    expect(plivoAccount.requests).toEqual([
      `/v1/Account/${authId}/Call/?status=live&limit=20&offset=0`,
    ]);
    expect(await number.leases()).toEqual([live, over].sort());

    host.clock.advance(120);
    const next = randomUUID();
    expect(await number.busy(next)).toBe(false);
    expect(await number.leases()).toEqual([live, next].sort());
    const ended = await readItem(host.deps.db, keys.call(over as string));
    expect(ended).toMatchObject({ endedAt: expect.any(Number), endedBy: 'reconciliation' });
    // Its duration is the record's own: answer to reconciliation, past the 120 s the clock moved.
    const { startedAt = 0, endedAt = 0, durationSeconds } = ended as Record<string, number>;
    expect(durationSeconds).toBe(Math.round((endedAt - startedAt) / 1000));
    expect(durationSeconds).toBeGreaterThanOrEqual(120);
    expect(number.counted('LeasesReaped').map((m) => [m.value, m.dimensions.function])).toEqual([
      [1, 'answer'],
    ]);
    // The first refusal, inside the grace, was at capacity; the second found room once over was reaped.
    expect(number.counted('InboundRefusedAtCapacity')).toHaveLength(1);

    const hangup = await postSignedForm(
      host,
      '/plivo/whatsapp/hangup',
      hangupForm(over as string, { Duration: '61' }),
      authToken,
    );
    expect(await hangup.json()).toEqual({ callId: over, outcome: 'already_ended' });
    expect(await readItem(host.deps.db, keys.call(over as string))).toEqual(ended);
  });
});
