import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isLeaseLapsed } from '../rules/concurrency.js';
import type { Db } from './client.js';
import {
  type CancellationReason,
  type Cancelled,
  failedCondition,
  isConditionFailed,
  type TransactItem,
  type TransactOptions,
  transactWrite,
} from './conditions.js';
import { keys } from './keys.js';

/**
 * Concurrency leases of a business number (inbound and business-initiated calls together) live in one
 * line item, keys.line(business): a map `leases` of call id → lease expiry (epoch ms). Taking a lease
 * checks `size(leases)` against the limit in the same write, so parallel Lambdas cannot overshoot.
 *
 * Cost: DynamoDB bills a write by the item's size (1 WCU per KB) and twice inside a transaction, and a
 * 1,000-lease map is ~45 KB: near capacity each take or release costs ~90 WCU, so one number's line
 * item nears a partition's ~1,000 WCU/s at a few new calls per second (docs/decisions/0003).
 *
 * The line item has no TTL: it lives as long as the business number is in use and stays small when idle.
 */

/** For a TransactWriteItems or alone: takes a lease for callId on the business number; its condition fails at capacity. */
export const takeLeaseUpdate = (
  tableName: string,
  business: string,
  callId: string,
  leaseExpiresAt: number,
  max: number,
) => ({
  TableName: tableName,
  Key: keys.line(business),
  UpdateExpression: 'SET leases.#call = :expiry',
  // On a missing line item the condition fails too (size() of nothing is false). ALL_OLD tells the two
  // apart: a full line comes back with the failure, a missing one does not (`lineMissing`).
  ConditionExpression: 'size(leases) < :max AND attribute_not_exists(leases.#call)',
  ExpressionAttributeNames: { '#call': callId },
  ExpressionAttributeValues: { ':expiry': leaseExpiresAt, ':max': max },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/** For a TransactWriteItems or alone: releases it; idempotent (removing an absent map key is a no-op). */
export const releaseLeaseUpdate = (tableName: string, business: string, callId: string) => ({
  TableName: tableName,
  Key: keys.line(business),
  UpdateExpression: 'REMOVE leases.#call',
  ExpressionAttributeNames: { '#call': callId },
});

/** A SET or REMOVE of a lease on a business number whose line item does not exist yet. */
export const isMissingLine = (error: unknown): boolean =>
  error instanceof Error &&
  error.name === 'ValidationException' &&
  /document path/i.test(error.message);

/**
 * A take's reason in a cancelled transaction says the line item does not exist yet: its condition
 * failed without returning an item (a full line comes back with the failure, ALL_OLD), or the path
 * could not be set at all.
 */
const lineMissing = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ValidationError' || (failedCondition(reason) && reason?.Item === undefined);

/** Creates the empty line item unless it exists (a parallel call may just have created it). */
export const createLine = async (db: Db, business: string): Promise<void> => {
  try {
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.line(business), leases: {} },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
};

/**
 * `transactWrite` for a transaction whose item at `lineIndex` takes a lease: when the business number's
 * line item does not exist yet (its first call), creates it and writes once more.
 */
export const transactWithLine = async (
  db: Db,
  business: string,
  what: string,
  items: readonly TransactItem[],
  lineIndex: number,
  retry: () => Promise<boolean>,
  options: TransactOptions = {},
): Promise<Cancelled | undefined> => {
  let created = false;
  for (;;) {
    try {
      const cancelled = await transactWrite(db, what, items, retry, options);
      if (created || !cancelled || !lineMissing(cancelled.reasons[lineIndex])) return cancelled;
    } catch (error) {
      // A SET into the missing map may refuse the whole request instead of cancelling the take.
      if (created || !isMissingLine(error)) throw error;
    }
    await createLine(db, business);
    created = true;
  }
};

/** Removals per UpdateExpression: keeps it far below DynamoDB's 4 KB expression limit. */
const reapBatch = 100;

/**
 * Frees leases past their expiry (a lost hangup); returns how many. Call it when a lease is refused at
 * capacity, then retry once.
 */
/** A business number's leases: call id → lease expiry (epoch ms). */
export const leasesOf = async (db: Db, business: string): Promise<Record<string, number>> => {
  const { Item } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: keys.line(business), ConsistentRead: true }),
  );
  return (Item?.leases ?? {}) as Record<string, number>;
};

export const reapExpiredLeases = async (db: Db, business: string, now: number): Promise<number> => {
  const leases = await leasesOf(db, business);
  const expired = Object.entries(leases)
    .filter(([, expiresAt]) => isLeaseLapsed(expiresAt, now))
    .map(([callId]) => callId);
  for (let start = 0; start < expired.length; start += reapBatch) {
    const batch = expired.slice(start, start + reapBatch);
    const names = Object.fromEntries(batch.map((callId, i) => [`#c${i}`, callId]));
    // Call ids are never reused, so removing an expired id cannot free a live lease: no per-key condition.
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.line(business),
        UpdateExpression: `REMOVE ${batch.map((_, i) => `leases.#c${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
      }),
    );
  }
  return expired.length;
};
