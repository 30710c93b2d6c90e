/**
 * An API on a named stage (`https://<api>.execute-api.<region>.amazonaws.com/prod`): Plivo signs the URL
 * it called, stage included, and every URL callgate hands Plivo must come back through the same stage,
 * whether or not the configured public base URL names it. Through a custom domain the stage is not in
 * the path and the base URL is used as it is.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler as answerHandler } from '../../functions/answer/handler.js';
import { createHandler as placeCallHandler } from '../../functions/place-call/handler.js';
import type { Deps } from '../../functions/shared/deps.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import type { Db } from '../../functions/shared/store/client.js';
import { localContext, toPayloadV2Event } from '../../local/event.js';
import { createSandboxTelephony } from '../../local/sandbox/telephony.js';
import { createTestDb, putPair } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';
import { alwaysOpenExampleConfig, inboundAnswerForm, plivoXml } from '../support/plivo-forms.js';
import { signV3 } from '../support/plivo-sign.js';

const authToken = 'stage-auth-token';
const endpoint = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const answerPath = '/plivo/whatsapp/answer';
let db: Db;

beforeAll(async () => {
  db = await createTestDb();
});

const depsWith = (publicBaseUrl: string) => {
  const telephony = createSandboxTelephony(Date.now);
  const deps: Deps = {
    config: alwaysOpenExampleConfig(),
    clock: Date.now,
    db,
    telephony,
    plivoAuthToken: async () => authToken,
    listingCursorKey: async () => 'test-listing-cursor-key',
    publicBaseUrl,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: createMetricsRecorder().forFunction('test'),
  };
  return { deps, telephony };
};

/** The event API Gateway sends for a request to `host` + `rawPath` on `stage`. */
const invoke = async (
  handler: LambdaHandler,
  request: { host: string; rawPath: string; stage: string; body: string; headers: object },
) => {
  const event = toPayloadV2Event(
    {
      method: 'POST',
      url: new URL(`${request.host}${request.rawPath}`),
      headers: request.headers as Record<string, string>,
      body: Buffer.from(request.body),
      sourceIp: '127.0.0.1',
    },
    'POST /',
    {},
    new Date(),
  );
  const staged = { ...event, requestContext: { ...event.requestContext, stage: request.stage } };
  return handler(staged, localContext('test'));
};

/** Plivo calls `calledUrl` and signs exactly it. */
const inboundCall = (deps: Deps, calledUrl: string, stage: string, signedUrl = calledUrl) => {
  const params = inboundAnswerForm(randomUUID(), '+919812340001', exampleNumbers.india);
  const url = new URL(calledUrl);
  return invoke(answerHandler(deps), {
    host: url.origin,
    rawPath: url.pathname,
    stage,
    body: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signV3({ method: 'POST', url: signedUrl, params, authToken }),
    },
  });
};

const menuActions = (xml: string | undefined): string[] => {
  const response = plivoXml.parse(xml ?? '').Response as { GetInput?: { '@action': string }[] };
  return (response.GetInput ?? []).map((input) => input['@action']);
};

describe('a named API Gateway stage', () => {
  it('verifies the signature over the URL Plivo called, stage included, and answers with URLs through it', async () => {
    const { deps } = depsWith(endpoint);
    const result = await inboundCall(deps, `${endpoint}/prod${answerPath}`, 'prod');
    expect(result.statusCode).toBe(200);
    const actions = menuActions(result.body);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions)
      expect(action.startsWith(`${endpoint}/prod${answerPath}?`)).toBe(true);
  });

  it('refuses a signature over the URL without the stage: that is not what Plivo called', async () => {
    const { deps } = depsWith(endpoint);
    const forged = await inboundCall(
      deps,
      `${endpoint}/prod${answerPath}`,
      'prod',
      `${endpoint}${answerPath}`,
    );
    expect(forged.statusCode).toBe(403);
  });

  it('does not add the stage twice when the configured base URL already names it', async () => {
    const { deps } = depsWith(`${endpoint}/prod`);
    const result = await inboundCall(deps, `${endpoint}/prod${answerPath}`, 'prod');
    expect(result.statusCode).toBe(200);
    for (const action of menuActions(result.body)) {
      expect(action.startsWith(`${endpoint}/prod${answerPath}?`)).toBe(true);
    }
  });

  it('uses a custom domain as configured: the stage is not in its paths', async () => {
    const { deps } = depsWith('https://calls.example.com');
    const result = await inboundCall(deps, `https://calls.example.com${answerPath}`, 'prod');
    expect(result.statusCode).toBe(200);
    for (const action of menuActions(result.body)) {
      expect(action.startsWith(`https://calls.example.com${answerPath}?`)).toBe(true);
    }
  });

  it('gives Plivo answer and hangup URLs through the stage when a call is placed on it', async () => {
    const { deps, telephony } = depsWith(endpoint);
    const business = exampleNumbers.india;
    const user = '+919812340002';
    await putPair(db, business, user, {
      permission: 'permanent',
      permissionAt: Date.now(),
      permissionSource: 'reply',
      version: 1,
    });
    const result = await invoke(placeCallHandler(deps), {
      host: endpoint,
      rawPath: '/prod/v1/calls',
      stage: 'prod',
      body: JSON.stringify({ from: business, to: user }),
      headers: { 'content-type': 'application/json' },
    });
    expect(result.statusCode).toBe(201);
    const placed = telephony.requests().find((r) => r.api === 'call')?.params as {
      answer_url: string;
      hangup_url: string;
    };
    expect(placed.answer_url.startsWith(`${endpoint}/prod${answerPath}?call=`)).toBe(true);
    expect(placed.hangup_url.startsWith(`${endpoint}/prod/plivo/`)).toBe(true);
  });
});
