import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler as apiKeyAuthorizer } from '../functions/api-key-authorizer/handler.js';
import { createHandler as eventWebhook } from '../functions/event-webhook/handler.js';
import { createHandler as events } from '../functions/events/handler.js';
import {
  type DispatcherEvent,
  createHandler as intentDispatcher,
} from '../functions/intent-dispatcher/handler.js';
import { createHandler as leaseChanges } from '../functions/lease-changes/handler.js';
import {
  createWakeupHandler as permissionExpiryLook,
  createStreamHandler as permissionExpiryWatch,
} from '../functions/permission-expiry/handler.js';
import type { Clock } from '../functions/shared/clock.js';
import { ConfigError } from '../functions/shared/config/load.js';
import type { Config } from '../functions/shared/config/schema.js';
import type { Deps } from '../functions/shared/deps.js';
import { eventSource } from '../functions/shared/events/envelope.js';
import { intentDispatcherEventTypes } from '../functions/shared/events/subscriptions.js';
import {
  type WebhookCredentials,
  webhookCredentials,
} from '../functions/shared/events/webhook-delivery.js';
import type { LambdaHandler } from '../functions/shared/http/middleware.js';
import { createLogger, type Logger } from '../functions/shared/log.js';
import { type CountedMetric, createMetricsRecorder } from '../functions/shared/metrics.js';
import { type FunctionName, type Route, routes } from '../functions/shared/routes.js';
import { createDb } from '../functions/shared/store/client.js';
import { readNumberRestrictions } from '../functions/shared/store/items/number-restriction.js';
import { createPlivoRest } from '../functions/shared/telephony/plivo-rest.js';
import type { Telephony } from '../functions/shared/telephony/port.js';
import { sandboxAuthToken } from './defaults.js';
import { recreateTable } from './dynamodb.js';
import { localContext, toPayloadV2Event } from './event.js';
import { createLocalEventBus, type LocalEventBus } from './event-bus.js';
import { openApiText } from './generated-files.js';
import { handlerFactories } from './handlers.js';
import { createRouteAuth } from './route-auth.js';
import { createSandboxApi } from './sandbox/api.js';
import { apiTimelineEntry } from './sandbox/api-requests.js';
import { createSandboxPlivo, type SandboxPlivo } from './sandbox/plivo.js';
import { createSandboxTelephony } from './sandbox/telephony.js';
import { createTimeline } from './sandbox/timeline.js';
import { startStreamReader } from './stream.js';
import {
  createLocalPermissionExpiries,
  createLocalWakeups,
  type LocalPermissionExpiries,
  type LocalWakeups,
} from './wakeups.js';

export { sandboxAuthToken };

/** The local host's key for the listings' cursors: fixed, and good for nothing but local runs. */
export const localDevListingCursorKey = 'local-dev-only-listing-cursor-key';

const maxRequestBytes = 1024 * 1024;

/**
 * The OpenAPI document, served by the local host only: on AWS it would cost a function and a route for
 * a file that does not change between deploys, and docs/openapi.json is the same text.
 */
export const openApiPath = '/v1/openapi.json';

export interface LocalHostOptions {
  readonly config: Config;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Real Plivo when given; the sandbox (recorder + movable clock) otherwise. */
  readonly plivo?: { authId: string; authToken: string; apiUrl?: string } | undefined;
  /** How long a Plivo REST request may take before it counts as a timeout (the adapter's default otherwise). */
  readonly plivoTimeoutMs?: number | undefined;
  /** Verifies webhook signatures in sandbox mode; defaults to `sandboxAuthToken`. */
  readonly sandboxAuthToken?: string | undefined;
  readonly publicBaseUrl?: string | undefined;
  /** The bearer token the routes of IAM groups take locally (API_TOKEN); open without it. */
  readonly apiToken?: string | undefined;
  /** Receives every event as a signed JSON POST, as the stack's webhook does (CALLGATE_WEBHOOK_URL). */
  readonly webhookUrl?: string | undefined;
  /** The `whsec_` secret the webhook's deliveries are signed with (CALLGATE_WEBHOOK_SECRET). */
  readonly webhookSecret?: string | undefined;
  readonly logger?: Logger;
  /**
   * In sandbox mode, whether the sandbox plays Plivo's calls and the WhatsApp users (`npm start`);
   * without, it only records the API requests and tests drive every callback themselves.
   */
  readonly simulate?: boolean | undefined;
}

export interface LocalHost {
  readonly url: string;
  readonly publicBaseUrl: string;
  readonly sandbox: boolean;
  /** Wraps the clock the handlers see: in sandbox mode `/_sandbox/clock` moves it forward. */
  readonly clock: SandboxClock;
  readonly telephony: Telephony;
  readonly deps: Deps;
  /** What the stack's event bus would have received. */
  readonly eventBus: LocalEventBus;
  /** The call intents' wake-ups EventBridge Scheduler would hold. */
  readonly wakeups: LocalWakeups;
  /** The looks at temporary permissions' ends EventBridge Scheduler would hold. */
  readonly permissionExpiries: LocalPermissionExpiries;
  /** The sandbox's Plivo and users (sandbox mode only). */
  readonly sandboxPlivo: SandboxPlivo | undefined;
  /** Every count the functions made, in order (functions/shared/metrics.ts). */
  readonly metrics: readonly CountedMetric[];
  /**
   * Settles, then runs every intent wake-up due at the clock's time through the dispatcher, and every
   * permission expiry's look due then through the permission-expiry function, until none is left (what
   * `POST /_sandbox/clock` does after moving the clock).
   */
  runDueWakeups(): Promise<void>;
  /**
   * Resolves once every change committed so far has been applied by the functions that read the table's
   * stream (on AWS they run moments after the write; tests wait for them here).
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface SandboxClock {
  readonly now: Clock;
  advance(seconds: number): number;
  /** Back to real time. */
  reset(): number;
}

export const createSandboxClock = (base: Clock = Date.now): SandboxClock => {
  let offsetMs = 0;
  return {
    now: () => base() + offsetMs,
    advance: (seconds: number) => {
      offsetMs += seconds * 1000;
      return base() + offsetMs;
    },
    reset: () => {
      offsetMs = 0;
      return base();
    },
  };
};

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: LambdaHandler;
}

const compile = (route: Route, handler: LambdaHandler): CompiledRoute => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const match = /^\{(\w+)\}$/.exec(segment);
      if (!match?.[1]) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(match[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, handler };
};

/**
 * The request's body, or undefined as soon as it passes maxRequestBytes. The rest is still read and
 * dropped, so a client that is still sending reads the 413 instead of a reset connection.
 */
const readBody = (request: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxRequestBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      resolve(undefined);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const send = (
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) => {
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
};

type Reply = (status: number, body: string, headers?: Record<string, string>) => void;

const sendError = (reply: Reply, status: number, error: string, message: string) =>
  reply(status, JSON.stringify({ error, message }));

/**
 * Serves every route of the route table from the same handlers Lambda runs, turning each HTTP request
 * into the payload-v2 event API Gateway would send. Binds to 127.0.0.1 only.
 */
export const startLocalHost = async (options: LocalHostOptions): Promise<LocalHost> => {
  const logger = options.logger ?? createLogger();
  const clock = createSandboxClock();
  const sandbox = !options.plivo;
  const authToken = options.plivo?.authToken ?? options.sandboxAuthToken ?? sandboxAuthToken;
  // Checked before anything starts: a bad secret stops the host with nothing left open.
  const webhookSigning = webhookSigningCredentials(options);

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  const publicBaseUrl = (options.publicBaseUrl ?? url).replace(/\/$/, '');

  const openApiDocumentText = openApiText();
  const timeline = createTimeline(clock.now);
  // What the functions count; on AWS each function emits its own as EMF.
  const metrics = createMetricsRecorder();
  const sandboxPlivo = sandbox
    ? createSandboxPlivo({
        clock: clock.now,
        hostUrl: url,
        publicBaseUrl,
        authToken,
        config: options.config,
        timeline,
        logger,
        simulate: options.simulate ?? false,
      })
    : undefined;
  const sandboxTelephony = sandboxPlivo
    ? createSandboxTelephony(clock.now, sandboxPlivo)
    : undefined;
  const telephony: Telephony =
    sandboxTelephony ??
    createPlivoRest({
      credentials: async () => ({
        authId: options.plivo?.authId ?? '',
        authToken: options.plivo?.authToken ?? '',
      }),
      ...(options.plivo?.apiUrl ? { baseUrl: options.plivo.apiUrl } : {}),
      ...(options.plivoTimeoutMs === undefined ? {} : { timeoutMs: options.plivoTimeoutMs }),
      metrics: metrics.forFunction('plivo-api'),
    });

  const deps: Deps = {
    config: options.config,
    clock: clock.now,
    db: createDb({
      tableName: options.tableName,
      endpoint: options.dynamoEndpoint,
      metrics: metrics.forFunction('storage'),
    }),
    telephony,
    plivoAuthToken: async () => authToken,
    listingCursorKey: async () => localDevListingCursorKey,
    publicBaseUrl,
    logger,
    metrics: metrics.forFunction('local'),
  };
  /** A function's dependencies: its counts carry its name, as on AWS. */
  const depsOf = (fn: FunctionName): Deps => ({ ...deps, metrics: metrics.forFunction(fn) });
  const compiled = routes.map((route) =>
    compile(route, handlerFactories[route.fn](depsOf(route.fn))),
  );
  const admit = createRouteAuth({
    config: options.config,
    apiToken: options.apiToken,
    authorizer: apiKeyAuthorizer(depsOf('api-key-authorizer')),
    logger,
  });
  const eventBus = createLocalEventBus({
    webhook:
      options.webhookUrl && webhookSigning
        ? eventWebhook({
            url: options.webhookUrl,
            credentials: async () => webhookSigning,
            // The wall clock, whatever the sandbox clock says: the receiver checks
            // `webhook-timestamp` against its own.
            now: () => Date.now(),
            logger,
            metrics: metrics.forFunction('event-webhook'),
          })
        : undefined,
    logger,
  });
  const permissionExpiries = createLocalPermissionExpiries();
  // One reader per function, as each has its own event source mapping on AWS.
  const streamHandlers = [
    leaseChanges(depsOf('lease-changes')),
    events({ bus: eventBus, logger, metrics: metrics.forFunction('events') }),
    permissionExpiryWatch(depsOf('permission-expiry'), () => permissionExpiries),
  ];
  const lookAtExpiry = permissionExpiryLook(depsOf('permission-expiry'));
  const startStreamReaders = () =>
    streamHandlers.map((handler) =>
      startStreamReader({
        endpoint: options.dynamoEndpoint,
        tableName: options.tableName,
        handler,
        logger,
      }),
    );
  // Replaced when a reset recreates the table, and with it the stream.
  let streamReaders = startStreamReaders();
  const wakeups = createLocalWakeups();
  const dispatcher = intentDispatcher(depsOf('intent-dispatcher'), () => wakeups);
  const dispatch = (event: DispatcherEvent) => dispatcher(event, localContext('intent-dispatcher'));
  // As the stack's rule on the bus invokes the dispatcher.
  eventBus.subscribe(intentDispatcherEventTypes, (envelope) =>
    dispatch({ source: eventSource, 'detail-type': envelope.type, detail: envelope }),
  );
  // A change can lead to another (an inbound call's record; an event the dispatcher acts on, whose
  // writes are changes again): settle in rounds until a round finds nothing left to do.
  const maxSettleRounds = 10;
  const settled = async () => {
    for (let round = 0; round < maxSettleRounds; round++) {
      await Promise.all(streamReaders.map((reader) => reader.settled()));
      if (!eventBus.busy()) {
        await Promise.all(streamReaders.map((reader) => reader.settled()));
        if (!eventBus.busy()) return;
      }
      await eventBus.idle();
    }
  };
  const maxWakeupRounds = 20;
  /** Lambda retries a failed asynchronous invocation twice: so does the host. */
  const attempt = async (
    what: string,
    fields: Record<string, string>,
    run: () => Promise<unknown>,
  ) => {
    for (let tries = 1; ; tries++) {
      try {
        await run();
        return;
      } catch (error) {
        if (tries === 3) {
          logger.error(`${what} failed`, { ...fields, error: error as Error });
          return;
        }
      }
    }
  };
  const runDueWakeups = async () => {
    for (let round = 0; round < maxWakeupRounds; round++) {
      await settled();
      const now = clock.now();
      const due = wakeups.takeDue(now);
      const looks = permissionExpiries.takeDue(now);
      if (due.length === 0 && looks.length === 0) return;
      await Promise.all([
        ...due.map((intentId) =>
          attempt('intent wake-up', { intentId }, () => dispatch({ intentId })),
        ),
        ...looks.map((look) =>
          attempt(
            'permission expiry look',
            { expiresAt: new Date(look.expiresAt).toISOString() },
            () => lookAtExpiry(look),
          ),
        ),
      ]);
    }
  };

  /**
   * The sandbox as `npm start` leaves it: the simulation stopped and forgotten, the stream's work
   * finished, the table dropped and created empty, the clock back to real time. Requests served while
   * it runs may fail: the table is gone for a moment.
   */
  const reset = async (plivo: SandboxPlivo, recorder: typeof sandboxTelephony) => {
    await plivo.reset();
    await settled();
    await Promise.all(streamReaders.map((reader) => reader.stop()));
    await eventBus.idle();
    await recreateTable(options.dynamoEndpoint, options.tableName);
    streamReaders = startStreamReaders();
    wakeups.clear();
    permissionExpiries.clear();
    eventBus.clear();
    recorder?.clear();
    timeline.clear();
    const now = clock.reset();
    timeline.add({
      kind: 'clock',
      summary: `the sandbox was reset: the table is empty and the clock is back to ${new Date(now).toISOString()}`,
    });
  };

  const sandboxApi =
    sandboxPlivo && sandboxTelephony
      ? createSandboxApi({
          config: options.config,
          clock,
          plivo: sandboxPlivo,
          telephony: sandboxTelephony,
          timeline,
          eventBus,
          runDueWakeups,
          numberRestrictions: (business) => readNumberRestrictions(deps.db, business, clock.now()),
          reset: () => reset(sandboxPlivo, sandboxTelephony),
          simulate: options.simulate ?? false,
        })
      : undefined;
  if (sandbox) {
    eventBus.watch((envelope) =>
      timeline.add({
        kind: 'event',
        summary: envelope.type,
        business: envelope.business,
        user: envelope.user,
        detail: envelope,
      }),
    );
  }

  server.on('request', async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    // Appended, not resolved against the base: a target such as `//` is a path here, not a host.
    const target = request.url ?? '/';
    const requestUrl = URL.canParse(`${url}${target}`) ? new URL(`${url}${target}`) : undefined;
    let body: Buffer = Buffer.alloc(0);
    // In the sandbox, the timeline shows the /v1 requests as the business's systems made them.
    const reply: Reply = (status, text, headers) => {
      send(response, status, text, headers);
      if (!sandbox || !requestUrl) return;
      const entry = apiTimelineEntry({
        method,
        url: requestUrl,
        body,
        status,
        contentType:
          Object.entries(headers ?? {}).find(
            ([name]) => name.toLowerCase() === 'content-type',
          )?.[1] ?? 'application/json',
        responseBody: text,
      });
      if (entry) timeline.add(entry);
    };
    try {
      const read = await readBody(request);
      if (!read) {
        sendError(reply, 413, 'payload_too_large', `Body is over ${maxRequestBytes} bytes`);
        return;
      }
      body = read;
      if (!target.startsWith('/') || !requestUrl) {
        sendError(reply, 400, 'invalid_request', 'The request target is not a path');
        return;
      }
      if (
        sandboxApi &&
        (requestUrl.pathname === '/_sandbox' || requestUrl.pathname.startsWith('/_sandbox/'))
      ) {
        const answer = await sandboxApi.handle(
          method,
          requestUrl.pathname,
          requestUrl.searchParams,
          body,
        );
        send(response, answer.status, answer.body, answer.headers);
        return;
      }
      if (method === 'GET' && requestUrl.pathname === openApiPath) {
        send(response, 200, openApiDocumentText);
        return;
      }
      const matches = compiled
        .map((c) => ({ c, match: c.pattern.exec(requestUrl.pathname) }))
        .filter((m) => m.match);
      const hit = matches.find((m) => m.c.route.method === method);
      if (!hit?.match) {
        if (matches.length)
          sendError(reply, 405, 'method_not_allowed', `${method} is not allowed here`);
        else sendError(reply, 404, 'not_found', `No route ${method} ${requestUrl.pathname}`);
        return;
      }
      let pathParameters: Record<string, string>;
      try {
        pathParameters = Object.fromEntries(
          hit.c.names.map((name, i) => [name, decodeURIComponent(hit.match?.[i + 1] ?? '')]),
        );
      } catch {
        sendError(reply, 400, 'invalid_request', 'The path is not valid percent-encoding');
        return;
      }
      const event = toPayloadV2Event(
        {
          method,
          url: requestUrl,
          // Node keeps only the first of a repeated Content-Type; API Gateway joins them all.
          headers: request.headersDistinct,
          body,
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        },
        `${hit.c.route.method} ${hit.c.route.path}`,
        pathParameters,
        new Date(clock.now()),
      );
      const admission = await admit(hit.c.route, event);
      if (admission.kind === 'answer') {
        reply(admission.status, admission.body);
        return;
      }
      const result = await hit.c.handler(admission.event, localContext(hit.c.route.fn));
      reply(
        result.statusCode ?? 200,
        result.body ?? '',
        (result.headers ?? {}) as Record<string, string>,
      );
    } catch (error) {
      logger.error('local host failed to serve a request', { error: error as Error });
      if (!response.headersSent) sendError(reply, 500, 'internal_error', 'Internal error');
    }
  });

  return {
    url,
    publicBaseUrl,
    sandbox,
    clock,
    telephony,
    deps,
    eventBus,
    wakeups,
    permissionExpiries,
    sandboxPlivo,
    metrics: metrics.counted,
    runDueWakeups,
    settled,
    close: async () => {
      await sandboxPlivo?.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.all(streamReaders.map((reader) => reader.stop()));
    },
  };
};

/** The signing key of the webhook's deliveries, from the host's options; none without a webhook. */
const webhookSigningCredentials = (options: LocalHostOptions): WebhookCredentials | undefined => {
  if (!options.webhookUrl) return undefined;
  if (!options.webhookSecret) {
    throw new ConfigError(
      'A webhook URL needs its signing secret (CALLGATE_WEBHOOK_SECRET: whsec_…)',
    );
  }
  try {
    return webhookCredentials(options.webhookSecret, {});
  } catch (error) {
    throw new ConfigError(`CALLGATE_WEBHOOK_SECRET: ${(error as Error).message}`);
  }
};
