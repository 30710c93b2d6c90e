import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiKeyAuthorizer } from '../functions/api-key-authorizer/handler.js';
import type { Config } from '../functions/shared/config/schema.js';
import type { Logger } from '../functions/shared/log.js';
import type { Route } from '../functions/shared/routes.js';
import { authOfScope } from '../functions/shared/rules/api-keys.js';

/** What the host does before a route's handler: serve it (with the authorizer's context) or answer. */
export type RouteAdmission =
  | { readonly kind: 'serve'; readonly event: APIGatewayProxyEventV2 }
  | { readonly kind: 'answer'; readonly status: number; readonly body: string };

/** API Gateway's own bodies for what its authorizers refuse: the same locally as on AWS. */
export const gatewayAnswers = {
  unauthorized: { kind: 'answer', status: 401, body: '{"message":"Unauthorized"}' },
  forbidden: { kind: 'answer', status: 403, body: '{"message":"Forbidden"}' },
  authorizerFailed: { kind: 'answer', status: 500, body: '{"message":"Internal Server Error"}' },
} as const satisfies Record<string, RouteAdmission>;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

export interface RouteAuthOptions {
  readonly config: Config;
  /** Stands in for IAM on the routes of IAM groups: `Authorization: Bearer <apiToken>` (API_TOKEN). */
  readonly apiToken?: string | undefined;
  /** The API-key authorizer's handler, the one Lambda runs. */
  readonly authorizer: ApiKeyAuthorizer;
  readonly logger: Logger;
}

/**
 * The host in API Gateway's place in front of a business route. A group the configuration gives API
 * keys runs the authorizer's handler as API Gateway would: no header 401, refused 403, its context put
 * at `requestContext.authorizer.lambda`; there is no cache, so a revoked key stops at once. An IAM group
 * has no SigV4 here: open, or the API_TOKEN bearer when one is set.
 */
export const createRouteAuth = (options: RouteAuthOptions) => {
  const expectedBearer = options.apiToken ? sha256(`Bearer ${options.apiToken}`) : undefined;
  return async (route: Route, event: APIGatewayProxyEventV2): Promise<RouteAdmission> => {
    if (route.auth !== 'business') return { kind: 'serve', event };
    const header = event.headers.authorization;
    if (authOfScope(options.config.api, route.scope) === 'iam') {
      if (!expectedBearer || timingSafeEqual(sha256(header ?? ''), expectedBearer)) {
        return { kind: 'serve', event };
      }
      return {
        kind: 'answer',
        status: 401,
        body: JSON.stringify({ error: 'unauthorized', message: 'Missing or wrong bearer token' }),
      };
    }
    if (!header) return gatewayAnswers.unauthorized;
    let result: Awaited<ReturnType<ApiKeyAuthorizer>>;
    try {
      result = await options.authorizer({ headers: event.headers, identitySource: [header] });
    } catch (error) {
      options.logger.error('api key authorizer failed', { error: error as Error });
      return gatewayAnswers.authorizerFailed;
    }
    if (!result.isAuthorized) return gatewayAnswers.forbidden;
    return {
      kind: 'serve',
      event: {
        ...event,
        requestContext: {
          ...event.requestContext,
          authorizer: { lambda: result.context },
        } as APIGatewayProxyEventV2['requestContext'],
      },
    };
  };
};
