import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { fields } from '../output.js';

/** `health`. */
export const registerHealth = (program: Command): void => {
  program
    .command('health')
    .description('whether callgate runs, and the limits it enforces (GET /health)')
    .action(async (_options, command: Command) => {
      const context = contextOf(command);
      context.finish(await context.client.health(), (body) => fields({ ...body }));
    });
};
