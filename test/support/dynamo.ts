import { randomUUID } from 'node:crypto';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDb, type Db } from '../../functions/shared/store/client.js';
import type { Key } from '../../functions/shared/store/keys.js';
import { ensureTable } from '../../infra/local/dynamodb.js';

/** A fresh table in the run's DynamoDB Local, so test files never see each other's items. */
export const createTestDb = async (): Promise<Db> => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  // The storage tests flood one DynamoDB Local on two cores: allow it far longer than AWS's answers need.
  return createDb({ tableName, endpoint, requestTimeoutMs: 15_000 });
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
