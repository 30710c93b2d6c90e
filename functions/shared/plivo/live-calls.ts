import { isObject } from './reply-fields.js';

/**
 * Plivo's Live Call API, read as its SDKs read it: `GET …/Call/?status=live&limit=…&offset=…` lists the
 * account's live CallUUIDs a page at a time, `{"api_id": …, "calls": ["<CallUUID>", …]}`, at most 20 a
 * page (the Python SDK refuses a larger `limit`, and 20 is its default); `GET …/Call/{CallUUID}/?status=live`
 * answers one live call. A lease is released only for a call a whole list leaves out, so whatever is
 * not plainly a whole list is unknown.
 */

/** The most calls one page lists. */
export const liveCallPageSize = 20;

/** Pages read before giving up (2,000 live calls): each one a request while a caller waits. */
export const maxLiveCallPages = 100;

export interface LiveCallsUnknown {
  readonly kind: 'unknown';
  /** `unreadable`: an answer not in the documented shape; `incomplete`: pages that are not one whole list. */
  readonly reason: 'unreadable' | 'incomplete';
  /** What was wrong, for the log: no CallUUID or number in it. */
  readonly detail: string;
}

interface ListedPage {
  readonly kind: 'page';
  /** Lower case, as the lookups compare them. */
  readonly callUuids: readonly string[];
}

export type LiveCallPage = ListedPage | LiveCallsUnknown;

export type LiveCallList =
  | { readonly kind: 'listed'; readonly callUuids: ReadonlySet<string> }
  | LiveCallsUnknown;

const callUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isCallUuid = (entry: unknown): entry is string =>
  typeof entry === 'string' && callUuid.test(entry);

const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;

const unknown = (reason: LiveCallsUnknown['reason'], detail: string): LiveCallsUnknown => ({
  kind: 'unknown',
  reason,
  detail,
});

/**
 * One page, asked for at `offset`: its `api_id` a string, `calls` a list of CallUUIDs and no more than a
 * page of them. A `meta.total_count`, if Plivo ever sends one, must agree: at least the calls listed
 * through this page, exactly that on the page that ends the list.
 */
export const readLiveCallPage = (body: unknown, offset: number): LiveCallPage => {
  const at = `the page at offset ${offset}`;
  if (!isObject(body)) return unknown('unreadable', `${at} is not a JSON object`);
  if (typeof body.api_id !== 'string') return unknown('unreadable', `${at} has no api_id`);
  const { calls, meta } = body;
  if (!Array.isArray(calls)) return unknown('unreadable', `${at} has no calls list`);
  if (!calls.every(isCallUuid)) {
    return unknown('unreadable', `${at} lists an entry that is not a CallUUID`);
  }
  if (calls.length > liveCallPageSize) {
    return unknown('incomplete', `${at} lists ${calls.length} calls, more than the page asked for`);
  }
  if (meta !== undefined) {
    if (!isObject(meta)) return unknown('unreadable', `${at} has a meta that is not an object`);
    const total = meta.total_count;
    if (total !== undefined) {
      if (!isCount(total)) {
        return unknown('unreadable', `${at} has a meta.total_count that is not a count`);
      }
      const through = offset + calls.length;
      const ends = calls.length < liveCallPageSize;
      if (ends ? total !== through : total < through) {
        return unknown(
          'incomplete',
          `${at} says ${total} calls in all, ${through} listed through it`,
        );
      }
    }
  }
  return { kind: 'page', callUuids: calls.map((entry) => entry.toLowerCase()) };
};

/**
 * The pages read so far, asked for at offsets 0, 20, 40, … in order: the whole list once a page shorter
 * than a full one ends it and no page read after it lists a call; `more` while every page is full.
 */
export const liveCallList = (pages: readonly LiveCallPage[]): LiveCallList | { kind: 'more' } => {
  const listed: ListedPage[] = [];
  for (const page of pages) {
    if (page.kind === 'unknown') return page;
    listed.push(page);
  }
  const end = listed.findIndex((page) => page.callUuids.length < liveCallPageSize);
  if (end === -1) {
    return listed.length < maxLiveCallPages
      ? { kind: 'more' }
      : unknown('incomplete', `more than ${maxLiveCallPages * liveCallPageSize} live calls`);
  }
  if (listed.slice(end + 1).some((page) => page.callUuids.length > 0)) {
    return unknown('incomplete', `calls listed after the page at offset ${end * liveCallPageSize}`);
  }
  // The pages after the end list nothing (above): every page's calls are the list.
  return { kind: 'listed', callUuids: new Set(listed.flatMap((page) => page.callUuids)) };
};

export type LiveCallLookup = 'live' | 'not_live' | 'unknown';

/**
 * Plivo's answer to the lookup of one call, by HTTP status and body: 200 with that call's `call_uuid`
 * is live, 404 is not live; either must carry Plivo's `api_id`, anything else is unknown.
 */
export const readLiveCallLookup = (uuid: string, status: number, body: unknown): LiveCallLookup => {
  if (!isObject(body) || typeof body.api_id !== 'string') return 'unknown';
  if (status === 404) return 'not_live';
  const listed = body.call_uuid;
  return status === 200 && typeof listed === 'string' && listed.toLowerCase() === uuid.toLowerCase()
    ? 'live'
    : 'unknown';
};
