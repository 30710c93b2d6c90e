import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { tableChange } from '../shared/events/table-change.js';
import { expiryOfChange, recordLapse } from '../shared/operations/permission-expiry.js';
import type {
  PermissionExpiryWakeup,
  PermissionExpiryWakeups,
} from '../shared/scheduling/wakeups.js';

export type PermissionExpiryEvent = DynamoDBStreamEvent | PermissionExpiryWakeup;

export type PermissionExpiryHandler = (
  event: PermissionExpiryEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

const wakeupSchema = z.strictObject({
  business: z.string().min(1),
  user: z.string().min(1),
  expiresAt: z.number().int().positive(),
});

/**
 * The table's committed changes (DynamoDB Streams, pairs holding a temporary permission): each one that
 * grants or moves a temporary permission sets a look at its end. Records are read in order; the first
 * whose look could not be set is reported with every later one, so Lambda retries from there (past its
 * retries, the dead-letter queue gets its position). Setting a look twice is one look.
 */
export const createStreamHandler =
  (deps: Deps, wakeups: () => PermissionExpiryWakeups) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    for (const record of event.Records) {
      try {
        const expiry = expiryOfChange(tableChange(record));
        if (!expiry) continue;
        await wakeups().watch(expiry);
        deps.logger.debug('permission expiry watched', {
          expiresAt: new Date(expiry.expiresAt).toISOString(),
        });
      } catch (error) {
        deps.logger.error('permission expiry not watched; retried from here', {
          eventId: record.eventID,
          error: error as Error,
        });
        return {
          batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }],
        };
      }
    }
    return { batchItemFailures: [] };
  };

/**
 * A look at a permission's end, as its schedule delivers it: records the lapse when it has come. One
 * that came before the end is thrown, so Lambda's asynchronous retries look again a minute or two later
 * (then its dead-letter queue); anything else is done, the event (if any) follows from the stream.
 */
export const createWakeupHandler =
  (deps: Deps) =>
  async (event: unknown): Promise<undefined> => {
    const wakeup = wakeupSchema.safeParse(event);
    if (!wakeup.success) {
      deps.logger.error('permission expiry wake-up not understood; dropped', {
        issues: wakeup.error.issues.map((issue) => issue.message),
      });
      return undefined;
    }
    const outcome = await recordLapse(deps, wakeup.data);
    if (outcome.kind === 'not_due') {
      throw new Error('A permission expiry looked at before its end; retried');
    }
    deps.logger.info('permission expiry looked at', {
      outcome: outcome.kind,
      expiresAt: new Date(wakeup.data.expiresAt).toISOString(),
    });
    return undefined;
  };

/**
 * One function, two callers: the table's stream (an event source mapping filtered to pairs holding a
 * temporary permission) and EventBridge Scheduler's one-time looks, which invoke this very function
 * (its ARN is known from the invocation's context).
 */
export const createHandler = (
  deps: Deps,
  wakeupsFor: (functionArn: string) => PermissionExpiryWakeups,
): PermissionExpiryHandler => {
  const wakeup = createWakeupHandler(deps);
  return async (event, context) =>
    'Records' in event
      ? createStreamHandler(deps, () => wakeupsFor(context.invokedFunctionArn))(event)
      : wakeup(event);
};
