import type { Envelope } from './envelope.js';

/** Where events go: EventBridge on AWS, the local host's own list (and webhook) when run locally. */
export interface EventBus {
  /**
   * Puts the envelopes, in order. Resolves with the ids it could not put after its own retries (an
   * empty list when all went); rejects only when it could not reach the bus at all.
   */
  put(envelopes: readonly Envelope[]): Promise<{ readonly failedIds: readonly string[] }>;
}
