import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBRecord } from 'aws-lambda';
import { createHandler as eventsHandler } from '../../functions/events/handler.js';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { ensureTable } from '../../local/dynamodb.js';
import { startLocalHost } from '../../local/host.js';
import { startStreamReader } from '../../local/stream.js';
import { exampleNumbers } from '../support/fixtures.js';
import { pathOf, postSignedForm, recordedCalls } from '../support/local-host.js';
import {
  agentLegAnswerForm,
  alwaysOpenExampleConfig,
  dialStatusForm,
  hangupForm,
  inboundAnswerForm,
  permissionReplyForm,
  plivoXml,
} from '../support/plivo-forms.js';
import { type Bench, type BenchRow, percentile, round } from './support.js';

const business = exampleNumbers.india;
const silent = () => new Logger({ serviceName: 'callgate-bench', logLevel: 'SILENT' });

/** Times the events function replays the captured changes over, after one untimed pass. */
const replays = 200;

/**
 * What each operation adds to the bus (through the local host, the events function reading DynamoDB
 * Local's stream as Lambda would), and what the function costs per change it reads: the captured
 * stream records replayed through the handler with a bus that only takes them.
 */
export const bench: Bench = {
  name: 'events',
  async run({ dynamoEndpoint }) {
    const tableName = `bench-${randomUUID()}`;
    await ensureTable(dynamoEndpoint, tableName);
    const host = await startLocalHost({
      config: alwaysOpenExampleConfig({ account: { callsPerSecond: 50 } }),
      dynamoEndpoint,
      tableName,
      port: 0,
      logger: silent(),
    });
    const captured: DynamoDBRecord[] = [];
    const capture = startStreamReader({
      endpoint: dynamoEndpoint,
      tableName,
      handler: async (event) => {
        captured.push(...event.Records);
        return { batchItemFailures: [] };
      },
      logger: silent(),
    });
    const rows: BenchRow[] = [];
    const group = 'Events added per operation (local host; one row per committed operation)';
    let seen = 0;
    const measure = async (operation: string, run: () => Promise<unknown>) => {
      const recordsBefore = captured.length;
      await run();
      await host.settled();
      await capture.settled();
      const all = host.eventBus.events() as Envelope[];
      const added = all.slice(seen);
      seen = all.length;
      rows.push({
        group,
        operation,
        figures: {
          'stream records': captured.length - recordsBefore,
          events: added.length,
          types: added.map((e) => e.type).join(', ') || 'none',
        },
      });
    };
    const json = (path: string, method: string, body: unknown) =>
      fetch(`${host.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const user = '+919850000001';
      const place = async () => {
        const response = await json('/v1/calls', 'POST', { from: business, to: user });
        const { callId } = (await response.json()) as { callId: string };
        return (await recordedCalls(host)).find((r) => r.params.answer_url?.includes(callId));
      };
      let call: Awaited<ReturnType<typeof place>>;
      let dialAction = '';
      const agentAnswers = async () => {
        const answer = await postSignedForm(
          host,
          pathOf(call?.params.answer_url),
          agentLegAnswerForm(business),
        );
        dialAction = pathOf(plivoXml.parse(await answer.text()).Response.Dial['@action']);
      };
      await measure('permission request sent (POST /v1/permission-requests)', () =>
        json('/v1/permission-requests', 'POST', { from: business, to: user }),
      );
      await measure('permission reply: accept', () =>
        postSignedForm(
          host,
          plivoPaths.message,
          permissionReplyForm(user, business, {
            response: 'accept',
            response_source: 'user_action',
          }),
        ),
      );
      await measure('business call placed (POST /v1/calls, Plivo accepts)', async () => {
        call = await place();
      });
      await measure('agent answers (answer URL: the user is dialed)', agentAnswers);
      await measure('dial status: completed', () =>
        postSignedForm(host, dialAction, dialStatusForm('completed')),
      );
      await measure('hangup', () =>
        postSignedForm(host, pathOf(call?.params.hangup_url), hangupForm(randomUUID())),
      );
      call = await place();
      await agentAnswers();
      await host.settled();
      await capture.settled();
      seen = (host.eventBus.events() as Envelope[]).length;
      await measure('dial status: no-answer (a miss)', () =>
        postSignedForm(host, dialAction, dialStatusForm('no-answer')),
      );
      const caller = '+919850000003';
      const callUuid = randomUUID();
      await measure('inbound call answered (with the callback grant)', () =>
        postSignedForm(host, plivoPaths.answer, inboundAnswerForm(callUuid, caller, business)),
      );
      await measure('inbound hangup', () =>
        postSignedForm(host, plivoPaths.hangup, {
          ...hangupForm(callUuid),
          From: caller.slice(1),
          To: business.slice(1),
        }),
      );
      await measure('operator correction (PUT /v1/permissions: revoked)', () =>
        json(`/v1/permissions/${business}/${caller}`, 'PUT', { status: 'revoked' }),
      );

      // The function's own cost: every captured change, replayed through the handler.
      const changes = captured.filter((r) => /^(PAIR|CALL)#/.test(r.dynamodb?.Keys?.pk?.S ?? ''));
      let put = 0;
      const handler = eventsHandler({
        metrics: createMetricsRecorder().forFunction('events'),
        bus: {
          put: async (envelopes) => {
            put += envelopes.length;
            return { failedIds: [] };
          },
        },
        logger: silent(),
      });
      const perChange: number[] = [];
      await handler({ Records: changes });
      put = 0;
      const batchMs: number[] = [];
      for (let i = 0; i < replays; i++) {
        const start = process.hrtime.bigint();
        await handler({ Records: changes });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        batchMs.push(ms);
        perChange.push((ms * 1000) / changes.length);
      }
      rows.push({
        group: `Events function, warm, per change it reads (${changes.length} pair and call changes of the run above, replayed ${replays}×; the bus only takes the events)`,
        operation: 'derive + put',
        figures: {
          'p50 µs per change': round(percentile(perChange, 50), 1),
          'p99 µs per change': round(percentile(perChange, 99), 1),
          'p50 ms per batch': round(percentile(batchMs, 50), 2),
          'events per change': round(put / replays / changes.length, 2),
          'changes filtered out on AWS': captured.length - changes.length,
        },
      });
    } finally {
      await capture.stop();
      await host.close();
    }
    return rows;
  },
};
