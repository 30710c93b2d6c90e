import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { newCallRecord } from '../../functions/shared/store/items/call-record.js';
import {
  type CallDirection,
  callListing,
  type Listing,
  listPage,
} from '../../functions/shared/store/listing.js';
import { exampleNumbers } from '../support/fixtures.js';
import { type Bench, type BenchRow, type CountingDb, round } from './support.js';

/**
 * GET /v1/calls at 10,000 calls of one number (half inbound, over 20 users): the DynamoDB requests and
 * read units of one page, as the store sends them (`listPage`), with the capacity DynamoDB reports.
 */
const business = exampleNumbers.india;
const calls = 10_000;
const users = 20;
const key = 'bench-listing-cursor-key';
const start = Date.UTC(2026, 11, 1);
const user = (i: number) => `+91986${String(i % users).padStart(7, '0')}`;

const seed = async (db: CountingDb) => {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < calls; i += 25) {
    batches.push(
      Array.from({ length: Math.min(25, calls - i) }, (_, j) => {
        const n = i + j;
        const direction: CallDirection = n % 2 === 0 ? 'inbound' : 'outbound';
        return newCallRecord({
          callId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          direction,
          business,
          user: user(n),
          startedAt: start + n * 60_000,
          leaseExpiresAt: start + n * 60_000 + 3_600_000,
          leaseShard: 0,
        }) as unknown as Record<string, unknown>;
      }),
    );
  }
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (items) => {
        let pending = items.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const { UnprocessedItems } = await db.doc.send(
            new BatchWriteCommand({ RequestItems: { [db.tableName]: pending } }),
          );
          pending = (UnprocessedItems?.[db.tableName] ?? []) as typeof pending;
        }
      }),
    );
  }
};

const now = start + (calls + 1) * 60_000;

export const bench: Bench = {
  name: 'listing',
  async run(context) {
    const db = await context.countingDb();
    await seed(db);
    const rows: BenchRow[] = [];
    const page = async (operation: string, listing: Listing, limit: number, pagesBefore = 0) => {
      let cursor: string | undefined;
      for (let i = 0; i < pagesBefore; i++) {
        const before = await listPage(db, listing, { limit, cursor, now }, key);
        cursor = before.kind === 'page' ? before.cursor : undefined;
      }
      const { result, figures } = await db.measure(() =>
        listPage(db, listing, { limit, cursor, now }, key),
      );
      rows.push({
        group: `GET /v1/calls, ${calls.toLocaleString('en')} calls of one number`,
        operation,
        figures: { ...figures, items: result.kind === 'page' ? result.items.length : 0 },
      });
    };
    const both = callListing({ business, directions: ['inbound', 'outbound'] });
    const inbound = callListing({ business, directions: ['inbound'] });
    const byUser = callListing({ business, user: user(3), directions: ['inbound', 'outbound'] });
    await page('first page, limit 25, both directions', both, 25);
    await page('11th page, limit 25, both directions (cursor)', both, 25, 10);
    await page('first page, limit 100, both directions', both, 100);
    await page('first page, limit 25, inbound only', inbound, 25);
    await page("first page, limit 25, one user's calls", byUser, 25);

    let cursor: string | undefined;
    let pages = 0;
    let listed = 0;
    const { figures } = await db.measure(async () => {
      do {
        const next = await listPage(db, inbound, { limit: 100, cursor, now }, key);
        if (next.kind !== 'page') throw new Error('cursor refused');
        pages++;
        listed += next.items.length;
        cursor = next.cursor;
      } while (cursor !== undefined);
    });
    rows.push({
      group: `GET /v1/calls, ${calls.toLocaleString('en')} calls of one number`,
      operation: 'every inbound call, limit 100, to the end',
      figures: {
        pages,
        items: listed,
        dynamoRequests: figures.dynamoRequests,
        RCU: figures.RCU,
        'RCU per page': round(figures.RCU / pages),
      },
    });
    return rows;
  },
};
