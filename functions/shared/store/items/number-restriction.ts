import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NumberRestriction } from '../../rules/number-pause.js';
import { type Db, readLive } from '../client.js';
import { attributeNames, isConditionFailed } from '../conditions.js';
import { keyPrefixes, keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';

/**
 * A business number's calling restrictions (rules/number-pause.ts), one item each under
 * `NUMBER#<business>`: written from Meta's account updates (store/writes/account-update.ts), kept until
 * their end (their TTL), lifted early by an operator.
 */

/** The restriction's item: its attributes and its TTL at its end. */
export const restrictionItem = (restriction: NumberRestriction) => ({
  ...keys.numberRestriction(restriction.business, restriction.restriction),
  ...restriction,
  ttl: ttlFromMillis(restriction.until),
});

/** The restriction an item holds, without its key and TTL. */
const restrictionOf = (item: Record<string, unknown>): NumberRestriction => {
  const { pk: _pk, sk: _sk, ttl: _ttl, ...restriction } = item;
  return restriction as unknown as NumberRestriction;
};

/**
 * The restriction an item holds while it stands, none from its `until` on: DynamoDB's TTL, in whole
 * seconds and late, may keep the item past it, and every reader (the refusals, the intents, the state
 * view) must agree on the end.
 */
export const standingRestriction = (
  item: Record<string, unknown> | undefined,
  now: number,
): NumberRestriction | undefined => {
  if (item === undefined) return undefined;
  const restriction = restrictionOf(item);
  return now < restriction.until ? restriction : undefined;
};

/** The number's pause of business-initiated calls, read consistently (undefined when none or ended). */
export const readNumberPause = async (
  db: Db,
  business: string,
  now: number,
): Promise<NumberRestriction | undefined> => {
  const item = await readLive<Record<string, unknown>>(
    db,
    keys.numberRestriction(business, 'calls_paused'),
    now,
  );
  return standingRestriction(item, now);
};

/** Every restriction the number has standing (one Query), for the state view. */
export const readNumberRestrictions = async (
  db: Db,
  business: string,
  now: number,
): Promise<NumberRestriction[]> => {
  const { Items = [] } = await db.doc.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${keyPrefixes.numberRestriction}${business}` },
      ConsistentRead: true,
    }),
  );
  return Items.flatMap((item) => standingRestriction(item, now) ?? []);
};

/**
 * An operator lifts the number's pause before its end: one UpdateItem, only while the pause stands.
 * The item stays until its end, marked lifted, so the state view and `number.unpaused` say so.
 */
export const liftNumberPause = async (
  db: Db,
  business: string,
  now: number,
): Promise<NumberRestriction | undefined> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.numberRestriction(business, 'calls_paused'),
        UpdateExpression: 'SET #liftedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(#liftedAt) AND #until > :now',
        ExpressionAttributeNames: attributeNames('liftedAt', 'until'),
        ExpressionAttributeValues: { ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return restrictionOf(Attributes ?? {});
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
};
