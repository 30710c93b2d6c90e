import type { Command } from 'commander';
import type { Envelope } from '../../../functions/shared/events/envelope.js';
import { exitCodeOf, type GlobalOptions, globalOptions } from '../context.js';
import { consoleOutput, exitCodes, type Output, UsageError } from '../output.js';
import { integerOption } from './parse.js';

interface TailOptions {
  readonly queue?: string;
  readonly after?: string;
  readonly fromStart?: boolean;
  readonly call?: string;
  readonly count?: number;
  readonly once?: boolean;
  readonly interval: number;
}

class TailEnd extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** One event a line: its time, type, number pair and data. */
const line = ({ time, type, business, user, data }: Envelope): string =>
  [
    time,
    type.padEnd(22),
    business,
    user ?? '',
    Object.entries(data)
      .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
      .join(' '),
  ]
    .filter((part) => part !== '')
    .join('  ');

/** The local host's events after `after` (GET /_sandbox/events: what the stack's bus would get). */
const eventsAfter = async (
  baseUrl: string,
  after: string | undefined,
  callId: string | undefined,
): Promise<readonly Envelope[]> => {
  const query = new URLSearchParams({
    ...(after === undefined ? {} : { after }),
    ...(callId === undefined ? {} : { callId }),
  }).toString();
  const url = `${baseUrl}/_sandbox/events${query === '' ? '' : `?${query}`}`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new TailEnd(
      `no answer from ${baseUrl}: ${(error as Error).message}`,
      exitCodes.unavailable,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new TailEnd(`${response.status} from ${url}: ${text}`, exitCodeOf(response.status));
  }
  return JSON.parse(text) as Envelope[];
};

const tail = async (baseUrl: string, options: TailOptions, output: Output): Promise<void> => {
  let after = options.after;
  if (after === undefined && !options.fromStart) {
    // From now on, as `tail -f`: the events already kept only set where to start.
    after = (await eventsAfter(baseUrl, undefined, undefined)).at(-1)?.id;
  }
  if (!options.once) output.note(`waiting for the events of ${baseUrl} (Ctrl-C stops)…`);
  let printed = 0;
  for (;;) {
    for (const event of await eventsAfter(baseUrl, after, options.call)) {
      output.print(output.json ? JSON.stringify(event) : line(event));
      after = event.id;
      printed++;
      if (printed === options.count) return;
    }
    if (options.once) return;
    await new Promise((resolve) => setTimeout(resolve, options.interval * 1000));
  }
};

/** An SQS message of a bus rule's queue: the EventBridge event, whose `detail` is the envelope. */
const envelopeOfMessage = (body: string | undefined): Envelope => {
  let event: { detail?: Envelope } | Envelope;
  try {
    event = JSON.parse(body ?? '') as typeof event;
  } catch {
    throw new TailEnd(`a message of the queue is not an event: ${body}`, exitCodes.refused);
  }
  return 'detail' in event && event.detail !== undefined ? event.detail : (event as Envelope);
};

/**
 * On AWS: the events of an SQS queue of your own that a rule on the stack's bus fills (docs/cli.md),
 * each message deleted once printed. Never the webhook's queue: its function would miss what this takes.
 */
const tailQueue = async (
  queueUrl: string,
  global: GlobalOptions,
  options: TailOptions,
  output: Output,
): Promise<void> => {
  if (!global.region) throw new UsageError('events tail --queue needs --region (or AWS_REGION)');
  const { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } = await import(
    '@aws-sdk/client-sqs'
  );
  // The queue's own host is where SQS serves it (the SDK would pick it too, with a warning).
  const sqs = new SQSClient({ region: global.region, endpoint: new URL(queueUrl).origin });
  if (!options.once) output.note(`waiting for the events of ${queueUrl} (Ctrl-C stops)…`);
  let printed = 0;
  try {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.once ? 0 : 20,
        }),
      );
      const shown = Messages.slice(
        0,
        options.count === undefined ? undefined : options.count - printed,
      );
      for (const message of shown) {
        const event = envelopeOfMessage(message.Body);
        output.print(output.json ? JSON.stringify(event) : line(event));
      }
      printed += shown.length;
      if (shown.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: shown.map((message, i) => ({
              Id: String(i),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
      if (options.once || printed === options.count) return;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof TailEnd) throw error;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    throw new TailEnd(`${queueUrl}: ${(error as Error).message}`, exitCodeOf(status ?? 0));
  } finally {
    sqs.destroy();
  }
};

/** `events tail`: the local host's events as they come, or on AWS those of a queue of your own. */
export const registerEvents = (program: Command): void => {
  program
    .command('events')
    .description('the events callgate publishes')
    .command('tail')
    .description("print the local host's events as they come (--json: one JSON object a line)")
    .option(
      '--queue <url>',
      "on AWS: an SQS queue of your own that a rule on the stack's bus fills",
    )
    .option('--after <eventId>', 'start after this event')
    .option('--from-start', 'start with the first event the host kept')
    .option('--call <callId>', "only this call's events")
    .option('--count <n>', 'stop after n events', integerOption)
    .option('--once', 'print what is there and stop')
    .option('--interval <seconds>', 'seconds between looks', integerOption, 1)
    .action(async (options: TailOptions, command: Command) => {
      const global = globalOptions(command);
      const output = consoleOutput(global.json === true);
      try {
        if (options.queue !== undefined) await tailQueue(options.queue, global, options, output);
        else await tail(global.url.replace(/\/+$/, ''), options, output);
        process.exitCode = exitCodes.ok;
      } catch (error) {
        if (!(error instanceof TailEnd)) throw error;
        output.note(error.message);
        process.exitCode = error.exitCode;
      }
    });
};
