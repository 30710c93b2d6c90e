import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { refusals } from '../../functions/answer/handler.js';
import { createLogger } from '../../functions/shared/log.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ensureTable } from '../../infra/local/dynamodb.js';
import { startLocalHost } from '../../infra/local/host.js';
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
import { alwaysOpenExampleConfig, plivoXml } from '../support/plivo-forms.js';
import { type Bench, type BenchRow, round } from './support.js';

const group = 'Through the local host (HTTP, autocannon)';
/** Requests per route, each distinct and sent once; a route also stops at `capMs`, whatever is left. */
const amount = 2000;
const connections = 20;
const capMs = 10_000;

const india = '+918035737458';
const jamaica = '+18765550123';
const newYork = '+12125550123';
const businessNumbers = [india, jamaica, newYork] as const;
/** Business-initiated calls: the US number is in a restricted country, so only these two place them. */
const placingNumbers = [india, jamaica] as const;

const user = (i: number) => `+91984${String(i).padStart(7, '0')}`;
/** Users who reply to a permission request: a range no inbound caller uses, so every pair starts empty. */
const replierOffset = 100_000;
/** Callers of the untimed warm-up, again a range of their own. */
const warmupOffset = 200_000;
const warmupCalls = 200;

/**
 * The example configuration without business hours (every inbound call takes the same path whatever
 * the time of day), with limits that the saturation must not reach: 1,000 simultaneous calls per
 * number (the most Meta allows; 2,000 calls over 3 numbers lease ~667 each, never hung up in between)
 * and 1,000 Call API requests per second (so the calls-per-second bucket never refuses a placement).
 * The daily limit stays 5 per user: each user is called once.
 */
const benchConfig = () =>
  alwaysOpenExampleConfig({
    account: { callsPerSecond: 1000 },
    rules: { simultaneousCallsPerNumber: 1000 },
  });

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

/**
 * Sends `shots` with autocannon and returns the route's row and the shots that got an answer. Throws
 * if any answer is not 2xx or not what the route should answer (`wrong` says why), so no row is ever
 * reported for failing requests; only the time cap may leave requests unanswered.
 */
const saturate = async <Meta>(
  target: string,
  route: string,
  shots: Shot<Meta>[],
  wrong: (shot: Shot<Meta>) => string | undefined,
): Promise<{ row: BenchRow; answered: Shot<Meta>[] }> => {
  const deadline = Date.now() + capMs;
  const started = process.hrtime.bigint();
  const figures = await fire(target, 'http', { route, shots, connections }, deadline);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
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
  return {
    row: {
      group,
      operation: route,
      figures: {
        // Counted and timed here: autocannon's own average is over whole seconds, coarse for short runs.
        'req/s': round(answered.length / seconds, 1),
        'p50 ms': figures.p50Ms,
        'p99 ms': figures.p99Ms,
        connections: figures.connections,
        requests: answered.length,
        'non-2xx': failed.length,
      },
    },
    answered,
  };
};

/**
 * Saturation through the local host over real HTTP on 127.0.0.1 (sandbox Plivo, a fresh table in the
 * bench's DynamoDB Local): one route at a time, autocannon sends `amount` distinct requests, built and
 * signed beforehand, over `connections` connections, or as many as it answers within `capMs`. Each
 * route's requests continue the previous route's story: the calls answered are hung up, the users who
 * granted permission are called, those calls get their dial status, and their permission is read.
 */
export const bench: Bench = {
  name: 'http',
  async run(context) {
    const tableName = `bench-http-${randomUUID()}`;
    await ensureTable(context.dynamoEndpoint, tableName);
    const logger = createLogger();
    // Thousands of requests: only errors, which would explain a failure.
    logger.setLogLevel('ERROR');
    const host = await startLocalHost({
      config: benchConfig(),
      dynamoEndpoint: context.dynamoEndpoint,
      tableName,
      port: 0,
      logger,
    });
    const target = host.url.replace('localhost', '127.0.0.1');
    const base = host.publicBaseUrl;
    const rows: BenchRow[] = [];
    const inboundCall = (i: number): Shot<InboundMeta> =>
      inboundAnswer(base, {
        callUuid: randomUUID(),
        business: businessNumbers[i % businessNumbers.length] as string,
        user: user(i),
      });
    try {
      // Untimed: calls answered and hung up, so that the first timed route does not also pay for
      // DynamoDB Local's JIT warming up (run alone, this bench starts on a fresh one).
      const warmup = await saturate(
        target,
        'warm-up answer',
        Array.from({ length: warmupCalls }, (_, i) => inboundCall(warmupOffset + i)),
        () => undefined,
      );
      await saturate(
        target,
        'warm-up hangup',
        warmup.answered.map((s) => inboundHangup(base, s.meta, 60)),
        () => undefined,
      );

      // New inbound calls from distinct callers, spread over the three business numbers.
      const answers = await saturate(
        target,
        'POST /plivo/whatsapp/answer',
        Array.from({ length: amount }, (_, i) => inboundCall(i)),
        (shot) => {
          const response = xmlOf(shot);
          if (response.Speak === refusals.atCapacity) return 'refused at capacity';
          // India opens with a menu, Jamaica and New York dial their desk.
          return response.GetInput || response.Dial ? undefined : 'no call flow';
        },
      );
      rows.push(answers.row);

      rows.push(
        (
          await saturate(
            target,
            'POST /plivo/whatsapp/hangup',
            answers.answered.map((s) => inboundHangup(base, s.meta, 60)),
            (shot) => (jsonOf(shot).outcome === 'ended' ? undefined : 'call not ended'),
          )
        ).row,
      );

      // Distinct users accept the permission request of India or Jamaica.
      const replies = await saturate(
        target,
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
      rows.push(replies.row);

      const placements = await saturate(
        target,
        'POST /v1/calls',
        replies.answered.map((s) => placement(s.meta.business, s.meta.user)),
        (shot) => (shot.status === 201 ? undefined : 'call not placed'),
      );
      rows.push(placements.row);

      const placed: PlacedMeta[] = placements.answered.map((s) => {
        const body = jsonOf(s);
        return {
          callId: String(body.callId),
          business: s.meta.business,
          user: s.meta.user,
          agent: String(body.agent),
          agentLeg: randomUUID(),
        };
      });
      rows.push(
        (
          await saturate(
            target,
            'POST /plivo/whatsapp/dial-status',
            placed.map((call) => dialStatus(base, call, 'completed')),
            (shot) => ('Hangup' in xmlOf(shot) ? undefined : 'no hangup for the agent'),
          )
        ).row,
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

      rows.push(
        (
          await saturate(
            target,
            'GET /v1/permissions/{business}/{user}',
            placed.map((call) => permissionState(call.business, call.user)),
            (shot) => {
              const body = jsonOf(shot) as { permission?: { status?: string } };
              return body.permission?.status === 'temporary' ? undefined : 'permission not shown';
            },
          )
        ).row,
      );
    } finally {
      await host.close();
    }
    return rows;
  },
};
