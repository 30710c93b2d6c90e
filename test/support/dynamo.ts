import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Db } from '../../functions/shared/store/client.js';
import { ensureTable } from '../../infra/local/dynamodb.js';

/** A fresh table in the run's DynamoDB Local, so test files never see each other's items. */
export const createTestDb = async (): Promise<Db> => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  // The storage tests flood one DynamoDB Local on two cores: allow it far longer than AWS's answers need.
  return createDb({ tableName, endpoint, requestTimeoutMs: 15_000 });
};
