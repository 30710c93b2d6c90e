import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as plivo from 'plivo';
import type { Db } from '../../functions/shared/store/client.js';
import { percentile, round } from './support.js';

/**
 * What the answer route is held against: a Plivo answer server that stores nothing, and one
 * single-item conditional write to DynamoDB Local. Both in the bench's process, as the local host is.
 */

export interface StatelessPeer {
  readonly url: string;
  close(): Promise<void>;
}

const readForm = (request: IncomingMessage): Promise<URLSearchParams> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    request.on('error', reject);
  });

interface XmlElement {
  addSpeak(text: string, attributes?: Record<string, string>): XmlElement;
  addGetInput(attributes: Record<string, string>): XmlElement;
  toXML(): string;
}

// plivo's typings declare Response as a plain function returning any; it is a constructor.
const PlivoResponse = plivo.Response as unknown as new () => XmlElement;

/** The same shape as the answer route's for India: a greeting, then a menu that waits for a key. */
const fixedAnswer = (): string => {
  const response = new PlivoResponse();
  response.addSpeak('Namaste, thank you for calling Acme India.', {
    voice: 'Polly.Aditi',
    language: 'en-IN',
  });
  const menu = response.addGetInput({
    action: 'https://callgate.example.com/plivo/whatsapp/answer?step=menu&attempt=0',
    method: 'POST',
    inputType: 'dtmf',
    digitEndTimeout: '5',
    redirect: 'true',
  });
  menu.addSpeak('For sales, press 1. For support, press 2. To leave a message, press 3.', {
    voice: 'Polly.Aditi',
    language: 'en-IN',
  });
  return response.toXML();
};

const send = (response: ServerResponse, status: number, type: string, body: string) => {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
};

/**
 * A minimal node:http server on 127.0.0.1: reads the form Plivo posts, and answers a call with a
 * fixed XML document from the plivo package's builder, built per request as an answer server does.
 */
export const startStatelessPeer = async (): Promise<StatelessPeer> => {
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const form = await readForm(request);
    if (!form.get('CallUUID')) send(response, 400, 'text/plain', 'not a call');
    else send(response, 200, 'application/xml', fixedAnswer());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export interface LeaseTakeLoop {
  /** Runs `samples` conditional writes over the workers; each write's latency in ms. */
  run(samples: number): Promise<{ latenciesMs: number[]; seconds: number }>;
}

/** Filler leases per shard item, besides one per worker: together ~1 KB. */
const fillerLeases = 16;

/**
 * `workers` loops, each sending one UpdateCommand at a time, as the lease take on a lease shard does
 * (functions/shared/store/items/leases.ts): `SET leases.#call` under `size(leases) < :max AND
 * attribute_not_exists(leases.#call)`, on `shards` items of their own in the table. Each write also
 * drops the worker's previous lease, so the item stays ~1 KB however many writes run, as a line does
 * whose calls end as fast as they start.
 */
export const prepareLeaseTakeLoop = async (
  db: Db,
  { workers, shards, max }: { workers: number; shards: number; max: number },
): Promise<LeaseTakeLoop> => {
  const expiry = () => Date.now() + 3_600_000;
  const shardKey = (shard: number) => ({ pk: `BENCH#LINE#${shard}`, sk: 'LEASES' });
  const held = Array.from({ length: workers }, () => randomUUID());
  for (let shard = 0; shard < shards; shard++) {
    const leases: Record<string, number> = {};
    for (let i = 0; i < fillerLeases; i++) leases[randomUUID()] = expiry();
    held.forEach((call, worker) => {
      if (worker % shards === shard) leases[call] = expiry();
    });
    await db.doc.send(
      new PutCommand({ TableName: db.tableName, Item: { ...shardKey(shard), leases } }),
    );
  }
  return {
    async run(samples) {
      const latenciesMs: number[] = [];
      let issued = 0;
      const started = performance.now();
      await Promise.all(
        held.map(async (_, worker) => {
          while (issued < samples) {
            issued++;
            const call = randomUUID();
            const command = new UpdateCommand({
              TableName: db.tableName,
              Key: shardKey(worker % shards),
              UpdateExpression: 'SET leases.#call = :expiry REMOVE leases.#held',
              ConditionExpression: 'size(leases) < :max AND attribute_not_exists(leases.#call)',
              ExpressionAttributeNames: { '#call': call, '#held': held[worker] as string },
              ExpressionAttributeValues: { ':expiry': expiry(), ':max': max },
            });
            const sent = performance.now();
            await db.doc.send(command);
            latenciesMs.push(performance.now() - sent);
            held[worker] = call;
          }
        }),
      );
      return { latenciesMs, seconds: (performance.now() - started) / 1000 };
    },
  };
};

/** Request rate and latency percentiles of one run, in ms to 0.1. */
export const latencyFigures = (latenciesMs: readonly number[], seconds: number) => ({
  'req/s': round(latenciesMs.length / seconds, 1),
  'p50 ms': round(percentile(latenciesMs, 50), 1),
  'p90 ms': round(percentile(latenciesMs, 90), 1),
  'p99 ms': round(percentile(latenciesMs, 99), 1),
  'max ms': round(Math.max(...latenciesMs), 1),
});
