import { describe, expect, it } from 'vitest';
import {
  pauseWaitItem,
  pauseWaitMarginMs,
  pauseWaitPageSize,
  pauseWaitsQuery,
} from '../../../functions/shared/store/items/pause-wait.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { newBusiness } from '../../support/fixtures.js';

const business = newBusiness();
const intentId = '6f1c2c1e-9a4b-4d7e-8f00-5a1b2c3d4e5f';
// Not a whole second: the TTL, rounded up, never comes before the margin's end.
const until = Date.parse('2026-06-08T10:00:00.000Z') + 250;

describe("the mark of an intent waiting on its number's pause", () => {
  it('is under the number, named by the intent, and lapses a margin after the wait ends', () => {
    const item = pauseWaitItem(business, intentId, until);
    expect(item).toStrictEqual({
      ...keys.pauseWait(business, intentId),
      intentId,
      ttl: Math.ceil((until + pauseWaitMarginMs) / 1000),
    });
    expect(item.ttl * 1000).toBeGreaterThanOrEqual(until + pauseWaitMarginMs);
    expect(pauseWaitMarginMs).toBeGreaterThan(0);
  });

  it("is read a page at a time, consistently, from the number's partition alone", () => {
    const { pk } = keys.pauseWait(business, intentId);
    expect(pauseWaitsQuery('t', business, undefined)).toStrictEqual({
      TableName: 't',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
      Limit: pauseWaitPageSize,
    });
    const startKey: Record<string, unknown> = { ...keys.pauseWait(business, intentId) };
    expect(pauseWaitsQuery('t', business, startKey)).toMatchObject({
      ExclusiveStartKey: startKey,
      ExpressionAttributeValues: { ':pk': pk },
    });
  });
});
