import { describe, expect, it } from 'vitest';
import {
  type ApiAuthSettings,
  apiAuthSettings,
  apiKeyScopes,
  authOfScope,
  formatApiKey,
  groupOfScope,
  keyNameSchema,
  keyOfHeader,
  keyScopesSchema,
  lastUsedEveryMs,
  lastUsedIsDue,
  missingScope,
  routeGroups,
  usesApiKeys,
} from '../../../functions/shared/rules/api-keys.js';

const keyId = '0123456789abcdef';
const secret = `${'A'.repeat(20)}_-${'z'.repeat(21)}`;
const key = `cg_${keyId}_${secret}`;

describe('the key a caller holds', () => {
  it('is cg_<16 hex digits>_<43 base64url characters>', () => {
    expect(secret).toHaveLength(43);
    expect(formatApiKey({ keyId, secret })).toBe(key);
    expect(keyOfHeader(`Bearer ${key}`)).toEqual({ keyId, secret });
    expect(keyOfHeader(`bearer ${key}`)).toEqual({ keyId, secret });
    expect(keyOfHeader(`BEARER ${key}`)).toEqual({ keyId, secret });
  });

  it('splits a secret holding `_` at the id: the id has none', () => {
    const underscores = `${'_'.repeat(42)}x`;
    expect(keyOfHeader(`Bearer cg_${keyId}_${underscores}`)).toEqual({
      keyId,
      secret: underscores,
    });
  });

  it.each([
    ['no scheme', key],
    ['another scheme', `Basic ${key}`],
    ['a word before the scheme', `XBearer ${key}`],
    ['an upper-case prefix', `Bearer CG_${keyId}_${secret}`],
    ['two spaces', `Bearer  ${key}`],
    ['a trailing word', `Bearer ${key} x`],
    ['another prefix', `Bearer xx_${keyId}_${secret}`],
    ['an upper-case id', `Bearer cg_${keyId.toUpperCase()}_${secret}`],
    ['a short id', `Bearer cg_${keyId.slice(1)}_${secret}`],
    ['a short secret', `Bearer cg_${keyId}_${secret.slice(1)}`],
    ['a long secret', `Bearer cg_${keyId}_${secret}A`],
    ['a secret outside base64url', `Bearer cg_${keyId}_${secret.slice(1)}+`],
    ['nothing after the scheme', 'Bearer '],
    ['an empty header', ''],
  ])('is not read from a header with %s', (_, header) => {
    expect(keyOfHeader(header)).toBeUndefined();
  });
});

describe('scopes', () => {
  it('name their route group before the colon', () => {
    expect(apiKeyScopes.map(groupOfScope)).toEqual([
      'calls',
      'calls',
      'permissions',
      'permissions',
      'intents',
      'intents',
      'numbers',
    ]);
    expect(new Set(apiKeyScopes.map(groupOfScope))).toEqual(new Set(routeGroups));
  });

  it('are checked one by one in the space-separated list', () => {
    expect(missingScope('calls:write calls:read', 'calls:write')).toBeUndefined();
    expect(missingScope('calls:read calls:write', 'calls:write')).toBeUndefined();
    expect(missingScope('calls:read', 'calls:write')).toBe('calls:write');
    expect(missingScope('calls:writer', 'calls:write')).toBe('calls:write');
    expect(missingScope('', 'numbers:write')).toBe('numbers:write');
    expect(missingScope('calls:write,calls:read', 'calls:read')).toBe('calls:read');
  });

  it('are read from a list: known ones, at least one, each once, sorted', () => {
    expect(keyScopesSchema.parse(['intents:read', 'calls:write', 'calls:write'])).toEqual([
      'calls:write',
      'intents:read',
    ]);
    expect(keyScopesSchema.safeParse([]).error?.issues[0]?.message).toBe(
      'a key needs at least one scope',
    );
    expect(keyScopesSchema.safeParse(['calls:delete']).error?.issues[0]?.message).toBe(
      `a scope is one of ${apiKeyScopes.join(', ')}`,
    );
  });
});

describe('key names', () => {
  it.each(['crm', 'HubSpot-prod', 'zendesk.eu_2', 'a', 'x'.repeat(64)])('accept %s', (name) => {
    expect(keyNameSchema.safeParse(name).success).toBe(true);
  });
  it.each(['', '-crm', '.crm', 'my crm', 'crm\n', 'x'.repeat(65), 'crm:prod', 'crm/1'])(
    'refuse %j',
    (name) => {
      expect(keyNameSchema.safeParse(name).error?.issues[0]?.message).toBe(
        'a key name is 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
      );
    },
  );
});

describe('api.auth', () => {
  const settings = (auth: Record<string, string>): ApiAuthSettings =>
    apiAuthSettings().parse({ auth });

  it('gives each scope its group’s way in', () => {
    const mixed = settings({ calls: 'api-key', numbers: 'api-key' });
    expect(authOfScope(mixed, 'calls:read')).toBe('api-key');
    expect(authOfScope(mixed, 'calls:write')).toBe('api-key');
    expect(authOfScope(mixed, 'numbers:write')).toBe('api-key');
    expect(authOfScope(mixed, 'permissions:write')).toBe('iam');
    expect(authOfScope(mixed, 'intents:read')).toBe('iam');
  });

  it('uses API keys when one group does', () => {
    expect(usesApiKeys(settings({}))).toBe(false);
    expect(usesApiKeys(settings({ calls: 'iam' }))).toBe(false);
    for (const group of routeGroups) {
      expect(usesApiKeys(settings({ [group]: 'api-key' }))).toBe(true);
    }
  });

  it('refuses an unknown group or way in', () => {
    expect(apiAuthSettings().safeParse({ auth: { calls: 'token' } }).success).toBe(false);
    expect(apiAuthSettings().safeParse({ auth: { history: 'iam' } }).success).toBe(false);
    expect(apiAuthSettings().safeParse({ keys: {} }).success).toBe(false);
  });
});

describe('lastUsedAt', () => {
  const now = 1_800_000_000_000;
  it('is due without one, or once it is lastUsedEveryMs old', () => {
    expect(lastUsedIsDue(undefined, now)).toBe(true);
    expect(lastUsedIsDue(now - lastUsedEveryMs, now)).toBe(true);
    expect(lastUsedIsDue(now - lastUsedEveryMs + 1, now)).toBe(false);
    expect(lastUsedIsDue(now, now)).toBe(false);
  });
});
