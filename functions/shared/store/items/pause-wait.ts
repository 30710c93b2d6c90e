import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '../client.js';
import { keyPrefixes, keys } from '../keys.js';
import { isExpired, ttlFromMillis } from '../table.js';

/**
 * Call intents waiting on their business number's pause, one item each under `PAUSEWAIT#<business>`:
 * an operator's lift (`number.unpaused`) finds them with one Query of that partition and wakes them.
 * Nothing deletes one: it lapses with its TTL, and waking an intent that no longer waits does nothing.
 */

/** How long a mark outlives the wait it marks: past the wake-up at the wait's end, which comes late. */
export const pauseWaitMarginMs = 3600 * 1000;

/** The mark of an intent waiting on the number's pause until `until` (epoch ms). */
export const pauseWaitItem = (business: string, intentId: string, until: number) => ({
  ...keys.pauseWait(business, intentId),
  intentId,
  ttl: ttlFromMillis(until + pauseWaitMarginMs),
});

/** Marks are read this many to a page: each page's intents are woken side by side. */
export const pauseWaitPageSize = 25;

/** One page of the number's marks, consistently, from where the last page stopped. */
export const pauseWaitsQuery = (
  tableName: string,
  business: string,
  startKey: Record<string, unknown> | undefined,
) => ({
  TableName: tableName,
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': `${keyPrefixes.pauseWait}${business}` },
  ConsistentRead: true,
  Limit: pauseWaitPageSize,
  ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
});

/** Marks the intent as waiting on the number's pause: one PutItem, repeated harmlessly. */
export const markPauseWait = async (
  db: Db,
  business: string,
  intentId: string,
  until: number,
): Promise<void> => {
  await db.doc.send(
    new PutCommand({ TableName: db.tableName, Item: pauseWaitItem(business, intentId, until) }),
  );
};

/**
 * The intents marked as waiting on the number's pause, a page at a time (one Query each), a mark past
 * its TTL left out.
 */
export async function* pauseWaitingIntents(
  db: Db,
  business: string,
  now: number,
): AsyncGenerator<readonly string[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const { Items = [], LastEvaluatedKey } = await db.doc.send(
      new QueryCommand(pauseWaitsQuery(db.tableName, business, startKey)),
    );
    const intentIds = Items.filter((item) => !isExpired(item, now)).map((item) =>
      String(item.intentId),
    );
    if (intentIds.length > 0) yield intentIds;
    startKey = LastEvaluatedKey;
  } while (startKey !== undefined);
}
