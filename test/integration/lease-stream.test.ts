/**
 * The table's stream as the lease-changes function sees it: DynamoDB Local's real stream records, read
 * by the local host's reader (local/stream.ts), which retries a batch from the first record the
 * handler reports failed and gives a record up after its retries, as Lambda's event source mapping does.
 */

import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler } from '../../functions/lease-changes/handler.js';
import { rulesSchema } from '../../functions/shared/config/schema.js';
import type { Deps } from '../../functions/shared/deps.js';
import { createLogger } from '../../functions/shared/log.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import type { Db } from '../../functions/shared/store/client.js';
import { type LeasesAdded, leasesAdded } from '../../functions/shared/store/items/lease-stream.js';
import { keys } from '../../functions/shared/store/keys.js';
import { startInboundCall } from '../../functions/shared/store/writes/inbound-call.js';
import { createSandboxTelephony } from '../../local/sandbox/telephony.js';
import { type StreamReader, startStreamReader } from '../../local/stream.js';
import { createTestDb, readItem } from '../support/dynamo.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';

const rules = rulesSchema.parse(undefined);
const business = exampleNumbers.india;
const t0 = Date.UTC(2030, 5, 1, 10);
let db: Db;
let reader: StreamReader | undefined;
const logger = createLogger();

beforeAll(async () => {
  db = await createTestDb();
});
afterEach(async () => {
  await reader?.stop();
  reader = undefined;
});

/** Reads the table's stream into `handle`, from its start. */
const read = (handle: (records: DynamoDBRecord[]) => Promise<DynamoDBBatchResponse>) => {
  reader = startStreamReader({
    endpoint: inject('dynamoEndpoint'),
    tableName: db.tableName,
    handler: (event) => handle(event.Records),
    logger,
  });
  return reader;
};

/** What the lease-changes function is given on Lambda, on this table (or another). */
const deps = (table: Db = db): Deps => ({
  config: alwaysOpenExampleConfig(),
  clock: () => t0,
  db: table,
  telephony: createSandboxTelephony(() => t0),
  plivoAuthToken: async () => 'unused',
  listingCursorKey: async () => 'unused',
  publicBaseUrl: 'https://callgate.invalid',
  logger,
  metrics: createMetricsRecorder().forFunction('lease-changes'),
});

const answer = async (callId: string, user = newUser()) => {
  const outcome = await startInboundCall(db, { callId, business, user, now: t0, rules });
  expect(outcome.kind).toBe('started');
  return user;
};

describe("the table's stream", () => {
  it('tells the leases a write added to a lease shard, and nothing else', async () => {
    const seen: LeasesAdded[] = [];
    const stream = read(async (records) => {
      for (const record of records) {
        const added = leasesAdded(record);
        if (added) seen.push(added);
      }
      return { batchItemFailures: [] };
    });
    const callId = randomUUID();
    const user = await answer(callId);
    // Not a lease shard: ignored.
    await db.doc.send(
      new PutCommand({ TableName: db.tableName, Item: { ...keys.pair(business, user), x: 1 } }),
    );
    await stream.settled();
    const ours = seen.filter((s) => Object.keys(s.added).includes(callId));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      business,
      added: { [callId]: { u: user, s: t0 } },
    });
    expect(seen.every((s) => s.business === business)).toBe(true);
  });

  it('a record the handler fails is retried from there, and applied once it succeeds', async () => {
    const handler = createHandler(deps());
    let failuresLeft = 2;
    let deliveries = 0;
    const callId = randomUUID();
    const stream = read(async (records) => {
      const target = records.find((r) => Object.keys(leasesAdded(r)?.added ?? {}).includes(callId));
      if (target) deliveries += 1;
      if (target && failuresLeft > 0) {
        failuresLeft -= 1;
        return { batchItemFailures: [{ itemIdentifier: target.dynamodb?.SequenceNumber ?? '' }] };
      }
      return handler({ Records: records });
    });
    const user = await answer(callId);
    await stream.settled();
    expect(deliveries).toBe(3);
    expect(await readItem(db, keys.call(callId))).toMatchObject({ callId, user, startedAt: t0 });
    expect((await readItem(db, keys.pair(business, user)))?.permission).toBe('temporary');
  });

  it('a record that keeps failing is given up after its retries; the records after it still apply', async () => {
    const poison = randomUUID();
    const next = randomUUID();
    const applied: string[] = [];
    const stream = read(async (records) => {
      for (const record of records) {
        const added = Object.keys(leasesAdded(record)?.added ?? {});
        if (added.includes(poison)) {
          return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
        }
        applied.push(...added);
      }
      return { batchItemFailures: [] };
    });
    await answer(poison);
    await answer(next);
    await stream.settled();
    expect(applied).toContain(next);
    expect(applied).not.toContain(poison);
  });

  it('the handler reports the first record it could not apply, and applies none after it', async () => {
    const handler = createHandler(deps({ ...db, tableName: 'no-such-table' }));
    const records: DynamoDBRecord[] = [];
    const stream = read(async (batch) => {
      records.push(...batch);
      return { batchItemFailures: [] };
    });
    const callId = randomUUID();
    await answer(callId);
    await stream.settled();
    const ours = records.filter((r) => JSON.stringify(r).includes(callId));
    expect(ours).toHaveLength(1);
    const response = await handler({ Records: ours });
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: ours[0]?.dynamodb?.SequenceNumber },
    ]);
  });
});
