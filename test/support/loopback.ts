/**
 * A 127.0.0.1 HTTP server standing in for a service callgate calls (Plivo's API, EventBridge, the
 * Scheduler, a business's webhook): it records every request and answers as the test tells it.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent, '' when there was none. */
  readonly text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = unknown>(): T;
}

export interface LoopbackAnswer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

/** An answer, or 'hang': the request is never answered (the caller times out). */
export type LoopbackReply = LoopbackAnswer | 'hang';

/** How the server answers a request; `index` is its place in `requests` (0 for the first). */
export type Answerer = (request: LoopbackRequest, index: number) => LoopbackReply;

export interface Loopback {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request, in the order it arrived; tests may empty it. */
  readonly requests: LoopbackRequest[];
  /** Stops listening and drops kept-alive connections: the next request is refused (ECONNREFUSED). */
  refuseConnections(): Promise<void>;
  /** Listens again on the same port. */
  acceptConnections(): Promise<void>;
  close(): Promise<void>;
}

/** A JSON answer. */
export const jsonAnswer = (
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): LoopbackAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const startLoopback = async (answer: Answerer): Promise<Loopback> => {
  const requests: LoopbackRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const recorded: LoopbackRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        text,
        json: <T>() => JSON.parse(text) as T,
      };
      requests.push(recorded);
      const reply = answer(recorded, requests.length - 1);
      if (reply === 'hang') return;
      response.writeHead(reply.status, reply.headers).end(reply.body);
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refuseConnections: stop,
    acceptConnections: () => listen(port),
    close: stop,
  };
};
