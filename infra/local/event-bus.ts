import type { EventBus } from '../../functions/shared/events/bus.js';
import type { Envelope } from '../../functions/shared/events/envelope.js';
import type { Logger } from '../../functions/shared/log.js';

/** What the stack's bus would receive, kept in order for `GET /_sandbox/events`. */
export interface LocalEventBus extends EventBus {
  /** The events after the one with id `after` (all without it); undefined when no event has that id. */
  events(after?: string): readonly Envelope[] | undefined;
}

/** Deliveries of one envelope to the webhook, the first included: EventBridge's API destination retries too. */
const webhookAttempts = 3;
const webhookTimeoutMs = 5_000;

/**
 * The local host's stand-in for the EventBridge bus: keeps every envelope and, when a webhook URL is
 * given, POSTs each as JSON, the way the stack's API destination delivers them. A webhook that keeps
 * failing is logged and skipped; the event stays readable here.
 */
export const createLocalEventBus = (options: {
  readonly webhookUrl?: string | undefined;
  readonly logger: Logger;
}): LocalEventBus => {
  const kept: Envelope[] = [];
  const deliver = async (envelope: Envelope) => {
    if (!options.webhookUrl) return;
    for (let attempt = 1; attempt <= webhookAttempts; attempt++) {
      try {
        const response = await fetch(options.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(envelope),
          signal: AbortSignal.timeout(webhookTimeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        if (response.status < 500 && response.status !== 429) break;
      } catch {
        // Unreachable or too slow: tried again below.
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
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
        await deliver(envelope);
      }
      return { failedIds: [] };
    },
    events: (after) => {
      if (after === undefined) return [...kept];
      const index = kept.findIndex((e) => e.id === after);
      return index === -1 ? undefined : kept.slice(index + 1);
    },
  };
};
