import { Duration, type Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { keyPrefixes } from '../functions/shared/store/keys.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { CallgateFunction } from './function-construct.js';
import type { DeadLetters } from './operations.js';

export interface StreamReadersProps {
  readonly table: ITable;
  /** Records an inbound call from its committed lease. */
  readonly leaseChanges: CallgateFunction;
  /** Turns the table's changes into callgate's events on the bus. */
  readonly events: CallgateFunction;
  /** Sets a look at the end of each temporary permission a pair change grants or moves. */
  readonly permissionExpiry: CallgateFunction;
}

/** What one reader's mapping sets apart from what every reader's shares. */
interface StreamReading {
  /** The records it gets (a Lambda event filter pattern). */
  readonly filter: Record<string, unknown>;
  /** Where a record goes, with its position, once its retries are spent. */
  readonly deadLetters: Queue;
  readonly maxRecordAge: Duration;
  readonly maxBatchingWindow?: Duration;
  readonly parallelizationFactor?: number;
}

/**
 * Every reader starts at the oldest record kept, take up to 100 a batch, split a failing batch and
 * report the records that failed, and retry a record 10 times before its dead letter.
 */
const readStream = (
  table: ITable,
  reader: CallgateFunction,
  { filter, deadLetters, ...reading }: StreamReading,
) =>
  reader.handler.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 10,
      ...reading,
      onFailure: new SqsDlq(deadLetters),
      filters: [FilterCriteria.filter(filter)],
    }),
  );

/**
 * The three functions that follow the table's stream, each through an event source mapping filtered to
 * the items it reads, with bounded retries and a dead-letter queue for what still fails.
 */
export class StreamReaders {
  /** Stream records the lease-changes function could not apply after its retries. */
  readonly leaseChangeDeadLetters: Queue;
  /** Stream records the events function could not turn into events, or put, after its retries. */
  readonly eventDeadLetters: Queue;
  /** Pair changes whose permission's end the permission-expiry function could not watch after its retries. */
  readonly expiryWatchDeadLetters: Queue;
  /** The readers, in the order their mappings were added. */
  readonly functions: readonly CallgateFunction[];
  readonly deadLetters: readonly DeadLetters[];

  constructor(stack: Stack, props: StreamReadersProps) {
    this.leaseChangeDeadLetters = deadLetterQueue(
      stack,
      'LeaseChangeDeadLetters',
      'the lease-changes event source mapping',
    );
    readStream(props.table, props.leaseChanges, {
      maxRecordAge: Duration.hours(1),
      // A record that keeps failing is split off from the rest, retried, then sent to the dead
      // letters with its position: its lease lapses on its own, the call was answered regardless.
      deadLetters: this.leaseChangeDeadLetters,
      filter: { dynamodb: { Keys: { pk: { S: FilterRule.beginsWith(keyPrefixes.leaseShard) } } } },
    });

    this.eventDeadLetters = deadLetterQueue(
      stack,
      'EventDeadLetters',
      'the events event source mapping',
    );
    readStream(props.table, props.events, {
      // Up to 100 changes per invocation, put 10 per PutEvents request. No batching window: it would
      // hold every event back by its length to save invocations, and under load the batches fill
      // without one (Lambda polls each shard four times a second).
      maxBatchingWindow: Duration.seconds(0),
      // One batch per shard at a time: an item's events reach the bus in the order it changed.
      parallelizationFactor: 1,
      // Bounded: a record that still fails goes to the dead letters with its position, readable
      // from the stream for its 24 hours.
      maxRecordAge: Duration.hours(6),
      deadLetters: this.eventDeadLetters,
      filter: {
        eventName: FilterRule.or('INSERT', 'MODIFY'),
        dynamodb: {
          Keys: {
            pk: {
              S: [
                ...FilterRule.beginsWith(keyPrefixes.pair),
                ...FilterRule.beginsWith(keyPrefixes.call),
                ...FilterRule.beginsWith(keyPrefixes.intent),
                ...FilterRule.beginsWith(keyPrefixes.numberRestriction),
              ],
            },
          },
        },
      },
    });

    this.expiryWatchDeadLetters = deadLetterQueue(
      stack,
      'ExpiryWatchDeadLetters',
      'the permission-expiry event source mapping',
    );
    readStream(props.table, props.permissionExpiry, {
      // A record that keeps failing (Scheduler refusing its schedule) is split off, retried, then
      // dead-lettered with its position: that permission's expiry then has no event.
      maxRecordAge: Duration.hours(6),
      deadLetters: this.expiryWatchDeadLetters,
      // Every pair change: a filter cannot compare the images, the function keeps those that grant or
      // move a temporary permission.
      filter: {
        eventName: FilterRule.or('INSERT', 'MODIFY'),
        dynamodb: { Keys: { pk: { S: FilterRule.beginsWith(keyPrefixes.pair) } } },
      },
    });

    this.functions = [props.leaseChanges, props.events, props.permissionExpiry];
    this.deadLetters = [
      {
        name: 'lease-changes',
        queue: this.leaseChangeDeadLetters,
        holds:
          'lease shard changes the lease-changes function could not apply (an inbound call not recorded)',
      },
      {
        name: 'events',
        queue: this.eventDeadLetters,
        holds: 'table changes the events function could not turn into events or put on the bus',
      },
      {
        name: 'expiry-watch',
        queue: this.expiryWatchDeadLetters,
        holds:
          "pair changes whose temporary permission's end the permission-expiry function could not watch (no permission.expired for it)",
      },
    ];
  }
}
