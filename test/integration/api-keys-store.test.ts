import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  secretHash,
} from '../../functions/shared/operations/api-keys.js';
import { lastUsedEveryMs } from '../../functions/shared/rules/api-keys.js';
import type { Db } from '../../functions/shared/store/client.js';
import { keys } from '../../functions/shared/store/keys.js';
import { createTestDb, readItem, scanTable } from '../support/dynamo.js';

const now = 1_800_000_000_000;
const bearer = (key: string) => `Bearer ${key}`;

describe('API keys in DynamoDB Local', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb();
  });

  it('stores the secret’s hash, never the key, and shows the key once', async () => {
    const created = await createApiKey(db, { name: 'crm', scopes: ['calls:write'] }, now);
    expect(created.apiKey).toMatch(/^cg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = created.apiKey.slice(20);
    const item = await readItem(db, keys.apiKey(created.view.keyId));
    expect(item).toEqual({
      ...keys.apiKey(created.view.keyId),
      keyId: created.view.keyId,
      name: 'crm',
      scopes: ['calls:write'],
      createdAt: now,
      hash: secretHash(secret),
    });
    expect(JSON.stringify(await scanTable(db))).not.toContain(secret);
    expect(created.view).toEqual({
      keyId: created.view.keyId,
      name: 'crm',
      scopes: ['calls:write'],
      createdAt: now,
    });
  });

  it('authorizes the key and tells its name and scopes', async () => {
    const { apiKey, view } = await createApiKey(
      db,
      { name: 'dialer', scopes: ['calls:read', 'calls:write'] },
      now,
    );
    expect(await authorizeApiKey(db, bearer(apiKey), now)).toEqual({
      kind: 'authorized',
      keyId: view.keyId,
      name: 'dialer',
      scopes: ['calls:read', 'calls:write'],
    });
  });

  it('refuses a malformed, unknown, wrong or revoked key, telling callgate why', async () => {
    const { apiKey, view } = await createApiKey(db, { name: 'zap', scopes: ['intents:read'] }, now);
    const otherSecret = `${apiKey.slice(0, 20)}${'B'.repeat(43)}`;
    const unknownId = `cg_${'f'.repeat(16)}_${apiKey.slice(20)}`;
    expect(await authorizeApiKey(db, apiKey, now)).toEqual({
      kind: 'refused',
      reason: 'malformed',
    });
    expect(await authorizeApiKey(db, bearer(unknownId), now)).toEqual({
      kind: 'refused',
      reason: 'unknown',
      keyId: 'f'.repeat(16),
    });
    expect(await authorizeApiKey(db, bearer(otherSecret), now)).toEqual({
      kind: 'refused',
      reason: 'wrong_secret',
      keyId: view.keyId,
    });
    expect(await revokeApiKey(db, view.keyId, now + 1)).toEqual({
      kind: 'revoked',
      view: { ...view, lastUsedAt: undefined, revokedAt: now + 1 },
    });
    expect(await authorizeApiKey(db, bearer(apiKey), now + 2)).toEqual({
      kind: 'refused',
      reason: 'revoked',
      keyId: view.keyId,
    });
    // A wrong secret on a revoked key is a wrong secret: nothing about the key is told for it.
    expect((await authorizeApiKey(db, bearer(otherSecret), now + 2)).kind).toBe('refused');
  });

  it('revokes once: a second revocation keeps the first time; an unknown id is unknown', async () => {
    const { view } = await createApiKey(db, { name: 'old', scopes: ['calls:read'] }, now);
    const first = await revokeApiKey(db, view.keyId, now + 10);
    const again = await revokeApiKey(db, view.keyId, now + 20);
    expect(first).toEqual(again);
    expect(again.kind === 'revoked' && again.view.revokedAt).toBe(now + 10);
    expect(await revokeApiKey(db, 'f'.repeat(16), now)).toEqual({ kind: 'unknown_key' });
    expect(await revokeApiKey(db, 'not-an-id', now)).toEqual({ kind: 'unknown_key' });
    expect(await readItem(db, keys.apiKey('f'.repeat(16)))).toBeUndefined();
  });

  it('writes lastUsedAt once per period however many requests race, and never on a revoked key', async () => {
    const { apiKey, view } = await createApiKey(db, { name: 'busy', scopes: ['calls:read'] }, now);
    const key = keys.apiKey(view.keyId);
    const authorizeAt = (at: number) =>
      Promise.all(Array.from({ length: 20 }, () => authorizeApiKey(db, bearer(apiKey), at)));
    expect(new Set((await authorizeAt(now)).map((o) => o.kind))).toEqual(new Set(['authorized']));
    expect((await readItem(db, key))?.lastUsedAt).toBe(now);
    await authorizeAt(now + lastUsedEveryMs - 1);
    expect((await readItem(db, key))?.lastUsedAt).toBe(now);
    await authorizeAt(now + lastUsedEveryMs);
    expect((await readItem(db, key))?.lastUsedAt).toBe(now + lastUsedEveryMs);
    // Revoked between an authorizer's read and its write: the write does not land.
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: key,
        UpdateExpression: 'SET revokedAt = :at',
        ExpressionAttributeValues: { ':at': now },
      }),
    );
    const { recordApiKeyUse } = await import('../../functions/shared/store/items/api-key.js');
    expect(await recordApiKeyUse(db, view.keyId, now + 3 * lastUsedEveryMs)).toBe('skipped');
    expect((await readItem(db, key))?.lastUsedAt).toBe(now + lastUsedEveryMs);
  });

  it('still authorizes a key when recording its use is throttled, and says so', async () => {
    const { apiKey, view } = await createApiKey(
      db,
      { name: 'throttled', scopes: ['calls:read'] },
      now,
    );
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ThrottlingException',
    });
    // Before the SDK's retries: the write fails as it would once they are spent.
    db.doc.middlewareStack.add(
      (next) => async (args) => {
        if ('UpdateExpression' in (args.input as object)) throw throttled;
        return next(args);
      },
      { step: 'initialize', name: 'throttleUpdates' },
    );
    try {
      expect(await authorizeApiKey(db, bearer(apiKey), now)).toEqual({
        kind: 'authorized',
        keyId: view.keyId,
        name: 'throttled',
        scopes: ['calls:read'],
        useUnrecorded: throttled,
      });
    } finally {
      db.doc.middlewareStack.remove('throttleUpdates');
    }
    expect((await readItem(db, keys.apiKey(view.keyId)))?.lastUsedAt).toBeUndefined();
  });

  it('takes a resent Put of the same key as created, and another key under its id as taken', async () => {
    const { putApiKey } = await import('../../functions/shared/store/items/api-key.js');
    const stored = {
      keyId: 'e'.repeat(16),
      name: 'resent',
      scopes: ['calls:read' as const],
      createdAt: now,
      hash: secretHash('one secret'),
    };
    expect(await putApiKey(db, stored)).toBe('created');
    expect(await putApiKey(db, stored)).toBe('created');
    expect(await putApiKey(db, { ...stored, hash: secretHash('another secret') })).toBe('taken');
    expect((await readItem(db, keys.apiKey(stored.keyId)))?.hash).toBe(stored.hash);
  });

  it('lists every key, oldest first, without hashes', async () => {
    const listed = await listApiKeys(db);
    expect(listed.map((key) => key.name).sort()).toEqual([
      'busy',
      'crm',
      'dialer',
      'old',
      'resent',
      'throttled',
      'zap',
    ]);
    expect(JSON.stringify(listed)).not.toContain('hash');
    // Thirty more, created one millisecond apart: all listed, oldest first.
    const many = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        createApiKey(db, { name: `k${i}`, scopes: ['calls:read'] }, now + 100 + i),
      ),
    );
    const all = await listApiKeys(db);
    expect(all.length).toBe(7 + many.length);
    expect(all.slice(7).map((key) => key.name)).toEqual(many.map((_, i) => `k${i}`));
  });
});
