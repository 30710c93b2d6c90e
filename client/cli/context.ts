/**
 * The global options (`--url`, `--api-key`, `--sigv4 --region`, `--json`) turned into a client, and the
 * client's outcome turned into output and an exit code.
 */
import type { Command } from 'commander';
import { type ClientAuth, createClient, type Outcome } from '../client.js';
import { consoleOutput, exitCodes, type Output, UsageError } from './output.js';

export interface GlobalOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly sigv4?: boolean;
  readonly region?: string;
  readonly json?: boolean;
}

export const globalOptions = (command: Command): GlobalOptions =>
  command.optsWithGlobals<GlobalOptions>();

const authOf = (options: GlobalOptions): ClientAuth => {
  if (options.sigv4 && options.apiKey !== undefined) {
    throw new UsageError('--sigv4 and --api-key (or CALLGATE_API_KEY) exclude each other');
  }
  if (options.sigv4) {
    if (!options.region) throw new UsageError('--sigv4 needs --region (or AWS_REGION)');
    return { kind: 'sigv4', region: options.region };
  }
  return options.apiKey === undefined ? { kind: 'none' } : { kind: 'apiKey', key: options.apiKey };
};

export interface CommandContext {
  readonly client: ReturnType<typeof createClient>;
  readonly output: Output;
  readonly options: GlobalOptions;
  /** Prints the outcome (`render` for people, the body with --json) and sets the exit code. */
  finish<T>(outcome: Outcome<T>, render: (body: T) => string): void;
}

export const exitCodeOf = (status: number): number =>
  status === 0 || status >= 500 ? exitCodes.unavailable : exitCodes.refused;

export const contextOf = (command: Command): CommandContext => {
  const options = globalOptions(command);
  const output = consoleOutput(options.json === true);
  const client = createClient({
    baseUrl: options.url,
    auth: authOf(options),
    onRetry: ({ attempt, maxAttempts, status, code, waitSeconds }) =>
      output.note(
        `${status} ${code}: sending again in ${waitSeconds} s (attempt ${attempt} of ${maxAttempts})…`,
      ),
  });
  return {
    client,
    output,
    options,
    finish: (outcome, render) => {
      if (outcome.ok) {
        output.print(output.json ? JSON.stringify(outcome.body, null, 2) : render(outcome.body));
        process.exitCode = exitCodes.ok;
        return;
      }
      const { code, message, retryAfter, details } = outcome.error;
      if (output.json) {
        output.print(
          JSON.stringify(
            {
              error: code,
              message,
              ...(retryAfter === undefined ? {} : { retryAfter }),
              ...details,
            },
            null,
            2,
          ),
        );
      } else {
        const wait = retryAfter === undefined ? '' : ` (retry after ${retryAfter} s)`;
        output.note(
          outcome.status === 0
            ? `${code}: ${message}`
            : `refused: ${outcome.status} ${code}: ${message}${wait}`,
        );
        if (details)
          output.note(
            Object.entries(details)
              .map(([k, v]) => `  ${k}: ${v}`)
              .join('\n'),
          );
      }
      process.exitCode = exitCodeOf(outcome.status);
    },
  };
};
