import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, readLive } from '../client.js';
import { attributeNames, type CancellationReason, itemAtFailure } from '../conditions.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';

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
  /** The call the request reserved. */
  readonly callId: string;
  /** When the request reserved it (epoch ms). */
  readonly createdAt: number;
  readonly response?: PlacedCallResponse;
}

export interface IdempotencyKey {
  /** The stored key, from `idempotencyKeys`. */
  readonly key: string;
  /** What the request asked for, so a key reused for another request is told apart. */
  readonly requestHash: string;
}

/**
 * The stored key of a placement's idempotency. A client's Idempotency-Key and the key callgate places
 * an intent's one call with live in separate namespaces: whatever a client sends (`intent:<id>`
 * included) stays a client key and can never take an intent's call. A client key is one per API, not
 * per business number: reused with another number, it is the same key for another request.
 */
export const idempotencyKeys = {
  client: (header: string): string => `client#${header}`,
  intent: (intentId: string): string => `intent#${intentId}`,
};

/** How long an Idempotency-Key is remembered. */
const idempotencyRetentionMs = 24 * 3600 * 1000;

/**
 * How long a pending key stands before a retry with it may take its reservation over: longer than any
 * request can still be working on it (the 10 s Lambda timeout bounds the store's 5 s retry budget and
 * Plivo's 5 s), with room for the clocks of different Lambdas to disagree. Until then the key's first
 * request may still place the call.
 */
export const pendingTakeoverMs = 30_000;

/** When a retry with the key may take over the pending reservation of its first request. */
export const takeoverAt = (record: IdempotencyRecord): number =>
  record.createdAt + pendingTakeoverMs;

const createdAt = (item: Record<string, unknown>): number => {
  if (typeof item.createdAt === 'number') return item.createdAt;
  // Kept before `createdAt` was written: the TTL, set from the same instant, tells it to the second.
  const ttl = Number(item.ttl);
  return Number.isFinite(ttl) ? ttl * 1000 - idempotencyRetentionMs : 0;
};

const idempotencyRecord = (item: Record<string, unknown>): IdempotencyRecord => ({
  requestHash: String(item.requestHash ?? ''),
  status: item.status === 'placed' ? 'placed' : 'pending',
  callId: String(item.callId ?? ''),
  createdAt: createdAt(item),
  ...(typeof item.response === 'string'
    ? { response: JSON.parse(item.response) as PlacedCallResponse }
    : {}),
});

export const readIdempotency = async (
  db: Db,
  key: string,
  now: number,
): Promise<IdempotencyRecord | undefined> => {
  const item = await readLive<Record<string, unknown>>(db, keys.idempotency(key), now);
  return item ? idempotencyRecord(item) : undefined;
};

/** The record as a placement transaction found it, when the key's condition failed. */
export const idempotencyAtFailure = (reason: CancellationReason): IdempotencyRecord =>
  idempotencyRecord(itemAtFailure<Record<string, unknown>>(reason) ?? {});

/** For the placement transaction: the key's first use, pending until Plivo answers. */
export const pendingIdempotencyPut = (
  tableName: string,
  idempotency: IdempotencyKey,
  callId: string,
  now: number,
) => ({
  TableName: tableName,
  Item: {
    ...keys.idempotency(idempotency.key),
    requestHash: idempotency.requestHash,
    status: 'pending',
    callId,
    createdAt: now,
    ttl: ttlFromMillis(now + idempotencyRetentionMs),
  },
  // An expired record DynamoDB has not deleted yet counts as absent.
  ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :nowSeconds',
  ExpressionAttributeNames: attributeNames('ttl'),
  ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * For a release: deletes the key's record while it is still pending for `callId`, so neither a release
 * nor a takeover can delete a record that another request's reservation wrote since.
 */
export const pendingIdempotencyDelete = (tableName: string, key: string, callId: string) => ({
  TableName: tableName,
  Key: keys.idempotency(key),
  ConditionExpression: '#status = :pending AND #callId = :callId',
  ExpressionAttributeNames: attributeNames('status', 'callId'),
  ExpressionAttributeValues: { ':pending': 'pending', ':callId': callId },
});

/** Keeps the answer the client got, so a retry with the same Idempotency-Key gets it again. */
export const recordPlacedResponse = async (
  db: Db,
  key: string,
  response: PlacedCallResponse,
): Promise<void> => {
  await db.doc.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: keys.idempotency(key),
      UpdateExpression: 'SET #status = :placed, #response = :response',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: attributeNames('status', 'response'),
      ExpressionAttributeValues: { ':placed': 'placed', ':response': JSON.stringify(response) },
    }),
  );
};
