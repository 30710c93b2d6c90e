/**
 * DynamoDB Local models neither transaction conflicts nor throttling; real DynamoDB does both. This
 * client middleware (tests only, opt-in) plays real DynamoDB's refusals on a store's own client:
 *
 * - a share of TransactWriteItems is cancelled with a `TransactionConflict` reason on one item (another
 *   transaction held it), as real DynamoDB does under concurrent writers;
 * - a share of transactions is cancelled with a `ThrottlingError` or `ProvisionedThroughputExceeded`
 *   reason, and a share of single requests fails with `ProvisionedThroughputExceededException` or
 *   `ThrottlingException`. It sits inside the SDK's retry loop, so the SDK's own retries of a throttled
 *   request run as they would against AWS.
 *
 * Nothing refused reaches DynamoDB Local: a cancelled transaction wrote nothing, as on AWS.
 */
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { Db } from '../../functions/shared/store/client.js';

export interface Contention {
  /** Share of transactions cancelled with `TransactionConflict` (0–1). */
  readonly conflicts?: number;
  /** Share of transactions cancelled, and of other requests refused, as throttled (0–1). */
  readonly throttles?: number;
  /** Uniform in [0, 1): seeded in tests that replay a run. */
  readonly random?: () => number;
}

export interface ContentionCounts {
  transactions: number;
  requests: number;
  conflicts: number;
  throttledTransactions: number;
  throttledRequests: number;
}

export interface InjectedContention {
  readonly counts: ContentionCounts;
  /** Changes the shares from the next request on. */
  set(contention: Contention): void;
  /** Takes the middleware off the client. */
  remove(): void;
}

const transactionReasons = ['ThrottlingError', 'ProvisionedThroughputExceeded'] as const;

const cancelled = (items: number, failing: number, code: string) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${Array.from(
      { length: items },
      (_, i) => (i === failing ? code : 'None'),
    ).join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: Array.from({ length: items }, (_, i) => ({
      Code: i === failing ? code : 'None',
    })),
  });

const throttledRequest = (random: () => number) =>
  random() < 0.5
    ? new ProvisionedThroughputExceededException({
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        $metadata: { httpStatusCode: 400 },
      })
    : Object.assign(new Error('Throughput exceeds the current capacity for one or more items.'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });

let installed = 0;

/** Installs the middleware on `db`'s client with the given shares. */
export const injectContention = (db: Db, contention: Contention): InjectedContention => {
  let { conflicts = 0, throttles = 0, random = Math.random } = contention;
  const counts: ContentionCounts = {
    transactions: 0,
    requests: 0,
    conflicts: 0,
    throttledTransactions: 0,
    throttledRequests: 0,
  };
  const name = `injectContention${++installed}`;
  db.doc.middlewareStack.add(
    (next) => async (args) => {
      const items = (args.input as { TransactItems?: unknown[] }).TransactItems;
      if (items) {
        counts.transactions += 1;
        const draw = random();
        const failing = Math.floor(random() * items.length);
        if (draw < conflicts) {
          counts.conflicts += 1;
          throw cancelled(items.length, failing, 'TransactionConflict');
        }
        if (draw < conflicts + throttles) {
          counts.throttledTransactions += 1;
          const code = transactionReasons[Math.floor(random() * transactionReasons.length)];
          throw cancelled(items.length, failing, code ?? 'ThrottlingError');
        }
        return next(args);
      }
      counts.requests += 1;
      if (random() < throttles) {
        counts.throttledRequests += 1;
        throw throttledRequest(random);
      }
      return next(args);
    },
    // Inside the SDK's retry loop (which runs in finalizeRequest): a throttled request is retried by
    // the SDK as it would be on AWS.
    { step: 'deserialize', name },
  );
  return {
    counts,
    set: (next) => {
      conflicts = next.conflicts ?? conflicts;
      throttles = next.throttles ?? throttles;
      random = next.random ?? random;
    },
    remove: () => {
      db.doc.middlewareStack.remove(name);
    },
  };
};
