import autocannon from 'autocannon';

/** One request of the load, built (and signed) before the timed run, and what it got back. */
export interface Shot<Meta> {
  readonly method: 'POST' | 'GET';
  /** Path and query. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** What the request stands for (call id, user, business number…), for the checks afterwards. */
  readonly meta: Meta;
  status?: number;
  response?: string;
  /** performance.now() just before autocannon writes the request. */
  sentAt?: number;
  /** From `sentAt` to the response's last byte, in ms (fractional). */
  latencyMs?: number;
}

/** A route's row in the report: autocannon's own figures for one instance. */
export interface RouteFigures {
  readonly phase: string;
  readonly route: string;
  readonly requests: number;
  readonly connections: number;
  /** autocannon's `requests.average`: mean of its per-second samples (a last partial second counts whole). */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seconds: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Requests that got no answer: connection errors, timeouts, or stopped by the time cap. */
  readonly unanswered: number;
}

export interface Volley<Meta> {
  readonly route: string;
  readonly shots: readonly Shot<Meta>[];
  readonly connections: number;
  /** Requests per second over all connections (autocannon's `overallRate`); unpaced when absent. */
  readonly overallRate?: number;
}

/**
 * Sends every shot once, each on its own (autocannon's `amount` = the number of shots, and each
 * client's `setupRequest` takes the next shot from a queue the clients share), and stops the run at
 * `deadline` (epoch ms) whatever is left. A shot's answer and latency are matched through the client's
 * context: with no pipelining a client has one request in flight, so its response is that shot's.
 */
export const fire = async <Meta>(
  target: string,
  phase: string,
  volley: Volley<Meta>,
  deadline: number,
): Promise<RouteFigures> => {
  const { shots, route } = volley;
  const connections = Math.max(1, Math.min(volley.connections, shots.length));
  let next = 0;
  const instance = autocannon({
    url: target,
    connections,
    amount: shots.length,
    timeout: 30,
    ...(volley.overallRate === undefined ? {} : { overallRate: volley.overallRate }),
    requests: [
      {
        setupRequest: (request, context) => {
          const shot = shots[next++];
          // `amount` makes exactly one setupRequest per shot; more would be a change in autocannon.
          if (!shot) throw new Error(`${route}: autocannon asked for more requests than planned`);
          context.shot = shot;
          // Per request, not autocannon's histogram: that one keeps whole milliseconds.
          shot.sentAt = performance.now();
          return {
            ...request,
            method: shot.method,
            path: shot.path,
            headers: shot.headers,
            body: shot.body,
          };
        },
        onResponse: (status, body, context) => {
          const shot = context.shot as Shot<Meta>;
          shot.latencyMs = performance.now() - (shot.sentAt ?? Number.NaN);
          shot.status = status;
          shot.response = body;
        },
      },
    ],
  });
  const cap = setTimeout(() => instance.stop(), Math.max(0, deadline - Date.now()));
  const result = await instance;
  clearTimeout(cap);
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = count;
  return {
    phase,
    route,
    requests: result.requests.total,
    connections,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    seconds: result.duration,
    statuses,
    unanswered: shots.filter((s) => s.status === undefined).length,
  };
};

/** The report as a console table. */
export const formatTable = (rows: readonly RouteFigures[]): string => {
  const header = [
    'phase',
    'route',
    'requests',
    'conn',
    'secs',
    'req/s',
    'p50 ms',
    'p99 ms',
    'statuses',
  ];
  const lines = rows.map((r) => [
    r.phase,
    r.route,
    String(r.requests),
    String(r.connections),
    r.seconds.toFixed(2),
    r.requestsPerSecond.toFixed(1),
    String(r.p50Ms),
    String(r.p99Ms),
    Object.entries(r.statuses)
      .map(([code, count]) => `${code}×${count}`)
      .join(' '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const last = header.length - 1;
  // Names and status counts left-aligned, figures right-aligned.
  const format = (cells: readonly string[]) =>
    cells.map((cell, i) =>
      i < 2 || i === last ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
    );
  return [header, ...lines].map((cells) => format(cells).join('  ')).join('\n');
};
