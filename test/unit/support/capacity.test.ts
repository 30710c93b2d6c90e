import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  NumberValue,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../../functions/shared/store/client.js';
import {
  attachCapacityMeter,
  type CapacityMeter,
  nativeItemSize,
  numberSize,
  writeUnits,
} from '../../support/capacity.js';
import { createTestDb } from '../../support/dynamo.js';

/** Items of each shape, without their padding: `pad` is sized to land the item on a target size. */
const shapes: Record<string, () => Record<string, unknown>> = {
  strings: () => ({ note: 'a call', agent: 'sip:support@phone.plivo.com' }),
  numbers: () => ({
    startedAt: 1767225600000,
    leaseExpiresAt: 1767239999123,
    count: 12345,
    hundred: 100,
    negative: -42.5,
    small: 0.05,
    zero: 0,
    wide: NumberValue.from('12345678901234567890123456789012345678'),
  }),
  'nested maps': () => ({
    leases: Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [randomUUID(), 1767225600000 + i * 1001]),
    ),
    meta: { a: { b: { c: 'x', d: [1, 'two', true, null] } }, empty: {} },
  }),
  'lists, booleans, null': () => ({
    calls: [1767225600000, 1767225601234, 'c'],
    flags: [true, false, null],
    open: true,
    gone: null,
    empty: [],
  }),
  'multi-byte text': () => ({ greeting: 'नमस्ते, धन्यवाद', currency: '€£¥', emoji: '📞✅' }),
};

/** Each shape is put at 1–4 KB and one byte either side: where an estimate off by a byte shows. */
const targets = [1, 2, 3, 4].flatMap((kb) => [kb * 1024 - 1, kb * 1024, kb * 1024 + 1]);

describe('item size estimate against DynamoDB Local', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb();
  });

  it('numbers: base-100 digits from the decimal point, plus one byte, one more when negative', () => {
    expect(
      ['0', '1', '12', '123', '100', '1000', '0.5', '0.05', '-1', '123.45', '1767225600000'].map(
        numberSize,
      ),
    ).toEqual([1, 2, 2, 3, 2, 2, 2, 2, 3, 4, 6]);
  });

  it.each(Object.keys(shapes))(
    '%s: ceil(size / 1 KB) is the write units Local reports',
    async (shape) => {
      const rows = [];
      for (const target of targets) {
        const item: Record<string, unknown> = {
          pk: `ITEM#${randomUUID()}`,
          sk: 'ITEM',
          ...shapes[shape]?.(),
          pad: '',
        };
        item.pad = 'x'.repeat(target - nativeItemSize(item));
        const size = nativeItemSize(item);
        expect(size).toBe(target);
        const { ConsumedCapacity } = await db.doc.send(
          new PutCommand({ TableName: db.tableName, Item: item, ReturnConsumedCapacity: 'TOTAL' }),
        );
        rows.push({ size, estimated: writeUnits(size), local: ConsumedCapacity?.CapacityUnits });
      }
      expect(rows.map(({ size, local }) => ({ size, units: local }))).toEqual(
        rows.map(({ size, estimated }) => ({ size, units: estimated })),
      );
    },
  );
});

describe('capacity meter', () => {
  let db: Db;
  let meter: CapacityMeter;
  beforeAll(async () => {
    db = await createTestDb();
    meter = attachCapacityMeter(db, inject('dynamoEndpoint'));
  });
  afterAll(() => meter.close());

  const small = () => ({ pk: `ITEM#${randomUUID()}`, sk: 'ITEM', n: 1 });

  it('a single write: Local figure; a transaction: 2 per KB per item; refusals billed and counted', async () => {
    const large = { ...small(), pad: 'x'.repeat(3000) };
    await db.doc.send(new PutCommand({ TableName: db.tableName, Item: large }));
    expect(meter.snapshot()).toMatchObject({ wcu: 3, requests: { PutItem: 1 } });

    meter.reset();
    const items = [small(), small(), small()];
    await db.doc.send(
      new TransactWriteCommand({
        TransactItems: items.map((Item) => ({ Put: { TableName: db.tableName, Item } })),
      }),
    );
    expect(meter.snapshot()).toMatchObject({
      wcu: 6,
      cancelled: 0,
      requests: { TransactWriteItems: 1 },
    });

    meter.reset();
    const refused = db.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: db.tableName, Item: small() } },
          {
            ConditionCheck: {
              TableName: db.tableName,
              Key: { pk: large.pk, sk: large.sk },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    await expect(refused).rejects.toThrow();
    const failed = db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { pk: large.pk, sk: large.sk },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(failed).rejects.toThrow();
    expect(meter.snapshot()).toMatchObject({
      wcu: 2 + 2 * 3 + 3,
      refusedWcu: 2 + 2 * 3 + 3,
      cancelled: 1,
      failedWrites: 1,
      largestItemBytes: nativeItemSize(large),
    });
  });

  it('a BatchGetItem: its reads and the largest item it returned', async () => {
    const large = { ...small(), pad: 'x'.repeat(2000) };
    const other = small();
    for (const Item of [large, other]) {
      await db.doc.send(new PutCommand({ TableName: db.tableName, Item }));
    }
    meter.reset();
    await db.doc.send(
      new BatchGetCommand({
        RequestItems: {
          [db.tableName]: {
            Keys: [large, other].map(({ pk, sk }) => ({ pk, sk })),
            ConsistentRead: true,
          },
        },
      }),
    );
    const snapshot = meter.snapshot();
    expect(snapshot).toMatchObject({
      requests: { BatchGetItem: 1 },
      largestItemBytes: nativeItemSize(large),
    });
    expect(snapshot.rcu).toBeGreaterThan(0);
  });
});
