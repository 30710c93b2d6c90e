import { describe, expect, it } from 'vitest';
import { lastUsedEveryMs } from '../../../functions/shared/rules/api-keys.js';
import {
  apiKeyRead,
  apiKeysQuery,
  lastUsedUpdate,
  newApiKeyPut,
  revokeUpdate,
} from '../../../functions/shared/store/items/api-key.js';

const table = 'callgate';
const keyId = '0123456789abcdef';
const key = { pk: 'APIKEY', sk: `KEY#${keyId}` };
const now = 1_800_000_000_000;

describe('API key items', () => {
  it('are created once under the keys’ partition, with the hash and never the key', () => {
    const put = newApiKeyPut(table, {
      keyId,
      name: 'crm',
      scopes: ['calls:write'],
      createdAt: now,
      hash: 'h',
    });
    expect(put).toEqual({
      TableName: table,
      Item: { ...key, keyId, name: 'crm', scopes: ['calls:write'], createdAt: now, hash: 'h' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('are read with one eventually consistent GetItem', () => {
    expect(apiKeyRead(table, keyId)).toEqual({ TableName: table, Key: key });
  });

  it('move lastUsedAt only on a standing key whose time is old enough', () => {
    expect(lastUsedUpdate(table, keyId, now)).toEqual({
      TableName: table,
      Key: key,
      UpdateExpression: 'SET lastUsedAt = :now',
      ConditionExpression:
        'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :due)',
      ExpressionAttributeValues: { ':now': now, ':due': now - lastUsedEveryMs },
    });
  });

  it('keep their first revocation', () => {
    expect(revokeUpdate(table, keyId, now)).toEqual({
      TableName: table,
      Key: key,
      UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':now': now },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('are listed from their partition without the hash', () => {
    const query = apiKeysQuery(table);
    expect(query.KeyConditionExpression).toBe('pk = :pk');
    expect(query.ExpressionAttributeValues).toEqual({ ':pk': 'APIKEY' });
    expect(Object.values(query.ExpressionAttributeNames).sort()).toEqual(
      ['createdAt', 'keyId', 'lastUsedAt', 'name', 'revokedAt', 'scopes'].sort(),
    );
    expect(query.ProjectionExpression.split(', ').sort()).toEqual(
      Object.keys(query.ExpressionAttributeNames).sort(),
    );
    expect(query).not.toHaveProperty('ExclusiveStartKey');
    expect(apiKeysQuery(table, key).ExclusiveStartKey).toEqual(key);
  });
});
