/**
 * DynamoDB freezing for 8 s in the middle of a burst of POST /v1/calls, as a stopped process does: it
 * still accepts connections, and every request sent meanwhile waits in its socket buffers and is applied
 * when it resumes, long after the client timed out. A TCP relay in front of the run's DynamoDB Local
 * holds every byte, both ways, from the first placement transaction it sees until it thaws. A request
 * answered 503 may so leave its reservation written with no call placed; a retry with the same
 * Idempotency-Key, once the takeover age has passed, must still place the call, once.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idempotencyKeys } from '../../functions/shared/store/items/idempotency.js';
import { keys } from '../../functions/shared/store/keys.js';
import { ensureTable } from '../../local/dynamodb.js';
import { type LocalHost, startLocalHost } from '../../local/host.js';
import { fillLeases } from '../support/dynamo.js';
import { exampleNumbers } from '../support/fixtures.js';
import { acceptPermission, advanceClock, recordedCalls } from '../support/local-host.js';
import { alwaysOpenExampleConfig } from '../support/plivo-forms.js';
import { callRecordsOf, leasesOf, placeCall, readItem } from './support.js';

const business = exampleNumbers.india;
const freezeMs = 8_000;

interface FreezingRelay {
  readonly endpoint: string;
  /** Freezes for `ms` when the next TransactWriteItems comes through. */
  freezeOnNextTransaction(ms: number): void;
  /** Resolves once the relay has thawed and DynamoDB has answered every request it held. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const occurrences = (chunk: Buffer, marker: string) =>
  chunk.toString('latin1').split(marker).length - 1;

const startFreezingRelay = async (upstream: URL): Promise<FreezingRelay> => {
  let armedMs: number | undefined;
  let thawed: Promise<void> = Promise.resolve();
  let frozen = false;
  /** Requests sent on to DynamoDB and responses it gave back, to know when it has answered all. */
  let requests = 0;
  let responses = 0;
  const sockets: Socket[] = [];
  /** Writes a chunk at once, or when the relay thaws, keeping each direction's order. */
  const relay = (queue: Buffer[], to: Socket, chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length > 1 || frozen) return;
    flush(queue, to);
  };
  const flush = (queue: Buffer[], to: Socket) => {
    for (const chunk of queue.splice(0)) if (!to.destroyed) to.write(chunk);
  };
  const server: Server = createServer((client) => {
    const dynamo = connect(Number(upstream.port), upstream.hostname);
    sockets.push(client, dynamo);
    const toDynamo: Buffer[] = [];
    const toClient: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      if (armedMs !== undefined && chunk.includes('TransactWriteItems')) {
        const ms = armedMs;
        armedMs = undefined;
        frozen = true;
        thawed = new Promise((resolve) => setTimeout(resolve, ms)).then(() => {
          frozen = false;
        });
      }
      requests += occurrences(chunk, 'POST / HTTP/1.1');
      relay(toDynamo, dynamo, chunk);
      if (frozen) void thawed.then(() => flush(toDynamo, dynamo));
    });
    dynamo.on('data', (chunk: Buffer) => {
      responses += occurrences(chunk, 'HTTP/1.1 ');
      relay(toClient, client, chunk);
      if (frozen) void thawed.then(() => flush(toClient, client));
    });
    // A client that gave up does not take back what it sent: DynamoDB still gets it on thawing.
    client.on('error', () => undefined);
    dynamo.on('error', () => undefined);
    dynamo.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    freezeOnNextTransaction: (ms) => {
      armedMs = ms;
    },
    settled: async () => {
      await thawed;
      while (responses < requests) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

describe('DynamoDB frozen for 8 s during a burst of placements', () => {
  let relay: FreezingRelay;
  let host: LocalHost;
  const db = () => host.deps.db;

  beforeAll(async () => {
    const dynamoEndpoint = inject('dynamoEndpoint');
    const tableName = `freeze-${randomUUID()}`;
    await ensureTable(dynamoEndpoint, tableName);
    relay = await startFreezingRelay(new URL(dynamoEndpoint));
    host = await startLocalHost({
      config: alwaysOpenExampleConfig(),
      dynamoEndpoint: relay.endpoint,
      tableName,
      port: 0,
    });
  });
  afterAll(async () => {
    await host?.close();
    await relay?.close();
  });

  it('every request answered 503 is placed once by its retry with the same Idempotency-Key', async () => {
    const users = Array.from({ length: 6 }, (_, i) => `+91986${String(i + 1).padStart(7, '0')}`);
    for (const user of users) await acceptPermission(host, user, business);
    const keyOf = (user: string) => ({ 'idempotency-key': `freeze-${user}` });
    // A number already in use: its lease shards exist, so a held placement can be applied on thawing.
    await fillLeases(db(), business, {
      count: 0,
      limit: host.deps.config.rules.simultaneousCallsPerNumber,
      expiresAt: 0,
    });
    const earlier = '+919860000000';
    await acceptPermission(host, earlier, business);
    const earlierCall = await placeCall(host, business, earlier);
    expect(earlierCall.status).toBe(201);

    relay.freezeOnNextTransaction(freezeMs);
    const burst = await Promise.all(
      users.map((user) => placeCall(host, business, user, keyOf(user))),
    );
    for (const answer of burst) expect([201, 503]).toContain(answer.status);
    await relay.settled();
    // The fault as reported: a request answered 503 whose reservation was applied after all.
    const left = await Promise.all(
      users.map((user) =>
        readItem(db(), keys.idempotency(idempotencyKeys.client(`freeze-${user}`))),
      ),
    );
    expect(
      left.filter((record, i) => burst[i]?.status === 503 && record?.status === 'pending'),
    ).not.toEqual([]);

    await advanceClock(host, 31);
    const retried = await Promise.all(
      users.map((user) => placeCall(host, business, user, keyOf(user))),
    );
    for (const [i, answer] of retried.entries()) {
      expect([users[i], answer.status, answer.body.error]).toEqual([users[i], 201, undefined]);
      if (burst[i]?.status === 201) expect(answer.body).toEqual(burst[i]?.body);
    }

    // One live reservation per user, nothing stale left, and Plivo asked for exactly those calls.
    const callIds = retried.map((answer) => String(answer.body.callId));
    for (const [i, user] of users.entries()) {
      const calls = Object.keys(
        ((await readItem(db(), keys.pair(business, user)))?.calls ?? {}) as object,
      );
      expect([user, calls]).toEqual([user, [callIds[i]]]);
      const records = (await callRecordsOf(db(), user)).map((call) => call.callId);
      expect([user, records]).toEqual([user, [callIds[i]]]);
    }
    const placed = [String(earlierCall.body.callId), ...callIds].sort();
    expect(await leasesOf(db(), business)).toEqual(placed);
    const asked = (await recordedCalls(host)).map((call) =>
      new URL(String(call.params.answer_url)).searchParams.get('call'),
    );
    expect(asked.sort()).toEqual(placed);
  });
});
