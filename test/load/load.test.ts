/**
 * Load: autocannon against the local host (sandbox Plivo, a fresh table, 127.0.0.1), a day's mix for
 * 200 user numbers on the three example business numbers, run in six phases. Within a phase every
 * route is its own autocannon instance and they run concurrently; every request is built and signed
 * before its phase starts, sent exactly once (`amount`), and the whole run stops at a hard deadline.
 *
 * The limits are set so that the load reaches them: 20 simultaneous calls per business number, 5
 * Call API requests per second, 5 business-initiated calls per user per 24 h. Phases are arranged so
 * that some outcomes are known exactly (a line that only fills up, a line that is full); the rest are
 * counted from the answers and checked against DynamoDB afterwards, exactly.
 *
 * Figures (requests/s, p50/p99 per route and phase) are printed; they are reported, never asserted.
 * `npm run test:load` also writes them to bench-results/load.json and renders them into
 * docs/performance.md; `npm test` leaves both alone, so the committed figures change only when asked.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/shared/log.js';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import type { PairState } from '../../functions/shared/rules/pair.js';
import { permissionAt } from '../../functions/shared/rules/permission.js';
import { leasesOf as storedLeases } from '../../functions/shared/store/items/leases.js';
import { keyPrefixes, keys } from '../../functions/shared/store/keys.js';
import type { LocalHost } from '../../local/host.js';
import { type LoadReport, writeSection } from '../bench/performance-doc.js';
import { exampleNumbers } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { alwaysOpenExampleConfig, plivoXml } from '../support/plivo-forms.js';
import { fire, formatTable, type RouteFigures, type Shot, type Volley } from './cannon.js';
import {
  agentAnswer,
  type DialStatus,
  type DialStatusMeta,
  dialStatus,
  type HangupMeta,
  type InboundMeta,
  inboundAnswer,
  inboundHangup,
  type MessageMeta,
  outboundHangup,
  type PlacedMeta,
  type PlacementMeta,
  permissionReply,
  placement,
  textMessage,
} from './traffic.js';

const india = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;
const newYork = exampleNumbers.newYork;
const businessNumbers = [india, jamaica, newYork] as const;

const simultaneousCalls = 20;
const callsPerSecond = 5;
const dailyCalls = 5;
/** The whole load stops by this, whatever is left; the suite stays within ~90 s on 2 cores. */
const loadBudgetMs = 70_000;

const loadConfig = () =>
  alwaysOpenExampleConfig({
    account: { callsPerSecond },
    rules: { simultaneousCallsPerNumber: simultaneousCalls, businessCallsPer24Hours: dailyCalls },
  });

/** 200 Indian mobile numbers: 0–119 answer the permission request, 120–169 only call, 170–199 never do either. */
const user = (i: number) => `+91984${String(i).padStart(7, '0')}`;
const userIndex = (e164: string) => Number(e164.slice('+91984'.length));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const repliers = range(0, 120);
const repliesFor = (i: number) => (i < 80 ? india : jamaica);
const strangers = range(170, 200);
/** Who calls each number. Nobody calls the number they answer a permission request of (see P1). */
const callerPools: Record<string, number[]> = {
  [india]: [...range(120, 170), ...range(80, 100)],
  [jamaica]: [...range(120, 170), ...range(40, 60)],
  [newYork]: [...range(120, 170), ...range(0, 40)],
};

const xmlOf = (shot: Shot<unknown>) =>
  plivoXml.parse(shot.response ?? '').Response as Record<string, unknown>;
const jsonOf = (shot: Shot<unknown>) =>
  JSON.parse(shot.response ?? '{}') as Record<string, unknown>;
const pairKey = (business: string, user: string) => `${business} ${user}`;
const countBy = <T>(items: readonly T[], key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

/** For the report: the status, or whether the call was taken. */
const answerKind = (shot: Shot<InboundMeta>): string =>
  shot.status !== 200
    ? String(shot.status)
    : xmlOf(shot).Speak === refusals.atCapacity
      ? 'at_capacity'
      : 'accepted';

/** An inbound answer's outcome: a flow (call recorded, lease taken) or the at-capacity refusal. */
const answerOutcome = (shot: Shot<InboundMeta>): 'accepted' | 'at_capacity' => {
  expect(shot.status, shot.response).toBe(200);
  if (answerKind(shot) === 'at_capacity') return 'at_capacity';
  // India opens with a menu, Jamaica and New York dial their desk.
  const response = xmlOf(shot);
  expect(response.GetInput ?? response.Dial, shot.response).toBeDefined();
  return 'accepted';
};

/** A placement's outcome: `placed` or the refusal's error code. */
const placementOutcome = (shot: Shot<PlacementMeta>): string =>
  shot.status === 201 ? 'placed' : `${shot.status} ${String(jsonOf(shot).error)}`;

interface Callbacks {
  readonly placed: readonly PlacedMeta[];
  readonly legs: Shot<PlacedMeta>[];
  readonly statuses: Shot<DialStatusMeta>[];
  readonly ends: Shot<HangupMeta>[];
}

describe('load: a day of WhatsApp calls for 200 users through the local host', () => {
  let host: LocalHost;
  let target: string;
  let deadline: number;
  const startedAt = Date.now();
  const figures: RouteFigures[] = [];
  // Every request of the run, by route, for the checks afterwards.
  const messages: Shot<MessageMeta>[] = [];
  const answers: Shot<InboundMeta>[] = [];
  const placements: Shot<PlacementMeta>[] = [];
  const agentAnswers: Shot<PlacedMeta>[] = [];
  const dialStatuses: Shot<DialStatusMeta>[] = [];
  const hangups: Shot<HangupMeta>[] = [];
  const waves: Shot<InboundMeta>[][] = [];
  /** Business-initiated calls placed so far, per pair in the order their 201s are read. */
  const placedByPair = new Map<string, PlacedMeta[]>();
  /** Plivo's callbacks for the calls the last placement phase placed, sent in the phase after it. */
  let pending: Callbacks = { placed: [], legs: [], statuses: [], ends: [] };
  let durationSeed = 0;
  const peakLeases: Record<string, number> = Object.fromEntries(businessNumbers.map((b) => [b, 0]));
  let sampling = true;
  let sampler: Promise<void> | undefined;

  const leasesOf = async (business: string) =>
    Object.keys(await storedLeases(host.deps.db, business)).sort();

  /** The lease shards' maps, exactly: call ids per business number. */
  const expectLeases = async (expected: Record<string, readonly string[]>) => {
    for (const business of businessNumbers) {
      expect(await leasesOf(business), `leases of ${business}`).toEqual(
        [...(expected[business] ?? [])].sort(),
      );
    }
  };

  const phase = async (name: string, volleys: Volley<unknown>[]) => {
    const rows = await Promise.all(
      volleys.filter((v) => v.shots.length > 0).map((v) => fire(target, name, v, deadline)),
    );
    figures.push(...rows);
    for (const row of rows) {
      expect(row.unanswered, `${name} ${row.route}: requests without an answer`).toBe(0);
    }
  };

  const wave = (calls: [business: string, userIndex: number][]) => {
    const shots = calls.map(([business, i]) =>
      inboundAnswer(host.publicBaseUrl, {
        callUuid: randomUUID(),
        business,
        user: user(i),
      }),
    );
    waves.push(shots);
    answers.push(...shots);
    return shots;
  };

  const hangupsFor = (shots: readonly Shot<InboundMeta>[]) => {
    const out = shots.map((s) =>
      inboundHangup(host.publicBaseUrl, s.meta, 20 + (durationSeed++ % 300)),
    );
    hangups.push(...out);
    return out;
  };

  const placementsFor = (requests: [business: string, to: string][]) => {
    const out = requests.map(([business, to]) => placement(business, to));
    placements.push(...out);
    return out;
  };

  /** Reads the 201s of `shots` and builds Plivo's callbacks for each placed call: agent leg, dial status, hangup. */
  const callbacksFor = (shots: readonly Shot<PlacementMeta>[]): Callbacks => {
    const placed: PlacedMeta[] = shots
      .filter((s) => s.status === 201)
      .map((s) => {
        const body = jsonOf(s);
        return {
          callId: String(body.callId),
          business: s.meta.business,
          user: s.meta.user,
          agent: String(body.agent),
          agentLeg: randomUUID(),
        };
      });
    const statuses = placed.map((call) => {
      const key = pairKey(call.business, call.user);
      const earlier = placedByPair.get(key) ?? [];
      placedByPair.set(key, [...earlier, call]);
      // Every second call of a pair goes unanswered: at most 2 misses of 5, never a revocation.
      const status: DialStatus = earlier.length % 2 === 1 ? 'no-answer' : 'completed';
      return dialStatus(host.publicBaseUrl, call, status);
    });
    const legs = placed.map((call) => agentAnswer(host.publicBaseUrl, call));
    const ends = placed.map((call) =>
      outboundHangup(host.publicBaseUrl, call, 10 + (durationSeed++ % 300)),
    );
    agentAnswers.push(...legs);
    dialStatuses.push(...statuses);
    hangups.push(...ends);
    return { placed, legs, statuses, ends };
  };

  const acceptedIn = (shots: readonly Shot<InboundMeta>[], business: string) =>
    shots
      .filter((s) => s.meta.business === business && answerOutcome(s) === 'accepted')
      .map((s) => s.meta.callUuid);

  beforeAll(async () => {
    const logger = createLogger();
    // About a thousand requests: keep the host's log to errors, which would explain a 5xx.
    logger.setLogLevel('ERROR');
    host = await startTestHost({ config: loadConfig(), logger });
    target = host.url.replace('localhost', '127.0.0.1');
    deadline = Date.now() + loadBudgetMs;
    // The lease count between phases is checked exactly; during them it is sampled.
    sampler = (async () => {
      while (sampling) {
        for (const business of businessNumbers) {
          const size = (await leasesOf(business)).length;
          peakLeases[business] = Math.max(peakLeases[business] ?? 0, size);
        }
        await sleep(100);
      }
    })();
  });

  afterAll(async () => {
    sampling = false;
    await sampler;
    await host?.close();
    const outcomes = {
      answers: countBy(answers, answerKind),
      placements: countBy(placements, placementOutcome),
      hangups: countBy(hangups, (s) => `${s.status} ${String(jsonOf(s).outcome)}`),
      messages: countBy(messages, (s) => `${s.status} ${String(jsonOf(s).outcome)}`),
    };
    const report: LoadReport = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      config: {
        users: 200,
        simultaneousCallsPerNumber: simultaneousCalls,
        callsPerSecond,
        businessCallsPer24Hours: dailyCalls,
      },
      wallSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
      routes: figures,
      outcomes,
      peakLeases,
    };
    console.log(
      `\n${formatTable(figures)}\n\noutcomes ${JSON.stringify(outcomes)}\npeak leases ${JSON.stringify(peakLeases)}`,
    );
    if (process.env.CALLGATE_LOAD_REPORT !== '1') return;
    const dir = fileURLToPath(new URL('../../bench-results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}load.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeSection('bench-results/load.json');
  });

  it('P1 morning: permission replies while 40 calls ring each number; exactly 20 taken per number', async () => {
    const replies = repliers.map((i) =>
      permissionReply(host.publicBaseUrl, repliesFor(i), user(i), {
        permanent: i % 10 === 0,
        messageUuid: randomUUID(),
        redelivery: false,
      }),
    );
    messages.push(...replies);
    const calls = wave(
      businessNumbers.flatMap((business) =>
        range(0, 40).map((k): [string, number] => [business, callerPools[business]?.[k] ?? 0]),
      ),
    );
    await phase('P1 morning', [
      { route: 'message (permission reply)', shots: replies, connections: 8 },
      { route: 'answer (inbound)', shots: calls, connections: 8 },
    ]);
    for (const reply of replies) {
      expect([reply.status, jsonOf(reply).outcome]).toEqual([200, 'applied']);
    }
    // No hangup yet: leases only accumulate, so each line fills to the limit and refuses the rest.
    const accepted = Object.fromEntries(businessNumbers.map((b) => [b, acceptedIn(calls, b)]));
    for (const business of businessNumbers) {
      expect(accepted[business]).toHaveLength(simultaneousCalls);
    }
    await expectLeases(accepted);
  });

  it('P2 India full: Jamaica and New York hang up while India refuses every call and placement', async () => {
    const wave1 = waves[0] ?? [];
    const ends = hangupsFor(wave1.filter((s) => s.meta.business !== india));
    // Callers India refused in the morning call back; New York hears from some who got through too.
    const refusedIndia = wave1.filter(
      (s) => s.meta.business === india && answerOutcome(s) === 'at_capacity',
    );
    const calls = wave([
      ...refusedIndia.map((s): [string, number] => [india, userIndex(s.meta.user)]),
      ...range(40, 50).map((k): [string, number] => [india, callerPools[india]?.[k] ?? 0]),
      ...wave1
        .filter((s) => s.meta.business === newYork)
        .slice(5, 35)
        .map((s): [string, number] => [newYork, userIndex(s.meta.user)]),
    ]);
    const requests = placementsFor([
      ...range(0, 40).map((i): [string, string] => [india, user(i)]),
      ...strangers.map((i): [string, string] => [i < 185 ? india : jamaica, user(i)]),
      ...range(0, 10).map((i): [string, string] => [newYork, user(i)]),
      ...['+91123', 'not a number', '+999999999999', '', '+91984'].map((to): [string, string] => [
        jamaica,
        to,
      ]),
    ]);
    // Plivo redelivers some replies later; other messages are plain text.
    const later = [
      ...messages
        .filter((m, i) => m.meta.kind === 'reply' && i % 8 === 0)
        .map((m) =>
          permissionReply(host.publicBaseUrl, m.meta.business, m.meta.user, {
            permanent: m.meta.permanent,
            messageUuid: m.meta.messageUuid,
            redelivery: true,
          }),
        ),
      ...range(120, 145).map((i) =>
        textMessage(host.publicBaseUrl, i % 2 ? india : jamaica, user(i)),
      ),
    ];
    messages.push(...later);
    await phase('P2 India full', [
      { route: 'hangup (inbound)', shots: ends, connections: 6 },
      { route: 'answer (inbound)', shots: calls, connections: 6 },
      { route: 'POST /v1/calls', shots: requests, connections: 6 },
      { route: 'message (redelivery, text)', shots: later, connections: 4 },
    ]);
    expect(calls.filter((s) => s.meta.business === india).map(answerOutcome)).toEqual(
      Array(30).fill('at_capacity'),
    );
    // Number, country and permission are checked before the line, and India's is full.
    expect(requests.map(placementOutcome)).toEqual([
      ...Array(40).fill('429 concurrency_limit'),
      ...Array(30).fill('403 no_permission'),
      ...Array(10).fill('403 country_restricted'),
      ...Array(5).fill('400 invalid_number'),
    ]);
    await expectLeases({
      [india]: acceptedIn(wave1, india),
      [newYork]: acceptedIn(calls, newYork),
    });
  });

  it('P3 Jamaica burst: 90 placements at once meet the calls-per-second limit while India hangs up', async () => {
    const wave1 = waves[0] ?? [];
    const wave2 = waves[1] ?? [];
    const ends = hangupsFor([...wave1.filter((s) => s.meta.business === india), ...wave2]);
    // Two requests per user back to back (parallel placements for one pair), strangers among them.
    const requests = placementsFor(
      range(80, 120).flatMap((i): [string, string][] => [
        [jamaica, user(i)],
        [jamaica, user(i)],
        ...(i % 4 === 0 ? [[jamaica, user(185 + (i - 80) / 4)] as [string, string]] : []),
      ]),
    );
    await phase('P3 Jamaica burst', [
      { route: 'hangup (inbound)', shots: ends, connections: 6 },
      { route: 'POST /v1/calls', shots: requests, connections: 10 },
    ]);
    const outcomes = countBy(requests, placementOutcome);
    expect(outcomes['403 no_permission']).toBe(10);
    expect(outcomes['429 cps_limit']).toBeGreaterThan(0);
    pending = callbacksFor(requests);
    await expectLeases({ [jamaica]: pending.placed.map((c) => c.callId) });
  });

  it('P4 callbacks: the burst calls are answered, dialled and hung up while New York fills up', async () => {
    const { legs, statuses, ends } = pending;
    const calls = wave(
      range(0, 60).map((k): [string, number] => [
        newYork,
        callerPools[newYork]?.[(k * 7) % 90] ?? 0,
      ]),
    );
    // Plivo fetches an agent leg's answer URL before that leg can end: answers first, then the ends
    // (dial status and hangup in any order).
    await phase('P4 callbacks', [
      { route: 'answer (agent leg)', shots: legs, connections: 3 },
      { route: 'answer (inbound)', shots: calls, connections: 6 },
    ]);
    await phase('P4 call ends', [
      { route: 'dial-status', shots: statuses, connections: 3 },
      { route: 'hangup (?call=)', shots: ends, connections: 3 },
    ]);
    expect(acceptedIn(calls, newYork)).toHaveLength(simultaneousCalls);
    await expectLeases({ [newYork]: acceptedIn(calls, newYork) });
  });

  it('P5 campaign: paced placements reach the daily limit of the busiest users while New York hangs up', async () => {
    const ends = hangupsFor(waves[2] ?? []);
    // Callers only: such a pair has permission exactly when one of its inbound calls was taken.
    const callerPairs = new Map<string, { business: string; user: string; granted: boolean }>();
    for (const shot of [...(waves[0] ?? []), ...(waves[1] ?? [])]) {
      const { business, user: caller } = shot.meta;
      if (business === newYork || userIndex(caller) < 120) continue;
      const key = pairKey(business, caller);
      const granted = callerPairs.get(key)?.granted === true || answerOutcome(shot) === 'accepted';
      callerPairs.set(key, { business, user: caller, granted });
    }
    const pairs = [...callerPairs.values()];
    const withPermission = pairs.filter((p) => p.granted).slice(0, 4);
    const without = pairs.filter((p) => !p.granted).slice(0, 4);
    // Seven tries each for two users: five are placed, the rest meet the daily limit.
    const busiest = [1, 81].flatMap((i) => Array<number>(7).fill(i));
    const requests = placementsFor([
      ...busiest.map((i): [string, string] => [repliesFor(i), user(i)]),
      ...[0, 90].map((i): [string, string] => [repliesFor(i), user(i)]),
      ...[...withPermission, ...without].map((p): [string, string] => [p.business, p.user]),
    ]);
    await phase('P5 campaign', [
      // Below the calls-per-second limit, so that the daily limit is what stops the busiest users.
      { route: 'POST /v1/calls (4/s)', shots: requests, connections: 2, overallRate: 4 },
      { route: 'hangup (inbound)', shots: ends, connections: 4 },
    ]);
    const outcomes = requests.map(placementOutcome);
    expect(without.length).toBeGreaterThan(0);
    expect(outcomes.slice(-without.length)).toEqual(
      Array(without.length).fill('403 no_permission'),
    );
    expect(outcomes.filter((o) => o === '403 no_permission')).toHaveLength(without.length);
    expect(outcomes.filter((o) => o === '429 daily_call_limit').length).toBeGreaterThan(0);
    pending = callbacksFor(requests);
    await expectLeases({
      [india]: pending.placed.filter((c) => c.business === india).map((c) => c.callId),
      [jamaica]: pending.placed.filter((c) => c.business === jamaica).map((c) => c.callId),
    });
  });

  it('P6 wrap-up: the campaign calls are answered, dialled and hung up', async () => {
    const { legs, statuses, ends } = pending;
    await phase('P6 wrap-up', [{ route: 'answer (agent leg)', shots: legs, connections: 3 }]);
    await phase('P6 call ends', [
      { route: 'dial-status', shots: statuses, connections: 3 },
      { route: 'hangup (?call=)', shots: ends, connections: 3 },
    ]);
    await expectLeases({});
  });

  describe('afterwards, in DynamoDB and the sandbox', () => {
    const items: Record<string, unknown>[] = [];
    const itemsOf = (prefix: string) => items.filter((item) => String(item.pk).startsWith(prefix));
    const pairItems = () => itemsOf(keyPrefixes.pair) as unknown as PairState[];
    const placedCalls = () => [...placedByPair.values()].flat();
    const acceptedAnswers = () => answers.filter((s) => answerOutcome(s) === 'accepted');

    beforeAll(async () => {
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await host.deps.db.doc.send(
          new ScanCommand({
            TableName: host.deps.db.tableName,
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    });

    it('no request got a 5xx or no answer, and every route answered as Plivo and the API expect', () => {
      const all: Shot<unknown>[] = [
        ...messages,
        ...answers,
        ...placements,
        ...agentAnswers,
        ...dialStatuses,
        ...hangups,
      ];
      expect(
        all.filter((s) => !s.status || s.status >= 500).map((s) => `${s.path} ${s.status}`),
      ).toEqual([]);
      expect(all).toHaveLength(figures.reduce((sum, row) => sum + row.requests, 0));
      // Each reply applied once, Plivo's redeliveries recognised, text taken as the user's message.
      for (const message of messages) {
        const expected = { reply: 'applied', redelivery: 'duplicate', text: 'user_message' }[
          message.meta.kind
        ];
        expect([message.status, jsonOf(message).outcome]).toEqual([200, expected]);
      }
      for (const leg of agentAnswers) {
        const dial = xmlOf(leg).Dial as Record<string, unknown>;
        expect([dial['@callType'], String(dial.User)]).toEqual([
          'whatsapp',
          leg.meta.user.slice(1),
        ]);
      }
      for (const status of dialStatuses) {
        expect(status.status).toBe(200);
        expect(xmlOf(status)).toHaveProperty('Hangup');
      }
      // Every call that started ends once; a refused call's hangup finds nothing to end.
      const started = new Set([
        ...acceptedAnswers().map((s) => s.meta.callUuid),
        ...placedCalls().map((c) => c.callId),
      ]);
      for (const hangup of hangups) {
        expect(jsonOf(hangup)).toEqual({
          callId: hangup.meta.callId,
          // A call refused at capacity never was: its hangup records nothing.
          outcome: started.has(hangup.meta.callId) ? 'ended' : 'refused',
        });
      }
      expect(new Set(hangups.map((h) => h.meta.callId)).size).toBe(hangups.length);
      expect(hangups).toHaveLength(answers.length + placedCalls().length);
    });

    it('no limit was exceeded: daily calls per user, simultaneous calls per number, calls per second', async () => {
      const placed = placedCalls();
      const created = placements.filter((s) => s.status === 201);
      const sandbox = (await (await fetch(`${host.url}/_sandbox/plivo/requests`)).json()) as {
        api: string;
        params: { answer_url?: string };
      }[];
      const plivoCalls = sandbox
        .filter((r) => r.api === 'call')
        .map((r) => new URL(r.params.answer_url ?? '').searchParams.get('call'));
      const outbound = itemsOf(keyPrefixes.call).filter((c) => c.direction === 'outbound');
      const ids = placed.map((c) => c.callId).sort();
      expect(created).toHaveLength(placed.length);
      expect(plivoCalls.sort()).toEqual(ids);
      expect(outbound.map((c) => String(c.callId)).sort()).toEqual(ids);
      expect(sandbox.filter((r) => r.api !== 'call')).toEqual([]);

      // Daily: each pair's rolling-window map holds exactly its placed calls, never more than the limit.
      const refusedDaily = new Set(
        placements
          .filter((s) => placementOutcome(s) === '429 daily_call_limit')
          .map((s) => pairKey(s.meta.business, s.meta.user)),
      );
      expect(refusedDaily.size).toBeGreaterThan(0);
      for (const pair of pairItems()) {
        const key = pairKey(pair.business, pair.user);
        const calls = Object.keys(pair.calls ?? {}).sort();
        expect(calls.length).toBeLessThanOrEqual(dailyCalls);
        expect(calls, key).toEqual((placedByPair.get(key) ?? []).map((c) => c.callId).sort());
        if (refusedDaily.has(key)) expect(calls).toHaveLength(dailyCalls);
      }

      // Simultaneous calls: exact between phases (checked there), sampled during them.
      for (const business of businessNumbers) {
        expect(peakLeases[business]).toBeLessThanOrEqual(simultaneousCalls);
      }

      // Calls per second: no window of one second, wherever it starts, holds more than the limit; the
      // ring counted every placed call.
      const placedAt = outbound.map((c) => Number(c.startedAt)).sort((a, b) => a - b);
      for (let i = 0; i + callsPerSecond < placedAt.length; i++) {
        expect(
          (placedAt[i + callsPerSecond] as number) - (placedAt[i] as number),
        ).toBeGreaterThanOrEqual(1000);
      }
      const counted = itemsOf(keyPrefixes.cpsSlot).reduce(
        (sum, slot) => sum + Number(slot.uses ?? 0),
        0,
      );
      expect(counted).toBe(outbound.length);
    });

    it('every accepted request left its record', () => {
      const calls = new Map(itemsOf(keyPrefixes.call).map((c) => [String(c.callId), c]));
      const durations = new Map(hangups.map((h) => [h.meta.callId, h.meta.durationSeconds]));
      const inbound = acceptedAnswers();
      const refused = answers.filter((s) => answerOutcome(s) !== 'accepted');
      expect(itemsOf(keyPrefixes.call).filter((c) => c.direction === 'inbound')).toHaveLength(
        inbound.length,
      );
      // A refused call has no record: its hangup found the refusal.
      for (const answer of refused) expect(calls.get(answer.meta.callUuid)).toBeUndefined();
      for (const answer of inbound) {
        expect(calls.get(answer.meta.callUuid)).toMatchObject({
          direction: 'inbound',
          business: answer.meta.business,
          user: answer.meta.user,
          endedAt: expect.any(Number),
          durationSeconds: durations.get(answer.meta.callUuid),
        });
      }
      for (const status of dialStatuses) {
        expect(calls.get(status.meta.callId)).toMatchObject({
          direction: 'outbound',
          business: status.meta.business,
          user: status.meta.user,
          dialStatus: status.meta.dialStatus,
          endedAt: expect.any(Number),
          durationSeconds: durations.get(status.meta.callId),
        });
      }
      expect(dialStatuses).toHaveLength(placedCalls().length);

      // A pair exists exactly for each accepted reply, each caller an inbound call granted and each
      // user whose text opened their customer-service window.
      const now = host.clock.now();
      const pairs = new Map(pairItems().map((p) => [pairKey(p.business, p.user), p]));
      const replies = messages.filter((m) => m.meta.kind === 'reply');
      const texts = messages.filter((m) => m.meta.kind === 'text');
      const granted = new Set([
        ...replies.map((m) => pairKey(m.meta.business, m.meta.user)),
        ...inbound.map((a) => pairKey(a.meta.business, a.meta.user)),
      ]);
      expect([...pairs.keys()].sort()).toEqual(
        [
          ...new Set([...granted, ...texts.map((m) => pairKey(m.meta.business, m.meta.user))]),
        ].sort(),
      );
      for (const key of granted) {
        expect(['temporary', 'permanent'], key).toContain(permissionAt(pairs.get(key), now).kind);
      }
      for (const reply of replies.filter((m) => m.meta.permanent)) {
        const pair = pairs.get(pairKey(reply.meta.business, reply.meta.user));
        expect(permissionAt(pair, now).kind).toBe('permanent');
        // A permanent grant is never given a TTL, not even by the placements that update the pair.
        expect(pair).not.toHaveProperty('ttl');
      }
      expect(
        itemsOf(keyPrefixes.message)
          .map((m) => String(m.pk).slice(keyPrefixes.message.length))
          .sort(),
      ).toEqual([...replies, ...texts].map((m) => m.meta.messageUuid).sort());
    });

    it('no lease leaked once every hangup arrived', () => {
      const shards = itemsOf(keyPrefixes.leaseShard);
      expect([...new Set(shards.map((s) => s.pk))].sort()).toEqual(
        businessNumbers.map((b) => keys.leaseShard(b, 0).pk).sort(),
      );
      for (const shard of shards) expect(shard.leases).toEqual({});
      expect(itemsOf(keyPrefixes.call).filter((c) => c.endedAt === undefined)).toEqual([]);
    });
  });
});
