/** How callgate reads Plivo's Live Call API: only a whole list of CallUUIDs is a list, anything else unknown. */
import { describe, expect, it } from 'vitest';
import {
  type LiveCallPage,
  liveCallList,
  liveCallPageSize,
  maxLiveCallPages,
  readLiveCallLookup,
  readLiveCallPage,
} from '../../../functions/shared/plivo/live-calls.js';

const uuid = (n: number) => `${String(n).padStart(8, '0')}-b1cd-499b-82d1-b39bca50dc31`;
const uuids = (from: number, count: number) =>
  Array.from({ length: count }, (_, n) => uuid(from + n));
const page = (calls: readonly unknown[], extra: object = {}) => ({ api_id: 'a1', calls, ...extra });
const listed = (callUuids: readonly string[]): LiveCallPage => ({ kind: 'page', callUuids });

describe('one page', () => {
  it('is its CallUUIDs, lower case', () => {
    expect(readLiveCallPage(page(['EAC94337-B1CD-499B-82D1-B39BCA50DC31', uuid(1)]), 0)).toEqual({
      kind: 'page',
      callUuids: ['eac94337-b1cd-499b-82d1-b39bca50dc31', uuid(1)],
    });
    expect(readLiveCallPage(page([]), 40)).toEqual({ kind: 'page', callUuids: [] });
    expect(readLiveCallPage(page(uuids(0, 20)), 0)).toEqual(listed(uuids(0, 20)));
  });

  it.each([
    ['not JSON', undefined, 'the page at offset 20 is not a JSON object'],
    ['a JSON list', [uuid(1)], 'the page at offset 20 is not a JSON object'],
    ['without api_id', { calls: [] }, 'the page at offset 20 has no api_id'],
    ['with a numeric api_id', { api_id: 7, calls: [] }, 'the page at offset 20 has no api_id'],
    ['without calls', { api_id: 'a1' }, 'the page at offset 20 has no calls list'],
    ['with calls an object', page({} as never), 'the page at offset 20 has no calls list'],
    [
      'listing objects',
      page([{ call_uuid: uuid(1) }]),
      'the page at offset 20 lists an entry that is not a CallUUID',
    ],
    [
      'listing a UUID with more around it',
      page([`x${uuid(1)}`]),
      'the page at offset 20 lists an entry that is not a CallUUID',
    ],
    [
      'listing a UUID cut short',
      page([uuid(1).slice(0, 35)]),
      'the page at offset 20 lists an entry that is not a CallUUID',
    ],
    [
      'listing a CallUUID inside a list',
      page([[uuid(1)]]),
      'the page at offset 20 lists an entry that is not a CallUUID',
    ],
    [
      'listing one bad entry among good ones',
      page([uuid(1), 'call-7']),
      'the page at offset 20 lists an entry that is not a CallUUID',
    ],
    [
      'with a meta that is not an object',
      page([], { meta: 'x' }),
      'the page at offset 20 has a meta that is not an object',
    ],
    [
      'with a total that is a string',
      page([], { meta: { total_count: '20' } }),
      'the page at offset 20 has a meta.total_count that is not a count',
    ],
    [
      'with a fractional total',
      page([], { meta: { total_count: 20.5 } }),
      'the page at offset 20 has a meta.total_count that is not a count',
    ],
    [
      'with a negative total',
      page([], { meta: { total_count: -1 } }),
      'the page at offset 20 has a meta.total_count that is not a count',
    ],
  ])('%s is unreadable', (_, body, detail) => {
    expect(readLiveCallPage(body, 20)).toEqual({ kind: 'unknown', reason: 'unreadable', detail });
  });

  it('listing more than a page is incomplete: the limit was not honoured', () => {
    expect(readLiveCallPage(page(uuids(0, liveCallPageSize + 1)), 0)).toEqual({
      kind: 'unknown',
      reason: 'incomplete',
      detail: 'the page at offset 0 lists 21 calls, more than the page asked for',
    });
  });

  it('a total must cover the calls listed through a full page, and equal them on the last', () => {
    const full = uuids(0, 20);
    expect(readLiveCallPage(page(full, { meta: { total_count: 60 } }), 20)).toEqual(listed(full));
    expect(readLiveCallPage(page(full, { meta: { total_count: 40 } }), 20)).toEqual(listed(full));
    expect(readLiveCallPage(page(full, { meta: { total_count: 39 } }), 20)).toEqual({
      kind: 'unknown',
      reason: 'incomplete',
      detail: 'the page at offset 20 says 39 calls in all, 40 listed through it',
    });
    const last = uuids(0, 5);
    expect(readLiveCallPage(page(last, { meta: { total_count: 25 } }), 20)).toEqual(listed(last));
    for (const total of [24, 26]) {
      expect(readLiveCallPage(page(last, { meta: { total_count: total } }), 20)).toEqual({
        kind: 'unknown',
        reason: 'incomplete',
        detail: `the page at offset 20 says ${total} calls in all, 25 listed through it`,
      });
    }
    expect(readLiveCallPage(page([], { meta: { total_count: 0 } }), 0)).toEqual(listed([]));
    expect(readLiveCallPage(page(last, { meta: {} }), 0)).toEqual(listed(last));
  });
});

describe('the pages read so far', () => {
  it('end with the first page shorter than a full one', () => {
    expect(liveCallList([listed(uuids(0, 20)), listed(uuids(20, 3))])).toEqual({
      kind: 'listed',
      callUuids: new Set(uuids(0, 23)),
    });
    expect(liveCallList([listed([])])).toEqual({ kind: 'listed', callUuids: new Set() });
    // Pages asked for beside the one that ended the list, empty as they should be.
    expect(liveCallList([listed(uuids(0, 20)), listed([]), listed([]), listed([])])).toEqual({
      kind: 'listed',
      callUuids: new Set(uuids(0, 20)),
    });
  });

  it('want more while every page is full', () => {
    expect(liveCallList([])).toEqual({ kind: 'more' });
    expect(liveCallList([listed(uuids(0, 20)), listed(uuids(20, 20))])).toEqual({ kind: 'more' });
    const pages = Array.from({ length: maxLiveCallPages - 1 }, (_, n) => listed(uuids(n * 20, 20)));
    expect(liveCallList(pages)).toEqual({ kind: 'more' });
  });

  it('give up, incomplete, once the most pages read are all full', () => {
    const pages = Array.from({ length: maxLiveCallPages }, (_, n) => listed(uuids(n * 20, 20)));
    expect(liveCallList(pages)).toEqual({
      kind: 'unknown',
      reason: 'incomplete',
      detail: 'more than 2000 live calls',
    });
  });

  it('are unknown if any page is, even after the list has ended', () => {
    const unreadable = readLiveCallPage({ api_id: 'a1' }, 40);
    expect(liveCallList([listed(uuids(0, 20)), listed([]), unreadable])).toBe(unreadable);
    expect(liveCallList([unreadable, listed([])])).toBe(unreadable);
  });

  it('are incomplete when a page after the end lists a call: the list changed under the reading', () => {
    expect(liveCallList([listed(uuids(0, 20)), listed(uuids(20, 2)), listed([uuid(99)])])).toEqual({
      kind: 'unknown',
      reason: 'incomplete',
      detail: 'calls listed after the page at offset 20',
    });
  });
});

describe('the lookup of one call', () => {
  const one = uuid(1);

  it('200 with its own call_uuid is live, whatever its case', () => {
    expect(readLiveCallLookup(one, 200, { api_id: 'a1', call_uuid: one })).toBe('live');
    expect(readLiveCallLookup(one.toUpperCase(), 200, { api_id: 'a1', call_uuid: one })).toBe(
      'live',
    );
    expect(readLiveCallLookup(one, 200, { api_id: 'a1', call_uuid: one.toUpperCase() })).toBe(
      'live',
    );
  });

  it('404 from Plivo is not live', () => {
    expect(readLiveCallLookup(one, 404, { api_id: 'a1', error: 'not found' })).toBe('not_live');
  });

  it.each([
    ['a 404 without api_id', 404, { error: 'not found' }],
    ['a 404 that is not JSON', 404, undefined],
    ['a 200 without api_id', 200, { call_uuid: one }],
    ['a 200 for another call', 200, { api_id: 'a1', call_uuid: uuid(2) }],
    ['a 200 without call_uuid', 200, { api_id: 'a1' }],
    ['a 200 with a numeric call_uuid', 200, { api_id: 'a1', call_uuid: 1 }],
    ['a 202 with its call_uuid', 202, { api_id: 'a1', call_uuid: one }],
  ])('%s is unknown', (_, status, body) => {
    expect(readLiveCallLookup(one, status, body)).toBe('unknown');
  });
});
