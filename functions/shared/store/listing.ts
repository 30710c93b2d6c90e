import { createHmac, timingSafeEqual } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from './client.js';
import { isExpired, type TableIndexName, tableDefinition } from './table.js';

/**
 * The listings (GET /v1/calls, GET /v1/call-intents): pages read from the table's two sparse indexes,
 * newest first, and the opaque cursor that continues one.
 *
 * by-number  byNumber = CALLS#<business>#<direction>          a number's calls of one direction
 *            byNumber = INTENTS#<business>#<status>           a number's intents in one status
 * by-user    byUser   = CALLS#<business>#<user>#<direction>   a user's calls with the number, one direction
 * Both sort on listedAt = <13-digit epoch ms>#<id>: the call's start or the intent's creation, then its
 * id, so the string order is the time order and no two entries tie. Direction and status are keyed, not
 * filtered: a listing of both directions (or of the open statuses) reads each partition and merges,
 * never reading an entry it does not return but the one a page looks ahead to.
 */

export const listingPrefixes = { calls: 'CALLS#', intents: 'INTENTS#' } as const;

/** Epoch ms as 13 digits (to the year 2286): string order is time order. */
const timeKey = (at: number): string => String(Math.max(0, Math.trunc(at))).padStart(13, '0');

export const listedAt = (at: number, id: string): string => `${timeKey(at)}#${id}`;

/** Above every `listedAt`: `~` sorts after `#` and the digits. */
const endOfTime = '9999999999999~';

export type CallDirection = 'inbound' | 'outbound';

/** The index attributes every call record carries, whichever write creates it. */
export const callListingAttributes = (call: {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly direction: CallDirection;
  readonly startedAt: number;
}) => ({
  byNumber: `${listingPrefixes.calls}${call.business}#${call.direction}`,
  // A hangup before any answer may not name the caller: listed under the number only.
  ...(call.user === ''
    ? {}
    : { byUser: `${listingPrefixes.calls}${call.business}#${call.user}#${call.direction}` }),
  listedAt: listedAt(call.startedAt, call.callId),
});

/** The partition an intent is listed in for its status; every transition writes it anew. */
export const intentListingPartition = (business: string, status: string): string =>
  `${listingPrefixes.intents}${business}#${status}`;

export const intentListingAttributes = (intent: {
  readonly intentId: string;
  readonly business: string;
  readonly status: string;
  readonly createdAt: number;
}) => ({
  byNumber: intentListingPartition(intent.business, intent.status),
  listedAt: listedAt(intent.createdAt, intent.intentId),
});

/** One listing: the index partitions merged, newest first, from `since` (inclusive) to `until` (exclusive). */
export interface Listing {
  readonly index: TableIndexName;
  readonly partitions: readonly string[];
  readonly since?: number | undefined;
  readonly until?: number | undefined;
}

export const callListing = (query: {
  readonly business: string;
  readonly user?: string | undefined;
  readonly directions: readonly CallDirection[];
  readonly since?: number | undefined;
  readonly until?: number | undefined;
}): Listing => ({
  index: query.user === undefined ? 'by-number' : 'by-user',
  partitions: query.directions.map((direction) =>
    query.user === undefined
      ? `${listingPrefixes.calls}${query.business}#${direction}`
      : `${listingPrefixes.calls}${query.business}#${query.user}#${direction}`,
  ),
  since: query.since,
  until: query.until,
});

export const intentListing = (business: string, statuses: readonly string[]): Listing => ({
  index: 'by-number',
  partitions: statuses.map((status) => intentListingPartition(business, status)),
});

const indexOf = (name: TableIndexName) =>
  tableDefinition.indexes.find((index) => index.name === name) ?? tableDefinition.indexes[0];

/**
 * One Query per partition: the entries at or below `after` (the last one the previous page returned,
 * dropped again by `mergePage`), newest first. Each asks one entry more than the page, to know whether
 * another page follows, and one more after a cursor, for the entry the cursor names.
 */
export const pageQueries = (tableName: string, listing: Listing, limit: number, after?: string) => {
  const index = indexOf(listing.index);
  return listing.partitions.map((partition) => ({
    TableName: tableName,
    IndexName: index.name,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
    ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
    ExpressionAttributeValues: {
      ':pk': partition,
      ':low': timeKey(listing.since ?? 0),
      // `until` alone sorts before every entry of its millisecond: exclusive.
      ':high': after ?? (listing.until === undefined ? endOfTime : timeKey(listing.until)),
    },
    ScanIndexForward: false,
    Limit: limit + (after === undefined ? 1 : 2),
  }));
};

export interface ListedItem {
  readonly listedAt: string;
  readonly ttl?: unknown;
}

/** The partitions' answers as one page: newest first, the cursor's own entry and expired items left out. */
export const mergePage = <T extends ListedItem>(
  answers: readonly (readonly T[])[],
  limit: number,
  after: string | undefined,
  now: number,
): { readonly items: readonly T[]; readonly last?: string } => {
  const merged = answers
    .flat()
    .filter((item) => item.listedAt !== after)
    .sort((a, b) => (a.listedAt < b.listedAt ? 1 : a.listedAt > b.listedAt ? -1 : 0));
  const page = merged.slice(0, limit);
  const last = page.at(-1)?.listedAt;
  return {
    // Expired ones still hold their place, so a page short of them is not mistaken for the end.
    items: page.filter((item) => !isExpired(item, now)),
    ...(merged.length > limit && last !== undefined ? { last } : {}),
  };
};

/** What a cursor is bound to: the index, its partitions and the time range, so it fits no other query. */
const scopeOf = (listing: Listing): string =>
  JSON.stringify([listing.index, listing.partitions, listing.since ?? null, listing.until ?? null]);

const positionPattern = /^\d{13}#[A-Za-z0-9-]{1,64}$/;

/** HMAC-SHA256 over the listing and the position, cut to 128 bits. */
const mac = (key: string, listing: Listing, position: string): Buffer =>
  createHmac('sha256', key)
    .update(scopeOf(listing))
    .update('\n')
    .update(position)
    .digest()
    .subarray(0, 16);

/** base64url(position).base64url(mac): opaque to the caller, and any change to it is seen. */
export const encodeCursor = (key: string, listing: Listing, position: string): string =>
  `${Buffer.from(position, 'utf8').toString('base64url')}.${mac(key, listing, position).toString('base64url')}`;

/** Cursors are short; anything longer was never one. */
export const maxCursorLength = 256;

/** The position a cursor of this listing names, or undefined for a tampered, foreign or malformed one. */
export const decodeCursor = (key: string, listing: Listing, cursor: string): string | undefined => {
  if (cursor.length > maxCursorLength) return undefined;
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/.exec(cursor);
  if (!match) return undefined;
  const position = Buffer.from(match[1] ?? '', 'base64url').toString('utf8');
  // Compared as written: base64url leaves spare bits in a last character that decoding ignores.
  if (!positionPattern.test(position)) return undefined;
  const expected = Buffer.from(encodeCursor(key, listing, position));
  const given = Buffer.from(cursor);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  // Ours, so within the range it was made for; checked anyway, as DynamoDB refuses a reversed BETWEEN.
  if (position < timeKey(listing.since ?? 0)) return undefined;
  return position;
};

export type ListingPage<T> =
  | { readonly kind: 'page'; readonly items: readonly T[]; readonly cursor?: string }
  | { readonly kind: 'invalid_cursor' };

/**
 * One page of a listing: one Query per partition (in parallel), merged. Eventually consistent, as
 * every index read is: an entry written a moment ago may show on the next read.
 */
export const listPage = async <T extends ListedItem>(
  db: Db,
  listing: Listing,
  page: { readonly limit: number; readonly cursor?: string | undefined; readonly now: number },
  cursorKey: string,
): Promise<ListingPage<T>> => {
  const after =
    page.cursor === undefined ? undefined : decodeCursor(cursorKey, listing, page.cursor);
  if (page.cursor !== undefined && after === undefined) return { kind: 'invalid_cursor' };
  const answers = await Promise.all(
    pageQueries(db.tableName, listing, page.limit, after).map(
      async (input) => ((await db.doc.send(new QueryCommand(input))).Items ?? []) as T[],
    ),
  );
  const { items, last } = mergePage(answers, page.limit, after, page.now);
  return {
    kind: 'page',
    items,
    ...(last === undefined ? {} : { cursor: encodeCursor(cursorKey, listing, last) }),
  };
};
