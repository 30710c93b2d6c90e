import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Db } from './store/client.js';
import type { Telephony } from './telephony/port.js';

/** Everything a handler reaches outside itself; Lambda, the local host and tests each build their own. */
export interface Deps {
  readonly config: Config;
  readonly clock: Clock;
  readonly db: Db;
  readonly telephony: Telephony;
  /** The token Plivo signs webhooks with. */
  readonly plivoAuthToken: () => Promise<string>;
  /** The key that signs the listings' cursors (store/listing.ts): a secret of the stack's own on AWS. */
  readonly listingCursorKey: () => Promise<string>;
  /** The public URL Plivo calls (signatures are computed over it, callback URLs are built from it). */
  readonly publicBaseUrl: string;
  readonly logger: Logger;
  /** Counts of what happened (functions/shared/metrics.ts): EMF on Lambda, kept in memory locally. */
  readonly metrics: Metrics;
}
