/**
 * Property-based fuzzing of every route, in process: payload-v2 events as API Gateway HTTP API would
 * build them, handed to the same handler factories Lambda runs, on DynamoDB Local.
 *
 * Properties, for every case: the handler resolves (never throws); never a 5xx; every error is the
 * contract's `{error, message, retryAfter?}` with a known code; XML 200s are well-formed; and a
 * rejected (4xx) request changes nothing in the table (a Scan before and after it). Webhooks are
 * fuzzed twice: unsigned or forged (always 403, table unchanged over the batch) and correctly signed
 * with fuzzed params, so the handlers' own validation runs past the signature check.
 */

import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { Deps } from '../../functions/shared/deps.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { createLogger } from '../../functions/shared/log.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { type Route, routes } from '../../functions/shared/routes.js';
import type { Db } from '../../functions/shared/store/client.js';
import { localContext } from '../../local/event.js';
import { handlerFactories } from '../../local/handlers.js';
import { createSandboxTelephony } from '../../local/sandbox/telephony.js';
import { createTestDb } from '../support/dynamo.js';
import { signV3 } from '../support/plivo-sign.js';
import { bodyFields, formValueFor, phoneNumber, routeParams, routeQuery } from './generators.js';
import {
  body,
  contentType,
  encoding,
  expectContract,
  type FuzzRequest,
  formText,
  fuzzOptions,
  headers,
  jsonObjectText,
  nastyString,
  payloadV2Event,
  snapshotTable,
} from './support.js';

const authToken = 'fuzz-auth-token';
const publicBaseUrl = 'https://callgate.test';

let db: Db;
let deps: Deps;
/** Log output of the handlers while fuzzing: kept out of the test output, checked for crashes. */
const logLines: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  const clock = () => Date.now();
  deps = {
    config: readConfigFile(exampleConfigPath),
    clock,
    db,
    telephony: createSandboxTelephony(clock),
    plivoAuthToken: async () => authToken,
    listingCursorKey: async () => 'test-listing-cursor-key',
    publicBaseUrl,
    logger: createLogger(),
    metrics: createMetricsRecorder().forFunction('fuzz'),
  };
});

afterAll(() => {
  // A handler that caught an error it did not expect logs it: none may have.
  expect(logLines.filter((line) => line.includes('unexpected error'))).toEqual([]);
});

/** Runs `body` with the process's stdout/stderr captured into logLines (the logger writes there). */
const capturingLogs = async <T>(run: () => Promise<T>): Promise<T> => {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = ((chunk: string | Uint8Array) => {
    logLines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
};

const webhookRoutes = routes.filter((r) => r.auth === 'plivo-signature');
const otherRoutes = routes.filter((r) => r.auth !== 'plivo-signature');

/** Fixed seeds, one per route and mode, so a CI failure replays exactly. */
const seedOf = (route: Route, mode: string) =>
  [...`${route.method} ${route.path} ${mode}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);

interface Case {
  readonly request: FuzzRequest;
  readonly pathParameters?: Record<string, string>;
}

const describeCase = ({ request }: Case) =>
  `${request.method} ${request.path}?${new URLSearchParams(request.query ?? {})} ${JSON.stringify(request.headers)} ${request.encoding} ${request.body.toString('utf8').slice(0, 300)}`;

/**
 * Invokes the route's handler for each case; a 4xx must leave the table as it was (Scan before and
 * after, the "before" reused from the previous case when nothing was accepted in between).
 */
const invoker = (route: Route) => {
  const handler: LambdaHandler = handlerFactories[route.fn](deps);
  const context: Context = localContext(route.fn);
  let before: string | undefined;
  return async (fuzzCase: Case): Promise<number> => {
    before ??= await snapshotTable(db);
    const result = await handler(
      payloadV2Event(route, fuzzCase.request, fuzzCase.pathParameters),
      context,
    );
    const status = expectContract(result, describeCase(fuzzCase));
    const after = await snapshotTable(db);
    if (status >= 400) expect(after, `state changed by ${describeCase(fuzzCase)}`).toBe(before);
    before = after;
    return status;
  };
};

/** Lone surrogates replaced (String#toWellFormed is ES2024): encodeURIComponent throws on them. */
const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** Anything at all, for any route: generic bodies in every content type and encoding. */
const anyRequest = (route: Route): fc.Arbitrary<Case> => {
  const known = bodyFields[route.fn];
  return fc
    .record({
      body: fc.oneof(
        { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
        {
          weight: 6,
          arbitrary: body(
            formText(known, fc.constantFrom(...known).chain(formValueFor)),
            jsonObjectText(known, phoneNumber()),
          ),
        },
      ),
      headers: headers(contentType()),
      encoding: encoding(),
      query: routeQuery(route.fn),
      business: fc.oneof(phoneNumber(), nastyString()),
      user: fc.oneof(phoneNumber(), nastyString()),
      callId: fc.oneof(fc.uuid(), nastyString()),
      intentId: fc.oneof(fc.uuid(), nastyString()),
    })
    .map(({ business, user, callId, intentId, ...request }) => {
      // Routes with parameters in the path (numbers, a call id); API Gateway hands them decoded.
      const values: Record<string, string> = {
        business: business.slice(0, 64),
        user: user.slice(0, 64),
        callId: callId.slice(0, 64),
        intentId: intentId.slice(0, 64),
      };
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const pathParameters = names.length
        ? Object.fromEntries(names.map((name) => [name, values[name] ?? '']))
        : undefined;
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
        encodeURIComponent(wellFormed(values[name] ?? '')),
      );
      return {
        request: { ...request, method: route.method, path },
        ...(pathParameters ? { pathParameters } : {}),
      };
    });
};

/** Signature headers that are present but wrong, in any casing: forged, never accepted. */
const forgedSignature = fc.oneof(
  fc.constant({}),
  fc.record(
    {
      'X-Plivo-Signature-V3': nastyString(),
      'x-plivo-signature-v3-nonce': nastyString(),
      'X-PLIVO-SIGNATURE-V2': nastyString(),
      'x-Plivo-Signature-V2-Nonce': nastyString(),
      'X-Plivo-Signature-Ma-V3': nastyString(),
    },
    { requiredKeys: [] },
  ),
);

/** A request to a webhook whose params are fuzzed but whose signature is what Plivo would send. */
const signedRequest = (route: Route): fc.Arbitrary<Case> =>
  fc
    .record({
      kind: fc.constantFrom('form', 'json') as fc.Arbitrary<'form' | 'json'>,
      formEntries: routeParams(route.fn, 'form'),
      jsonEntries: routeParams(route.fn, 'json'),
      query: routeQuery(route.fn),
      typeVariant: fc.constantFrom('', '; charset=utf-8', '; charset=UTF-8', ';charset=ISO-8859-1'),
      upper: fc.boolean(),
      headerCase: fc.constantFrom('lower', 'canonical', 'upper'),
      encoding: fc.constantFrom(
        'as-api-gateway',
        'as-api-gateway',
        'as-api-gateway',
        'text',
      ) as fc.Arbitrary<FuzzRequest['encoding']>,
    })
    .map(({ kind, formEntries, jsonEntries, query, typeVariant, upper, headerCase, encoding }) => {
      let text: string;
      let params: Record<string, string | string[]>;
      if (kind === 'form') {
        const pairs = formEntries.map(([k, v]) => [k, String(v)] as [string, string]);
        text = new URLSearchParams(pairs).toString();
        // Signed over the decoded fields, a repeated one as its list of values (as Plivo signs).
        const multi = new Map<string, string[]>();
        for (const [k, v] of new URLSearchParams(text)) multi.set(k, [...(multi.get(k) ?? []), v]);
        params = Object.fromEntries(
          [...multi].map(([k, vs]) => [k, vs.length === 1 ? (vs[0] as string) : vs]),
        );
      } else {
        text = `{${jsonEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
        const parsed = JSON.parse(text) as Record<string, unknown>;
        params = Object.fromEntries(
          Object.entries(parsed).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        );
      }
      const rawQuery = new URLSearchParams(query).toString();
      const signature = signV3({
        method: 'POST',
        url: `${publicBaseUrl}${route.path}${rawQuery ? `?${rawQuery}` : ''}`,
        params,
        authToken,
      });
      const recase = (name: string) =>
        headerCase === 'lower'
          ? name.toLowerCase()
          : headerCase === 'upper'
            ? name.toUpperCase()
            : name;
      const baseType = kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      return {
        request: {
          method: 'POST',
          path: route.path,
          query,
          headers: {
            ...Object.fromEntries(Object.entries(signature).map(([k, v]) => [recase(k), v])),
            [recase('Content-Type')]: `${upper ? baseType.toUpperCase() : baseType}${typeVariant}`,
          },
          body: Buffer.from(text, 'utf8'),
          encoding,
        },
      };
    });

describe.each(webhookRoutes)('fuzz $method $path', (route) => {
  it('unsigned: always 403 bad_signature; forged: always refused; the table untouched', async () => {
    const handler = handlerFactories[route.fn](deps);
    const before = await snapshotTable(db);
    await capturingLogs(() =>
      fc.assert(
        fc.asyncProperty(anyRequest(route), forgedSignature, async (fuzzCase, forged) => {
          const request = {
            ...fuzzCase.request,
            headers: { ...fuzzCase.request.headers, ...forged },
          };
          const result = await handler(payloadV2Event(route, request), localContext(route.fn));
          const status = expectContract(result, describeCase({ request }));
          if (Object.keys(forged).length === 0) {
            expect(status).toBe(403);
            expect(JSON.parse(result.body ?? '').error).toBe('bad_signature');
          } else {
            // Forged headers get the body parsed before the HMAC: an unreadable one is refused as such.
            expect([400, 403, 413, 415]).toContain(status);
          }
        }),
        fuzzOptions(seedOf(route, 'unsigned')),
      ),
    );
    expect(await snapshotTable(db)).toBe(before);
  });

  it('signed with fuzzed params: the contract holds past the signature, a 4xx writes nothing', async () => {
    const invoke = invoker(route);
    const statuses = new Map<number, number>();
    await capturingLogs(() =>
      fc.assert(
        fc.asyncProperty(signedRequest(route), async (fuzzCase) => {
          const status = await invoke(fuzzCase);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }),
        fuzzOptions(seedOf(route, 'signed')),
      ),
    );
    // The signatures must be right for the handler to be fuzzed at all: most get past them.
    const runs = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(statuses.get(403) ?? 0, JSON.stringify([...statuses])).toBeLessThan(runs * 0.2);
  });
});

describe.each(otherRoutes)('fuzz $method $path', (route) => {
  it('anything: the contract holds, a 4xx writes nothing', async () => {
    const invoke = invoker(route);
    const structured = fc
      .record({
        entries: routeParams(route.fn, 'json'),
        headers: headers(fc.constantFrom('application/json', 'APPLICATION/JSON; charset=utf-8')),
      })
      .map(
        ({ entries, headers }): Case => ({
          request: {
            method: route.method,
            path: route.path,
            headers,
            body: Buffer.from(
              `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`,
            ),
            encoding: 'as-api-gateway',
          },
        }),
      );
    await capturingLogs(() =>
      fc.assert(
        fc.asyncProperty(
          route.path.includes('{') ? anyRequest(route) : fc.oneof(anyRequest(route), structured),
          async (fuzzCase) => {
            await invoke(fuzzCase);
          },
        ),
        fuzzOptions(seedOf(route, 'any')),
      ),
    );
  });
});
