import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type AccountSettings, cpsSlot } from '../../rules/calls-per-second.js';
import { isLeaseLapsed } from '../../rules/concurrency.js';
import type { PlacementCapacity } from '../../rules/permission-state.js';
import type { Db } from '../client.js';
import { keys } from '../keys.js';
import { leaseExpiresAt, leasesOf } from './leases.js';

/** The time the slot of the account's next Call API request was last counted, if ever. */
const nextCpsSlotUsedAt = async (db: Db, account: AccountSettings): Promise<number | undefined> => {
  const { Item: ticket } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: keys.cpsTicket() }),
  );
  // `seq` counts the tickets drawn, so the next request draws ticket `seq`.
  const next = Number(ticket?.seq ?? 0);
  const { Item: slot } = await db.doc.send(
    new GetCommand({ TableName: db.tableName, Key: keys.cpsSlot(cpsSlot(next, account)) }),
  );
  return typeof slot?.at === 'number' ? slot.at : undefined;
};

/**
 * What a placement's concurrency and calls-per-second conditions would meet now, for the state view:
 * the business number's live leases (lapsed ones are not counted, as a placement reaps them) and the
 * account's next Call API slot. Eventually consistent reads: the figures are advisory (a placement
 * decides atomically), at half the read units.
 */
export const readPlacementCapacity = async (
  db: Db,
  business: string,
  account: AccountSettings,
  now: number,
): Promise<PlacementCapacity> => {
  const [leases, usedAt] = await Promise.all([
    leasesOf(db, business, false),
    nextCpsSlotUsedAt(db, account),
  ]);
  const callsInProgress = Object.values(leases).filter(
    (lease) => !isLeaseLapsed(leaseExpiresAt(lease), now),
  ).length;
  return {
    account,
    callsInProgress,
    ...(usedAt === undefined ? {} : { nextCpsSlotUsedAt: usedAt }),
  };
};
