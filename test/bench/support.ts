import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import type { Config } from '../../functions/shared/config/schema.js';
import type { Deps } from '../../functions/shared/deps.js';
import type { LambdaHandler } from '../../functions/shared/http/middleware.js';
import { createMetricsRecorder } from '../../functions/shared/metrics.js';
import { createDb, type Db } from '../../functions/shared/store/client.js';
import { ensureTable } from '../../local/dynamodb.js';
import { localContext } from '../../local/event.js';
import { createSandboxTelephony, type SandboxTelephony } from '../../local/sandbox/telephony.js';
import { attachCapacityMeter } from '../support/capacity.js';
import type { BenchRow } from './performance-doc.js';

export type { BenchRow } from './performance-doc.js';

export interface BenchContext {
  readonly dynamoEndpoint: string;
  /** A fresh table whose client counts every DynamoDB request by command. */
  countingDb(): Promise<CountingDb>;
}

export interface Bench {
  readonly name: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

/** What one measured run sent: DynamoDB requests, by command, and the capacity they consumed. */
export type RequestFigures = {
  readonly dynamoRequests: number;
  /** `GetItem×1 TransactWriteItems×1`, in the order first sent; `none`. */
  readonly commands: string;
  /** Write and read units as DynamoDB bills them (transactions at 2 per KB per item). */
  readonly WCU: number;
  readonly RCU: number;
};

export interface CountingDb extends Db {
  /** Requests sent since the last reset, by command name (GetItem, TransactWriteItems, …). */
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
  /**
   * What `run` sends through this client, counted from zero. Capacity is metered with
   * ReturnConsumedCapacity (test/support/capacity.ts) only while `run` runs: timed runs carry no meter.
   */
  measure<T>(
    run: () => Promise<T>,
  ): Promise<{ readonly result: T; readonly figures: RequestFigures }>;
}

/**
 * Counts the requests `db`'s client sends (`endpoint`: the DynamoDB Local it talks to, for the capacity
 * meter). A figure counts one client: what runs beside the measured handler (the table's stream
 * functions) gets a client of its own, so its requests never land in the handler's figure.
 */
export const countRequests = (db: Db, endpoint: string): CountingDb => {
  let counts: Record<string, number> = {};
  // Counted at the client, once per logical request (before retries), not estimated from the code.
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const total = () => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    ...db,
    counts: () => ({ ...counts }),
    total,
    reset: () => {
      counts = {};
    },
    measure: async (run) => {
      counts = {};
      const meter = attachCapacityMeter(db, endpoint);
      try {
        const result = await run();
        const { wcu, rcu } = meter.snapshot();
        const commands =
          Object.entries(counts)
            .map(([name, n]) => `${name.replace(/Command$/, '')}×${n}`)
            .join(' ') || 'none';
        return {
          result,
          figures: { dynamoRequests: total(), commands, WCU: round(wcu), RCU: round(rcu) },
        };
      } finally {
        meter.close();
      }
    },
  };
};

export const createCountingDb = async (endpoint: string): Promise<CountingDb> => {
  const tableName = `bench-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  // A loaded machine's DynamoDB Local can take longer than the functions' 2 s: a slow answer is a
  // figure to report, not a bench to abort.
  return countRequests(createDb({ tableName, endpoint, requestTimeoutMs: 15_000 }), endpoint);
};

export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
};

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Warm latency: runs `operation(i)` sequentially after a warm-up, returns p50/p99 in ms. */
export const measureLatency = async (
  operation: (iteration: number) => Promise<unknown>,
  { warmup = 20, iterations = 200 }: { warmup?: number; iterations?: number } = {},
): Promise<{ p50: number; p99: number; n: number }> => {
  for (let i = 0; i < warmup; i++) await operation(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await operation(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return {
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    n: iterations,
  };
};

export const benchPublicBaseUrl = 'https://callgate.example.com';
export const benchAuthToken = 'bench-auth-token';

/**
 * What an in-process benchmark gives the handler factories: a counting table, the sandbox Plivo (so the
 * requests it would send can be read), the real clock and a silent logger.
 */
export const benchDeps = (
  db: CountingDb,
  config: Config = readConfigFile(exampleConfigPath),
): Deps & { readonly telephony: SandboxTelephony } => {
  const clock = () => Date.now();
  return {
    config,
    clock,
    db,
    telephony: createSandboxTelephony(clock),
    plivoAuthToken: async () => benchAuthToken,
    listingCursorKey: async () => 'bench-listing-cursor-key',
    publicBaseUrl: benchPublicBaseUrl,
    logger: new Logger({ serviceName: 'callgate-bench', logLevel: 'SILENT' }),
    metrics: createMetricsRecorder().forFunction('bench'),
  };
};

/**
 * Warm in-process latency of a handler over events built before timing (signing is Plivo's work, not
 * the handler's): the first `warmup` events warm it up, the rest are timed.
 */
export const handlerLatency = async (
  handler: LambdaHandler,
  events: readonly APIGatewayProxyEventV2[],
  warmup: number,
) => {
  const context = localContext('bench');
  const { p50, p99, n } = await measureLatency(
    (i) => handler(events[i < 0 ? -1 - i : warmup + i] as APIGatewayProxyEventV2, context),
    { warmup, iterations: events.length - warmup },
  );
  return { 'p50 ms': p50, 'p99 ms': p99, n };
};
