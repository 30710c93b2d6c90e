import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ApiKeyScope, lastUsedEveryMs } from '../../rules/api-keys.js';
import type { Db } from '../client.js';
import { isConditionFailed, itemAtFailure } from '../conditions.js';
import { keyPrefixes, keys } from '../keys.js';

/**
 * API keys, one item each under the one partition `APIKEY` (store/keys.ts). The item holds the
 * SHA-256 of the key's secret, never the key: a read of the table gives no key that works.
 */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: number;
  readonly lastUsedAt?: number;
  readonly revokedAt?: number;
}

export interface StoredApiKey extends ApiKeyRecord {
  /** base64url of the secret's SHA-256. */
  readonly hash: string;
}

/** The attributes a listing returns: everything but the hash. */
const listedAttributes = ['keyId', 'name', 'scopes', 'createdAt', 'lastUsedAt', 'revokedAt'];

/** A new key's Put: refused if the id is taken (a 64-bit random id, so in practice never). */
export const newApiKeyPut = (tableName: string, key: StoredApiKey) => ({
  TableName: tableName,
  Item: { ...keys.apiKey(key.keyId), ...key },
  ConditionExpression: 'attribute_not_exists(pk)',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * `taken` only by another key: the SDK's own retry of a Put whose first attempt landed finds this
 * key's item, with this hash, and that is `created`.
 */
export const putApiKey = async (db: Db, key: StoredApiKey): Promise<'created' | 'taken'> => {
  try {
    await db.doc.send(new PutCommand(newApiKeyPut(db.tableName, key)));
    return 'created';
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return itemAtFailure<StoredApiKey>(error)?.hash === key.hash ? 'created' : 'taken';
  }
};

/**
 * One GetItem, eventually consistent (half a read unit): a key revoked a second ago may pass once more,
 * well inside the authorizer's cache TTL, which already lets it pass for up to a minute.
 */
export const apiKeyRead = (tableName: string, keyId: string) => ({
  TableName: tableName,
  Key: keys.apiKey(keyId),
});

export const readApiKey = async (db: Db, keyId: string): Promise<StoredApiKey | undefined> => {
  const { Item } = await db.doc.send(new GetCommand(apiKeyRead(db.tableName, keyId)));
  return Item as StoredApiKey | undefined;
};

/**
 * `lastUsedAt` moved to `now` only if it is at least `lastUsedEveryMs` old and the key still stands:
 * authorizers racing on one key write it once.
 */
export const lastUsedUpdate = (tableName: string, keyId: string, now: number) => ({
  TableName: tableName,
  Key: keys.apiKey(keyId),
  UpdateExpression: 'SET lastUsedAt = :now',
  ConditionExpression:
    'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :due)',
  ExpressionAttributeValues: { ':now': now, ':due': now - lastUsedEveryMs },
});

export const recordApiKeyUse = async (
  db: Db,
  keyId: string,
  now: number,
): Promise<'recorded' | 'skipped'> => {
  try {
    await db.doc.send(new UpdateCommand(lastUsedUpdate(db.tableName, keyId, now)));
    return 'recorded';
  } catch (error) {
    if (isConditionFailed(error)) return 'skipped';
    throw error;
  }
};

/** Revocation keeps the first `revokedAt`: revoking again changes nothing. */
export const revokeUpdate = (tableName: string, keyId: string, now: number) => ({
  TableName: tableName,
  Key: keys.apiKey(keyId),
  UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
  ConditionExpression: 'attribute_exists(pk)',
  ExpressionAttributeValues: { ':now': now },
  ReturnValues: 'ALL_NEW' as const,
});

export const revokeApiKeyItem = async (
  db: Db,
  keyId: string,
  now: number,
): Promise<StoredApiKey | undefined> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand(revokeUpdate(db.tableName, keyId, now)),
    );
    return Attributes as StoredApiKey;
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
};

/** A page of the keys, without their hashes: one Query of the keys' partition. */
export const apiKeysQuery = (tableName: string, startKey?: Record<string, unknown>) => ({
  TableName: tableName,
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': keyPrefixes.apiKey },
  ProjectionExpression: listedAttributes.map((_, i) => `#a${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(listedAttributes.map((name, i) => [`#a${i}`, name])),
  ConsistentRead: true,
  ...(startKey ? { ExclusiveStartKey: startKey } : {}),
});

export const listApiKeyItems = async (db: Db): Promise<ApiKeyRecord[]> => {
  const found: ApiKeyRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(new QueryCommand(apiKeysQuery(db.tableName, startKey)));
    found.push(...((page.Items ?? []) as ApiKeyRecord[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
};
