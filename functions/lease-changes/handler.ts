import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Deps } from '../shared/deps.js';
import { recordInboundCalls } from '../shared/operations/lease-changes.js';

export type LeaseChangesHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * The table's committed changes (DynamoDB Streams, lease shards only): records the inbound calls whose
 * leases were just taken. Records are applied in order; at the first that fails, it and every later one
 * is reported back, so Lambda retries from there (and, past its retries, sends them to the dead-letter
 * queue) while nothing before is applied twice. Applying one twice is harmless anyway.
 */
export const createHandler =
  (deps: Deps): LeaseChangesHandler =>
  async (event) => {
    for (const record of event.Records) {
      try {
        await recordInboundCalls(deps, record);
      } catch (error) {
        deps.logger.error('lease change not applied; retried from here', {
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
