import type { Command } from 'commander';
import type { IntentList } from '../../types.js';
import { contextOf } from '../context.js';
import { fields } from '../output.js';
import { pageTable } from './calls.js';
import { integerOption } from './parse.js';

const intentColumns = ['intentId', 'status', 'to', 'scheduledAt', 'reason', 'callId', 'notAfter'];

/** `intents create|get|cancel|list`. */
export const registerIntents = (program: Command): void => {
  const intents = program
    .command('intents')
    .description('call intents: a call placed as soon as the rules allow');
  intents
    .command('create')
    .description('call the user when the rules allow (POST /v1/call-intents)')
    .requiredOption('--from <business>', 'the business number, E.164')
    .requiredOption('--to <user>', 'the user number, E.164, or a BSUID')
    .option('--agent <agent>', "the agent to connect (default: the number's agent)")
    .option('--not-after <time>', 'ISO 8601: give up after it')
    .action(async (options, command: Command) => {
      const context = contextOf(command);
      const outcome = await context.client.createIntent({
        from: options.from,
        to: options.to,
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      });
      context.finish(outcome, (body) => fields({ ...body }));
    });
  intents
    .command('get')
    .description('the intent as it stands (GET /v1/call-intents/{intentId})')
    .argument('<intentId>')
    .action(async (intentId: string, _options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.readIntent(intentId), (body) => fields({ ...body }));
    });
  intents
    .command('cancel')
    .description(
      'cancel the intent, unless its call is placed (DELETE /v1/call-intents/{intentId})',
    )
    .argument('<intentId>')
    .action(async (intentId: string, _options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.cancelIntent(intentId), (body) => fields({ ...body }));
    });
  intents
    .command('list')
    .description("a business number's intents (GET /v1/call-intents)")
    .requiredOption('--business <business>', 'the business number, E.164')
    .option('--status <status>', 'only intents in this status')
    .option('--limit <n>', 'intents a page', integerOption)
    .option('--cursor <cursor>', 'the next page, as the last one named it')
    .action(async (options, command: Command) => {
      const context = contextOf(command);
      const outcome = await context.client.listIntents({
        business: options.business,
        status: options.status,
        limit: options.limit,
        cursor: options.cursor,
      });
      context.finish(outcome, (page: IntentList) =>
        pageTable(page.intents, page.cursor, intentColumns),
      );
    });
};
