/**
 * DynamoDB stopped mid-run and restarted. The suite starts its OWN DynamoDB Local, keeping its data in a
 * temporary folder on a fixed port, so it can be stopped and come back with the same data at the same
 * endpoint. While it is down every route that needs storage answers 503 `unavailable` (Plivo retries a
 * webhook that does not get 200; API clients may retry); after the restart, the very same signed
 * callbacks (Plivo's retries) are applied exactly once, and again-delivered ones change nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoPaths } from '../../functions/shared/routes.js';
import { keys } from '../../functions/shared/store/keys.js';
import {
  type DynamoDbLocal,
  ensureTable,
  freePort,
  startDynamoDbLocal,
} from '../../local/dynamodb.js';
import { type LocalHost, sandboxAuthToken, startLocalHost } from '../../local/host.js';
import { exampleAgents, exampleNumbers } from '../support/fixtures.js';
import { alwaysOpenExampleConfig, plivoXml } from '../support/plivo-forms.js';
import {
  callRecordsOf,
  dialStatusPath,
  leasesOf,
  outboundAnswerPath,
  outboundHangupPath,
  permissionReply,
  placeCall,
  readItem,
  type SignedCallback,
  scanTable,
  signedCallback,
} from './support.js';

const business = exampleNumbers.india;
const userA = '+919850000001'; // a business-initiated call whose callbacks arrive during the outage
const userB = '+919850000002'; // a permission reply during the outage
const userC = '+919850000003'; // an inbound call answered during the outage
const inboundCallId = randomUUID();

const send = (host: LocalHost, path: string, params: Record<string, string>) =>
  signedCallback(host, path, params, sandboxAuthToken);

describe('DynamoDB stopped mid-run and restarted', () => {
  let dataDir: string;
  let port: number;
  let dynamo: DynamoDbLocal;
  let host: LocalHost;
  let outboundCallId: string;
  /** Signed once before the outage; sent while it lasts, and again (Plivo's retries) after it. */
  let callbacks: Record<
    'reply' | 'inboundAnswer' | 'agentAnswer' | 'dialStatus' | 'outboundHangup',
    SignedCallback
  >;
  const db = () => host.deps.db;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'callgate-faults-'));
    port = await freePort();
    dynamo = await startDynamoDbLocal({ port, path: dataDir });
    const tableName = `faults-${randomUUID()}`;
    await ensureTable(dynamo.endpoint, tableName);
    host = await startLocalHost({
      config: alwaysOpenExampleConfig(),
      dynamoEndpoint: dynamo.endpoint,
      tableName,
      port: 0,
    });
  });
  afterAll(async () => {
    await host?.close();
    await dynamo?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('before the outage: a business-initiated call is placed (permission, daily slot, lease)', async () => {
    const granted = await send(
      host,
      plivoPaths.message,
      permissionReply(userA, business, 'accept'),
    );
    expect((await granted.send()).status).toBe(200);
    const placed = await placeCall(host, business, userA);
    expect(placed.status).toBe(201);
    outboundCallId = String(placed.body.callId);
    expect(await leasesOf(db(), business)).toEqual([outboundCallId]);

    const legUuid = randomUUID();
    callbacks = {
      reply: send(host, plivoPaths.message, permissionReply(userB, business, 'accept')),
      inboundAnswer: send(host, plivoPaths.answer, {
        CallUUID: inboundCallId,
        From: userC.slice(1),
        To: business.slice(1),
        Direction: 'inbound',
        CallStatus: 'ringing',
      }),
      agentAnswer: send(host, outboundAnswerPath(outboundCallId), {
        CallUUID: legUuid,
        From: business.slice(1),
        To: exampleAgents.india,
        Direction: 'outbound',
        CallStatus: 'in-progress',
      }),
      dialStatus: send(host, dialStatusPath(outboundCallId), {
        DialStatus: 'no-answer',
        DialALegUUID: legUuid,
        DialBLegUUID: '',
      }),
      outboundHangup: send(host, outboundHangupPath(outboundCallId), {
        CallUUID: legUuid,
        HangupCause: 'NORMAL_CLEARING',
        HangupCauseName: 'Normal Hangup',
        Duration: '47',
      }),
    };
  });

  it('while DynamoDB is down: every webhook and POST /v1/calls answer 503 unavailable; the host keeps serving', async () => {
    await dynamo.stop();
    const timings: Record<string, number> = {};
    for (const [name, callback] of Object.entries(callbacks)) {
      const started = performance.now();
      const response = await callback.send();
      timings[name] = Math.round(performance.now() - started);
      // Not 200 (Plivo retries), not 500 (a fault, not a bug): 503 with the contract's JSON error.
      expect([name, response.status]).toEqual([name, 503]);
      expect(await response.json()).toMatchObject({ error: 'unavailable' });
    }
    const started = performance.now();
    const placed = await placeCall(host, business, userA);
    timings.placeCall = Math.round(performance.now() - started);
    expect([placed.status, placed.body.error]).toEqual([503, 'unavailable']);
    const health = await fetch(`${host.url}/health`);
    expect(health.status).toBe(200);
    // Reported, not asserted: how long a request takes to fail with storage down (SDK maxAttempts 3).
    console.info('request time with DynamoDB down (ms):', JSON.stringify(timings));
  });

  it('after the restart on the same port and folder: Plivo retries are applied exactly once', async () => {
    dynamo = await startDynamoDbLocal({ port, path: dataDir });
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${port}`);
    // The data written before the outage survived it.
    expect(await leasesOf(db(), business)).toEqual([outboundCallId]);

    const reply = await callbacks.reply.send();
    expect([reply.status, await reply.json()]).toEqual([
      200,
      { outcome: 'applied', permission: 'temporary' },
    ]);

    const inbound = await callbacks.inboundAnswer.send();
    expect(inbound.status).toBe(200);
    const inboundXml = await inbound.text();
    expect(plivoXml.parse(inboundXml).Response).toHaveProperty('GetInput');

    const agent = await callbacks.agentAnswer.send();
    expect(agent.status).toBe(200);
    const dial = plivoXml.parse(await agent.text()).Response.Dial;
    expect([dial['@callType'], String(dial.User)]).toEqual(['whatsapp', userA.slice(1)]);

    const dialStatus = await callbacks.dialStatus.send();
    expect(dialStatus.status).toBe(200);
    expect(plivoXml.parse(await dialStatus.text()).Response.Speak).toBe(
      'The customer did not answer.',
    );
    const hangup = await callbacks.outboundHangup.send();
    expect([hangup.status, await hangup.json()]).toEqual([
      200,
      { callId: outboundCallId, outcome: 'ended' },
    ]);

    const snapshot = async () => ({
      pairA: await readItem(db(), keys.pair(business, userA)),
      pairB: await readItem(db(), keys.pair(business, userB)),
      pairC: await readItem(db(), keys.pair(business, userC)),
      outboundCall: await readItem(db(), keys.call(outboundCallId)),
      inboundCall: await readItem(db(), keys.call(inboundCallId)),
      leases: await leasesOf(db(), business),
      items: (await scanTable(db())).length,
    });
    const applied = await snapshot();
    expect(applied.pairA).toMatchObject({ permission: 'temporary', missed: 1 });
    expect(Object.keys(applied.pairA?.calls as object)).toEqual([outboundCallId]);
    expect(applied.pairB).toMatchObject({
      permission: 'temporary',
      permissionSource: 'reply',
      version: 1,
    });
    expect(applied.pairC).toMatchObject({
      permission: 'temporary',
      permissionSource: 'inbound_call',
      version: 1,
    });
    expect(applied.outboundCall).toMatchObject({
      dialStatus: 'no-answer',
      durationSeconds: 47,
      hangupCause: 'Normal Hangup',
    });
    expect(applied.inboundCall).toMatchObject({ direction: 'inbound', user: userC });
    expect(applied.inboundCall).not.toHaveProperty('endedAt');
    // The outbound lease was released, the inbound one taken.
    expect(applied.leases).toEqual([inboundCallId]);

    // Every callback again, all at once: applied, but the response was lost, so Plivo sends it once more.
    const again = Object.fromEntries(
      await Promise.all(
        Object.entries(callbacks).map(async ([name, callback]) => {
          const response = await callback.send();
          return [name, { status: response.status, body: await response.text() }] as const;
        }),
      ),
    );
    for (const [name, { status }] of Object.entries(again))
      expect([name, status]).toEqual([name, 200]);
    expect(JSON.parse(again.reply?.body ?? '')).toEqual({ outcome: 'duplicate' });
    expect(again.inboundAnswer?.body).toBe(inboundXml);
    expect(JSON.parse(again.outboundHangup?.body ?? '')).toEqual({
      callId: outboundCallId,
      outcome: 'already_ended',
    });
    expect(await snapshot()).toEqual(applied);
    expect((await callRecordsOf(db(), userC)).length).toBe(1);
    expect((await callRecordsOf(db(), userA)).length).toBe(1);
  });

  it('the inbound call ends after the outage: its lease is released once, a late answer retry keeps none', async () => {
    const hangup = send(host, plivoPaths.hangup, {
      CallUUID: inboundCallId,
      From: userC.slice(1),
      To: business.slice(1),
      HangupCause: 'NORMAL_CLEARING',
      Duration: '30',
    });
    const first = await hangup.send();
    expect(await first.json()).toEqual({ callId: inboundCallId, outcome: 'ended' });
    expect(await leasesOf(db(), business)).toEqual([]);
    const repeated = await hangup.send();
    expect(await repeated.json()).toEqual({ callId: inboundCallId, outcome: 'already_ended' });
    const lateAnswer = await callbacks.inboundAnswer.send();
    expect(lateAnswer.status).toBe(200);
    await host.settled();
    expect(await leasesOf(db(), business)).toEqual([]);
    expect(await readItem(db(), keys.call(inboundCallId))).toMatchObject({ durationSeconds: 30 });
  });
});

describe('DynamoDB accepting connections but never answering', () => {
  let blackHole: Server;
  const sockets: Socket[] = [];
  let host: LocalHost;

  beforeAll(async () => {
    // Accepts every connection and never writes a byte back: a partition, not a refusal.
    blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as { port: number };
    host = await startLocalHost({
      config: alwaysOpenExampleConfig(),
      dynamoEndpoint: `http://127.0.0.1:${port}`,
      tableName: 'never-answers',
      port: 0,
    });
  });
  afterAll(async () => {
    await host?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole?.close(resolve));
  });

  it('webhooks and POST /v1/calls fail with 503 unavailable instead of hanging', async () => {
    const user = '+919850000009';
    const timed = async (name: string, request: () => Promise<Response>) => {
      const started = performance.now();
      const response = await request();
      return {
        name,
        status: response.status,
        error: ((await response.json()) as { error?: string }).error,
        ms: Math.round(performance.now() - started),
      };
    };
    const results = await Promise.all([
      timed('inboundAnswer', () =>
        send(host, plivoPaths.answer, {
          CallUUID: randomUUID(),
          From: user.slice(1),
          To: business.slice(1),
          Direction: 'inbound',
          CallStatus: 'ringing',
        }).send(),
      ),
      timed('dialStatus', () =>
        send(host, dialStatusPath(randomUUID()), {
          DialStatus: 'completed',
          DialALegUUID: randomUUID(),
          DialBLegUUID: randomUUID(),
        }).send(),
      ),
      timed('placeCall', () =>
        fetch(`${host.url}/v1/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: business, to: user }),
        }),
      ),
    ]);
    for (const { name, status, error } of results) {
      expect([name, status, error]).toEqual([name, 503, 'unavailable']);
    }
    // Reported, not asserted: bounded by the client's request timeout × attempts.
    console.info(
      'request time with DynamoDB not answering (ms):',
      JSON.stringify(Object.fromEntries(results.map((r) => [r.name, r.ms]))),
    );
  });
});
