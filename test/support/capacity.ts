/**
 * What real DynamoDB would bill for the requests a store client sends, measured against DynamoDB Local
 * (tests, benchmarks and `npm run capacity` only).
 *
 * DynamoDB Local reports single-item writes and reads correctly with `ReturnConsumedCapacity: TOTAL`, but
 * not TransactWriteItems (it reports 2 for one to three small items), and nothing for a refused request.
 * So the meter:
 *
 * - takes Local's figure for single-item writes and for reads;
 * - bills each item of a TransactWriteItems as DynamoDB does, 2 × ceil(size / 1 KB) with size the larger
 *   of the item before and after (ConditionCheck items too), from reads of every touched key with a raw
 *   client of its own (so the meter never meters itself) and `itemSize` below;
 * - bills a cancelled transaction as if it had written (2 × each item's size) and a single write whose
 *   condition failed as the item's size (at least 1): conservative, counted apart as well.
 */
import {
  type AttributeValue,
  type ConsumedCapacity,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Db } from '../../functions/shared/store/client.js';
import type { Key } from '../../functions/shared/store/keys.js';

/**
 * The size of a number as DynamoDB stores it: base-100 digits aligned on the decimal point, leading
 * and trailing zero pairs dropped, plus one byte (and one more when negative). AWS documents it as
 * roughly ceil(significant digits / 2) + 1; this is the exact form, which DynamoDB Local agrees with
 * (test/unit/support/capacity.test.ts).
 */
export const numberSize = (text: string): number => {
  const negative = text.trim().startsWith('-');
  const [mantissa = '', exponent = '0'] = text.trim().replace(/^[+-]/, '').toLowerCase().split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = `${whole}${fraction}`;
  let point = whole.length + Number(exponent);
  const leading = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leading).replace(/0+$/, '');
  point -= leading;
  if (digits.length === 0) return 1;
  // A digit pair starts where the distance to the decimal point is even.
  const pad = ((point % 2) + 2) % 2;
  return 1 + Math.ceil((pad + digits.length) / 2) + (negative ? 1 : 0);
};

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** One attribute value's size by AWS's item-size rules; maps and lists cost 3 bytes and 1 per element. */
export const attributeSize = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) {
    return value.L.reduce((sum, element) => sum + 1 + attributeSize(element), 3);
  }
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce(
      (sum, [name, element]) => sum + utf8(name) + 1 + attributeSize(element),
      3,
    );
  }
  return 0;
};

/** An item's size as DynamoDB bills it: every attribute's name and value. */
export const itemSize = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + attributeSize(value), 0);

/** The same for an item as the document client takes it (native values). */
export const nativeItemSize = (item: Record<string, unknown>): number =>
  itemSize(marshall(item, { removeUndefinedValues: true }));

const kilobyte = 1024;

/** Write units of one write of an item this large: 1 per KB started, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / kilobyte));

export interface CapacitySnapshot {
  /** Write capacity units, transactions at 2 per KB per item. */
  readonly wcu: number;
  /** Read capacity units, as DynamoDB Local reports them. */
  readonly rcu: number;
  /** DynamoDB requests by operation (GetItem, TransactWriteItems, …), each counted once, before retries. */
  readonly requests: Readonly<Record<string, number>>;
  /** `wcu` by partition key: `LINE#<business>` (lease shards), `CPS` (ticket), `CALL#…`, … */
  readonly wcuByPartition: Readonly<Record<string, number>>;
  /** The largest item any request wrote or read (before or after), in bytes. */
  readonly largestItemBytes: number;
  /** Transactions cancelled (a failed condition, a conflict): in `wcu` as if they had written. */
  readonly cancelled: number;
  /** Single writes whose condition failed: in `wcu` at the item's size. */
  readonly failedWrites: number;
  /** The part of `wcu` that cancelled transactions and failed writes account for. */
  readonly refusedWcu: number;
}

export interface CapacityMeter {
  reset(): void;
  snapshot(): CapacitySnapshot;
  /** Takes the middleware off the client and closes the meter's own. */
  close(): void;
}

/** Document-client command names and low-level ones alike: `GetCommand` and `GetItemCommand` → GetItem. */
const operationOf = (commandName: string | undefined): string => {
  const name = (commandName ?? 'Unknown').replace(/Command$/, '');
  const full: Record<string, string> = {
    Get: 'GetItem',
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
    TransactGet: 'TransactGetItems',
    TransactWrite: 'TransactWriteItems',
  };
  return full[name] ?? name;
};

const singleWrites = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const otherWrites = new Set(['BatchWriteItem']);
const reads = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const capacityReported = new Set([...singleWrites, ...otherWrites, ...reads, 'TransactWriteItems']);

const unitsOf = (consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number =>
  (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce(
    (sum, c) => sum + (c.CapacityUnits ?? 0),
    0,
  );

/** The table and key one write names, with the item it puts (document-client form). */
interface Target {
  readonly table: string;
  readonly key: Key;
  readonly putBytes: number;
}

const keyOf = (fields: Record<string, unknown>): Key => ({
  pk: String(fields.pk),
  sk: String(fields.sk),
});

const targetOf = (request: Record<string, unknown>): Target => {
  const item = request.Item as Record<string, unknown> | undefined;
  return {
    table: String(request.TableName),
    key: keyOf(item ?? (request.Key as Record<string, unknown>)),
    putBytes: item ? nativeItemSize(item) : 0,
  };
};

const transactTargets = (input: Record<string, unknown>): Target[] =>
  ((input.TransactItems ?? []) as Record<string, Record<string, unknown>>[]).map((entry) => {
    const request = entry.Put ?? entry.Update ?? entry.Delete ?? entry.ConditionCheck ?? {};
    return targetOf(request);
  });

const nameOf = (error: unknown) => (error instanceof Error ? error.name : '');

let installed = 0;

/**
 * Meters every request `db`'s client sends from now on; `endpoint` is the DynamoDB Local it talks to
 * (the meter reads items there with a client of its own).
 */
export const attachCapacityMeter = (db: Db, endpoint: string): CapacityMeter => {
  const raw = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const fresh = () => ({
    wcu: 0,
    rcu: 0,
    requests: {} as Record<string, number>,
    wcuByPartition: {} as Record<string, number>,
    largestItemBytes: 0,
    cancelled: 0,
    failedWrites: 0,
    refusedWcu: 0,
  });
  let totals = fresh();

  const sizeNow = async ({ table, key }: Target): Promise<number> => {
    const { Item } = await raw.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    );
    return Item ? itemSize(Item) : 0;
  };
  const seen = (...bytes: number[]) => {
    totals.largestItemBytes = Math.max(totals.largestItemBytes, ...bytes);
  };
  const bill = (pk: string, units: number, refused: boolean) => {
    totals.wcu += units;
    totals.wcuByPartition[pk] = (totals.wcuByPartition[pk] ?? 0) + units;
    if (refused) totals.refusedWcu += units;
  };
  const seenRead = (output: Record<string, unknown>) => {
    const batch = (output.Responses ?? {}) as Record<string, unknown[]>;
    const items = [
      ...(output.Item ? [output.Item] : []),
      ...((output.Items as unknown[] | undefined) ?? []),
      ...Object.values(batch).flat(),
    ] as Record<string, unknown>[];
    seen(...items.map(nativeItemSize));
  };

  const name = `meterCapacity${++installed}`;
  db.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      totals.requests[operation] = (totals.requests[operation] ?? 0) + 1;
      if (!capacityReported.has(operation)) return next(args);
      const input = {
        ...(args.input as Record<string, unknown>),
        ReturnConsumedCapacity: 'TOTAL',
      };
      const send = () => next({ ...args, input });

      if (operation === 'TransactWriteItems') {
        const targets = transactTargets(input);
        const before = await Promise.all(targets.map(sizeNow));
        const billEach = (after: readonly number[], refused: boolean) => {
          for (const [i, target] of targets.entries()) {
            const bytes = Math.max(before[i] ?? 0, after[i] ?? 0, target.putBytes);
            seen(bytes);
            bill(target.key.pk, 2 * writeUnits(bytes), refused);
          }
        };
        try {
          const result = await send();
          billEach(await Promise.all(targets.map(sizeNow)), false);
          return result;
        } catch (error) {
          if (nameOf(error) === 'TransactionCanceledException') {
            totals.cancelled += 1;
            billEach([], true);
          }
          throw error;
        }
      }

      if (singleWrites.has(operation)) {
        const target = targetOf(input);
        const before = await sizeNow(target);
        try {
          const result = await send();
          const output = result.output as { ConsumedCapacity?: ConsumedCapacity };
          seen(before, await sizeNow(target), target.putBytes);
          bill(target.key.pk, unitsOf(output.ConsumedCapacity), false);
          return result;
        } catch (error) {
          if (nameOf(error) === 'ConditionalCheckFailedException') {
            totals.failedWrites += 1;
            seen(before);
            bill(target.key.pk, writeUnits(Math.max(before, target.putBytes)), true);
          }
          throw error;
        }
      }

      const result = await send();
      const output = result.output as Record<string, unknown> & {
        ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
      };
      const units = unitsOf(output.ConsumedCapacity);
      if (reads.has(operation)) {
        totals.rcu += units;
        seenRead(output);
      } else {
        totals.wcu += units;
        totals.wcuByPartition[operation] = (totals.wcuByPartition[operation] ?? 0) + units;
      }
      return result;
    },
    // Before the document client marshalls: the input is in native form, the output unmarshalled.
    { step: 'initialize', name },
  );

  return {
    reset: () => {
      totals = fresh();
    },
    snapshot: () => ({
      ...totals,
      requests: { ...totals.requests },
      wcuByPartition: { ...totals.wcuByPartition },
    }),
    close: () => {
      db.doc.middlewareStack.remove(name);
      raw.destroy();
    },
  };
};
