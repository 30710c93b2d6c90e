import type * as z from 'zod';
import { jsonSchemaOf } from '../config/json-schema.js';
import { plivoPaths, type Route, routes } from '../routes.js';
import {
  cancelCallIntentRoute,
  createCallIntentRoute,
  listCallIntentsRoute,
  readCallIntentRoute,
} from './call-intents.js';
import { callListRoute, callLogRoute, placeCallRoute } from './calls.js';
import type { Example, RouteContract } from './contract.js';
import { type ErrorCode, errorBodySchema, errorStatuses } from './errors.js';
import { healthRoute } from './health.js';
import { pauseLiftRoute } from './numbers.js';
import {
  permissionCorrectionRoute,
  permissionRequestRoute,
  permissionStateRoute,
} from './permissions.js';

export const routeKey = (route: Pick<Route, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

/** The contract of every route the business's systems call, by `routeKey`. */
export const routeContracts: Readonly<Record<string, RouteContract>> = {
  'GET /health': healthRoute,
  'POST /v1/calls': placeCallRoute,
  'GET /v1/calls': callListRoute,
  'GET /v1/calls/{callId}': callLogRoute,
  'GET /v1/permissions/{business}/{user}': permissionStateRoute,
  'PUT /v1/permissions/{business}/{user}': permissionCorrectionRoute,
  'POST /v1/permission-requests': permissionRequestRoute,
  'POST /v1/call-intents': createCallIntentRoute,
  'GET /v1/call-intents': listCallIntentsRoute,
  'GET /v1/call-intents/{intentId}': readCallIntentRoute,
  'DELETE /v1/call-intents/{intentId}': cancelCallIntentRoute,
  'DELETE /v1/numbers/{business}/pause': pauseLiftRoute,
};

type JsonSchema = Record<string, unknown>;

const isRequired = (schema: z.ZodType): boolean => !schema.safeParse(undefined).success;

const parameters = (contract: RouteContract) => {
  const of = (where: 'path' | 'query' | 'header', object: z.ZodObject | undefined) =>
    Object.entries(object?.shape ?? {}).map(([name, schema]) => {
      const values = contract.examples.flatMap((example) => {
        const source =
          where === 'path'
            ? example.request.path
            : where === 'query'
              ? example.request.query
              : example.request.headers;
        const value = source?.[name];
        return value === undefined ? [] : [[example.name, { summary: example.summary, value }]];
      });
      return {
        name,
        in: where,
        required: where === 'path' || isRequired(schema as z.ZodType),
        schema: jsonSchemaOf(schema as z.ZodType, 'input'),
        ...(values.length > 0 ? { examples: Object.fromEntries(values) } : {}),
      };
    });
  return [
    ...of('path', contract.path),
    ...of('query', contract.query),
    ...of('header', contract.headers),
  ];
};

const examplesOf = (examples: readonly Example[], pick: (example: Example) => unknown) =>
  Object.fromEntries(
    examples.flatMap((example) => {
      const value = pick(example);
      return value === undefined ? [] : [[example.name, { summary: example.summary, value }]];
    }),
  );

/** The error body a status may carry on this route: its `error` narrowed to the route's codes there. */
export const errorsByStatus = (contract: RouteContract): Map<number, ErrorCode[]> => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of contract.errors) {
    const status = errorStatuses[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
};

/** The JSON Schema of the body each documented status of the route answers with. */
export const responseSchemas = (contract: RouteContract): Map<number, JsonSchema> =>
  new Map([
    ...Object.entries(contract.responses).map(
      ([status, success]) =>
        [Number(status), jsonSchemaOf(success.schema, 'output')] as [number, JsonSchema],
    ),
    ...[...errorsByStatus(contract)].map(
      ([status, codes]) =>
        [status, jsonSchemaOf(errorBodySchema(codes), 'output')] as [number, JsonSchema],
    ),
  ]);

const jsonContent = (schema: JsonSchema, examples: Record<string, unknown>) => ({
  'application/json': { schema, ...(Object.keys(examples).length > 0 ? { examples } : {}) },
});

const operation = (route: Route, contract: RouteContract) => {
  const schemas = responseSchemas(contract);
  const errors = errorsByStatus(contract);
  const withStatus = (status: number) =>
    contract.examples.filter((example) => example.status === status);
  const responses = Object.fromEntries(
    [...schemas].map(([status, schema]) => {
      const description =
        contract.responses[status]?.description ?? (errors.get(status) ?? []).join(', ');
      return [
        String(status),
        {
          description,
          content: jsonContent(
            schema,
            examplesOf(withStatus(status), (e) => e.response),
          ),
        },
      ];
    }),
  );
  return {
    operationId: `${route.fn}${route.fn === 'call-intents' ? `-${route.method.toLowerCase()}` : ''}`,
    summary: contract.summary,
    description: contract.description,
    tags: [route.path.startsWith('/v1/') ? (route.path.split('/')[2] ?? '') : 'health'],
    security: route.auth === 'business' ? [{ sigv4: [] }, { apiKey: [route.scope] }] : [],
    ...(parameters(contract).length > 0 ? { parameters: parameters(contract) } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: true,
            content: jsonContent(
              jsonSchemaOf(contract.body, 'input'),
              examplesOf(contract.examples, (e) =>
                e.request.rawBody === undefined ? e.request.body : undefined,
              ),
            ),
          },
        }
      : {}),
    responses,
  };
};

/**
 * Plivo's webhooks are described, not specified: Plivo is their only caller, it posts its own form
 * fields (docs/plivo-webhooks.md) signed over the URL it called, and answers are Plivo XML.
 */
const webhookOperation = (route: Route) => ({
  operationId: route.fn,
  summary: `Plivo's webhook: ${Object.entries(plivoPaths).find(([, path]) => path === route.path)?.[0] ?? route.fn}`,
  description:
    "Called by Plivo alone, with Plivo's form fields (docs/plivo-webhooks.md), signed with X-Plivo-Signature-V3 (V2 on the message webhook where allowed). Not for the business's systems.",
  tags: ['plivo'],
  security: [{ plivoSignature: [] }],
  requestBody: {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
  responses: {
    '200': {
      description:
        'Plivo XML (answer, dial status); a JSON summary of what was done (message, hangup), which Plivo does not read.',
      content: {
        'application/xml': { schema: { type: 'string' } },
        'application/json': { schema: { type: 'object' } },
      },
    },
    '403': {
      description: 'bad_signature',
      content: jsonContent(jsonSchemaOf(errorBodySchema(['bad_signature']), 'output'), {}),
    },
  },
});

/** A route of the route table with no contract: the document would be silently short of it. */
export class UndocumentedRouteError extends Error {
  override name = 'UndocumentedRouteError';
}

/** The OpenAPI 3.1 document of every route of the route table, from the schemas the handlers use. */
export const openApiDocument = (version: string) => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const contract = routeContracts[routeKey(route)];
    if (!contract && route.auth !== 'plivo-signature') {
      throw new UndocumentedRouteError(`${routeKey(route)} has no contract in api/openapi.ts`);
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: contract ? operation(route, contract) : webhookOperation(route),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'callgate',
      version,
      description:
        "WhatsApp Business Calling on Plivo with Meta's rules enforced. Generated from the zod schemas the handlers validate with (npm run openapi); docs/api.md explains the routes.",
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [
      {
        url: '{baseUrl}',
        variables: {
          baseUrl: {
            default: 'http://localhost:3000',
            description: "The stack's ApiUrl output, or the local host (npm start)",
          },
        },
      },
    ],
    tags: [
      { name: 'calls' },
      { name: 'call-intents' },
      { name: 'permissions' },
      { name: 'permission-requests' },
      { name: 'numbers' },
      { name: 'health' },
      { name: 'plivo', description: "Plivo's webhooks" },
    ],
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'IAM: requests signed with SigV4 for execute-api (the default on AWS).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            "An API key (`cg_<id>_<secret>`, made with `callgate keys create`) as a bearer token, on the routes of the groups the configuration's `api.auth` gives keys. Each operation names the scope the key needs. On the local host's IAM groups, API_TOKEN stands in for IAM.",
        },
        plivoSignature: {
          type: 'apiKey',
          name: 'X-Plivo-Signature-V3',
          in: 'header',
          description: "Plivo's signature of the URL and body, with the account's auth token.",
        },
      },
    },
  };
};
