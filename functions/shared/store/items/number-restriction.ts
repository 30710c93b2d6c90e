import { BatchGetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NumberRestriction } from '../../rules/number-pause.js';
import type { PairState } from '../../rules/pair.js';
import { type Db, readLive } from '../client.js';
import { attributeNames, isConditionFailed } from '../conditions.js';
import { type Key, keyPrefixes, keys } from '../keys.js';
import { isExpired, ttlFromMillis } from '../table.js';

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

/** The pair's and the number's pause's keys in one consistent BatchGetItem. */
export const pairAndPauseBatch = (tableName: string, keysToRead: readonly Key[]) => ({
  RequestItems: { [tableName]: { Keys: [...keysToRead], ConsistentRead: true } },
});

/** Rounds of a BatchGetItem whose keys DynamoDB left unprocessed (throttled), with a doubling pause. */
const batchRounds = 4;
const batchPauseMs = 50;

/**
 * The pair and the number's pause, read consistently at once: one BatchGetItem instead of two
 * GetItems. A key DynamoDB leaves unprocessed (throttled) is asked for again after a pause; still
 * unprocessed, it is a throttling error (503). Each is undefined when absent or past its TTL, the pause
 * also from its `until` on.
 */
export const readPairAndPause = async (
  db: Db,
  business: string,
  user: string,
  now: number,
): Promise<{
  readonly pair: PairState | undefined;
  readonly pause: NumberRestriction | undefined;
}> => {
  const pairKey = keys.pair(business, user);
  const pauseKey = keys.numberRestriction(business, 'calls_paused');
  const found: Record<string, unknown>[] = [];
  let pending: readonly Key[] = [pairKey, pauseKey];
  for (let round = 0; pending.length > 0; round++) {
    if (round === batchRounds) {
      throw Object.assign(new Error('the pair and pause stayed unread'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, batchPauseMs * 2 ** round));
    const { Responses, UnprocessedKeys } = await db.doc.send(
      new BatchGetCommand(pairAndPauseBatch(db.tableName, pending)),
    );
    found.push(...(Responses?.[db.tableName] ?? []));
    pending = (UnprocessedKeys?.[db.tableName]?.Keys ?? []) as Key[];
  }
  const live = (key: Key) =>
    found.find((item) => item.pk === key.pk && item.sk === key.sk && !isExpired(item, now));
  return {
    pair: live(pairKey) as PairState | undefined,
    pause: standingRestriction(live(pauseKey), now),
  };
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
  /** Who lifts it (http/actor.ts). */
  actor?: string,
): Promise<NumberRestriction | undefined> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.numberRestriction(business, 'calls_paused'),
        UpdateExpression:
          actor === undefined ? 'SET #liftedAt = :now' : 'SET #liftedAt = :now, #liftedBy = :actor',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(#liftedAt) AND #until > :now',
        ExpressionAttributeNames: attributeNames(
          'liftedAt',
          'until',
          ...(actor === undefined ? [] : ['liftedBy']),
        ),
        ExpressionAttributeValues:
          actor === undefined ? { ':now': now } : { ':now': now, ':actor': actor },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return restrictionOf(Attributes ?? {});
  } catch (error) {
    if (isConditionFailed(error)) return undefined;
    throw error;
  }
};
