import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler as answerHandler } from '../../functions/answer/handler.js';
import { createHandler as hangupHandler } from '../../functions/hangup/handler.js';
import { createHandler as leaseChanges } from '../../functions/lease-changes/handler.js';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import { createShard, shardCount } from '../../functions/shared/store/leases.js';
import { localContext, toPayloadV2Event } from '../../infra/local/event.js';
import { startStreamReader } from '../../infra/local/stream.js';
import { exampleNumbers } from '../support/fixtures.js';
import { signV3 } from '../support/plivo-sign.js';
import {
  type Bench,
  type BenchRow,
  benchAuthToken,
  benchDeps,
  benchPublicBaseUrl,
  type CountingDb,
  handlerLatency,
  requestsSinceReset,
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

/** Runs the handler once and returns the DynamoDB requests it made, by command. */
const counted = async (db: CountingDb, handler: LambdaHandler, input: Event, expect?: string) => {
  db.reset();
  const result = await handler(input, localContext('bench'));
  if (result.statusCode !== 200 || (expect && !result.body?.includes(expect))) {
    throw new Error(`unexpected ${result.statusCode}: ${result.body}`);
  }
  return requestsSinceReset(db);
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
  async run(context) {
    const db = await context.countingDb();
    const config = readConfigFile(exampleConfigPath);
    const deps = (rules = config.rules) => benchDeps(db, { ...config, rules });
    const answer = answerHandler(deps());
    const hangup = hangupHandler(deps());
    const stream = startStreamReader({
      endpoint: context.dynamoEndpoint,
      tableName: db.tableName,
      handler: leaseChanges(deps()),
      logger: deps().logger,
    });
    /** The requests the stream's function made for what was committed since the last count. */
    const derived = async () => {
      db.reset();
      await stream.settled();
      return requestsSinceReset(db);
    };
    const group = 'inbound calls';
    const rows: BenchRow[] = [];
    const row = (operation: string, figures: BenchRow['figures']) =>
      rows.push({ group, operation, figures });

    const first = randomUUID();
    row('answer: first call in a lease shard (creates the shard item)', {
      ...(await counted(db, answer, answerEvent(first, caller(1)))),
    });
    row('stream: the call recorded, the callback permission granted', { ...(await derived()) });
    // Every shard of the number exists from here on, as on a number in use.
    for (let shard = 0; shard < shardCount(config.rules.simultaneousCallsPerNumber); shard++) {
      await createShard(db, `+${india}`, shard);
    }
    const warmup = 20;
    const callIds = Array.from({ length: 320 }, () => randomUUID());
    const answers = callIds.map((id, i) => answerEvent(id, caller(1000 + i)));
    row('answer: new inbound call', {
      ...(await counted(db, answer, answerEvent(randomUUID(), caller(2)))),
      ...(await handlerLatency(answer, answers, warmup)),
    });
    // The stream's work for the timed answers is done before anything else is counted.
    await stream.settled();
    row('answer: Plivo retry of the same CallUUID', {
      ...(await counted(db, answer, answerEvent(first, caller(1)))),
    });
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.pair(`+${india}`, `+${caller(3)}`), permission: 'permanent', version: 1 },
      }),
    );
    await stream.settled();
    await counted(db, answer, answerEvent(randomUUID(), caller(3)));
    row('stream: recorded for a caller with a permanent permission (grant retried as reset)', {
      ...(await derived()),
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
    await stream.settled();
    const full = answerHandler(deps({ ...config.rules, simultaneousCallsPerNumber: 1 }));
    await counted(db, full, answerEvent(randomUUID(), caller(4), jamaica));
    await stream.settled();
    row('answer: at capacity (reap finds nothing)', {
      ...(await counted(db, full, answerEvent(randomUUID(), caller(5), jamaica), '<Hangup/>')),
    });

    await stream.settled();
    row('hangup: inbound call', {
      ...(await counted(db, hangup, hangupEvent(first))),
      ...(await handlerLatency(
        hangup,
        callIds.map((id) => hangupEvent(id)),
        warmup,
      )),
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
    return rows;
  },
};
