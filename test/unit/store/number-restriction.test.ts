import { describe, expect, it } from 'vitest';
import {
  pairAndPauseBatch,
  restrictionItem,
  standingRestriction,
} from '../../../functions/shared/store/items/number-restriction.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { newBusiness } from '../../support/fixtures.js';

const since = Date.parse('2026-06-01T10:00:00.000Z');
// Not a whole second: the TTL, rounded up, outlives the end by most of a second.
const until = since + 2 * 3600_000 + 250;
const paused = {
  business: newBusiness(),
  restriction: 'calls_paused',
  reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
  since,
  until,
} as const;

describe('a number restriction as its readers return it', () => {
  it('is the restriction without its key and TTL while it stands', () => {
    expect(standingRestriction(restrictionItem(paused), until - 1)).toStrictEqual(paused);
    const lifted = { ...paused, liftedAt: since + 60_000 };
    expect(standingRestriction(restrictionItem(lifted), until - 1)).toStrictEqual(lifted);
  });

  it('is none from its end on, though its TTL has not passed yet', () => {
    const item = restrictionItem(paused);
    expect(item.ttl * 1000).toBeGreaterThan(until);
    expect(standingRestriction(item, until)).toBeUndefined();
    expect(standingRestriction(item, until + 1)).toBeUndefined();
  });

  it('is none without an item', () => {
    expect(standingRestriction(undefined, since)).toBeUndefined();
  });
});

describe('the pair and the pause read at once', () => {
  it('is one consistent BatchGetItem of the keys still to read', () => {
    const business = newBusiness();
    const pair = keys.pair(business, '+919812345678');
    const pause = keys.numberRestriction(business, 'calls_paused');
    expect(pairAndPauseBatch('t', [pair, pause])).toStrictEqual({
      RequestItems: { t: { Keys: [pair, pause], ConsistentRead: true } },
    });
  });
});
