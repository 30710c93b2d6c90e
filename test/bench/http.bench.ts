import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../../functions/shared/config/schema.js';
import { refusals } from '../../functions/shared/operations/inbound-call.js';
import { createDb } from '../../functions/shared/store/client.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ensureTable } from '../../local/dynamodb.js';
import { startLocalHost } from '../../local/host.js';
import { fire, type Shot } from '../load/cannon.js';
import {
  dialStatus,
  type InboundMeta,
  inboundAnswer,
  inboundHangup,
  type PlacedMeta,
  type PlacementMeta,
  permissionReply,
  placement,
} from '../load/traffic.js';
import { exampleNumbers } from '../support/fixtures.js';
import { alwaysOpenExampleConfig, plivoXml } from '../support/plivo-forms.js';
import { latencyFigures, prepareLeaseTakeLoop, startStatelessPeer } from './answer-baselines.js';
import { type Bench, type BenchRow, percentile, round } from './support.js';

const group = 'Through the local host (HTTP, autocannon)';
/** Requests per route (and per round), each distinct and sent once. */
const amount = 2000;
const connections = 20;
/** The routes after the rounds stop at this, whatever is left. */
const capMs = 10_000;
/** A round's runs must get every answer (≥ `amount` samples each); this only stops a hung run. */
const roundCapMs = 90_000;
const rounds = 3;
/** answer p99 ≤ peer p99 + write p99 + this. */
const targetGapMs = 20;

const india = exampleNumbers.india;
const jamaica = exampleNumbers.jamaica;
const newYork = exampleNumbers.newYork;
/** Each example number's twin: the same flow on another line, so that the rounds' calls spread wider. */
const twins: Record<string, string> = {
  [india]: '+918035737459',
  [jamaica]: '+18765550124',
  [newYork]: '+12125550124',
};
const businessNumbers = [india, jamaica, newYork, ...Object.values(twins)];
/** Business-initiated calls: the US number is in a restricted country, so only these two place them. */
const placingNumbers = [india, jamaica] as const;

const user = (i: number) => `+91984${String(i).padStart(7, '0')}`;
/** Users who reply to a permission request: a range no inbound caller uses, so every pair starts empty. */
const replierOffset = 100_000;
/** Callers of the untimed warm-up, again a range of their own. */
const warmupOffset = 200_000;
const warmupCalls = 1000;

/**
 * The example configuration without business hours (every inbound call takes the same path whatever
 * the time of day) and with a twin of each number, with limits that the saturation must not reach:
 * 1,000 simultaneous calls per number (the most Meta allows) and 1,000 Call API requests per second (so
 * the calls-per-second bucket never refuses a placement). A round's 2,000 calls over 6 numbers lease
 * ~334 each, all hung up before the next round: a third of the limit, below the half from which taking
 * a lease starts by reading the number's shards (functions/shared/store/items/leases.ts). The daily limit
 * stays 5 per user: each user is called once.
 */
const simultaneousCalls = 1000;
const benchConfig = (): Config => {
  const config = alwaysOpenExampleConfig({
    account: { callsPerSecond: 1000 },
    rules: { simultaneousCallsPerNumber: simultaneousCalls },
  });
  const twinned = config.numbers.flatMap((n) => {
    const twin = twins[n.number];
    return twin ? [{ ...n, number: twin }] : [];
  });
  return { ...config, numbers: [...config.numbers, ...twinned] };
};

const xmlOf = (shot: Shot<unknown>) =>
  (plivoXml.parse(shot.response ?? '') as { Response?: Record<string, unknown> }).Response ?? {};
const jsonOf = (shot: Shot<unknown>) =>
  JSON.parse(shot.response ?? '{}') as Record<string, unknown>;

/** GET /v1/permissions/{business}/{user} from the business's systems (open locally: no API token). */
const permissionState = (business: string, to: string): Shot<PlacementMeta> => ({
  method: 'GET',
  path: `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(to)}`,
  headers: {},
  body: '',
  meta: { business, user: to },
});

const answerIsFlow = (shot: Shot<InboundMeta>) => {
  const response = xmlOf(shot);
  if (response.Speak === refusals.atCapacity) return 'refused at capacity';
  // India (and its twin) opens with a menu, Jamaica and New York dial their desk.
  return response.GetInput || response.Dial ? undefined : 'no call flow';
};

/**
 * Sends `shots` with autocannon and returns the figures of the shots that got an answer, from each
 * request's own latency. Throws if any answer is not 2xx or not what the route should answer (`wrong`
 * says why), so no figures are ever reported for failing requests; only the time cap may leave
 * requests unanswered.
 */
const saturate = async <Meta>(
  target: string,
  route: string,
  shots: Shot<Meta>[],
  wrong: (shot: Shot<Meta>) => string | undefined,
  cap = capMs,
): Promise<{ figures: Record<string, number>; answered: Shot<Meta>[] }> => {
  const deadline = Date.now() + cap;
  const { connections: used } = await fire(target, 'http', { route, shots, connections }, deadline);
  const answered = shots.filter((s) => s.status !== undefined);
  const failed = answered.filter((s) => (s.status ?? 0) < 200 || (s.status ?? 0) >= 300);
  if (failed.length > 0) {
    const first = failed[0] as Shot<Meta>;
    throw new Error(
      `${route}: ${failed.length} non-2xx answers, e.g. ${first.status} ${first.response}`,
    );
  }
  if (answered.length < shots.length && Date.now() < deadline) {
    throw new Error(`${route}: ${shots.length - answered.length} requests got no answer`);
  }
  for (const shot of answered) {
    const why = wrong(shot);
    if (why) throw new Error(`${route}: ${why}: ${shot.status} ${shot.response}`);
  }
  // From the first request sent to the last answer: autocannon itself ends a run on its next
  // whole-second tick, and its own average is over whole seconds.
  const seconds =
    (Math.max(...answered.map((s) => (s.sentAt ?? Number.NaN) + (s.latencyMs ?? Number.NaN))) -
      Math.min(...answered.map((s) => s.sentAt ?? Number.NaN))) /
    1000;
  return {
    figures: {
      ...latencyFigures(
        answered.map((s) => s.latencyMs ?? Number.NaN),
        seconds,
      ),
      connections: used,
      requests: answered.length,
    },
    answered,
  };
};

/** A round's run must have every sample: fewer would make its p99 another percentile. */
const complete = <T extends { answered: unknown[] }>(route: string, run: T): T => {
  if (run.answered.length < amount) {
    throw new Error(
      `${route}: ${run.answered.length} of ${amount} answered within the round's cap`,
    );
  }
  return run;
};

const span = (values: readonly number[]) =>
  `${round(Math.min(...values), 1)}–${round(Math.max(...values), 1)}`;

/**
 * Saturation through the local host over real HTTP on 127.0.0.1 (sandbox Plivo, a fresh table in the
 * bench's DynamoDB Local, the host's logger at its default level).
 *
 * First the answer route against what it cannot be faster than, in `rounds` interleaved rounds of
 * three runs of `amount` requests over `connections` concurrent clients: a stateless Plivo answer
 * server, a single-item conditional write to the same DynamoDB Local, then new inbound calls through
 * the host. Each round's calls are hung up before the next, so every round starts on empty lines.
 *
 * Then the other routes, one at a time, each continuing the story: the last round's calls are hung up
 * (timed), users grant permission, are called, those calls get their dial status, and their permission
 * is read. Latencies are per request, so percentiles keep fractions of a millisecond.
 */
export const bench: Bench = {
  name: 'http',
  async run(context) {
    const tableName = `bench-http-${randomUUID()}`;
    await ensureTable(context.dynamoEndpoint, tableName);
    // No logger given: the host logs as it does for `npm start`, every answer included.
    const host = await startLocalHost({
      config: benchConfig(),
      dynamoEndpoint: context.dynamoEndpoint,
      tableName,
      port: 0,
    });
    const peer = await startStatelessPeer();
    const target = host.url.replace('localhost', '127.0.0.1');
    const base = host.publicBaseUrl;
    const writes = await prepareLeaseTakeLoop(
      createDb({ tableName, endpoint: context.dynamoEndpoint }),
      { workers: connections, shards: 5, max: simultaneousCalls },
    );
    const runs = [
      { key: 'peer', name: 'stateless peer (node:http, plivo XML)' },
      { key: 'write', name: 'UpdateItem, conditional lease take (DynamoDB Local)' },
      { key: 'answer', name: 'POST /plivo/whatsapp/answer' },
    ] as const;
    type Run = (typeof runs)[number]['key'];
    /** Each round's figures and unrounded p99 per run, and answer p99 − (peer p99 + write p99). */
    const results: {
      runs: Record<Run, { figures: Record<string, number>; p99: number }>;
      gap: number;
    }[] = [];
    const rows: BenchRow[] = [];
    const inboundCall = (i: number): Shot<InboundMeta> =>
      inboundAnswer(base, {
        callUuid: randomUUID(),
        business: businessNumbers[i % businessNumbers.length] as string,
        user: user(i),
      });
    const peerIsXml = (shot: Shot<InboundMeta>) =>
      xmlOf(shot).GetInput ? undefined : 'no menu from the peer';
    const p99Of = (shots: readonly Shot<unknown>[]) =>
      percentile(
        shots.map((s) => s.latencyMs ?? Number.NaN),
        99,
      );
    try {
      // Untimed: calls answered and all hung up, peer requests and writes, so that the first round
      // does not also pay for DynamoDB Local's and Node's JIT warming up (run alone, this bench
      // starts on a fresh DynamoDB Local); 200 calls were not enough for that.
      const warmup = await saturate(
        target,
        'warm-up answer',
        Array.from({ length: warmupCalls }, (_, i) => inboundCall(warmupOffset + i)),
        () => undefined,
        roundCapMs,
      );
      await saturate(
        target,
        'warm-up hangup',
        warmup.answered.map((s) => inboundHangup(base, s.meta, 60)),
        () => undefined,
        roundCapMs,
      );
      await saturate(
        peer.url,
        'warm-up peer',
        Array.from({ length: warmupCalls }, (_, i) => inboundCall(warmupOffset + i)),
        peerIsXml,
      );
      await writes.run(amount);

      let answers: Shot<InboundMeta>[] = [];
      for (let r = 1; r <= rounds; r++) {
        const calls = () =>
          Array.from({ length: amount }, (_, i) => inboundCall((r - 1) * amount + i));
        const peerRun = complete(
          'stateless peer',
          await saturate(peer.url, 'stateless peer', calls(), peerIsXml, roundCapMs),
        );
        const { latenciesMs, seconds } = await writes.run(amount);
        // New inbound calls from distinct callers, spread over the six business numbers.
        const answerRun = complete(
          'answer',
          await saturate(target, 'answer', calls(), answerIsFlow, roundCapMs),
        );
        answers = answerRun.answered;
        const measured = {
          peer: { figures: peerRun.figures, p99: p99Of(peerRun.answered) },
          write: {
            figures: {
              ...latencyFigures(latenciesMs, seconds),
              connections,
              requests: latenciesMs.length,
            },
            p99: percentile(latenciesMs, 99),
          },
          answer: { figures: answerRun.figures, p99: p99Of(answers) },
        };
        const { peer: p, write: w, answer: a } = measured;
        const gap = a.p99 - (p.p99 + w.p99);
        results.push({ runs: measured, gap });
        process.stderr.write(
          `round ${r}: answer p99 ${a.p99.toFixed(1)} − (peer p99 ${p.p99.toFixed(1)} + write p99 ${w.p99.toFixed(1)}) = ${gap.toFixed(1)} ms, target ≤ ${targetGapMs}: ${gap <= targetGapMs ? 'met' : 'not met'}\n`,
        );
        if (r < rounds) {
          // Untimed: the next round starts on empty lines, as this one did.
          complete(
            'hangup between rounds',
            await saturate(
              target,
              'hangup between rounds',
              answers.map((s) => inboundHangup(base, s.meta, 60)),
              (shot) => (jsonOf(shot).outcome === 'ended' ? undefined : 'call not ended'),
              roundCapMs,
            ),
          );
        }
      }

      const roundsGroup = `Answer route against a stateless peer and one conditional write: ${rounds} interleaved rounds, ${connections} concurrent, host log level ${host.deps.logger.getLevelName()}`;
      results.forEach((result, i) => {
        for (const run of runs) {
          rows.push({
            group: roundsGroup,
            operation: `round ${i + 1} · ${run.name}`,
            figures: result.runs[run.key].figures,
          });
        }
      });
      for (const run of runs) {
        const spread = (name: string) =>
          span(results.map((result) => result.runs[run.key].figures[name] ?? Number.NaN));
        rows.push({
          group: roundsGroup,
          operation: `spread over ${rounds} rounds · ${run.name}`,
          figures: Object.fromEntries(
            ['req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'].map((name) => [name, spread(name)]),
          ),
        });
      }
      const gapGroup = `Answer p99 − (peer p99 + write p99), target ≤ ${targetGapMs} ms`;
      results.forEach(({ runs: { peer: p, write: w, answer: a }, gap }, i) => {
        rows.push({
          group: gapGroup,
          operation: `round ${i + 1}`,
          figures: {
            'peer p99 ms': round(p.p99, 1),
            'write p99 ms': round(w.p99, 1),
            'answer p99 ms': round(a.p99, 1),
            'gap ms': round(gap, 1),
            'target ms': targetGapMs,
            met: gap <= targetGapMs ? 'yes' : 'no',
          },
        });
      });
      const across = (of: (result: (typeof results)[number]) => number) => span(results.map(of));
      rows.push({
        group: gapGroup,
        operation: `spread over ${rounds} rounds`,
        figures: {
          'peer p99 ms': across((result) => result.runs.peer.p99),
          'write p99 ms': across((result) => result.runs.write.p99),
          'answer p99 ms': across((result) => result.runs.answer.p99),
          'gap ms': across((result) => result.gap),
          'target ms': targetGapMs,
          met: results.every((result) => result.gap <= targetGapMs)
            ? 'every round'
            : 'not every round',
        },
      });

      const route = async <Meta>(
        name: string,
        shots: Shot<Meta>[],
        wrong: (shot: Shot<Meta>) => string | undefined,
      ) => {
        const run = await saturate(target, name, shots, wrong);
        rows.push({ group, operation: name, figures: run.figures });
        return run.answered;
      };

      await route(
        'POST /plivo/whatsapp/hangup',
        answers.map((s) => inboundHangup(base, s.meta, 60)),
        (shot) => (jsonOf(shot).outcome === 'ended' ? undefined : 'call not ended'),
      );

      // Distinct users accept the permission request of India or Jamaica.
      const replies = await route(
        'POST /plivo/whatsapp/message',
        Array.from({ length: amount }, (_, i) =>
          permissionReply(
            base,
            placingNumbers[i % placingNumbers.length] as string,
            user(replierOffset + i),
            { permanent: false, messageUuid: randomUUID(), redelivery: false },
          ),
        ),
        (shot) => (jsonOf(shot).outcome === 'applied' ? undefined : 'permission not applied'),
      );

      const placements = await route(
        'POST /v1/calls',
        replies.map((s) => placement(s.meta.business, s.meta.user)),
        (shot) => (shot.status === 201 ? undefined : 'call not placed'),
      );

      const placed: PlacedMeta[] = placements.map((s) => {
        const body = jsonOf(s);
        return {
          callId: String(body.callId),
          business: s.meta.business,
          user: s.meta.user,
          agent: String(body.agent),
          agentLeg: randomUUID(),
        };
      });
      await route(
        'POST /plivo/whatsapp/dial-status',
        placed.map((call) => dialStatus(base, call, 'completed')),
        (shot) => ('Hangup' in xmlOf(shot) ? undefined : 'no hangup for the agent'),
      );
      // The answer to a dial status is the same for an unknown call: the records say it was applied.
      for (let start = 0; start < placed.length; start += 50) {
        await Promise.all(
          placed.slice(start, start + 50).map(async (call) => {
            const { Item } = await host.deps.db.doc.send(
              new GetCommand({ TableName: tableName, Key: keys.call(call.callId) }),
            );
            if (Item?.dialStatus !== 'completed') {
              throw new Error(`dial status not recorded for call ${call.callId}`);
            }
          }),
        );
      }

      await route(
        'GET /v1/permissions/{business}/{user}',
        placed.map((call) => permissionState(call.business, call.user)),
        (shot) => {
          const body = jsonOf(shot) as { permission?: { status?: string } };
          return body.permission?.status === 'temporary' ? undefined : 'permission not shown';
        },
      );
    } finally {
      await peer.close();
      await host.close();
    }
    return rows;
  },
};
