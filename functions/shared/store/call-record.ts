import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, readLive } from './client.js';
import { attributeNames, isConditionFailed } from './conditions.js';
import { keys } from './keys.js';
import { ttlFromMillis } from './table.js';

/** One call, either direction: written once when it starts, its end applied once. Times in epoch ms. */
export interface CallRecord {
  readonly pk: string;
  readonly sk: string;
  /** Plivo's CallUUID (inbound) or callgate's call id (business-initiated). */
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  /** E.164 business number: its line item holds the call's lease. */
  readonly business: string;
  /** E.164 WhatsApp user number. */
  readonly user: string;
  readonly startedAt: number;
  readonly leaseExpiresAt: number;
  /** Business-initiated: the agent its first leg rings. */
  readonly agent?: string;
  readonly endedAt?: number;
  readonly durationSeconds?: number;
  readonly hangupCause?: string;
  readonly dialStatus?: string;
  readonly dialStatusAt?: number;
  /** Business-initiated: when the agent answered and callgate dialed the WhatsApp user. */
  readonly dialedAt?: number;
  /** Epoch seconds. */
  readonly ttl: number;
}

/** Call records are kept for a month after the call started (support questions, billing checks). */
export const callRecordRetentionMs = 30 * 24 * 3600 * 1000;

export const newCallRecord = (fields: {
  callId: string;
  direction: 'inbound' | 'outbound';
  business: string;
  user: string;
  startedAt: number;
  leaseExpiresAt: number;
  agent?: string;
}): CallRecord => ({
  ...keys.call(fields.callId),
  ...fields,
  ttl: ttlFromMillis(fields.startedAt + callRecordRetentionMs),
});

export const readCall = (db: Db, callId: string, now: number) =>
  readLive<CallRecord>(db, keys.call(callId), now);

/**
 * The agent leg answered: marks the call as dialed (from now on it counts among the user's daily calls
 * whatever happens) and returns it. Undefined when callgate never placed it, or it already ended (its
 * hangup came first, or Plivo placed it after callgate gave up on the request): then nobody is dialed.
 * One UpdateItem; a retried answer keeps the first time.
 */
export const markDialed = async (
  db: Db,
  callId: string,
  now: number,
): Promise<CallRecord | undefined> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.call(callId),
        UpdateExpression: 'SET #dialedAt = if_not_exists(#dialedAt, :now)',
        ConditionExpression:
          'attribute_exists(pk) AND #direction = :outbound AND attribute_not_exists(#endedAt)',
        ExpressionAttributeNames: attributeNames('dialedAt', 'direction', 'endedAt'),
        ExpressionAttributeValues: { ':now': now, ':outbound': 'outbound' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as CallRecord | undefined;
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
};
