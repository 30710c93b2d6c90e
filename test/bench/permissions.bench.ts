import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHandler as messageWebhook } from '../../functions/permission-reply/handler.js';
import { createHandler as permissionRequest } from '../../functions/permission-request/handler.js';
import { createHandler as permissionState } from '../../functions/permission-state/handler.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { plivoDigits } from '../../functions/shared/numbers.js';
import { plivoPaths } from '../../functions/shared/routes.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { exampleNumbers } from '../support/fixtures.js';
import { signV3 } from '../support/plivo-sign.js';
import {
  type Bench,
  type BenchRow,
  benchAuthToken,
  benchDeps,
  benchPublicBaseUrl,
  type CountingDb,
  handlerLatency,
} from './support.js';

const business = exampleNumbers.india;
const user = (i: number) => `+91983${String(i).padStart(7, '0')}`;

const event = (
  method: 'GET' | 'POST',
  path: string,
  body: { form?: Record<string, string>; json?: unknown },
  pathParameters: Record<string, string> = {},
) => {
  const headers: Record<string, string> = {};
  let payload = Buffer.alloc(0);
  if (body.form) {
    Object.assign(
      headers,
      signV3({
        method: 'POST',
        url: `${benchPublicBaseUrl}${path}`,
        params: body.form,
        authToken: benchAuthToken,
      }),
      { 'content-type': 'application/x-www-form-urlencoded' },
    );
    payload = Buffer.from(new URLSearchParams(body.form).toString());
  } else if (body.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = Buffer.from(JSON.stringify(body.json));
  }
  return toPayloadV2Event(
    {
      method,
      url: new URL(`${benchPublicBaseUrl}${path}`),
      headers,
      body: payload,
      sourceIp: '127.0.0.1',
    },
    `${method} ${path}`,
    pathParameters,
    new Date(),
  );
};

const replyEvent = (to: string, messageUuid = randomUUID()) =>
  event('POST', plivoPaths.message, {
    form: {
      From: to.replace('+', ''),
      To: business.replace('+', ''),
      Type: 'whatsapp',
      ContentType: 'unknown',
      MessageUUID: messageUuid,
      Interactive: JSON.stringify({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', is_permanent: false },
      }),
    },
  });

const requestEvent = (to: string) =>
  event('POST', '/v1/permission-requests', { json: { from: business, to } });

const stateEvent = (of: string) =>
  event(
    'GET',
    `/v1/permissions/${encodeURIComponent(business)}/${encodeURIComponent(of)}`,
    {},
    { business, user: of },
  );

/** Runs the handler once and returns the DynamoDB requests it made, by command, and their capacity. */
const counted = async (
  db: CountingDb,
  handler: LambdaHandler,
  input: ReturnType<typeof event>,
  expectStatus: number,
) => {
  const { result, figures } = await db.measure(() => handler(input, localContext('bench')));
  if (result.statusCode !== expectStatus) {
    throw new Error(`expected ${expectStatus}, got ${result.statusCode}: ${result.body}`);
  }
  return figures;
};

const warmup = 20;
const iterations = 300;
/** 300 timed runs after 20 of warm-up, over events `make` builds before timing. */
const latency = (handler: LambdaHandler, make: (i: number) => APIGatewayProxyEventV2) =>
  handlerLatency(
    handler,
    Array.from({ length: warmup + iterations }, (_, i) => make(i)),
    warmup,
  );

/**
 * DynamoDB requests per permission-reply webhook and per permission request (target: one write each),
 * and warm in-process latency of the handlers against DynamoDB Local.
 */
export const bench: Bench = {
  name: 'permissions',
  async run(context) {
    const db = await context.countingDb();
    const deps = benchDeps(db);
    const webhook = messageWebhook(deps);
    const request = permissionRequest(deps);
    const state = permissionState(deps);
    const group = 'permissions';
    const rows: BenchRow[] = [];

    const uuid = randomUUID();
    rows.push({
      group,
      operation: 'permission reply',
      figures: {
        ...(await counted(db, webhook, replyEvent(user(1), uuid), 200)),
        ...(await latency(webhook, (i) => replyEvent(user(1000 + (i % 50))))),
      },
    });
    rows.push({
      group,
      operation: 'permission reply: redelivered',
      figures: await counted(db, webhook, replyEvent(user(1), uuid), 200),
    });
    rows.push({
      group,
      operation: 'permission reply route: a text message',
      figures: await counted(
        db,
        webhook,
        event('POST', plivoPaths.message, {
          form: {
            From: '919830000002',
            To: plivoDigits(exampleNumbers.india),
            ContentType: 'text',
            Body: 'hi',
          },
        }),
        200,
      ),
    });
    rows.push({
      group,
      operation: 'permission request: sent',
      figures: {
        ...(await counted(db, request, requestEvent(user(2)), 202)),
        ...(await latency(request, (i) => requestEvent(user(10_000 + i)))),
      },
    });
    rows.push({
      group,
      operation: 'permission request: refused (limit)',
      figures: await counted(db, request, requestEvent(user(2)), 429),
    });
    rows.push({
      group,
      operation: 'permission state',
      figures: {
        ...(await counted(db, state, stateEvent(user(1)), 200)),
        ...(await latency(state, (i) => stateEvent(user(1000 + (i % 50))))),
      },
    });
    return rows;
  },
};
