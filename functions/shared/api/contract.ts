import * as z from 'zod';
import type { ErrorCode } from './errors.js';

/** A request of an example, as a client sends it: the path's parameters filled in, the body as JSON. */
export interface ExampleRequest {
  readonly path?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The body sent as is, for examples of a body that is not JSON. */
  readonly rawBody?: { readonly contentType: string; readonly text: string };
  /** Sent without the caller's credentials. */
  readonly anonymous?: true;
  /** The JSON body padded past the size limit (the document shows it without the padding). */
  readonly oversized?: true;
}

/**
 * One documented request and what it gets: `response` is a typical body (its ids and times vary). The
 * contract test sends each one and checks the status, the error code and the body against the schema.
 */
export interface Example {
  readonly name: string;
  readonly summary: string;
  readonly request: ExampleRequest;
  readonly status: number;
  readonly response: unknown;
}

export interface Success {
  readonly description: string;
  readonly schema: z.ZodType;
}

/** What a route takes and answers: the same schemas its handler validates with and its types come from. */
export interface RouteContract {
  readonly summary: string;
  readonly description: string;
  readonly path?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly responses: Readonly<Record<number, Success>>;
  readonly errors: readonly ErrorCode[];
  readonly examples: readonly Example[];
}

/** Business and user numbers of the examples: the example configuration's Indian number, a user. */
export const exampleBusiness = '+918035737458';
export const exampleUser = '+919812345678';

/**
 * A phone number field of a /v1 body: a string, told apart from a missing one, so that a JSON number
 * is not answered "is required".
 */
export const numberField = (what: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `is required: ${what}`
          : `must be a string: ${what} in E.164, such as "+919812345678"`,
    })
    .meta({ description: `${what}, E.164 with +` });

/** Refusals every /v1 route can answer: the caller (none, or an API key without the route's scope), and the faults after which a retry may succeed. */
export const businessApiErrors = [
  'unauthorized',
  'forbidden',
  'unavailable',
  'internal_error',
] as const;

/** What a /v1 route with a JSON body adds. */
export const jsonBodyErrors = [
  'invalid_request',
  'payload_too_large',
  'unsupported_media_type',
] as const;

/** A request without credentials: 401 before anything else is read. */
export const anonymousExample = (
  prefix: string,
  path?: Readonly<Record<string, string>>,
  body?: unknown,
): Example => ({
  name: `${prefix}-anonymous`,
  summary: 'No credentials (locally: no bearer token while API_TOKEN is set)',
  request: { ...(path ? { path } : {}), ...(body === undefined ? {} : { body }), anonymous: true },
  status: 401,
  response: { error: 'unauthorized', message: 'Missing or wrong bearer token' },
});

/** The examples of the refusals every JSON-body route answers the same way. */
export const jsonBodyExamples = (
  prefix: string,
  path?: Readonly<Record<string, string>>,
): Example[] => [
  {
    name: `${prefix}-not-json`,
    summary: 'A body sent as a form',
    request: {
      ...(path ? { path } : {}),
      rawBody: { contentType: 'application/x-www-form-urlencoded', text: 'from=%2B918035737458' },
    },
    status: 415,
    response: {
      error: 'unsupported_media_type',
      message: 'Send the body as JSON with Content-Type: application/json',
    },
  },
  {
    name: `${prefix}-too-large`,
    summary: 'A body over 64 KiB',
    request: {
      ...(path ? { path } : {}),
      body: { from: exampleBusiness, to: exampleUser },
      oversized: true,
    },
    status: 413,
    response: { error: 'payload_too_large', message: 'Body is over 65536 bytes' },
  },
  anonymousExample(prefix, path, {}),
];
