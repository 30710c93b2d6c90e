import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Metrics } from '../metrics.js';
import type { Key } from './keys.js';
import { isExpired } from './table.js';

/** The table and a document client for it: what every store function takes. */
export interface Db {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Where transactions count their retries and unknown outcomes (StorageRetries, StorageUnknownOutcomes). */
  readonly metrics?: Metrics | undefined;
}

export interface DbOptions {
  readonly tableName: string;
  /** DynamoDB Local's URL; unset on AWS. */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** How long one attempt may wait for DynamoDB's answer. */
  readonly requestTimeoutMs?: number | undefined;
  readonly metrics?: Metrics | undefined;
  /** Wraps the SDK client before use: X-Ray tracing on Lambda. */
  readonly instrument?: (<C>(client: C) => C) | undefined;
}

export const createDb = ({
  tableName,
  endpoint,
  region,
  requestTimeoutMs = 2_000,
  metrics,
  instrument = (client) => client,
}: DbOptions): Db => {
  const client = instrument(
    new DynamoDBClient({
      ...(endpoint
        ? {
            endpoint,
            region: region ?? 'local',
            // DynamoDB Local accepts any credentials; fixed ones keep it off the machine's AWS profile.
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          }
        : region
          ? { region }
          : {}),
      maxAttempts: 3,
      // Without these a DynamoDB that accepts connections but never answers hangs every request until the
      // Lambda times out. Each attempt fails as a TimeoutError (→ 503, Plivo retries) well inside 10 s.
      requestHandler: {
        connectionTimeout: 1_000,
        requestTimeout: requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    }),
  );
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { doc, tableName, metrics };
};

/** An item read consistently, or undefined when absent or past its TTL (DynamoDB deletes late). */
export const readLive = async <T>(db: Db, key: Key, now: number): Promise<T | undefined> => {
  const { Item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return Item && !isExpired(Item, now) ? (Item as T) : undefined;
};
