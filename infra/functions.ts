import type { Config } from '../functions/shared/config/schema.js';
import type { FunctionName } from '../functions/shared/routes.js';
import { keyPrefixes } from '../functions/shared/store/keys.js';
import type { TableIndexName } from '../functions/shared/store/table.js';

/** DynamoDB actions a function may call; TransactWriteItems is authorized per contained action. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:Query';

export interface FunctionAccess {
  /** Only the table actions the function's code performs: least privilege, checked by the CDK tests. */
  readonly tableActions: readonly TableAction[];
  /** Whether it reads the Plivo credentials (signature verification or the Plivo API). */
  readonly plivoSecret: boolean;
  /** When set, the table actions reach only the items under these partition keys (`dynamodb:LeadingKeys`). */
  readonly partitionKeys?: readonly string[];
  /**
   * The listings it serves: `dynamodb:Query` on these indexes alone, and the cursor key's secret
   * (store/listing.ts).
   */
  readonly listings?: readonly TableIndexName[];
}

/**
 * What placing a call (store/writes/place-call.ts, its release) and an intent's own items need; the
 * pair and the number's pause are read in one BatchGetItem.
 */
const placesCalls: FunctionAccess = {
  tableActions: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
  ],
  plivoSecret: true,
};

/**
 * Construct ids kept from a function's former name, so that renaming its folder does not replace the
 * deployed function (its logical id, log group and role).
 */
const formerConstructIds: Partial<Record<FunctionName, string>> = {
  'permission-reply': 'MessageWebhook',
};

/** A function's construct id: its name in PascalCase (`dial-status` → `DialStatus`) or its former id. */
export const functionId = (fn: FunctionName): string =>
  formerConstructIds[fn] ??
  fn
    .split('-')
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

export const functionAccess: Record<FunctionName, FunctionAccess> = {
  health: { tableActions: [], plivoSecret: false },
  'permission-reply': {
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  answer: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    plivoSecret: true,
  },
  hangup: {
    tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    plivoSecret: true,
  },
  'dial-status': {
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  'place-call': placesCalls,
  'call-intents': { ...placesCalls, listings: ['by-number'] },
  // Places calls and sends permission requests like the API does; creating schedules is granted in
  // infra/intent-scheduling.ts, on its own schedule group only.
  'intent-dispatcher': placesCalls,
  'permission-state': { tableActions: ['dynamodb:GetItem', 'dynamodb:Query'], plivoSecret: false },
  'permission-correction': {
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    plivoSecret: false,
  },
  'call-log': {
    tableActions: ['dynamodb:GetItem'],
    plivoSecret: false,
    listings: ['by-number', 'by-user'],
  },
  // One conditional UpdateItem on the number's pause item.
  'pause-lift': { tableActions: ['dynamodb:UpdateItem'], plivoSecret: false },
  'permission-request': {
    // GetItem: the number's pause, read before the request is counted.
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    plivoSecret: true,
  },
  // Reads the table's stream through its event source mapping and puts to the stack's bus: both granted
  // in infra/stream-readers.ts and infra/stack.ts, on that stream and that bus only.
  events: { tableActions: [], plivoSecret: false },
  // Reads its queue through its event source mapping and the webhook's secret: both granted in
  // infra/event-delivery.ts, on that queue and that secret only.
  'event-webhook': { tableActions: [], plivoSecret: false },
  // Reads the table's stream through its event source mapping (granted there, on the stream only).
  'lease-changes': {
    tableActions: ['dynamodb:UpdateItem'],
    plivoSecret: false,
  },
  // Reads the stream like lease-changes; records a lapse in one conditional UpdateItem. Creating its
  // schedules is granted in infra/permission-expiry.ts, on its own group and name prefix only.
  'permission-expiry': {
    tableActions: ['dynamodb:UpdateItem'],
    plivoSecret: false,
  },
  // One GetItem per uncached request and, at most every 10 minutes per key, the lastUsedAt UpdateItem:
  // on the API keys' items alone.
  'api-key-authorizer': {
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    plivoSecret: false,
    partitionKeys: [keyPrefixes.apiKey],
  },
};

/** How a function is sized: memory, timeout and, where a runaway would hurt, reserved concurrency. */
export interface FunctionSizing {
  /** 512 MB unless measured otherwise: CPU scales with memory, and cold starts are CPU-bound. */
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
  /**
   * Concurrency set aside for the function and never exceeded by it; none for the HTTP functions.
   * Reserved concurrency comes out of the account's pool (1,000 by default, of which Lambda keeps 100
   * unreserved): a new account with a concurrency quota of 10 cannot deploy it before a quota increase.
   */
  readonly reservedConcurrency?: (config: Config) => number;
}

/**
 * Every HTTP function: 10 s. Plivo waits only a few seconds for a webhook's answer before it retries or
 * falls back, and the functions that place calls must stay well under the 30 s a pending Idempotency-Key
 * stands (functions/shared/store/items/idempotency.ts `pendingTakeoverMs`): a retry may take a reservation
 * over only once its first request can no longer be running.
 *
 * No reserved concurrency on any HTTP function. Reserving would also cap it, and Plivo's webhooks
 * (permission-reply, answer, hangup, dial-status) must never be throttled by callgate itself: a throttled
 * answer is a call that is not answered. They scale with the account's unreserved pool, which the
 * reservations below protect rather than consume much of. The /v1 API is called by the business's own
 * systems, which see a 5xx or 429 and retry; capping it would only add a second limit next to the rules.
 */
const http: FunctionSizing = { memoryMB: 512, timeoutSeconds: 10 };

/**
 * A stream reader: its event source mapping runs one batch per shard at a time (parallelization factor
 * 1), so its concurrency is the table's shard count, a handful. Reserving 20 guarantees that a flood of
 * webhooks cannot starve the records of inbound calls and the events of the account's concurrency, and
 * caps a runaway (a bisecting batch storm) below what would starve the webhooks. Should the table ever
 * have more shards, the excess waits (IteratorAge rises and alarms: docs/operations.md). 30 s: a batch of
 * 100 records is applied in order, each write within the store's 5 s retry budget.
 */
const streamReader: FunctionSizing = {
  memoryMB: 512,
  timeoutSeconds: 30,
  reservedConcurrency: () => 20,
};

export const functionSizing: Record<FunctionName, FunctionSizing> = {
  health: http,
  'permission-reply': http,
  answer: http,
  hangup: http,
  'dial-status': http,
  'place-call': http,
  'permission-state': http,
  'permission-request': http,
  'permission-correction': http,
  'call-log': http,
  'call-intents': http,
  'pause-lift': http,
  events: streamReader,
  'lease-changes': streamReader,
  /**
   * A stream reader, and invoked asynchronously by its own schedules: thousands of permissions granted
   * in one campaign end in the same minute a week later, and the reservation keeps their looks from
   * taking the account's concurrency from Plivo's webhooks (throttled ones wait in Lambda's queue).
   */
  'permission-expiry': streamReader,
  /**
   * Invoked asynchronously by the bus's events and by EventBridge Scheduler's wake-ups: thousands of
   * intents due at the same moment (say, when outbound hours open) would otherwise start thousands of
   * dispatchers at once and take the account's concurrency from Plivo's webhooks. Its calls are held to
   * the account's calls per second anyway, so twice that (10 to 100) places as fast as Plivo allows;
   * throttled invocations wait in Lambda's asynchronous queue and are retried, nothing is lost. 10 s like
   * the API's placements, for the Idempotency-Key's takeover above.
   */
  'intent-dispatcher': {
    memoryMB: 512,
    timeoutSeconds: 10,
    reservedConcurrency: (config) => Math.min(100, Math.max(10, 2 * config.account.callsPerSecond)),
  },
  /**
   * A batch of up to 10 envelopes POSTed one after another, each bounded to 5 s
   * (functions/event-webhook/handler.ts): 60 s covers a whole batch of slow answers and the secret's
   * read. No reserved concurrency: the queue's event source mapping holds it to
   * `events.webhook.concurrency`, and a throttled poll only leaves the messages in the queue.
   */
  'event-webhook': { memoryMB: 512, timeoutSeconds: 60 },
  /**
   * In front of every API-key request whose answer is not cached: one GetItem, well under a second. 5 s
   * leaves the store's retries room inside the HTTP function's own 10 s.
   */
  'api-key-authorizer': { memoryMB: 512, timeoutSeconds: 5 },
};
