/**
 * The single table, described once for the CDK stack and for the local host's DynamoDB Local.
 * Every item that stops mattering after a time carries `ttl` (epoch seconds); DynamoDB deletes expired
 * items late, so readers treat an item past its `ttl` as absent.
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Changes are read from the table's stream, with both images (functions/lease-changes). */
  streamView: 'NEW_AND_OLD_IMAGES',
  /**
   * The listings' sparse indexes (store/listing.ts), in the order an upgrade creates them:
   * CloudFormation adds one global secondary index per table update (docs/deploy.md). Both project
   * every attribute, so a page is read from the index alone; both sort on `listedAt`.
   */
  indexes: [
    { name: 'by-number', partitionKey: 'byNumber', sortKey: 'listedAt' },
    { name: 'by-user', partitionKey: 'byUser', sortKey: 'listedAt' },
  ],
} as const;

export type TableIndex = (typeof tableDefinition.indexes)[number];

export type TableIndexName = TableIndex['name'];

/** Epoch milliseconds to the epoch seconds DynamoDB's TTL reads, rounded up so nothing expires early. */
export const ttlFromMillis = (millis: number): number => Math.ceil(millis / 1000);

/** Whether an item read from the table has passed its TTL (DynamoDB may not have deleted it yet). */
export const isExpired = (item: { ttl?: unknown } | undefined, nowMillis: number): boolean =>
  typeof item?.ttl === 'number' && item.ttl * 1000 <= nowMillis;
