import { Duration, type Stack } from 'aws-cdk-lib';
import { Archive, EventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Config } from '../functions/shared/config/schema.js';
import { eventSource } from '../functions/shared/events/envelope.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { CallgateFunction } from './function-construct.js';
import { functionSizing } from './functions.js';
import type { DeadLetters } from './operations.js';

/**
 * How long a failed delivery waits before its next try: the visibility timeout, six times the
 * function's timeout as Lambda asks of a queue it reads, so a batch still running is never handed out
 * twice.
 */
export const webhookRetryInterval = Duration.seconds(
  6 * functionSizing['event-webhook'].timeoutSeconds,
);

/** Tries of one event, the first included: every 6 minutes for 24 hours, then the dead letters. */
export const webhookDeliveryTries = (24 * 3600) / webhookRetryInterval.toSeconds();

export interface EventDeliveryProps {
  readonly config: Config;
  /** Where functions/ lives (CallgateFunction's bundling). */
  readonly projectRoot?: string | undefined;
}

/**
 * Where callgate's events go: the stack's own bus, which the business subscribes to with rules, and
 * the configured webhook if any (docs/decisions/0011-signed-webhooks.md).
 */
export class EventDelivery {
  /** Where callgate's events go (`source: callgate`): the business subscribes with rules. */
  readonly eventBus: EventBus;
  /** Every event of the bus, kept `events.archiveRetentionDays` for a replay (none when 0). */
  readonly archive?: Archive;
  /** The envelopes on their way to the configured webhook, one message each. */
  readonly webhookQueue?: Queue;
  /** Events the configured webhook did not take after a day of tries. */
  readonly webhookDeadLetters?: Queue;
  /** POSTs each queued envelope to the webhook, signed. */
  readonly webhookFunction?: CallgateFunction;
  readonly deadLetters: readonly DeadLetters[];

  constructor(stack: Stack, props: EventDeliveryProps) {
    this.eventBus = new EventBus(stack, 'EventBus', {
      description:
        'callgate events: permissions, calls and call intents, derived from the table stream',
    });
    const retentionDays = props.config.events.archiveRetentionDays;
    if (retentionDays > 0) {
      this.archive = new Archive(stack, 'EventArchive', {
        sourceEventBus: this.eventBus,
        description: `Every callgate event, kept ${retentionDays} days for a replay (docs/events.md)`,
        eventPattern: { source: [eventSource] },
        retention: Duration.days(retentionDays),
      });
    }
    const webhook = props.config.events.webhook;
    if (!webhook) {
      this.deadLetters = [];
      return;
    }
    this.webhookDeadLetters = deadLetterQueue(
      stack,
      'WebhookDeadLetters',
      'the events webhook queue and rule',
    );
    this.webhookQueue = new Queue(stack, 'WebhookQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: webhookRetryInterval,
      // Longer than the day of tries, so a backlog is dead-lettered, never dropped.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.webhookDeadLetters, maxReceiveCount: webhookDeliveryTries },
    });
    this.webhookFunction = new CallgateFunction(stack, 'EventWebhook', {
      fn: 'event-webhook',
      config: props.config,
      projectRoot: props.projectRoot,
      environment: { POWERTOOLS_LOG_LEVEL: 'INFO' },
    });
    this.webhookFunction.handler.addEventSource(
      new SqsEventSource(this.webhookQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: webhook.concurrency,
      }),
    );
    this.webhookFunction.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [webhookSecretArn(stack, webhook.secret)],
      }),
    );
    if (webhook.kmsKeyArn) {
      this.webhookFunction.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:Decrypt'],
          resources: [webhook.kmsKeyArn],
          // Only as Secrets Manager decrypts the secret for it, never directly.
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
          },
        }),
      );
    }
    new Rule(stack, 'WebhookRule', {
      eventBus: this.eventBus,
      description: 'Every callgate event to the configured webhook, through its queue',
      eventPattern: { source: [eventSource] },
      targets: [
        new SqsQueue(this.webhookQueue, {
          // The envelope itself: the body the function signs and POSTs, as the local host does.
          message: RuleTargetInput.fromEventPath('$.detail'),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.webhookDeadLetters,
        }),
      ],
    });
    this.deadLetters = [
      {
        name: 'webhook',
        queue: this.webhookDeadLetters,
        holds: 'events the configured webhook did not take after a day of tries',
      },
    ];
  }
}

/** The configured secret: a full ARN as it is, a name with the six characters Secrets Manager adds. */
const webhookSecretArn = (stack: Stack, secret: string): string =>
  secret.startsWith('arn:')
    ? secret
    : `${Secret.fromSecretNameV2(stack, 'WebhookSecret', secret).secretArn}-??????`;
