import type { Command } from 'commander';
import type { CallDirection, CallList } from '../../types.js';
import { contextOf } from '../context.js';
import { fields, table } from '../output.js';
import { integerOption } from './parse.js';

const callColumns = [
  'callId',
  'direction',
  'user',
  'status',
  'outcome',
  'placedAt',
  'durationSeconds',
];

/** A page as a table, and the option that fetches the next one. */
export const pageTable = (
  entries: readonly object[],
  cursor: string | undefined,
  columns: readonly string[],
): string =>
  [
    entries.length === 0
      ? '(none)'
      : table(entries as unknown as Record<string, unknown>[], columns),
    ...(cursor === undefined ? [] : [`next page: --cursor ${cursor}`]),
  ].join('\n');

/** `calls place|get|list`. */
export const registerCalls = (program: Command): void => {
  const calls = program.command('calls').description('place, read and list calls');
  calls
    .command('place')
    .description('place a business-initiated call (POST /v1/calls)')
    .requiredOption('--from <business>', 'the business number, E.164')
    .requiredOption('--to <user>', 'the user number, E.164, or a BSUID')
    .option('--agent <agent>', "the agent to connect (default: the number's agent)")
    .option('--idempotency-key <key>', 'resends with the same key place one call (default: drawn)')
    .action(async (options, command: Command) => {
      const context = contextOf(command);
      const outcome = await context.client.placeCall(
        { from: options.from, to: options.to, ...(options.agent ? { agent: options.agent } : {}) },
        options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {},
      );
      context.finish(outcome, (body) => fields({ ...body }));
    });
  calls
    .command('get')
    .description('read one call (GET /v1/calls/{callId})')
    .argument('<callId>', "callgate's call id, or Plivo's CallUUID of an inbound call")
    .action(async (callId: string, _options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.readCall(callId), (body) => fields({ ...body }));
    });
  calls
    .command('list')
    .description("list a business number's calls, newest first (GET /v1/calls)")
    .requiredOption('--business <business>', 'the business number, E.164')
    .option('--user <user>', "only this user's calls")
    .option('--since <time>', 'ISO 8601: calls started at or after it')
    .option('--until <time>', 'ISO 8601: calls started before it')
    .option('--direction <direction>', 'inbound or outbound')
    .option('--limit <n>', 'calls a page', integerOption)
    .option('--cursor <cursor>', 'the next page, as the last one named it')
    .action(async (options, command: Command) => {
      const context = contextOf(command);
      const outcome = await context.client.listCalls({
        business: options.business,
        user: options.user,
        since: options.since,
        until: options.until,
        direction: options.direction as CallDirection | undefined,
        limit: options.limit,
        cursor: options.cursor,
      });
      context.finish(outcome, (page: CallList) => pageTable(page.calls, page.cursor, callColumns));
    });
};
