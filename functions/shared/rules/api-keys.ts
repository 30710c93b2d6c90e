import * as z from 'zod';

/** The business API's route groups: each is IAM or API keys, as the configuration's `api.auth` says. */
export const routeGroups = ['calls', 'permissions', 'intents', 'numbers'] as const;
export type RouteGroup = (typeof routeGroups)[number];

/** What an API key may do: each `/v1` route needs one of these (functions/shared/routes.ts). */
export const apiKeyScopes = [
  'calls:write',
  'calls:read',
  'permissions:read',
  'permissions:write',
  'intents:write',
  'intents:read',
  'numbers:write',
] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/** A scope's route group: the word before its colon. */
export const groupOfScope = (scope: ApiKeyScope): RouteGroup =>
  scope.slice(0, scope.indexOf(':')) as RouteGroup;

export const routeAuthKinds = ['iam', 'api-key'] as const;
export type RouteAuthKind = (typeof routeAuthKinds)[number];

const groupAuth = z.enum(routeAuthKinds).default('iam');

/** `api.auth`: how each route group's callers authenticate; IAM unless the configuration says so. */
export const apiAuthSettings = () =>
  z
    .strictObject({
      auth: z
        .strictObject(
          Object.fromEntries(routeGroups.map((group) => [group, groupAuth])) as Record<
            RouteGroup,
            typeof groupAuth
          >,
        )
        .prefault({}),
    })
    .prefault({});

export type ApiAuthSettings = z.infer<ReturnType<typeof apiAuthSettings>>;

/** How the callers of a route needing `scope` authenticate. */
export const authOfScope = (settings: ApiAuthSettings, scope: ApiKeyScope): RouteAuthKind =>
  settings.auth[groupOfScope(scope)];

export const usesApiKeys = (settings: ApiAuthSettings): boolean =>
  routeGroups.some((group) => settings.auth[group] === 'api-key');

/**
 * The key a caller holds: `cg_<keyId>_<secret>`, the id 16 hex digits (looked up), the secret 32 random
 * bytes in base64url (43 characters, hashed). The id has no `_`, so the first two split it unambiguously.
 */
const apiKeyPattern = /^cg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const keyIdPattern = /^[0-9a-f]{16}$/;

export interface ApiKeyParts {
  readonly keyId: string;
  readonly secret: string;
}

export const formatApiKey = ({ keyId, secret }: ApiKeyParts): string => `cg_${keyId}_${secret}`;

/**
 * The key in an `Authorization: Bearer <key>` header, or undefined when the header holds none. The
 * scheme is case-insensitive (RFC 9110), the key is not.
 */
export const keyOfHeader = (header: string): ApiKeyParts | undefined => {
  const match = /^bearer ([^ ]+)$/i.exec(header);
  const parts = match?.[1] ? apiKeyPattern.exec(match[1]) : null;
  return parts?.[1] && parts[2] ? { keyId: parts[1], secret: parts[2] } : undefined;
};

/** A key's name appears in logs and on events (`key:<name>`): plain characters only. */
export const keyNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'a key name is 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
  );

export const keyScopesSchema = z
  .array(z.enum(apiKeyScopes, { error: `a scope is one of ${apiKeyScopes.join(', ')}` }))
  .min(1, 'a key needs at least one scope')
  .transform((scopes) => [...new Set(scopes)].sort());

/** The scope a request needs and the key lacks; the authorizer's context carries scopes space-separated. */
export const missingScope = (granted: string, needed: ApiKeyScope): ApiKeyScope | undefined =>
  granted.split(' ').includes(needed) ? undefined : needed;

/**
 * `lastUsedAt` is rewritten at most this often per key: a busy key costs one write per 10 minutes, not
 * one per request (the authorizer writes only when its read shows an older time).
 */
export const lastUsedEveryMs = 10 * 60_000;

export const lastUsedIsDue = (lastUsedAt: number | undefined, now: number): boolean =>
  lastUsedAt === undefined || now - lastUsedAt >= lastUsedEveryMs;
