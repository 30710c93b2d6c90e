import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isLeaseLapsed } from '../../rules/concurrency.js';
import type { Db } from '../client.js';
import {
  type CancellationReason,
  type Cancelled,
  failedCondition,
  isConditionFailed,
  type TransactItem,
  type TransactOptions,
  transactWrite,
} from '../conditions.js';
import { keys, leaseShardPrefix } from '../keys.js';

/**
 * Concurrency leases of a business number (inbound and business-initiated calls together) are spread
 * over shard items, keys.leaseShard(business, k): each a map `leases` of call id → lease with its own
 * capacity, the capacities summing exactly to the number's limit. Taking a lease checks
 * `size(leases)` against the shard's capacity in the same write, so parallel Lambdas cannot overshoot
 * the number's limit (docs/decisions/0006).
 *
 * A shard holds at most `leasesPerShard` leases (under 1 KB: one write unit, two inside a transaction),
 * so a lease costs the same at 1 call as at 1,000. All shards of a number share its partition key: one
 * Query reads them all when a call has to look past its home shard.
 *
 * Shard items have no TTL: they live as long as the business number is in use and stay small.
 */

/**
 * A lease: a business-initiated call's is its expiry (epoch ms), its call record written with it. An
 * inbound call's lease is all that its answer writes (one conditional write), so it also says who called
 * and when: the call record and the caller's callback permission are derived from it afterwards
 * (store/writes/lease-changes.ts). Short attribute names keep it small.
 */
export type Lease = number | InboundLease;

export interface InboundLease {
  /** When the lease lapses (epoch ms). */
  readonly e: number;
  /** The caller's pair key: E.164, or a BSUID for a caller known by it alone. */
  readonly u: string;
  /** When the call started (epoch ms). */
  readonly s: number;
  /** The caller's BSUID, when the answer named one (then `u` may be it). */
  readonly i?: string;
}

export const inboundLease = (lease: {
  expiresAt: number;
  user: string;
  startedAt: number;
  userId?: string | undefined;
}): InboundLease => ({
  e: lease.expiresAt,
  u: lease.user,
  s: lease.startedAt,
  ...(lease.userId === undefined ? {} : { i: lease.userId }),
});

export const isInboundLease = (lease: Lease | undefined): lease is InboundLease =>
  typeof lease === 'object' && lease !== null;

export const leaseExpiresAt = (lease: Lease): number => (isInboundLease(lease) ? lease.e : lease);

/**
 * An inbound lease is at most ~80 bytes (a 36-character call id, a 16-character number, two 13-digit
 * times): 12 keep a shard under 1 KB with its keys. A caller with a BSUID adds it (Meta's are about 23
 * characters, up to 135), so a shard of such callers may take two write units.
 */
export const leasesPerShard = 12;

export const shardCount = (limit: number): number => Math.ceil(limit / leasesPerShard);

/** Shard `shard`'s capacity: the limit split as evenly as it goes, summing exactly to it. */
export const shardCapacity = (limit: number, shard: number): number => {
  const count = shardCount(limit);
  return Math.floor(limit / count) + (shard < limit % count ? 1 : 0);
};

/** FNV-1a: spreads call ids over the shards, the same way in every Lambda. */
const hash = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** The shard a call tries first. */
export const homeShard = (callId: string, limit: number): number =>
  hash(callId) % shardCount(limit);

/** For a TransactWriteItems or alone: takes a lease for callId in a shard; its condition fails when the shard is full. */
export const takeLeaseUpdate = (
  tableName: string,
  business: string,
  shard: number,
  callId: string,
  lease: Lease,
  capacity: number,
) => ({
  TableName: tableName,
  Key: keys.leaseShard(business, shard),
  UpdateExpression: 'SET leases.#call = :lease',
  // On a missing shard item the condition fails too (size() of nothing is false). ALL_OLD tells the two
  // apart: a full shard comes back with the failure, a missing one does not (`shardMissing`).
  ConditionExpression: 'size(leases) < :max AND attribute_not_exists(leases.#call)',
  ExpressionAttributeNames: { '#call': callId },
  ExpressionAttributeValues: { ':lease': lease, ':max': capacity },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/** For a TransactWriteItems or alone: releases it; idempotent (removing an absent map key is a no-op). */
export const releaseLeaseUpdate = (
  tableName: string,
  business: string,
  shard: number,
  callId: string,
) => ({
  TableName: tableName,
  Key: keys.leaseShard(business, shard),
  UpdateExpression: 'REMOVE leases.#call',
  ExpressionAttributeNames: { '#call': callId },
});

/** A SET or REMOVE of a lease in a shard whose item does not exist yet. */
export const isMissingShard = (error: unknown): boolean =>
  error instanceof Error &&
  error.name === 'ValidationException' &&
  /document path/i.test(error.message);

/**
 * A take's reason in a cancelled transaction says the shard item does not exist yet: its condition
 * failed without returning an item (a full shard comes back with the failure, ALL_OLD), or the path
 * could not be set at all.
 */
export const shardMissing = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ValidationError' || (failedCondition(reason) && reason?.Item === undefined);

/** Creates the empty shard item unless it exists (a parallel call may just have created it). */
export const createShard = async (db: Db, business: string, shard: number): Promise<void> => {
  try {
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { ...keys.leaseShard(business, shard), leases: {} },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
};

/**
 * `transactWrite` for a transaction whose item at `leaseIndex` takes a lease in `shard`: when the shard
 * item does not exist yet (the first lease it holds), creates it and writes once more.
 */
export const transactTakingLease = async (
  db: Db,
  lease: { readonly business: string; readonly shard: number; readonly index: number },
  what: string,
  items: readonly TransactItem[],
  retry: () => Promise<boolean>,
  options: TransactOptions = {},
): Promise<Cancelled | undefined> => {
  let created = false;
  for (;;) {
    try {
      const cancelled = await transactWrite(db, what, items, retry, options);
      if (created || !cancelled || !shardMissing(cancelled.reasons[lease.index])) return cancelled;
    } catch (error) {
      // A SET into the missing map may refuse the whole request instead of cancelling the take.
      if (created || !isMissingShard(error)) throw error;
    }
    await createShard(db, lease.business, lease.shard);
    created = true;
  }
};

/** Leases by call id. */
export type Leases = Record<string, Lease>;

/**
 * Every shard item of a business number: shard → its leases. Consistent unless told otherwise: a
 * figure only shown (the state view) may be a moment old, at half the read units.
 */
export const readShards = async (
  db: Db,
  business: string,
  consistent = true,
): Promise<Map<number, Leases>> => {
  const shards = new Map<number, Leases>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.doc.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :shard)',
        ExpressionAttributeValues: {
          ':pk': keys.leaseShard(business, 0).pk,
          ':shard': leaseShardPrefix,
        },
        ConsistentRead: consistent,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const shard = Number(String(item.sk).slice(leaseShardPrefix.length));
      shards.set(shard, (item.leases ?? {}) as Leases);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return shards;
};

/** A business number's leases over all its shards. */
export const leasesOf = async (db: Db, business: string, consistent = true): Promise<Leases> =>
  Object.assign({}, ...(await readShards(db, business, consistent)).values());

/** The shard holding callId's lease on a business number, with the lease; undefined when none does. */
export const findLease = async (
  db: Db,
  business: string,
  callId: string,
): Promise<{ readonly shard: number; readonly lease: Lease } | undefined> => {
  for (const [shard, leases] of await readShards(db, business)) {
    const lease = leases[callId];
    if (lease !== undefined) return { shard, lease };
  }
  return undefined;
};

/** Removals per UpdateExpression: keeps it far below DynamoDB's 4 KB expression limit. */
const reapBatch = 100;

const reapShard = async (db: Db, business: string, shard: number, callIds: readonly string[]) => {
  for (let start = 0; start < callIds.length; start += reapBatch) {
    const batch = callIds.slice(start, start + reapBatch);
    const names = Object.fromEntries(batch.map((callId, i) => [`#c${i}`, callId]));
    // Call ids are never reused, so removing an expired id cannot free a live lease: no per-key condition.
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.leaseShard(business, shard),
        UpdateExpression: `REMOVE ${batch.map((_, i) => `leases.#c${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
      }),
    );
  }
};

/** Frees the lapsed leases (a lost hangup) of the shards read, shard by shard, in `shards` too; how many. */
const reapLapsed = async (
  db: Db,
  business: string,
  shards: Map<number, Leases>,
  now: number,
): Promise<number> => {
  let freed = 0;
  for (const [shard, leases] of shards) {
    const lapsed = Object.entries(leases)
      .filter(([, lease]) => isLeaseLapsed(leaseExpiresAt(lease), now))
      .map(([callId]) => callId);
    if (lapsed.length === 0) continue;
    await reapShard(db, business, shard, lapsed);
    for (const callId of lapsed) delete leases[callId];
    freed += lapsed.length;
  }
  return freed;
};

/**
 * A shard with room as `shards` has them, drawn in proportion to its room: parallel calls spread over
 * the free places instead of racing for one. The draw is the call's own (from its id), so two answers of
 * one call reading the same shards pick the same one, and its condition lets only one of them in.
 */
const drawShardWithRoom = (
  shards: Map<number, Leases>,
  callId: string,
  limit: number,
): number | undefined => {
  const room = Array.from(
    { length: shardCount(limit) },
    (_, shard) => shardCapacity(limit, shard) - Object.keys(shards.get(shard) ?? {}).length,
  );
  const share = hash(`${callId}#draw`) / 2 ** 32;
  let draw = share * room.reduce((sum, free) => sum + Math.max(free, 0), 0);
  for (const [shard, free] of room.entries()) {
    if (free <= 0) continue;
    draw -= free;
    if (draw < 0) return shard;
  }
  return undefined;
};

/**
 * How full each business number was when this Lambda last read its shards. Past half full, a call's
 * home shard is likely full too: reading first spares a write that would fail (and a cancelled
 * transaction, billed like one that commits).
 */
const lastOccupancy = new Map<string, { readonly share: number; readonly at: number }>();
const occupancyHintMs = 60_000;
const readFirstShare = 0.5;

export type ShardPick =
  | { readonly kind: 'shard'; readonly shard: number }
  /** A shard already holds this call's lease (a Plivo retry of its answer). */
  | { readonly kind: 'held'; readonly shard: number }
  /** Every shard is full, lapsed leases reaped. */
  | { readonly kind: 'full' };

/**
 * How many shards one call may find filled under it before giving up as contended (503): each such
 * refusal means another call took the place, so the number is filling; only a storm of parallel calls
 * for the last places loses this often.
 */
export const maxShardPicks = 30;

/** Where a call's lease goes next: a shard with room, or none. */
export interface LeaseShards {
  /** The first shard to try: the call's home shard, or one with room when the number was last seen busy. */
  first(now: number): Promise<ShardPick>;
  /** The shard tried was full: reaps lapsed leases and picks one with room, per a consistent read. */
  next(now: number): Promise<ShardPick>;
}

/**
 * The shard choice of one call: its home shard while the number is not busy, else any shard with room
 * (random, so parallel calls spread instead of racing for the emptiest). A pick can still be full by the
 * time the write lands: its condition refuses it, and `next` reads again.
 */
export const leaseShards = (
  db: Db,
  business: string,
  callId: string,
  limit: number,
): LeaseShards => {
  const pick = async (now: number): Promise<ShardPick> => {
    const shards = await readShards(db, business);
    for (const [shard, leases] of shards) {
      if (leases[callId] !== undefined) return { kind: 'held', shard };
    }
    await reapLapsed(db, business, shards, now);
    const held = [...shards.values()].reduce((sum, leases) => sum + Object.keys(leases).length, 0);
    lastOccupancy.set(business, { share: held / limit, at: now });
    const shard = drawShardWithRoom(shards, callId, limit);
    return shard === undefined ? { kind: 'full' } : { kind: 'shard', shard };
  };
  return {
    first: async (now) => {
      const hint = lastOccupancy.get(business);
      const busy =
        hint !== undefined && now - hint.at < occupancyHintMs && hint.share >= readFirstShare;
      return busy ? pick(now) : { kind: 'shard', shard: homeShard(callId, limit) };
    },
    next: pick,
  };
};
