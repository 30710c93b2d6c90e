/**
 * What GET /v1/permissions reads of a placement's last two conditions, against DynamoDB Local: the
 * business number's live leases and the account's next calls-per-second slot, as real placements leave
 * them.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, readConfigFile } from '../../functions/shared/config/load.js';
import { placementDecisions } from '../../functions/shared/operations/place-call.js';
import { permissionView } from '../../functions/shared/rules/permission-state.js';
import type { Db } from '../../functions/shared/store/client.js';
import { readPlacementCapacity } from '../../functions/shared/store/items/placement-capacity.js';
import { reserveCall } from '../../functions/shared/store/writes/place-call.js';
import { createTestDb, fillLeases, putPair } from '../support/dynamo.js';

const day = 24 * 3_600_000;
// In the future of the real clock: DynamoDB Local's TTL sweeper deletes items whose ttl has really passed.
const t0 = Date.UTC(2030, 0, 1);
const { rules } = readConfigFile(exampleConfigPath);
const account = { callsPerSecond: 2 };

let db: Db;
let counter = 0;
const newNumber = (prefix: string) => `${prefix}${String(++counter).padStart(7, '0')}`;

beforeAll(async () => {
  db = await createTestDb();
});

const grant = (business: string, user: string) =>
  putPair(db, business, user, {
    permission: 'permanent',
    permissionAt: t0,
    permissionSource: 'reply',
    version: 1,
  });

const place = async (business: string, at: number) => {
  const user = newNumber('+91983');
  await grant(business, user);
  const reservation = { callId: randomUUID(), business, user, agent: 'sip:a@phone.plivo.com' };
  const outcome = await reserveCall(
    db,
    reservation,
    () => at,
    { rules, ...account },
    placementDecisions(rules),
  );
  expect(outcome.kind).toBe('reserved');
};

describe('the capacity a placement would meet, as the state view reads it', () => {
  it('counts live leases only, and follows the next slot through real placements', async () => {
    const business = newNumber('+91803');
    expect(await readPlacementCapacity(db, business, account, t0)).toEqual({
      account,
      callsInProgress: 0,
    });

    // Tickets 0 and 1 take slots 0 and 1 at t0: the next request (ticket 2) meets slot 0.
    await place(business, t0);
    expect(await readPlacementCapacity(db, business, account, t0)).toEqual({
      account,
      callsInProgress: 1,
    });
    await place(business, t0);
    const busy = await readPlacementCapacity(db, business, account, t0 + 400);
    expect(busy).toEqual({ account, callsInProgress: 2, nextCpsSlotUsedAt: t0 });

    const user = newNumber('+91984');
    const view = (now: number) =>
      permissionView(
        { business, user, permission: 'permanent', permissionAt: t0, version: 1 } as never,
        now,
        rules,
        'IN',
        busy,
      ).actions.find((action) => action.action === 'start_call');
    expect(view(t0 + 400)).toMatchObject({
      canPerform: false,
      reason: 'cps_limit',
      availableAt: new Date(t0 + 1000).toISOString(),
      simultaneousCalls: { max: rules.simultaneousCallsPerNumber, used: 2 },
      callsPerSecond: { max: 2, availableAt: new Date(t0 + 1000).toISOString() },
    });
    expect(view(t0 + 1000)).toMatchObject({ canPerform: true, callsPerSecond: { max: 2 } });
    expect(view(t0 + 1000)?.callsPerSecond).toEqual({ max: 2 });
  });

  it('does not count leases that have lapsed (a lost hangup), as a placement would reap them', async () => {
    const business = newNumber('+91805');
    await fillLeases(db, business, { count: 3, limit: 10, expiresAt: t0 + day });
    const other = newNumber('+91806');
    await fillLeases(db, other, { count: 5, limit: 10, expiresAt: t0 });
    expect((await readPlacementCapacity(db, business, account, t0)).callsInProgress).toBe(3);
    expect((await readPlacementCapacity(db, other, account, t0 - 1)).callsInProgress).toBe(5);
    expect((await readPlacementCapacity(db, other, account, t0)).callsInProgress).toBe(0);
  });
});
