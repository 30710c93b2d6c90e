import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { EventBus } from '../shared/events/bus.js';
import { eventsOfChange } from '../shared/events/derive.js';
import type { Envelope } from '../shared/events/envelope.js';
import { metricOf } from '../shared/events/metrics.js';
import { tableChange } from '../shared/events/table-change.js';
import type { Logger } from '../shared/log.js';
import type { Metrics } from '../shared/metrics.js';

export type EventsHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export interface EventsDeps {
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The table's committed changes (DynamoDB Streams) turned into events on the bus. Records are read in
 * order; the first record that cannot be turned into events, or whose events the bus did not take, is
 * reported with every later one, so Lambda retries from there (past its retries, the dead-letter queue
 * gets its position) and no record is skipped silently. Events put before it may be put again: their ids
 * repeat, and consumers deduplicate on them.
 */
export const createHandler =
  (deps: EventsDeps): EventsHandler =>
  async (event) => {
    const derived: { record: DynamoDBRecord; envelopes: Envelope[] }[] = [];
    let unreadable: DynamoDBRecord | undefined;
    for (const record of event.Records) {
      try {
        derived.push({ record, envelopes: eventsOfChange(tableChange(record)) });
      } catch (error) {
        deps.logger.error('stream record not turned into events; retried from here', {
          eventId: record.eventID,
          error: error as Error,
        });
        unreadable = record;
        break;
      }
    }
    const envelopes = derived.flatMap((d) => d.envelopes);
    let failed = new Set<string>();
    if (envelopes.length > 0) {
      try {
        failed = new Set((await deps.bus.put(envelopes)).failedIds);
      } catch (error) {
        deps.logger.error('events not put on the bus; retried', { error: error as Error });
        failed = new Set(envelopes.map((e) => e.id));
      }
    }
    const firstFailed =
      derived.find((d) => d.envelopes.some((e) => failed.has(e.id)))?.record ?? unreadable;
    if (failed.size > 0) {
      deps.logger.error('events the bus did not take; retried from their change', {
        eventIds: [...failed],
      });
    }
    deps.logger.debug('events put', { count: envelopes.length - failed.size });
    // Counted once: the changes before the first failed record are done; the rest come again.
    const firstFailedAt = derived.findIndex((d) => d.record === firstFailed);
    const done = firstFailedAt === -1 ? derived : derived.slice(0, firstFailedAt);
    for (const envelope of done.flatMap((d) => d.envelopes)) {
      const metric = metricOf(envelope);
      if (metric) deps.metrics.count(...metric);
      deps.metrics.count('EventsPublished', { business: envelope.business });
    }
    if (failed.size > 0) deps.metrics.count('EventsFailed', {}, failed.size);
    return {
      batchItemFailures: firstFailed
        ? [{ itemIdentifier: firstFailed.dynamodb?.SequenceNumber ?? '' }]
        : [],
    };
  };
