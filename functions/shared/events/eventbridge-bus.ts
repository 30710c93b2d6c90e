import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { EventBus } from './bus.js';
import { type Envelope, eventSource } from './envelope.js';

/** PutEvents takes at most 10 entries per request. */
const entriesPerRequest = 10;

export interface EventBridgeBusOptions {
  readonly busName: string;
  readonly client?: EventBridgeClient;
  /** Tries of an entry EventBridge answered as failed (partial failure), the first included. */
  readonly attempts?: number;
  /** The first pause before a retry; doubled each time, with jitter. */
  readonly backoffMs?: number;
}

const entryOf = (busName: string, envelope: Envelope): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: eventSource,
  DetailType: envelope.type,
  Detail: JSON.stringify(envelope),
  Time: new Date(envelope.time),
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * EventBridge as the bus. A request that fails whole is retried by the SDK; PutEvents also answers 200
 * with some entries failed (throttled, internal), which the SDK does not retry: those are put again here,
 * with backoff, and reported when they still fail.
 */
export const createEventBridgeBus = (options: EventBridgeBusOptions): EventBus => {
  const client = options.client ?? new EventBridgeClient({});
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  return {
    put: async (envelopes) => {
      const failedIds: string[] = [];
      for (let start = 0; start < envelopes.length; start += entriesPerRequest) {
        let pending = envelopes.slice(start, start + entriesPerRequest);
        for (let attempt = 1; pending.length > 0; attempt++) {
          const { Entries = [] } = await client.send(
            new PutEventsCommand({ Entries: pending.map((e) => entryOf(options.busName, e)) }),
          );
          // Results answer in request order; only one with an EventId went (a missing one did not).
          pending = pending.filter((_, i) => Entries[i]?.EventId === undefined);
          if (pending.length === 0) break;
          if (attempt >= attempts) {
            failedIds.push(...pending.map((e) => e.id));
            break;
          }
          await pause(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
        }
      }
      return { failedIds };
    },
  };
};
