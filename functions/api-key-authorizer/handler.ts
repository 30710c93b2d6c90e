import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { Deps } from '../shared/deps.js';
import { authorizeApiKey } from '../shared/operations/api-keys.js';

/** What the route's handler finds at `requestContext.authorizer.lambda`; `scopes` space-separated. */
export interface ApiKeyContext {
  readonly keyId: string;
  readonly keyName: string;
  readonly scopes: string;
}

/** A simple response: the context only with an authorized key. */
export type AuthorizerResult =
  | { readonly isAuthorized: true; readonly context: ApiKeyContext }
  | { readonly isAuthorized: false };

export type AuthorizerDeps = Pick<Deps, 'db' | 'clock' | 'logger' | 'metrics'>;

export type ApiKeyAuthorizer = (
  event: Pick<APIGatewayRequestAuthorizerEventV2, 'headers' | 'identitySource'>,
) => Promise<AuthorizerResult>;

/**
 * API Gateway's Lambda authorizer (payload 2.0, simple responses) of the route groups that take API
 * keys. Its answer is cached per `Authorization` header for every route, so it checks the key only; the
 * route's scope is checked by the route (http/middleware.ts). A refusal says nothing of why: API
 * Gateway answers every one 403 with the same body.
 */
export const createHandler =
  (deps: AuthorizerDeps): ApiKeyAuthorizer =>
  async (event) => {
    const header = event.identitySource?.[0] ?? event.headers?.authorization ?? '';
    const outcome = await authorizeApiKey(deps.db, header, deps.clock());
    if (outcome.kind === 'refused') {
      deps.metrics.count('ApiKeysRefused', { reason: outcome.reason });
      deps.logger.info('api key refused', {
        reason: outcome.reason,
        ...(outcome.keyId ? { keyId: outcome.keyId } : {}),
      });
      return { isAuthorized: false };
    }
    if (outcome.useUnrecorded !== undefined) {
      deps.logger.warn('api key use not recorded', {
        keyId: outcome.keyId,
        error: outcome.useUnrecorded as Error,
      });
    }
    return {
      isAuthorized: true,
      context: { keyId: outcome.keyId, keyName: outcome.name, scopes: outcome.scopes.join(' ') },
    };
  };
