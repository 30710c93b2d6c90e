import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, readLive } from './client.js';
import { attributeNames, type CancellationReason, itemAtFailure } from './conditions.js';
import { keys } from './keys.js';
import { ttlFromMillis } from './table.js';

/** What POST /v1/calls answers with 201, kept in the idempotency record for retries. */
export interface PlacedCallResponse {
  readonly callId: string;
  readonly requestUuid: string;
  readonly from: string;
  readonly to: string;
  readonly agent: string;
  readonly status: 'placing';
}

/** The first request seen with an Idempotency-Key. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  /** pending: reserved, Plivo not answered yet; placed: `response` is what the client got. */
  readonly status: 'pending' | 'placed';
  readonly response?: PlacedCallResponse;
}

export interface IdempotencyKey {
  readonly key: string;
  /** What the request asked for, so a key reused for another request is told apart. */
  readonly requestHash: string;
}

/** How long an Idempotency-Key is remembered. */
const idempotencyRetentionMs = 24 * 3600 * 1000;

const idempotencyRecord = (item: Record<string, unknown>): IdempotencyRecord => ({
  requestHash: String(item.requestHash ?? ''),
  status: item.status === 'placed' ? 'placed' : 'pending',
  ...(typeof item.response === 'string'
    ? { response: JSON.parse(item.response) as PlacedCallResponse }
    : {}),
});

export const readIdempotency = async (
  db: Db,
  business: string,
  key: string,
  now: number,
): Promise<IdempotencyRecord | undefined> => {
  const item = await readLive<Record<string, unknown>>(db, keys.idempotency(business, key), now);
  return item ? idempotencyRecord(item) : undefined;
};

/** The record as a placement transaction found it, when the key's condition failed. */
export const idempotencyAtFailure = (reason: CancellationReason): IdempotencyRecord =>
  idempotencyRecord(itemAtFailure<Record<string, unknown>>(reason) ?? {});

/** For the placement transaction: the key's first use, pending until Plivo answers. */
export const pendingIdempotencyPut = (
  tableName: string,
  business: string,
  idempotency: IdempotencyKey,
  callId: string,
  now: number,
) => ({
  TableName: tableName,
  Item: {
    ...keys.idempotency(business, idempotency.key),
    requestHash: idempotency.requestHash,
    status: 'pending',
    callId,
    ttl: ttlFromMillis(now + idempotencyRetentionMs),
  },
  // An expired record DynamoDB has not deleted yet counts as absent.
  ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :nowSeconds',
  ExpressionAttributeNames: attributeNames('ttl'),
  ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/** Keeps the answer the client got, so a retry with the same Idempotency-Key gets it again. */
export const recordPlacedResponse = async (
  db: Db,
  business: string,
  key: string,
  response: PlacedCallResponse,
): Promise<void> => {
  await db.doc.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: keys.idempotency(business, key),
      UpdateExpression: 'SET #status = :placed, #response = :response',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: attributeNames('status', 'response'),
      ExpressionAttributeValues: { ':placed': 'placed', ':response': JSON.stringify(response) },
    }),
  );
};
