/**
 * The same properties over real HTTP through the local host, where the router, the body reader and
 * Node's header handling are in the path: unknown paths and wrong methods, and a smaller batch of raw
 * requests (odd header casing, repeated headers, any bytes) on every route.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { routes } from '../../functions/shared/routes.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { bodyFields, formValueFor, phoneNumber } from './generators.js';
import {
  body,
  contentType,
  errorCodes,
  formText,
  fuzzOptions,
  jsonObjectText,
  nastyString,
  snapshotTable,
} from './support.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** node:http rather than fetch: it sends header names as given, repeated headers and any method. */
const send = (
  host: LocalHost,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  payload: Buffer,
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(
      `${host.url}${path}`,
      { method, headers: { ...headers, 'content-length': String(payload.length) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });

const expectHttpContract = (method: string, answer: Answer, context: string) => {
  expect(answer.status, `${context}: ${answer.body}`).toBeGreaterThanOrEqual(200);
  expect(answer.status, `${context}: ${answer.body}`).toBeLessThan(500);
  if (method === 'HEAD') return;
  const type = String(answer.headers['content-type'] ?? '');
  if (answer.status >= 400) {
    expect(type, context).toBe('application/json');
    const error = JSON.parse(answer.body) as Record<string, unknown>;
    expect(errorCodes, context).toContain(error.error);
    expect(typeof error.message, context).toBe('string');
    expect(
      Object.keys(error).every((k) =>
        ['error', 'message', 'retryAfter', 'requestPermissionAfter'].includes(k),
      ),
      context,
    ).toBe(true);
  } else if (type === 'application/xml') {
    expect(XMLValidator.validate(answer.body), context).toBe(true);
  }
};

/** Header values Node's client accepts (no CR/LF/NUL or non-Latin-1): the rest cannot be sent. */
const sendable = (value: string) => value.replace(/[^\x20-\x7e]/g, '').slice(0, 200);

/** HTTP-level batches are smaller: the in-process suite does the 1,000s. */
const httpRuns = (fixedSeed: number, runs: number) => {
  const options = fuzzOptions(fixedSeed);
  return { ...options, numRuns: Math.min(options.numRuns, runs) };
};

describe('fuzz over HTTP through the local host', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost();
  });
  afterAll(() => host.close());

  it('unknown paths and wrong methods: 404 / 405 in the contract, nothing written', async () => {
    const known = routes.map((r) =>
      r.path
        .replace('{business}', plivoDigits(exampleNumbers.india))
        .replace('{user}', '919412341234'),
    );
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
    const segment = fc.oneof(
      fc.constantFrom(
        'plivo',
        'whatsapp',
        'v1',
        'calls',
        '..',
        '.',
        '',
        '%2e%2e',
        '%00',
        '%ZZ',
        'answer',
      ),
      fc.webSegment(),
    );
    const path = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
      fc.constantFrom(...known).map((p) => `${p}/`),
      fc.constantFrom(...known).map((p) => p.toUpperCase()),
      fc.constantFrom(...known).map((p) => `${p}/extra`),
      fc.constantFrom(...known),
      // Targets that are not origin-form paths (`//` once crashed the local host's URL parsing).
      fc.constantFrom('//', '//localhost/health', '///v1/calls', '/\\evil.example'),
    );
    await host.settled();
    const before = await snapshotTable(host.deps.db);
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom(...methods), async (path, method) => {
        const route = routes.find(
          (r) =>
            r.method === method &&
            new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path.split('?')[0] ?? ''),
        );
        // Only the unrouted requests are this property's business (and writes need a body).
        fc.pre(route === undefined);
        const answer = await send(host, method, path, {}, Buffer.alloc(0));
        expectHttpContract(method, answer, `${method} ${path}`);
        expect([400, 404, 405], `${method} ${path}`).toContain(answer.status);
        refused++;
      }),
      { ...fuzzOptions(20_261_126), maxSkipsPerRun: 10 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(await snapshotTable(host.deps.db)).toBe(before);
  });

  it.each(routes)(
    'raw requests to $method $path: the contract holds, unsigned webhooks 403',
    async (route) => {
      const known = bodyFields[route.fn];
      const headerName = fc.constantFrom(
        'content-type',
        'Content-Type',
        'CONTENT-TYPE',
        'cOnTeNt-TyPe',
      );
      await host.settled();
      const before = await snapshotTable(host.deps.db);
      await fc.assert(
        fc.asyncProperty(
          body(
            formText(known, fc.constantFrom(...known).chain(formValueFor)),
            jsonObjectText(known, phoneNumber()),
          ),
          headerName,
          fc.array(contentType(), { maxLength: 2 }),
          fc.dictionary(
            fc.constantFrom('X-Custom', 'idempotency-key', 'Authorization', 'X-Forwarded-Proto'),
            nastyString().map(sendable),
            { maxKeys: 2 },
          ),
          async (payload, name, types, extra) => {
            const present = types.filter((t): t is string => t !== undefined).map(sendable);
            const headers: Record<string, string | string[]> = {
              ...extra,
              ...(present.length === 0
                ? {}
                : { [name]: present.length === 1 ? (present[0] as string) : present }),
            };
            const path = route.path
              .replace('{business}', plivoDigits(exampleNumbers.india))
              .replace('{user}', '919412341234');
            const answer = await send(host, route.method, path, headers, payload);
            expectHttpContract(
              route.method,
              answer,
              `${route.method} ${path} ${JSON.stringify(headers)}`,
            );
            if (route.auth === 'plivo-signature') expect(answer.status).toBe(403);
          },
        ),
        httpRuns(route.path.length * 7919, 150),
      );
      // Unsigned webhooks, and /v1 bodies that are not well-formed requests, write nothing.
      if (route.auth === 'plivo-signature') expect(await snapshotTable(host.deps.db)).toBe(before);
    },
  );
});
