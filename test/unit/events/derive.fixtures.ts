/** What the derive tests share: the pair they change, the moment, the ids, and a change of one item. */
import type { TableChange } from '../../../functions/shared/events/derive.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import { keys } from '../../../functions/shared/store/keys.js';

export const business = '+918035737458';
export const user = '+919800000001';
export const pairKey = keys.pair(business, user);
export const t0 = Date.parse('2026-12-01T10:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();
export const callId = '6f1c2a4e-8b9d-4e3f-a1b2-c3d4e5f6a7b8';
export const intentId = '0b6f3c1e-2a4d-4f5e-9c8b-7a6d5e4f3c2b';

/** One item's change as the stream carries it: its image before and after. */
export const change = (
  pk: string,
  old: object | undefined,
  now: object | undefined,
  changeId = 'c1',
): TableChange => ({
  changeId,
  pk,
  old: old as Record<string, unknown> | undefined,
  new: now as Record<string, unknown> | undefined,
});

/** The pair's item with `fields`. */
export const pair = (fields: Partial<PairState> = {}): PairState => ({
  ...pairKey,
  business,
  user,
  ...fields,
});
