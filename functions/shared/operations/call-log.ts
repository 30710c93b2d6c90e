import type { Deps } from '../deps.js';
import { type CallLogView, callLogView } from '../rules/call-log.js';
import { type CallRecord, readCall } from '../store/items/call-record.js';
import { type CallDirection, callListing, type ListedItem, listPage } from '../store/listing.js';

export type CallLogOutcome =
  | { readonly kind: 'found'; readonly view: CallLogView }
  /** Never recorded, released after Plivo refused it, or past its retention. */
  | { readonly kind: 'not_found' };

/** One call as the business sees it, from its record (one consistent read). */
export const callLog = async (deps: Deps, callId: string): Promise<CallLogOutcome> => {
  const record = await readCall(deps.db, callId, deps.clock());
  return record ? { kind: 'found', view: callLogView(record) } : { kind: 'not_found' };
};

export interface CallListQuery {
  readonly business: string;
  /** The number, or the BSUID of a user known by it alone: the record's `user`. */
  readonly user?: string | undefined;
  readonly direction?: CallDirection | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export type CallListOutcome =
  | {
      readonly kind: 'listed';
      readonly calls: readonly CallLogView[];
      readonly cursor?: string;
    }
  /** Tampered with, made for another query, or not a cursor at all. */
  | { readonly kind: 'invalid_cursor' };

/** A number's calls, or a user's with it, newest first, a page at a time (store/listing.ts). */
export const listCalls = async (deps: Deps, query: CallListQuery): Promise<CallListOutcome> => {
  const listing = callListing({
    business: query.business,
    user: query.user,
    directions: query.direction === undefined ? ['inbound', 'outbound'] : [query.direction],
    since: query.since,
    until: query.until,
  });
  const page = await listPage<CallRecord & ListedItem>(
    deps.db,
    listing,
    { limit: query.limit, cursor: query.cursor, now: deps.clock() },
    await deps.listingCursorKey(),
  );
  if (page.kind === 'invalid_cursor') return page;
  return {
    kind: 'listed',
    calls: page.items.map(callLogView),
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  };
};
