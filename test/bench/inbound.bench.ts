import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as answerHandler } from '../../functions/answer/handler.js';
import { createHandler as hangupHandler } from '../../functions/hangup/handler.js';
import { createHandler as leaseChanges } from '../../functions/lease-changes/handler.js';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { createDb } from '../../functions/shared/store/client.js';
import { createShard, shardCount } from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { startStreamReader } from '../../local/stream.js';
import { exampleNumbers } from '../support/fixtures.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';
import {
  type Bench,
  type BenchContext,
  type BenchRow,
  benchAuthToken,
  benchDeps,
  benchPublicBaseUrl,
  type CountingDb,
  countRequests,
  handlerLatency,
} from './support.js';

const india = plivoDigits(exampleNumbers.india);
const jamaica = plivoDigits(exampleNumbers.jamaica);
const caller = (i: number) => `91984${String(i).padStart(7, '0')}`;

const webhook = (pathAndQuery: string, form: Record<string, string>) => {
  const url = new URL(`${benchPublicBaseUrl}${pathAndQuery}`);
  return toPayloadV2Event(
    {
      method: 'POST',
      url,
      headers: {
        ...signV3({ method: 'POST', url: url.toString(), params: form, authToken: benchAuthToken }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: Buffer.from(new URLSearchParams(form).toString()),
      sourceIp: '127.0.0.1',
    },
    `POST ${url.pathname}`,
    {},
    new Date(),
  );
};

type Event = ReturnType<typeof webhook>;

const answerEvent = (callId: string, from: string, to = india) =>
  webhook(plivoPaths.answer, {
    CallUUID: callId,
    From: from,
    To: to,
    Direction: 'inbound',
    CallStatus: 'ringing',
  });

const hangupEvent = (callId: string, to = india, query = '') =>
  webhook(`${plivoPaths.hangup}${query}`, {
    CallUUID: callId,
    To: to,
    Duration: '61',
    HangupCauseName: 'Normal Hangup',
  });

/** Runs the handler once and returns the DynamoDB requests it made, by command, and their capacity. */
const counted = async (db: CountingDb, handler: LambdaHandler, input: Event, expect?: string) => {
  const { result, figures } = await db.measure(() => handler(input, localContext('bench')));
  if (result.statusCode !== 200 || (expect && !result.body?.includes(expect))) {
    throw new Error(`unexpected ${result.statusCode}: ${result.body}`);
  }
  return figures;
};

/** Sunday noon in Kolkata after `now`: the example's Indian number is closed all Sunday. */
const sundayNoonInKolkataAfter = (now: number) => {
  const day = new Date(now);
  day.setUTCDate(day.getUTCDate() + (7 - day.getUTCDay()));
  return day.setUTCHours(6, 30, 0, 0);
};

/**
 * The inbound rows; `timed: false` leaves the latency out and counts only (the test that pins these
 * counts, test/integration/inbound-requests.test.ts).
 */
export const inboundRows = async (
  context: BenchContext,
  { timed }: { timed: boolean },
): Promise<BenchRow[]> => {
  const db = await context.countingDb();
  // The stream's function has a client of its own: what it sends while a handler runs is never counted
  // with the handler, and each stream row counts it alone. The timeout allows for a loaded machine.
  const streamDb = countRequests(
    createDb({
      tableName: db.tableName,
      endpoint: context.dynamoEndpoint,
      requestTimeoutMs: 15_000,
    }),
    context.dynamoEndpoint,
  );
  // Without business hours, every answer takes the same path whatever the time of day.
  const config = alwaysOpenExampleConfig();
  const deps = (rules = config.rules) => benchDeps(db, { ...config, rules });
  const answer = answerHandler(deps());
  const hangup = hangupHandler(deps());
  const stream = startStreamReader({
    endpoint: context.dynamoEndpoint,
    tableName: db.tableName,
    handler: leaseChanges(benchDeps(streamDb, config)),
    logger: deps().logger,
  });
  /**
   * The handler's requests for one event, and what the stream's function then sent for what it
   * committed: the stream settles before (nothing earlier counts) and after.
   */
  const countedWithStream = async (handler: LambdaHandler, input: Event) => {
    await stream.settled();
    const { result: own, figures: derived } = await streamDb.measure(async () => {
      const figures = await counted(db, handler, input);
      await stream.settled();
      return figures;
    });
    return { own, derived };
  };
  const group = 'inbound calls';
  const rows: BenchRow[] = [];
  const row = (operation: string, figures: BenchRow['figures']) =>
    rows.push({ group, operation, figures });

  const first = randomUUID();
  const firstCall = await countedWithStream(answer, answerEvent(first, caller(1)));
  row('answer: first call in a lease shard (creates the shard item)', firstCall.own);
  row('stream: the call recorded, the callback permission granted', firstCall.derived);
  // Every shard of the number exists from here on, as on a number in use.
  for (let shard = 0; shard < shardCount(config.rules.simultaneousCallsPerNumber); shard++) {
    await createShard(db, `+${india}`, shard);
  }
  const warmup = 20;
  const callIds = timed ? Array.from({ length: 320 }, () => randomUUID()) : [];
  row('answer: new inbound call', {
    ...(await counted(db, answer, answerEvent(randomUUID(), caller(2)))),
    ...(timed
      ? await handlerLatency(
          answer,
          callIds.map((id, i) => answerEvent(id, caller(1000 + i))),
          warmup,
        )
      : {}),
  });
  row('answer: Plivo retry of the same CallUUID', {
    ...(await counted(db, answer, answerEvent(first, caller(1)))),
  });
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...keys.pair(`+${india}`, `+${caller(3)}`), permission: 'permanent', version: 1 },
    }),
  );
  row('stream: recorded for a caller with a permanent permission (grant retried as reset)', {
    ...(await countedWithStream(answer, answerEvent(randomUUID(), caller(3)))).derived,
  });
  row('answer: menu key press (continuation)', {
    ...(await counted(
      db,
      answer,
      webhook(`${plivoPaths.answer}?step=menu&attempt=0`, {
        CallUUID: first,
        From: caller(1),
        To: india,
        Direction: 'inbound',
        CallStatus: 'in-progress',
        Digits: '1',
      }),
      '<Dial',
    )),
  });
  const full = answerHandler(deps({ ...config.rules, simultaneousCallsPerNumber: 1 }));
  await counted(db, full, answerEvent(randomUUID(), caller(4), jamaica));
  row('answer: at capacity (reap finds nothing)', {
    ...(await counted(db, full, answerEvent(randomUUID(), caller(5), jamaica), '<Hangup/>')),
  });

  await stream.settled();
  row('hangup: inbound call', {
    ...(await counted(db, hangup, hangupEvent(first))),
    ...(timed
      ? await handlerLatency(
          hangup,
          callIds.map((id) => hangupEvent(id)),
          warmup,
        )
      : {}),
  });
  row('hangup: repeated', { ...(await counted(db, hangup, hangupEvent(first))) });
  const byQuery = randomUUID();
  await counted(db, answer, answerEvent(byQuery, caller(6)));
  await stream.settled();
  row('hangup: by ?call= (business read from the call record)', {
    ...(await counted(db, hangup, hangupEvent(byQuery, india, `?call=${byQuery}`))),
  });
  const early = randomUUID();
  await stream.stop();
  await counted(db, answer, answerEvent(early, caller(7)));
  row('hangup: before the stream recorded the call (lease looked up)', {
    ...(await counted(db, hangup, hangupEvent(early))),
  });
  // The example's own hours, at a moment they are closed: the closing message ends the call at its
  // answer, before the stream has recorded it (on AWS the stream's delivery takes longer than the answer).
  const shift = sundayNoonInKolkataAfter(Date.now()) - Date.now();
  const closed = answerHandler({
    ...benchDeps(db, readConfigFile(exampleConfigPath)),
    clock: () => Date.now() + shift,
  });
  row('answer: outside business hours (the closing message ends the call)', {
    ...(await counted(db, closed, answerEvent(randomUUID(), caller(8)), '<Hangup/>')),
  });
  streamDb.doc.destroy();
  return rows;
};

/**
 * The answer route for inbound calls (target: one DynamoDB request), what the table's stream then
 * writes for it (the call record and the caller's permission, functions/lease-changes), and the hangup
 * route, warm and in-process against DynamoDB Local. Every timed answer is a new CallUUID from a new
 * caller: it takes a lease. Each is hung up in the hangup run, so the number stays far from its
 * 1,000-call limit.
 */
export const bench: Bench = {
  name: 'inbound',
  run: (context) => inboundRows(context, { timed: true }),
};
