import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Logger } from '../functions/shared/log.js';

/** A function behind an event source mapping on the table's stream (lease-changes, events). */
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface StreamReader {
  /** Resolves once every change committed before the call has been handed to the handler and applied. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The record as Lambda delivers it. The Streams client reads an empty map (`{"M":{}}`) back as `{}`,
 * which is no attribute value at all; Lambda passes the JSON through as DynamoDB wrote it.
 */
const asLambdaRecord = (record: StreamRecord): DynamoDBRecord => {
  const image = (values: Record<string, unknown> | undefined) =>
    values &&
    Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        value && typeof value === 'object' && Object.keys(value).length === 0 ? { M: {} } : value,
      ]),
    );
  const change = record.dynamodb;
  return {
    ...record,
    dynamodb: change && {
      ...change,
      NewImage: image(change.NewImage),
      OldImage: image(change.OldImage),
    },
  } as DynamoDBRecord;
};

/** How long the reader waits after DynamoDB Local failed to answer it. */
const unreachablePauseMs = 500;

/** How often the reader asks DynamoDB Local for new records when the last ask found none. */
const idlePollMs = 25;

/** Retries of a failing record before it is given up: the stack's event source mapping has the same. */
const maxRetries = 10;

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * What Lambda's event source mapping does on AWS, for the local host: reads the table's DynamoDB Local
 * stream shard by shard, in order, and hands each batch to the same handler the Lambda runs, retrying a
 * batch from the first record the handler reports failed.
 */
export const startStreamReader = (options: {
  readonly endpoint: string;
  readonly tableName: string;
  readonly handler: StreamHandler;
  readonly logger: Logger;
}): StreamReader => {
  // Bounded like the functions' own client: a DynamoDB that never answers must not hold the reader.
  const clientOptions = {
    endpoint: options.endpoint,
    region: 'local',
    credentials,
    // The reader's own loop asks again: no SDK retries on top.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      throwOnRequestTimeout: true,
    },
  };
  const table = new DynamoDBClient(clientOptions);
  const streams = new DynamoDBStreamsClient(clientOptions);
  let streamArn: string | undefined;
  const latestStreamArn = async (): Promise<string> => {
    if (streamArn) return streamArn;
    const { Table } = await table.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`table ${options.tableName} has no stream`);
    streamArn = Table.LatestStreamArn;
    return streamArn;
  };

  const iterators = new Map<string, string | undefined>();
  const failures = new Map<string, number>();
  let running = true;
  let idleWaiters: (() => void)[] = [];
  let passWithRecords = true;

  const discoverShards = async (arn: string) => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId;
      if (!id || iterators.has(id)) continue;
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: id,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      iterators.set(id, ShardIterator);
    }
  };

  const deliver = async (records: StreamRecord[]): Promise<number> => {
    const event: DynamoDBStreamEvent = { Records: records.map(asLambdaRecord) };
    const { batchItemFailures } = await options.handler(event);
    const failed = batchItemFailures[0]?.itemIdentifier;
    if (failed === undefined) return records.length;
    return records.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
  };

  /** One pass over every shard; whether it found records. */
  const pass = async (): Promise<boolean> => {
    const arn = await latestStreamArn();
    await discoverShards(arn);
    let found = false;
    for (const [id, iterator] of iterators) {
      if (!iterator) continue;
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator }),
      );
      if (Records.length === 0) {
        iterators.set(id, NextShardIterator);
        continue;
      }
      found = true;
      const applied = await deliver(Records);
      if (applied === Records.length) {
        iterators.set(id, NextShardIterator);
        continue;
      }
      // Retried from the first failed record, as Lambda does, until its retries run out: then it goes
      // to the dead letters (here, the log) and reading moves past it.
      const failed = Records[Math.max(applied, 0)]?.dynamodb?.SequenceNumber ?? '';
      const attempts = (failures.get(failed) ?? 0) + 1;
      failures.set(failed, attempts);
      const givenUp = attempts > maxRetries;
      if (givenUp) {
        failures.delete(failed);
        options.logger.error('stream record given up after its retries', { sequence: failed });
      }
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: id,
          ShardIteratorType: givenUp ? 'AFTER_SEQUENCE_NUMBER' : 'AT_SEQUENCE_NUMBER',
          SequenceNumber: failed,
        }),
      );
      iterators.set(id, ShardIterator);
    }
    return found;
  };

  const loop = (async () => {
    while (running) {
      try {
        passWithRecords = await pass();
      } catch (error) {
        passWithRecords = true;
        if (running)
          options.logger.warn('stream not read; trying again', { error: error as Error });
        // DynamoDB unreachable: ask again after a pause rather than in a tight loop.
        await new Promise((resolve) => setTimeout(resolve, unreachablePauseMs));
      }
      if (!passWithRecords) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
        await new Promise((resolve) => setTimeout(resolve, idlePollMs));
      }
    }
  })();

  return {
    // Two idle passes after the call: the first may have started before the change was committed.
    settled: async () => {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
    },
    stop: async () => {
      running = false;
      await loop;
      for (const resolve of idleWaiters) resolve();
      streams.destroy();
      table.destroy();
    },
  };
};
