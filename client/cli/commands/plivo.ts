import { Argument, type Command } from 'commander';
import { signV3 } from '../../../functions/shared/plivo/signature.js';
import { plivoPaths } from '../../../functions/shared/routes.js';
import { sandboxAuthToken } from '../../../local/defaults.js';
import { exitCodeOf, globalOptions } from '../context.js';
import { consoleOutput, exitCodes } from '../output.js';
import { keyValueOption } from './parse.js';

const webhooks = {
  answer: plivoPaths.answer,
  hangup: plivoPaths.hangup,
  'dial-status': plivoPaths.dialStatus,
  message: plivoPaths.message,
} as const;

type Webhook = keyof typeof webhooks;

interface SendOptions {
  readonly field?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly call?: string;
  readonly authToken: string;
  readonly publicUrl?: string;
}

/**
 * `plivo send <webhook>`: a form POSTed to the webhook signed as Plivo signs it (V3, over the URL Plivo
 * would call, so over the host's public base URL), to play Plivo by hand against a local host.
 */
export const registerPlivo = (program: Command): void => {
  program
    .command('plivo')
    .description('play Plivo: send a signed webhook')
    .command('send')
    .description('POST a form to a webhook, signed with the Plivo V3 signature')
    .addArgument(new Argument('<webhook>', 'the webhook').choices(Object.keys(webhooks)))
    .option('--field <name=value>', 'a form field, as Plivo names it (repeatable)', keyValueOption)
    .option(
      '--query <name=value>',
      'a query parameter, such as step=… (repeatable)',
      keyValueOption,
    )
    .option('--call <callId>', "callgate's call id: the ?call= of a placed call's callbacks")
    .option('--auth-token <token>', 'the Plivo auth token to sign with', sandboxAuthToken)
    .option('--public-url <url>', 'the base URL the signature covers (default: --url)')
    .action(async (webhook: Webhook, options: SendOptions, command: Command) => {
      const global = globalOptions(command);
      const output = consoleOutput(global.json === true);
      const query = new URLSearchParams({
        ...options.query,
        ...(options.call === undefined ? {} : { call: options.call }),
      }).toString();
      const pathAndQuery = `${webhooks[webhook]}${query === '' ? '' : `?${query}`}`;
      const params = options.field ?? {};
      const signedUrl = `${(options.publicUrl ?? global.url).replace(/\/+$/, '')}${pathAndQuery}`;
      const headers = signV3({
        method: 'POST',
        url: signedUrl,
        params,
        authToken: options.authToken,
      });
      let response: Response;
      try {
        response = await fetch(`${global.url.replace(/\/+$/, '')}${pathAndQuery}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(params).toString(),
        });
      } catch (error) {
        output.note(`no answer from ${global.url}: ${(error as Error).message}`);
        process.exitCode = exitCodes.unavailable;
        return;
      }
      const body = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      output.print(
        output.json
          ? JSON.stringify({ status: response.status, contentType, body }, null, 2)
          : `${response.status} ${contentType}\n${body}`,
      );
      process.exitCode = response.ok ? exitCodes.ok : exitCodeOf(response.status);
    });
};
