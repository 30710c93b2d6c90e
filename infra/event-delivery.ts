import { Duration, SecretValue, type Stack } from 'aws-cdk-lib';
import {
  ApiDestination,
  Authorization,
  Connection,
  EventBus,
  HttpMethod,
  Rule,
  RuleTargetInput,
} from 'aws-cdk-lib/aws-events';
import { ApiDestination as ApiDestinationTarget } from 'aws-cdk-lib/aws-events-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Config } from '../functions/shared/config/schema.js';
import { eventSource } from '../functions/shared/events/envelope.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { DeadLetters } from './operations.js';

/**
 * Where callgate's events go: the stack's own bus, which the business subscribes to with rules, and
 * the configured webhook if any.
 */
export class EventDelivery {
  /** Where callgate's events go (`source: callgate`): the business subscribes with rules. */
  readonly eventBus: EventBus;
  /** Events the configured webhook did not take after EventBridge's retries. */
  readonly webhookDeadLetters?: Queue;
  readonly deadLetters: readonly DeadLetters[];

  constructor(stack: Stack, config: Config) {
    this.eventBus = new EventBus(stack, 'EventBus', {
      description:
        'callgate events: permissions, calls and call intents, derived from the table stream',
    });
    const webhook = config.events.webhook;
    if (webhook) this.webhookDeadLetters = this.deliverToWebhook(stack, webhook);
    this.deadLetters = this.webhookDeadLetters
      ? [
          {
            name: 'webhook',
            queue: this.webhookDeadLetters,
            holds: "events the configured webhook did not take after EventBridge's retries",
          },
        ]
      : [];
  }

  /**
   * The configured webhook: every callgate event's envelope POSTed to one HTTPS URL by an EventBridge
   * API destination, which rate-limits, retries for a day, then dead-letters. Its secret header value
   * is read from Secrets Manager at deploy time into the connection (EventBridge keeps its own copy).
   */
  private deliverToWebhook(stack: Stack, webhook: NonNullable<Config['events']['webhook']>): Queue {
    const connection = new Connection(stack, 'WebhookConnection', {
      description: 'callgate events webhook',
      authorization: Authorization.apiKey(
        webhook.authHeader,
        SecretValue.secretsManager(
          webhook.secret,
          webhook.secretField ? { jsonField: webhook.secretField } : {},
        ),
      ),
    });
    const destination = new ApiDestination(stack, 'Webhook', {
      connection,
      endpoint: webhook.url,
      httpMethod: HttpMethod.POST,
      rateLimitPerSecond: webhook.invocationsPerSecond,
      description: 'callgate events webhook',
    });
    const deadLetters = deadLetterQueue(stack, 'WebhookDeadLetters', 'the events webhook rule');
    new Rule(stack, 'WebhookRule', {
      eventBus: this.eventBus,
      description: 'Every callgate event to the configured webhook',
      eventPattern: { source: [eventSource] },
      targets: [
        new ApiDestinationTarget(destination, {
          // The envelope itself, as the local host's webhook receives it.
          event: RuleTargetInput.fromEventPath('$.detail'),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: deadLetters,
        }),
      ],
    });
    return deadLetters;
  }
}
