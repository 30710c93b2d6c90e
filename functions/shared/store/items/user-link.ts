import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PairState } from '../../rules/pair.js';
import type { decisionAfterLink } from '../../rules/user-link.js';
import { contactLinkExpiry, decisionAttributes, linkExpiry } from '../../rules/user-link.js';
import { type Db, readLive } from '../client.js';
import {
  attributeNames,
  contentionRetries,
  failedCondition,
  isConditionFailed,
  stillContended,
  transactWrite,
} from '../conditions.js';
import { keys } from '../keys.js';
import { ttlFromMillis } from '../table.js';
import { unchangedSince } from './pair.js';

/**
 * A BSUID's link to the number's pair: the item at `PAIR#<business>#<bsuid>` once a message named
 * both, `{ linkedTo: <number> }` and no state, so a read by the BSUID finds the number's pair and no
 * write under the BSUID can grant a second permission (each holds `attribute_not_exists(linkedTo)`).
 * It expires as `linkExpiry` (rules/user-link.ts) says, renewed by each message that names both. A
 * link whose number's pair is gone is read as no link: the user is known by the BSUID alone (nothing
 * stored, nobody to reach) until a message decides again, which lands on the number's pair.
 */

/**
 * The pair a user key names: its own, or, for a BSUID linked to a number, the number's (one more
 * GetItem, only then: no link is ever stored under a number). `user` is the key the state is under.
 */
export const readUserPair = async (
  db: Db,
  business: string,
  user: string,
  now: number,
): Promise<{ readonly user: string; readonly pair: PairState | undefined }> => {
  const pair = await readLive<PairState>(db, keys.pair(business, user), now);
  if (pair?.linkedTo === undefined) return { user, pair };
  const linked = await readLive<PairState>(db, keys.pair(business, pair.linkedTo), now);
  return linked === undefined ? { user, pair: undefined } : { user: pair.linkedTo, pair: linked };
};

/**
 * The number a call or a message to the user goes to: the number itself, or the number a BSUID is
 * linked to while that number's pair stands (up to two GetItems, only for a BSUID); undefined for a
 * BSUID linked to none.
 */
export const reachableNumberOf = async (
  db: Db,
  business: string,
  user: { readonly e164: string } | { readonly id: string },
  now: number,
): Promise<string | undefined> => {
  if ('e164' in user) return user.e164;
  const read = await readUserPair(db, business, user.id, now);
  return read.user === user.id ? undefined : read.user;
};

/**
 * The key a BSUID's state is written under: the linked number's (its pair gone or not: the decision
 * then stands there again), else the BSUID's own.
 */
export const userKeyOf = async (
  db: Db,
  business: string,
  userId: string,
  now: number,
): Promise<string> =>
  (await readLive<PairState>(db, keys.pair(business, userId), now))?.linkedTo ?? userId;

/** The link's item; `expiry` from `linkExpiry`, none while the number's pair keeps a permanent grant. */
export const linkItem = (
  business: string,
  number: string,
  userId: string,
  version: number,
  expiry: number | undefined,
) => ({
  ...keys.pair(business, userId),
  business,
  user: number,
  userId,
  linkedTo: number,
  version,
  ...(expiry === undefined ? {} : { ttl: ttlFromMillis(expiry) }),
});

/** The link renewed: its TTL as this message sets it, only while it still names the number. */
export const linkRenewal = (
  tableName: string,
  key: { readonly business: string; readonly number: string; readonly userId: string },
  expiry: number | undefined,
) => ({
  TableName: tableName,
  Key: keys.pair(key.business, key.userId),
  UpdateExpression: expiry === undefined ? 'REMOVE #ttl' : 'SET #ttl = :ttl',
  ConditionExpression: '#linkedTo = :number',
  ExpressionAttributeNames: attributeNames('ttl', 'linkedTo'),
  ExpressionAttributeValues: {
    ':number': key.number,
    ...(expiry === undefined ? {} : { ':ttl': ttlFromMillis(expiry) }),
  },
});

/** Absent, or past its TTL and not yet deleted: a put may replace it. */
const goneCondition = 'attribute_not_exists(pk) OR #ttl <= :nowSeconds';

/**
 * The number's pair takes the BSUID's decision (`decide`), records the BSUID, and the BSUID's key
 * becomes the link, in one TransactWriteItems on both versions; a lost race reads both again. When the
 * link stands, only its TTL is renewed (one UpdateItem, none when it is unchanged). The number's TTL
 * becomes the longer of the two, none for a permanent grant. `pairExpiry`: until when the message
 * keeps the number's pair (`pairExpiryAfterDecision`), which the link's TTL follows (`linkExpiry`).
 */
export const linkUser = async (
  db: Db,
  input: {
    readonly business: string;
    readonly number: string;
    readonly userId: string;
    readonly now: number;
    /** The number's pair's end as the reply deciding set it; `contact`: a call or message, which decides nothing. */
    readonly pairExpiry: number | undefined | 'contact';
  },
  decide: typeof decisionAfterLink,
): Promise<'linked' | 'already_linked'> => {
  const { business, number, userId, now } = input;
  const retry = contentionRetries();
  const nowSeconds = Math.floor(now / 1000);
  for (;;) {
    const stored = await readLive<PairState>(db, keys.pair(business, userId), now);
    const ttl = (stored as { ttl?: number } | undefined)?.ttl;
    const expiry =
      input.pairExpiry === 'contact'
        ? contactLinkExpiry(
            now,
            stored?.linkedTo === number
              ? { until: ttl === undefined ? undefined : ttl * 1000 }
              : undefined,
          )
        : linkExpiry(now, input.pairExpiry);
    try {
      if (stored?.linkedTo === number) {
        if (ttl !== (expiry === undefined ? undefined : ttlFromMillis(expiry))) {
          await db.doc.send(new UpdateCommand(linkRenewal(db.tableName, input, expiry)));
        }
        return 'already_linked';
      }
      if (stored === undefined || stored.linkedTo !== undefined) {
        // No state under the BSUID (or a link to a number the user no longer has): the link alone.
        await db.doc.send(
          new PutCommand({
            TableName: db.tableName,
            Item: linkItem(business, number, userId, (stored?.version ?? 0) + 1, expiry),
            ConditionExpression:
              stored === undefined ? goneCondition : '#linkedTo = :was AND #version = :read',
            ExpressionAttributeNames:
              stored === undefined ? attributeNames('ttl') : attributeNames('linkedTo', 'version'),
            ExpressionAttributeValues:
              stored === undefined
                ? { ':nowSeconds': nowSeconds }
                : { ':was': stored.linkedTo, ':read': stored.version },
          }),
        );
        return 'linked';
      }
      const numberPair = await readLive<PairState>(db, keys.pair(business, number), now);
      const cancelled = await transactWrite(db, 'A user link', [
        {
          Update: numberUpdate(
            db.tableName,
            input,
            nowSeconds,
            numberPair,
            stored,
            decide(numberPair, stored),
          ),
        },
        {
          Put: {
            TableName: db.tableName,
            Item: linkItem(business, number, userId, (stored.version ?? 0) + 1, expiry),
            ConditionExpression: unchangedSince(stored).expression,
            ExpressionAttributeNames: attributeNames('version'),
            // A pair a message's window created has no version yet: DynamoDB refuses an empty map.
            ...(stored.version === undefined
              ? {}
              : { ExpressionAttributeValues: unchangedSince(stored).values }),
          },
        },
      ]);
      if (!cancelled) return 'linked';
      if (!cancelled.reasons.some(failedCondition)) throw cancelled.error;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    if (!(await retry())) throw stillContended('A user link');
  }
};

/**
 * The number's pair with the BSUID recorded and, when it wins, the BSUID's decision, marked as moved
 * (`decisionLinkedAt`) so that it is not announced a second time.
 */
const numberUpdate = (
  tableName: string,
  input: {
    readonly business: string;
    readonly number: string;
    readonly userId: string;
    readonly now: number;
  },
  nowSeconds: number,
  numberPair: PairState | undefined,
  bsuidPair: PairState,
  decision: ReturnType<typeof decisionAfterLink>,
) => {
  const set = ['#business = :business', '#user = :user', '#userId = :userId'];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ':business': input.business,
    ':user': input.number,
    ':userId': input.userId,
    ':one': 1,
  };
  if (decision) {
    set.push('#decisionLinkedAt = :now');
    values[':now'] = input.now;
    for (const name of decisionAttributes) {
      const value = decision[name];
      if (value === undefined) remove.push(`#${name}`);
      else {
        set.push(`#${name} = :${name}`);
        values[`:${name}`] = value;
      }
    }
    const ttls = [numberPair, bsuidPair].map((pair) => (pair as { ttl?: number } | undefined)?.ttl);
    if (decision.permission === 'permanent' || ttls.every((ttl) => ttl === undefined)) {
      remove.push('#ttl');
    } else {
      set.push('#ttl = :ttl');
      values[':ttl'] = Math.max(...ttls.map((ttl) => ttl ?? 0));
    }
  }
  const versioned = numberPair === undefined ? undefined : unchangedSince(numberPair);
  const update = `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''} ADD #version :one`;
  const condition = versioned?.expression ?? goneCondition;
  return {
    TableName: tableName,
    Key: keys.pair(input.business, input.number),
    UpdateExpression: update,
    ConditionExpression: condition,
    // DynamoDB refuses a name the expressions do not use.
    ExpressionAttributeNames: attributeNames(
      ...new Set(
        [...`${update} ${condition}`.matchAll(/#(\w+)/g)].map(([, name]) => name as string),
      ),
    ),
    ExpressionAttributeValues: {
      ...values,
      ...(versioned?.values ?? { ':nowSeconds': nowSeconds }),
    },
  };
};

/** Records the BSUID on the number's pair when a message names both and the link already stood. */
export const recordUserId = async (
  db: Db,
  business: string,
  number: string,
  userId: string,
): Promise<void> => {
  await db.doc
    .send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.pair(business, number),
        UpdateExpression: 'SET #userId = :userId',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: attributeNames('userId'),
        ExpressionAttributeValues: { ':userId': userId },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailed(error)) throw error;
    });
};

/** A user a webhook named, and the pair their state is under. */
export interface UserPair {
  /** The pair's user key: the number, the number a BSUID is linked to, or the BSUID alone. */
  readonly key: string;
  /** The number, where known (named, or the BSUID's link). */
  readonly number?: string;
  readonly userId?: string;
}

/**
 * The pair of a user an inbound call or message names: with both a number and a BSUID, the BSUID is
 * linked first (`linkUser`, as a permission reply with both does); with a BSUID alone, the pair its link
 * points to (one GetItem), else its own; with a number alone, the number's (no request).
 */
export const userPairOf = async (
  db: Db,
  input: {
    readonly business: string;
    readonly number?: string | undefined;
    readonly userId?: string | undefined;
    readonly now: number;
  },
  decide: typeof decisionAfterLink,
): Promise<UserPair> => {
  const { business, number, userId, now } = input;
  if (number !== undefined) {
    if (userId !== undefined) {
      await linkUser(db, { business, number, userId, now, pairExpiry: 'contact' }, decide);
    }
    return { key: number, number, ...(userId === undefined ? {} : { userId }) };
  }
  const id = userId as string;
  const key = await userKeyOf(db, business, id, now);
  return key === id ? { key, userId: id } : { key, number: key, userId: id };
};
