/**
 * The `callgate` program over the client (client/client.ts). Exit codes: 0 done, 1 refused (a 4xx, an
 * invalid configuration), 2 a command line that cannot run, 3 no answer or a 5xx.
 */
import { Command, CommanderError, Option } from 'commander';
import { defaultPort } from '../../local/defaults.js';
import { registerCalls } from './commands/calls.js';
import { registerConfig } from './commands/config.js';
import { registerEvents } from './commands/events.js';
import { registerHealth } from './commands/health.js';
import { registerIntents } from './commands/intents.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerNumbers } from './commands/numbers.js';
import { registerPermissions } from './commands/permissions.js';
import { registerPlivo } from './commands/plivo.js';
import { exitCodes, UsageError } from './output.js';

/** The local host as `npm start` serves it, whose URL its webhooks' signatures also cover. */
export const defaultUrl = `http://localhost:${defaultPort}`;

export const createProgram = (): Command => {
  const program = new Command('callgate')
    .description("callgate's /v1 API, its events and its configuration, from the command line")
    .addOption(
      new Option('--url <url>', "callgate's base URL").env('CALLGATE_URL').default(defaultUrl),
    )
    .addOption(
      new Option('--api-key <key>', 'an API key, sent as a bearer token').env('CALLGATE_API_KEY'),
    )
    .option('--sigv4', 'sign with SigV4 (IAM), credentials from the usual AWS chain')
    .addOption(new Option('--region <region>', "the API's AWS region").env('AWS_REGION'))
    .option('--json', 'print the raw JSON body (refusals too) instead of tables')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands inherit exitOverride: a usage error is an exit code, not a process.exit.
  // One group a file in commands/.
  for (const register of [
    registerCalls,
    registerPermissions,
    registerIntents,
    registerNumbers,
    registerEvents,
    registerConfig,
    registerPlivo,
    registerHealth,
    registerKeysCommands,
  ]) {
    register(program);
  }
  return program;
};

export const runCli = async (argv: readonly string[]): Promise<number> => {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' });
    return Number(process.exitCode ?? exitCodes.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version are asked for; everything else commander refuses is usage.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  }
};
