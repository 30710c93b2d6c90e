import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { fields } from '../output.js';

/** `numbers lift-pause`. */
export const registerNumbers = (program: Command): void => {
  program
    .command('numbers')
    .description('business numbers')
    .command('lift-pause')
    .description("lift Meta's pause of a business number (DELETE /v1/numbers/{business}/pause)")
    .argument('<business>', 'the business number, E.164')
    .action(async (business: string, _options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.liftPause(business), (body) => fields({ ...body }));
    });
};
