import { randomUUID } from 'node:crypto';
import type { EventWebhookHandler } from '../functions/event-webhook/handler.js';
import type { EventBus } from '../functions/shared/events/bus.js';
import type { Envelope, EventType } from '../functions/shared/events/envelope.js';
import type { Logger } from '../functions/shared/log.js';

/** What the stack's bus would receive, kept in order for `GET /_sandbox/events`. */
export interface LocalEventBus extends EventBus {
  /** The events after the one with id `after` (all without it); undefined when no event has that id. */
  events(after?: string): readonly Envelope[] | undefined;
  /**
   * Delivers every event of these types to `target`, as an EventBridge rule invokes a function
   * asynchronously: the put does not wait for it, and a failing target is tried again like Lambda's
   * asynchronous retries, then logged.
   */
  subscribe(types: readonly EventType[], target: (envelope: Envelope) => Promise<void>): void;
  /** Calls `listener` with every envelope as it is put (the sandbox's timeline). */
  watch(listener: (envelope: Envelope) => void): void;
  /** Resolves once every delivery to a subscriber started so far has finished. */
  idle(): Promise<void>;
  /** Whether a delivery to a subscriber is under way. */
  busy(): boolean;
  /** Forgets the events kept so far. */
  clear(): void;
}

/** Tries of a subscriber's delivery, the first included: Lambda retries an asynchronous invocation twice. */
const subscriberAttempts = 3;

/** Receives of one envelope by the webhook function, the first included (a day of them on AWS). */
const webhookReceives = 3;

/**
 * The local host's stand-in for the EventBridge bus: keeps every envelope and, when a webhook
 * function is given, hands each to it as the webhook's queue does on AWS (one SQS message, received
 * again while the function reports it). A webhook that keeps failing is logged and skipped; the
 * event stays readable here.
 */
export const createLocalEventBus = (options: {
  readonly webhook?: EventWebhookHandler | undefined;
  readonly logger: Logger;
}): LocalEventBus => {
  const kept: Envelope[] = [];
  const subscriptions: {
    types: ReadonlySet<EventType>;
    target: (envelope: Envelope) => Promise<void>;
  }[] = [];
  const deliveries = new Set<Promise<void>>();
  const watchers: ((envelope: Envelope) => void)[] = [];
  const toSubscribers = (envelope: Envelope) => {
    for (const { types, target } of subscriptions) {
      if (!types.has(envelope.type)) continue;
      const delivery = (async () => {
        for (let attempt = 1; attempt <= subscriberAttempts; attempt++) {
          try {
            await target(envelope);
            return;
          } catch (error) {
            if (attempt === subscriberAttempts) {
              options.logger.error('event subscriber failed', {
                eventId: envelope.id,
                type: envelope.type,
                error: error as Error,
              });
            }
          }
        }
      })();
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  };
  const deliver = async (envelope: Envelope) => {
    if (!options.webhook) return;
    const messageId = randomUUID();
    const body = JSON.stringify(envelope);
    for (let receive = 1; receive <= webhookReceives; receive++) {
      const now = String(Date.now());
      const { batchItemFailures } = await options.webhook({
        Records: [
          {
            messageId,
            receiptHandle: randomUUID(),
            body,
            attributes: {
              ApproximateReceiveCount: String(receive),
              SentTimestamp: now,
              SenderId: 'events.amazonaws.com',
              ApproximateFirstReceiveTimestamp: now,
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:local:000000000000:WebhookQueue',
            awsRegion: 'local',
          },
        ],
      });
      if (batchItemFailures.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100 * receive));
    }
    options.logger.warn('event webhook did not take an event', {
      eventId: envelope.id,
      type: envelope.type,
    });
  };
  return {
    put: async (envelopes) => {
      for (const envelope of envelopes) {
        kept.push(envelope);
        for (const watcher of watchers) watcher(envelope);
        toSubscribers(envelope);
        await deliver(envelope);
      }
      return { failedIds: [] };
    },
    subscribe: (types, target) => {
      subscriptions.push({ types: new Set(types), target });
    },
    watch: (listener) => {
      watchers.push(listener);
    },
    busy: () => deliveries.size > 0,
    clear: () => {
      kept.length = 0;
    },
    idle: async () => {
      while (deliveries.size > 0) await Promise.all(deliveries);
    },
    events: (after) => {
      if (after === undefined) return [...kept];
      const index = kept.findIndex((e) => e.id === after);
      return index === -1 ? undefined : kept.slice(index + 1);
    },
  };
};
