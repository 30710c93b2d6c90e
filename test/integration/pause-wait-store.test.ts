/**
 * The marks of intents waiting on a number's pause against DynamoDB Local: written once however often,
 * read back a page at a time from the number's partition alone, a lapsed one left out.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../functions/shared/store/client.js';
import {
  markPauseWait,
  pauseWaitingIntents,
  pauseWaitMarginMs,
  pauseWaitPageSize,
} from '../../functions/shared/store/items/pause-wait.js';
import { createTestDb } from '../support/dynamo.js';
import { newBusiness } from '../support/fixtures.js';

// In the future of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has really passed.
const t0 = Date.UTC(2030, 0, 1);
const day = 86_400_000;
let db: Db;

beforeAll(async () => {
  db = await createTestDb();
});

const readAll = async (business: string, now: number) => {
  const pages: (readonly string[])[] = [];
  for await (const page of pauseWaitingIntents(db, business, now)) pages.push(page);
  return pages;
};

describe('the intents waiting on a pause', () => {
  it('are every one marked on the number, a page at a time, past a page of them', async () => {
    const business = newBusiness();
    const elsewhere = newBusiness();
    const waiting = Array.from({ length: pauseWaitPageSize + 3 }, () => randomUUID());
    await Promise.all(waiting.map((id) => markPauseWait(db, business, id, t0 + 2 * day)));
    // Marked again by a redelivered event: still one mark.
    await markPauseWait(db, business, waiting[0] as string, t0 + 2 * day);
    await markPauseWait(db, elsewhere, randomUUID(), t0 + 2 * day);
    const pages = await readAll(business, t0);
    expect(pages.map((page) => page.length)).toEqual([pauseWaitPageSize, 3]);
    expect(pages.flat().sort()).toEqual([...waiting].sort());
  });

  it('leave out a mark past its TTL, and are none on a number without any', async () => {
    const business = newBusiness();
    const lapsed = randomUUID();
    const standing = randomUUID();
    await markPauseWait(db, business, lapsed, t0);
    await markPauseWait(db, business, standing, t0 + day);
    expect(await readAll(business, t0 + pauseWaitMarginMs - 1)).toEqual([
      expect.arrayContaining([lapsed, standing]),
    ]);
    expect(await readAll(business, t0 + pauseWaitMarginMs)).toEqual([[standing]]);
    expect(await readAll(newBusiness(), t0)).toEqual([]);
  });
});
