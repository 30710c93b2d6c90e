import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ApiKeyScope,
  formatApiKey,
  keyIdPattern,
  keyOfHeader,
  lastUsedIsDue,
} from '../rules/api-keys.js';
import type { Db } from '../store/client.js';
import {
  type ApiKeyRecord,
  listApiKeyItems,
  putApiKey,
  readApiKey,
  recordApiKeyUse,
  revokeApiKeyItem,
  type StoredApiKey,
} from '../store/items/api-key.js';

/**
 * A plain SHA-256 of the secret, no slow hash and no pepper: the secret is 32 random bytes, so nobody
 * can guess it from the hash whatever the hash costs (slow hashes protect low-entropy passwords), and a
 * fast one keeps an uncached authorization to one GetItem and microseconds of CPU. A pepper would add a
 * secret to keep and rotate for no gain against 256 bits.
 */
export const secretHash = (secret: string): string =>
  createHash('sha256').update(secret).digest('base64url');

/** Compared against when the key id is unknown, so that an unknown key costs the same hash and compare. */
const absentHash = secretHash('no such key');

const hashesMatch = (stored: string, presented: string): boolean => {
  const a = Buffer.from(stored, 'base64url');
  const b = Buffer.from(presented, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
};

/** What a listing shows of a key: never its hash. */
export const apiKeyView = (key: ApiKeyRecord | StoredApiKey): ApiKeyRecord => ({
  keyId: key.keyId,
  name: key.name,
  scopes: key.scopes,
  createdAt: key.createdAt,
  ...(key.lastUsedAt === undefined ? {} : { lastUsedAt: key.lastUsedAt }),
  ...(key.revokedAt === undefined ? {} : { revokedAt: key.revokedAt }),
});

export interface NewApiKey {
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
}

export type CreateApiKeyOutcome = {
  readonly kind: 'created';
  /** The key itself, shown this once: the table keeps only its hash. */
  readonly apiKey: string;
  readonly view: ApiKeyRecord;
};

export const createApiKey = async (
  db: Db,
  request: NewApiKey,
  now: number,
): Promise<CreateApiKeyOutcome> => {
  for (;;) {
    const parts = {
      keyId: randomBytes(8).toString('hex'),
      secret: randomBytes(32).toString('base64url'),
    };
    const stored: StoredApiKey = {
      keyId: parts.keyId,
      name: request.name,
      scopes: request.scopes,
      createdAt: now,
      hash: secretHash(parts.secret),
    };
    if ((await putApiKey(db, stored)) === 'created') {
      return { kind: 'created', apiKey: formatApiKey(parts), view: apiKeyView(stored) };
    }
  }
};

export const listApiKeys = async (db: Db): Promise<readonly ApiKeyRecord[]> =>
  (await listApiKeyItems(db)).map(apiKeyView).sort((a, b) => a.createdAt - b.createdAt);

export type RevokeApiKeyOutcome =
  | { readonly kind: 'revoked'; readonly view: ApiKeyRecord }
  | { readonly kind: 'unknown_key' };

/** Sets `revokedAt` once; revoking a revoked key answers it as it stands. */
export const revokeApiKey = async (
  db: Db,
  keyId: string,
  now: number,
): Promise<RevokeApiKeyOutcome> => {
  if (!keyIdPattern.test(keyId)) return { kind: 'unknown_key' };
  const revoked = await revokeApiKeyItem(db, keyId, now);
  return revoked ? { kind: 'revoked', view: apiKeyView(revoked) } : { kind: 'unknown_key' };
};

/** Why a key was refused: for callgate's own logs and counts, never for the caller. */
export type KeyRefusal = 'malformed' | 'unknown' | 'wrong_secret' | 'revoked';

export type AuthorizeOutcome =
  | {
      readonly kind: 'authorized';
      readonly keyId: string;
      readonly name: string;
      readonly scopes: readonly ApiKeyScope[];
      /** Recording `lastUsedAt` failed (throttled, say): the key stands, the record waits for its next use. */
      readonly useUnrecorded?: unknown;
    }
  | { readonly kind: 'refused'; readonly reason: KeyRefusal; readonly keyId?: string };

/**
 * An `Authorization` header's key checked against its item: one GetItem by the key's id, the hashes
 * compared in constant time (against a stand-in when the id is unknown), and, when the item's
 * `lastUsedAt` is old enough, one conditional UpdateItem.
 */
export const authorizeApiKey = async (
  db: Db,
  header: string,
  now: number,
): Promise<AuthorizeOutcome> => {
  const parts = keyOfHeader(header);
  if (!parts) return { kind: 'refused', reason: 'malformed' };
  const stored = await readApiKey(db, parts.keyId);
  const matches = hashesMatch(stored?.hash ?? absentHash, secretHash(parts.secret));
  if (!stored) return { kind: 'refused', reason: 'unknown', keyId: parts.keyId };
  if (!matches) return { kind: 'refused', reason: 'wrong_secret', keyId: parts.keyId };
  if (stored.revokedAt !== undefined) {
    return { kind: 'refused', reason: 'revoked', keyId: parts.keyId };
  }
  const authorized = {
    kind: 'authorized',
    keyId: stored.keyId,
    name: stored.name,
    scopes: stored.scopes,
  } as const;
  if (!lastUsedIsDue(stored.lastUsedAt, now)) return authorized;
  // A bookkeeping write: its failure must not turn a good key into API Gateway's 500.
  try {
    await recordApiKeyUse(db, stored.keyId, now);
    return authorized;
  } catch (error) {
    return { ...authorized, useUnrecorded: error };
  }
};
