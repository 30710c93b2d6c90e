import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDb, type Db } from '../../functions/shared/store/client.js';
import { shardCapacity, shardCount } from '../../functions/shared/store/items/leases.js';
import { type Key, keys } from '../../functions/shared/store/keys.js';
import { ensureTable } from '../../local/dynamodb.js';

/** A fresh table in the run's DynamoDB Local, so test files never see each other's items. */
export const createTestDb = async (): Promise<Db> => {
  // Loaded here, not at the top: scripts outside vitest (npm run capacity) use this module's other helpers.
  const { inject } = await import('vitest');
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  // The storage tests flood one DynamoDB Local on two cores: allow it far longer than AWS's answers need.
  return createDb({ tableName, endpoint, requestTimeoutMs: 15_000 });
};

/** Writes a pair item as callgate stores it (`state`: its permission, windows, ttl, version…). */
export const putPair = async (
  db: Db,
  business: string,
  user: string,
  state: Record<string, unknown>,
): Promise<void> => {
  await db.doc.send(
    new PutCommand({
      TableName: db.tableName,
      Item: { ...keys.pair(business, user), business, user, ...state },
    }),
  );
};

export const readItem = async (db: Db, key: Key): Promise<Record<string, unknown> | undefined> =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true })))
    .Item;

/** Every item of the table: each test file owns its table, so a scan shows everything it did. */
export const scanTable = async (db: Db): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new ScanCommand({ TableName: db.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/**
 * Leases of `count` calls already up on a business number (random call ids, lapsing at `expiresAt`),
 * written shard by shard as full as each may be, the way parallel calls leave them: for tests that start
 * near a limit without placing hundreds of calls first. Returns the call ids.
 */
export const fillLeases = async (
  db: Db,
  business: string,
  { count, limit, expiresAt }: { count: number; limit: number; expiresAt: number },
): Promise<string[]> => {
  const callIds: string[] = [];
  const shards = Array.from({ length: shardCount(limit) }, (_, shard) => {
    const take = Math.min(shardCapacity(limit, shard), count - callIds.length);
    const ids = Array.from({ length: take }, () => randomUUID());
    callIds.push(...ids);
    return {
      ...keys.leaseShard(business, shard),
      leases: Object.fromEntries(ids.map((id) => [id, expiresAt])),
    };
  });
  if (callIds.length < count) throw new Error(`${count} leases do not fit a limit of ${limit}`);
  for (let start = 0; start < shards.length; start += 25) {
    await db.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [db.tableName]: shards.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
  return callIds;
};
