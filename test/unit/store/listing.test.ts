import { describe, expect, it } from 'vitest';
import {
  callListing,
  callListingAttributes,
  decodeCursor,
  encodeCursor,
  intentListing,
  intentListingAttributes,
  listedAt,
  maxCursorLength,
  mergePage,
  pageQueries,
} from '../../../functions/shared/store/listing.js';

const key = 'unit-test-listing-cursor-key';
const business = '+918035737458';
const user = '+919812345678';
const callId = '0b7e6a8e-3f0e-4c1e-9d4a-2f1b6c9e7a10';

describe('listing keys', () => {
  it('sorts by time as strings: 13 digits, then the id', () => {
    expect(listedAt(1_765_000_000_000, callId)).toBe(`1765000000000#${callId}`);
    expect(listedAt(5, 'a')).toBe('0000000000005#a');
    expect(listedAt(999, 'z') < listedAt(1000, 'a')).toBe(true);
  });

  it('keys a call by number and direction, and by user; a call with no user by number alone', () => {
    const call = { callId, business, user, direction: 'inbound' as const, startedAt: 42 };
    expect(callListingAttributes(call)).toEqual({
      byNumber: `CALLS#${business}#inbound`,
      byUser: `CALLS#${business}#${user}#inbound`,
      listedAt: `0000000000042#${callId}`,
    });
    expect(callListingAttributes({ ...call, user: '' })).not.toHaveProperty('byUser');
  });

  it('keys an intent by number and status, listed at its creation', () => {
    expect(
      intentListingAttributes({ intentId: 'i-1', business, status: 'scheduled', createdAt: 7 }),
    ).toEqual({ byNumber: `INTENTS#${business}#scheduled`, listedAt: '0000000000007#i-1' });
  });

  it('reads one partition per direction or status, from the index the query needs', () => {
    expect(callListing({ business, directions: ['inbound', 'outbound'] })).toEqual({
      index: 'by-number',
      partitions: [`CALLS#${business}#inbound`, `CALLS#${business}#outbound`],
      since: undefined,
      until: undefined,
    });
    expect(callListing({ business, user, directions: ['outbound'] }).index).toBe('by-user');
    expect(intentListing(business, ['placed']).partitions).toEqual([`INTENTS#${business}#placed`]);
  });

  it('queries newest first between since and until, one more than the page (two after a cursor)', () => {
    const listing = callListing({ business, directions: ['inbound'], since: 1000, until: 2000 });
    const [query] = pageQueries('t', listing, 25);
    expect(query).toEqual({
      TableName: 't',
      IndexName: 'by-number',
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
      ExpressionAttributeNames: { '#pk': 'byNumber', '#sk': 'listedAt' },
      ExpressionAttributeValues: {
        ':pk': `CALLS#${business}#inbound`,
        ':low': '0000000001000',
        ':high': '0000000002000',
      },
      ScanIndexForward: false,
      Limit: 26,
    });
    const [after] = pageQueries('t', listing, 25, `0000000001500#${callId}`);
    expect(after?.ExpressionAttributeValues[':high']).toBe(`0000000001500#${callId}`);
    expect(after?.Limit).toBe(27);
    const [open] = pageQueries('t', callListing({ business, directions: ['inbound'] }), 1);
    expect(open?.ExpressionAttributeValues).toMatchObject({ ':low': '0000000000000' });
    expect(
      String(open?.ExpressionAttributeValues[':high']) > listedAt(9_999_999_999_999, 'z'),
    ).toBe(true);
  });
});

describe('mergePage', () => {
  const entry = (at: number, id = 'x', ttl?: number) => ({
    listedAt: listedAt(at, id),
    ...(ttl === undefined ? {} : { ttl }),
  });

  it('merges partitions newest first and gives the last position only when more follow', () => {
    const page = mergePage(
      [
        [entry(5), entry(1)],
        [entry(4), entry(3)],
      ],
      3,
      undefined,
      0,
    );
    expect(page.items.map((i) => i.listedAt)).toEqual([5, 4, 3].map((at) => listedAt(at, 'x')));
    expect(page.last).toBe(listedAt(3, 'x'));
    const all = mergePage([[entry(2)], [entry(1)]], 2, undefined, 0);
    expect(all).toEqual({ items: [entry(2), entry(1)] });
  });

  it("leaves out the cursor's own entry and expired items, which still hold their place", () => {
    const after = listedAt(9, 'x');
    const page = mergePage([[entry(9), entry(8), entry(7, 'x', 1), entry(6)]], 2, after, 5_000);
    expect(page.items).toEqual([entry(8)]);
    expect(page.last).toBe(listedAt(7, 'x'));
  });
});

describe('cursors', () => {
  const listing = callListing({ business, directions: ['inbound', 'outbound'], since: 10 });
  const position = listedAt(1_765_000_000_000, callId);
  const cursor = encodeCursor(key, listing, position);

  it('round-trips, base64url and opaque', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(decodeCursor(key, listing, cursor)).toBe(position);
  });

  it('refuses any change, another key, another query, a malformed or oversized one', () => {
    const [head = '', mac = ''] = cursor.split('.');
    const other = Buffer.from(listedAt(1_765_000_000_001, callId)).toString('base64url');
    const spare = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      `${other}.${mac}`,
      `${head}.${spare}`,
      `${head}.${mac}x`,
      `${head}${mac}`,
      '',
      'not-a-cursor',
      `${'A'.repeat(maxCursorLength)}.${mac}`,
      encodeCursor(key, listing, 'not a position'),
    ]) {
      expect(decodeCursor(key, listing, bad), bad).toBeUndefined();
    }
    expect(decodeCursor('another-key', listing, cursor)).toBeUndefined();
    for (const foreign of [
      callListing({ business, directions: ['inbound'], since: 10 }),
      callListing({ business, user, directions: ['inbound', 'outbound'], since: 10 }),
      callListing({ business, directions: ['inbound', 'outbound'], since: 11 }),
      callListing({ business, directions: ['inbound', 'outbound'], since: 10, until: 99 }),
      intentListing(business, ['inbound', 'outbound']),
    ]) {
      expect(decodeCursor(key, foreign, cursor)).toBeUndefined();
    }
  });

  it('refuses a position before the listing starts, which DynamoDB would refuse as a reversed range', () => {
    const late = callListing({ business, directions: ['inbound'], since: 2_000_000_000_000 });
    expect(decodeCursor(key, late, encodeCursor(key, late, listedAt(5, 'x')))).toBeUndefined();
  });
});
