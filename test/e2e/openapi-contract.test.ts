/**
 * The OpenAPI document against the code: every documented example of every route is sent through the
 * local host, on a user of its own, after the state it describes was made; each answer must carry the
 * example's status and be valid against the document's schema of that status, and every error code a
 * route documents must come out of one of its examples.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Example, exampleUser } from '../../functions/shared/api/contract.js';
import type { ErrorCode } from '../../functions/shared/api/errors.js';
import {
  openApiDocument,
  responseSchemas,
  routeContracts,
} from '../../functions/shared/api/openapi.js';
import { parseConfig } from '../../functions/shared/config/load.js';
import { maxBodyBytes } from '../../functions/shared/http/request.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { type LocalHost, openApiPath, sandboxAuthToken } from '../../local/host.js';
import { metaWebhook, pausing } from '../support/account-updates.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { acceptPermission, permissionReply, startTestHost } from '../support/local-host.js';
import { jsonAnswer, type Loopback, startLoopback } from '../support/loopback.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

const apiToken = 'contract-api-token';

/**
 * Codes no example produces, and why: each is a fault or a race that a request alone cannot bring
 * about; the tests named beside them produce it.
 */
const notProducedByAnExample: Partial<Record<ErrorCode, string>> = {
  unavailable:
    'a storage fault (test/faults/dynamodb-outage.test.ts, test/e2e/storage-throttling.test.ts)',
  internal_error: 'a defect',
  forbidden:
    "an API key without the route's scope, on a group the configuration gives keys (test/e2e/api-keys.test.ts)",
  idempotency_conflict:
    'a retry while the first request is still placing (test/faults/placement-unknown-outcome.test.ts)',
  cps_limit:
    'two Call API requests within one second (test/integration/outbound-store.test.ts, test/e2e/call-intents.test.ts)',
  plivo_outcome_unknown:
    'Plivo answering unreadably (test/faults/plivo-unreadable-answers.test.ts)',
};

/** Jamaica's number: paused by Meta in the examples that say so, free-form requests off. */
const jamaica = exampleNumbers.jamaica;

const contractConfig = (rules: Record<string, unknown> = {}) => {
  const config = alwaysOpenExampleConfig({
    account: { callsPerSecond: 1000 },
    rules: { preset: 'plivo-page', businessCallsPer24Hours: 1, ...rules },
  });
  return parseConfig(
    {
      ...config,
      numbers: config.numbers.map((number) =>
        number.number === jamaica
          ? { ...number, freeFormPermissionRequest: { enabled: false } }
          : number,
      ),
    },
    'the contract configuration',
  );
};

interface Sent {
  readonly status: number;
  readonly body: unknown;
}

const send = async (
  host: LocalHost,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; anonymous?: boolean } = {},
): Promise<Sent> => {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: {
      ...(options.anonymous ? {} : { authorization: `Bearer ${apiToken}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
};

const pauseJamaica = async (host: LocalHost) => {
  const now = host.clock.now();
  const body = metaWebhook(pausing(jamaica, now + 86_400_000), now);
  const params = Object.fromEntries(
    Object.entries(body).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  const headers = signV3({
    method: 'POST',
    url: `${host.publicBaseUrl}${plivoPaths.message}`,
    params,
    authToken: sandboxAuthToken,
  });
  const response = await fetch(`${host.url}${plivoPaths.message}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
};

const business = exampleNumbers.india;

/** What an example's state is made of before it is sent; the values it returns replace the example's. */
type Arrange = (host: LocalHost, user: string) => Promise<Record<string, string> | undefined>;

const granted: Arrange = async (host, user) => {
  await acceptPermission(host, user, business);
  return undefined;
};

const placedCallOf = async (host: LocalHost, user: string) => {
  await acceptPermission(host, user, business);
  const placed = await send(host, 'POST', '/v1/calls', { body: { from: business, to: user } });
  expect(placed.status).toBe(201);
  return (placed.body as { callId: string }).callId;
};

const intentOf = async (host: LocalHost, user: string) => {
  const created = await send(host, 'POST', '/v1/call-intents', {
    body: { from: business, to: user },
  });
  expect(created.status).toBe(202);
  return (created.body as { intentId: string }).intentId;
};

const arrangements: Record<string, Arrange> = {
  'call-placed': granted,
  'call-placed-with-references': granted,
  'call-daily-limit': async (host, user) => {
    await placedCallOf(host, user);
    return undefined;
  },
  'call-permission-rejected': async (host, user) => {
    await permissionReply(host, user, business, {
      response: 'reject',
      response_source: 'user_action',
    });
    return undefined;
  },
  'call-permission-revoked': async (host, user) => {
    const path = `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`;
    expect((await send(host, 'PUT', path, { body: { status: 'revoked' } })).status).toBe(200);
    return undefined;
  },
  'call-permission-expired': async (host, user) => {
    // A minute's permission, so moving the clock past its end leaves every other permission standing.
    const expiresAt = new Date(host.clock.now() + 60_000).toISOString();
    const path = `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(user)}`;
    const granted = await send(host, 'PUT', path, { body: { status: 'temporary', expiresAt } });
    expect(granted.status).toBe(200);
    // The clock alone: the rules read the end from it; recording the lapse is not this example's.
    host.clock.advance(61);
    return undefined;
  },
  'call-number-paused': async (host, user) => {
    await acceptPermission(host, user, jamaica);
    await pauseJamaica(host);
    return undefined;
  },
  'call-idempotency-key-reused': async (host) => {
    const other = newUser();
    await acceptPermission(host, other, business);
    const first = await send(host, 'POST', '/v1/calls', {
      body: { from: business, to: other },
      headers: { 'Idempotency-Key': 'order-4712' },
    });
    expect(first.status).toBe(201);
    return undefined;
  },
  'call-plivo-refuses': granted,
  'call-concurrency-limit': async (host, user) => {
    await placedCallOf(host, newUser());
    await acceptPermission(host, user, business);
    return undefined;
  },
  'call-log-read': async (host, user) => ({
    '5b0f2c8e-3f7a-4f0e-9a51-2d9a1c7e6b10': await placedCallOf(host, user),
  }),
  'permission-state-granted': granted,
  'permission-request-active': granted,
  'permission-request-limit': async (host, user) => {
    const sent = await send(host, 'POST', '/v1/permission-requests', {
      body: { from: business, to: user },
    });
    expect(sent.status).toBe(202);
    return undefined;
  },
  'permission-request-number-paused': async (host) => {
    await pauseJamaica(host);
    return undefined;
  },
  'intent-already-open': async (host, user) => {
    await intentOf(host, user);
    return undefined;
  },
  'intent-read': async (host, user) => ({
    '0d5e8a7c-6b1f-4c3e-9f2a-8b7d6e5c4a30': await intentOf(host, user),
  }),
  'intent-cancelled': async (host, user) => ({
    '0d5e8a7c-6b1f-4c3e-9f2a-8b7d6e5c4a30': await intentOf(host, user),
  }),
  'intent-cancel-placed': async (host, user) => {
    await acceptPermission(host, user, business);
    const intentId = await intentOf(host, user);
    return { '0d5e8a7c-6b1f-4c3e-9f2a-8b7d6e5c4a30': intentId };
  },
  'pause-lifted': async (host) => {
    await pauseJamaica(host);
    return undefined;
  },
};

type HostKind = 'refusingPlivo' | 'oneCallPerNumber';

/** Examples sent to a host of their own: Plivo refusing every request, or one call per number. */
const onHost: Record<string, HostKind> = {
  'call-plivo-refuses': 'refusingPlivo',
  'permission-request-plivo-refuses': 'refusingPlivo',
  'call-concurrency-limit': 'oneCallPerNumber',
};

/** `text` with each key of `replacements` replaced by its value, wherever it occurs. */
const replaced = (text: string, replacements: Record<string, string>): string =>
  Object.entries(replacements).reduce((out, [from, to]) => out.split(from).join(to), text);

const sendExample = async (
  host: LocalHost,
  method: string,
  pathTemplate: string,
  example: Example,
  replacements: Record<string, string>,
): Promise<Sent> => {
  const { request } = example;
  // Filled in as a client fills a path: each value percent-encoded (`+` as `%2B`).
  const query = new URLSearchParams(
    Object.entries(request.query ?? {}).map(([name, value]): [string, string] => [
      name,
      replaced(value, replacements),
    ]),
  ).toString();
  const path =
    pathTemplate.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(replaced(request.path?.[name] ?? '', replacements)),
    ) + (query === '' ? '' : `?${query}`);
  const body =
    request.body === undefined
      ? undefined
      : (JSON.parse(replaced(JSON.stringify(request.body), replacements)) as Record<
          string,
          unknown
        >);
  if (request.rawBody) {
    const response = await fetch(`${host.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiToken}`,
        'content-type': request.rawBody.contentType,
        ...request.headers,
      },
      body: request.rawBody.text,
    });
    return { status: response.status, body: await response.json() };
  }
  return send(host, method, path, {
    body: request.oversized ? { ...body, padding: 'x'.repeat(maxBodyBytes) } : body,
    ...(request.headers ? { headers: { ...request.headers } } : {}),
    ...(request.anonymous ? { anonymous: true } : {}),
  });
};

describe('the OpenAPI document against the local host', () => {
  let host: LocalHost;
  let refusingHost: LocalHost;
  let oneCallHost: LocalHost;
  let plivo: Loopback;
  beforeAll(async () => {
    plivo = await startLoopback(() => jsonAnswer(400, { error: 'refused' }));
    [host, refusingHost, oneCallHost] = await Promise.all([
      startTestHost({ config: contractConfig(), apiToken }),
      startTestHost({
        config: contractConfig(),
        apiToken,
        plivo: { authId: 'MAXXXXXXXXXXXXXXXXXX', authToken: sandboxAuthToken, apiUrl: plivo.url },
      }),
      startTestHost({ config: contractConfig({ simultaneousCallsPerNumber: 1 }), apiToken }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([host?.close(), refusingHost?.close(), oneCallHost?.close()]);
    await plivo?.close();
  });

  it(`serves the document at GET ${openApiPath}, the same as the code builds`, async () => {
    const response = await fetch(`${host.url}${openApiPath}`);
    expect(response.status).toBe(200);
    const served = (await response.json()) as ReturnType<typeof openApiDocument>;
    expect(served.openapi).toBe('3.1.0');
    expect(Object.keys(served.paths).sort()).toEqual(
      Object.keys(openApiDocument(served.info.version).paths).sort(),
    );
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);

  /** The codes each route's examples produced, for the route's last test. */
  const produced = new Map<string, Set<string>>();

  describe.each(Object.entries(routeContracts))('%s', (key, contract) => {
    const [method = '', pathTemplate = ''] = key.split(' ');
    const schemas = responseSchemas(contract);

    it.each(contract.examples.map((example) => [example.name, example] as const))(
      '%s: the documented status, a body valid against its schema',
      async (_name, example) => {
        const kind = onHost[example.name];
        const target =
          kind === 'refusingPlivo'
            ? refusingHost
            : kind === 'oneCallPerNumber'
              ? oneCallHost
              : host;
        const user = newUser();
        const arranged = (await arrangements[example.name]?.(target, user)) ?? {};
        const replacements = { [exampleUser]: user, ...arranged };
        const answer = await sendExample(target, method, pathTemplate, example, replacements);
        const what = JSON.stringify(answer.body);
        expect(answer.status, what).toBe(example.status);
        const validate = ajv.compile(schemas.get(answer.status) ?? { not: {} });
        expect(validate(answer.body), `${what}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        const code = (answer.body as { error?: string } | undefined)?.error;
        if (code !== undefined) {
          expect(code, what).toBe((example.response as { error?: string }).error);
          produced.set(key, (produced.get(key) ?? new Set()).add(code));
        }
      },
    );

    it('every error code it documents came out of one of its examples (run them all)', () => {
      const unproduced = contract.errors.filter(
        (code) => !produced.get(key)?.has(code) && notProducedByAnExample[code] === undefined,
      );
      expect(unproduced).toEqual([]);
    });
  });
});
