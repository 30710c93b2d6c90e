import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverEnvelope, type WebhookCredentials } from '../shared/events/webhook-delivery.js';
import type { Logger } from '../shared/log.js';
import type { Metrics } from '../shared/metrics.js';

export type EventWebhookHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface EventWebhookDeps {
  /** The business's endpoint (`events.webhook.url`). */
  readonly url: string;
  /** The signing key and optional header, from the secret (cached by the caller). */
  readonly credentials: () => Promise<WebhookCredentials>;
  /** Epoch milliseconds on the wall clock: the receiver compares `webhook-timestamp` with its own. */
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Each POST's bound; `deliveryTimeoutMs` unless a test shortens it. */
  readonly timeoutMs?: number;
}

/** Bounds each POST: a receiver slower than this is tried again later, not waited for. */
export const deliveryTimeoutMs = 5_000;

/**
 * The events the webhook's queue holds (each message's body is one envelope, as the bus's rule put it),
 * POSTed signed, one after another. A message the receiver did not take with a 2xx is reported, so SQS
 * makes it visible again for another try and, after the queue's receive count, moves it to the dead
 * letters; the others are deleted. Once the receiver times out or cannot be reached, the rest of the
 * batch is reported without trying: each would wait out the same timeout.
 */
export const createHandler =
  (deps: EventWebhookDeps): EventWebhookHandler =>
  async (event) => {
    const failed: string[] = [];
    let credentials: WebhookCredentials;
    try {
      credentials = await deps.credentials();
    } catch (error) {
      deps.logger.error('webhook secret not read; the batch is tried again', {
        error: error as Error,
      });
      deps.metrics.count('WebhookFailed', { status: 'secret' }, event.Records.length);
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
    let receiverDown = false;
    for (const record of event.Records) {
      if (receiverDown) {
        failed.push(record.messageId);
        continue;
      }
      const id = envelopeId(record.body);
      if (!id) {
        // Not an envelope: no try makes it one; it is left to reach the dead letters as it is.
        deps.logger.error('webhook message is not an event envelope', {
          messageId: record.messageId,
        });
        deps.metrics.count('WebhookFailed', { status: 'unreadable' });
        failed.push(record.messageId);
        continue;
      }
      const result = await deliverEnvelope({
        url: deps.url,
        credentials,
        id,
        body: record.body,
        now: deps.now(),
        timeoutMs: deps.timeoutMs ?? deliveryTimeoutMs,
      });
      if (result.outcome === 'delivered') {
        deps.metrics.count('WebhookDelivered');
        continue;
      }
      const status = result.outcome === 'refused' ? String(result.status) : result.outcome;
      deps.logger.warn('webhook did not take an event; tried again later', {
        eventId: id,
        status,
        receiveCount: record.attributes.ApproximateReceiveCount,
      });
      deps.metrics.count('WebhookFailed', { status });
      failed.push(record.messageId);
      receiverDown = result.outcome !== 'refused';
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

/** The envelope's `id`, or undefined when the body is not an envelope. */
const envelopeId = (body: string): string | undefined => {
  try {
    const id = (JSON.parse(body) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
};
