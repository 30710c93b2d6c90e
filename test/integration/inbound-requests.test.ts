/**
 * The DynamoDB requests of every row of the inbound bench (`npm run bench -- inbound`), counted by the
 * bench's own code without its timing, so that docs/performance.md's inbound table cannot drift from
 * what the handlers send: an inbound answer is one UpdateItem
 * (docs/decisions/0007-inbound-answer-one-write.md), a hangup one read and one transaction. Counts
 * are deterministic: each figure is one handler's client, and the stream's function counts on its own.
 */
import { describe, expect, inject, it } from 'vitest';
import { inboundRows } from '../bench/inbound.bench.js';
import { countRequests } from '../bench/support.js';
import { createTestDb } from '../support/dynamo.js';

/** Each row's requests by command, in any order: `GetItem×1 TransactWriteItems×1`. */
const expected: Record<string, string> = {
  'answer: first call in a lease shard (creates the shard item)': 'UpdateItem×2 PutItem×1',
  // The stream's UpdateItem keeps the caller's customer-service window open, apart from the record.
  'stream: the call recorded, the callback permission granted': 'TransactWriteItems×1 UpdateItem×1',
  'answer: new inbound call': 'UpdateItem×1',
  'answer: Plivo retry of the same CallUUID': 'UpdateItem×1',
  'stream: recorded for a caller with a permanent permission (grant retried as reset)':
    'TransactWriteItems×2 UpdateItem×1',
  'answer: menu key press (continuation)': 'none',
  'answer: at capacity (reap finds nothing)': 'UpdateItem×1 Query×1 GetItem×1 PutItem×1',
  'hangup: inbound call': 'GetItem×1 TransactWriteItems×1',
  'hangup: repeated': 'GetItem×1',
  'hangup: by ?call= (business read from the call record)': 'GetItem×1 TransactWriteItems×1',
  'hangup: before the stream recorded the call (lease looked up)':
    'GetItem×1 Query×1 TransactWriteItems×1',
  'answer: outside business hours (the closing message ends the call)':
    'GetItem×2 UpdateItem×1 Query×1 TransactWriteItems×1',
};

const requestsOf = (commands: string) =>
  commands === 'none'
    ? 0
    : commands.split(' ').reduce((sum, command) => sum + Number(command.split('×')[1]), 0);

const inAnyOrder = (commands: string) => commands.split(' ').sort().join(' ');

describe('the inbound bench counts what each handler sends', () => {
  it('an answer is one UpdateItem, a hangup a GetItem and a transaction, every row as stated', async () => {
    const rows = await inboundRows(
      {
        dynamoEndpoint: inject('dynamoEndpoint'),
        countingDb: async () => countRequests(await createTestDb(), inject('dynamoEndpoint')),
      },
      { timed: false },
    );
    expect(
      rows.map(({ operation, figures }) => ({
        operation,
        dynamoRequests: figures.dynamoRequests,
        commands: inAnyOrder(String(figures.commands)),
      })),
    ).toEqual(
      Object.entries(expected).map(([operation, commands]) => ({
        operation,
        dynamoRequests: requestsOf(commands),
        commands: inAnyOrder(commands),
      })),
    );
  });
});
