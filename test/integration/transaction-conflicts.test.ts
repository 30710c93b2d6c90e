/**
 * DynamoDB Local never cancels a transaction for a concurrent writer; real DynamoDB does
 * (`TransactionConflict`). A client middleware cancels chosen transactions before they reach DynamoDB
 * Local, so the store's retry paths run against real storage.
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { rulesSchema } from '../../functions/shared/config/schema.js';
import { decisionFromReply } from '../../functions/shared/rules/permission.js';
import type { Db } from '../../functions/shared/store/client.js';
import { isStillContended, transactWrite } from '../../functions/shared/store/conditions.js';
import {
  findLease,
  type InboundLease,
  isInboundLease,
  leasesOf,
} from '../../functions/shared/store/items/leases.js';
import { keys } from '../../functions/shared/store/keys.js';
import { endCall } from '../../functions/shared/store/writes/call-end.js';
import { startInboundCall } from '../../functions/shared/store/writes/inbound-call.js';
import { recordInboundStart } from '../../functions/shared/store/writes/lease-changes.js';
import { applyPermissionDecision } from '../../functions/shared/store/writes/permission-reply.js';
import { createTestDb } from '../support/dynamo.js';
import { newBusiness, newUser } from '../support/fixtures.js';

const rules = rulesSchema.parse(undefined);
const t0 = Date.UTC(2030, 4, 1, 10);
let db: Db;

/** How many transactions reached the injector, and how many more it will cancel. */
const injector = { seen: 0, cancelNext: 0 };

const conflict = (items: number) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
    $metadata: {},
    CancellationReasons: Array.from({ length: items }, (_, i) =>
      i === 0 ? { Code: 'TransactionConflict' } : { Code: 'None' },
    ),
  });

const item = async (key: { pk: string; sk: string }) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true })))
    .Item;

beforeAll(async () => {
  db = await createTestDb();
  db.doc.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TransactItems?: unknown[] };
      if (input.TransactItems) {
        injector.seen += 1;
        if (injector.cancelNext > 0) {
          injector.cancelNext -= 1;
          throw conflict(input.TransactItems.length);
        }
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectTransactionConflicts' },
  );
});

const cancelling = async <T>(times: number, run: () => Promise<T>) => {
  injector.seen = 0;
  injector.cancelNext = times;
  const result = await run();
  return { result, transactions: injector.seen };
};

describe('writes cancelled by a concurrent writer are sent again', () => {
  it('an inbound call recorded, and its hangup, each land once after two conflicts', async () => {
    const business = newBusiness();
    const user = newUser();
    const callId = randomUUID();
    // The answer is one single write: no transaction to cancel.
    const answered = await cancelling(2, () =>
      startInboundCall(db, { callId, business, user, now: t0, rules }),
    );
    expect(answered.result).toMatchObject({ kind: 'started' });
    expect(answered.transactions).toBe(0);
    const found = await findLease(db, business, callId);
    if (!found || !isInboundLease(found.lease)) throw new Error('no inbound lease taken');

    const recorded = await cancelling(2, () =>
      recordInboundStart(db, {
        callId,
        business,
        shard: found.shard,
        lease: found.lease as InboundLease,
        rules,
        callbackPermissionOnInbound: true,
        now: t0,
      }),
    );
    expect(recorded.result).toEqual({
      kind: 'recorded',
      permission: 'granted',
      ended: false,
      user,
    });
    expect(recorded.transactions).toBe(3);
    expect((await item(keys.pair(business, user)))?.version).toBe(1);

    const ended = await cancelling(2, () =>
      endCall(db, { callId, business, endedAt: t0 + 60_000 }),
    );
    expect(ended.result).toBe('ended');
    expect(ended.transactions).toBe(3);
    expect(Object.keys(await leasesOf(db, business))).not.toContain(callId);
    expect((await item(keys.call(callId)))?.endedAt).toBe(t0 + 60_000);
  });

  it('a permission reply is applied once after a conflict, and its redelivery is a duplicate', async () => {
    const business = newBusiness();
    const user = newUser();
    const messageUuid = randomUUID();
    const decision = decisionFromReply(
      { response: 'accept', isPermanent: false, responseSource: 'user_action' },
      t0,
      rules,
    );
    const apply = () =>
      applyPermissionDecision(db, { business, user, decision, now: t0, messageUuid });
    const applied = await cancelling(1, apply);
    expect(applied).toEqual({ result: 'applied', transactions: 2 });
    expect(await apply()).toBe('duplicate');
    expect((await item(keys.pair(business, user)))?.version).toBe(1);
  });

  it('past the retry budget the write gives up as still contended (answered 503), having written nothing', async () => {
    const business = newBusiness();
    injector.cancelNext = 1;
    const noMoreTries = async () => false;
    const write = transactWrite(
      db,
      'A test write',
      [{ Put: { TableName: db.tableName, Item: { ...keys.leaseShard(business, 0), leases: {} } } }],
      noMoreTries,
    );
    await expect(write).rejects.toSatisfy(isStillContended);
    expect(await item(keys.leaseShard(business, 0))).toBeUndefined();
  });
});
