import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type IntentState, type IntentStatus, isOpen } from '../../rules/intent.js';
import { type Db, readLive } from '../client.js';
import {
  attributeNames,
  failedCondition,
  isConditionFailed,
  itemAtFailure,
  transactWrite,
} from '../conditions.js';
import { keys } from '../keys.js';
import { intentListingAttributes, intentListingPartition } from '../listing.js';
import { ttlFromMillis } from '../table.js';

/**
 * Call intents: the intent item (`INTENT#<id>`), and the pair's active-intent pointer
 * (`ACTIVEINTENT#<business>#<user>`) that makes "one active intent per pair" one condition. Every
 * transition is conditional on the intent's `version`, so two dispatches of the same intent (a schedule
 * and an event, or a redelivery) cannot both move it.
 */

export type IntentItem = IntentState & {
  readonly pk: string;
  readonly sk: string;
  readonly ttl: number;
  /** The listing's index attributes (store/listing.ts); absent on intents created before them. */
  readonly byNumber?: string;
  readonly listedAt?: string;
};

/** Ended intents stay readable (GET /v1/call-intents/{id}) this long after their `notAfter`. */
export const intentRetentionMs = 30 * 24 * 3600 * 1000;

const intentTtl = (notAfter: number) => ttlFromMillis(notAfter + intentRetentionMs);

export const readIntent = (db: Db, intentId: string, now: number) =>
  readLive<IntentItem>(db, keys.intent(intentId), now);

/** The pair's active intent id, if one stands (its pointer lapses at the intent's `notAfter`). */
export const readActiveIntentId = async (
  db: Db,
  business: string,
  user: string,
  now: number,
): Promise<string | undefined> =>
  (await readLive<{ intentId?: string }>(db, keys.activeIntent(business, user), now))?.intentId;

export type CreateOutcome =
  | { readonly kind: 'created'; readonly intent: IntentItem }
  /** The pair already has an active intent: its id. */
  | { readonly kind: 'active'; readonly intentId: string };

/**
 * Creates the intent and claims the pair for it in one transaction: the pointer may be written only
 * where none stands, or where the one standing lapsed with its intent's `notAfter`.
 */
export const createIntent = async (
  db: Db,
  intent: IntentState,
  now: number,
): Promise<CreateOutcome> => {
  const item: IntentItem = {
    ...keys.intent(intent.intentId),
    ...intent,
    ...intentListingAttributes(intent),
    ttl: intentTtl(intent.notAfter),
  };
  // An intent that ends at its first step never holds the pair.
  if (!isOpen(intent.status)) {
    await db.doc.send(new PutCommand({ TableName: db.tableName, Item: item }));
    return { kind: 'created', intent: item };
  }
  const pointer = keys.activeIntent(intent.business, intent.user);
  const cancelled = await transactWrite(db, 'call intent', [
    {
      Put: {
        TableName: db.tableName,
        Item: { ...pointer, intentId: intent.intentId, ttl: ttlFromMillis(intent.notAfter) },
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
        ExpressionAttributeNames: attributeNames('ttl'),
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: db.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
  if (!cancelled) return { kind: 'created', intent: item };
  const standing = itemAtFailure<{ intentId?: string }>(cancelled.reasons[0]);
  if (standing?.intentId) return { kind: 'active', intentId: standing.intentId };
  throw cancelled.error;
};

/** What a transition changes on the intent; `undefined` removes an attribute. */
export type IntentChanges = {
  readonly status: IntentStatus;
  readonly updatedAt: number;
} & Partial<
  Pick<
    IntentState,
    | 'dueAt'
    | 'waitReason'
    | 'reason'
    | 'callId'
    | 'placingSince'
    | 'failedAttempts'
    | 'endedAt'
    | 'cancelledBy'
  >
>;

const changeableAttributes = [
  'dueAt',
  'waitReason',
  'reason',
  'callId',
  'placingSince',
  'failedAttempts',
  'endedAt',
  'cancelledBy',
] as const;

const transitionUpdate = (db: Db, intent: IntentState, changes: IntentChanges) => {
  const set = [
    '#status = :status',
    '#updatedAt = :updatedAt',
    '#version = :next',
    // Listed under its new status (store/listing.ts).
    '#byNumber = :byNumber',
  ];
  const remove: string[] = [];
  const named: string[] = ['status', 'updatedAt', 'version', 'byNumber'];
  const values: Record<string, unknown> = {
    ':status': changes.status,
    ':byNumber': intentListingPartition(intent.business, changes.status),
    ':updatedAt': changes.updatedAt,
    ':next': intent.version + 1,
    ':read': intent.version,
  };
  for (const name of changeableAttributes) {
    if (!(name in changes)) continue;
    named.push(name);
    const value = changes[name];
    if (value === undefined) remove.push(`#${name}`);
    else {
      set.push(`#${name} = :${name}`);
      values[`:${name}`] = value;
    }
  }
  return {
    TableName: db.tableName,
    Key: keys.intent(intent.intentId),
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: '#version = :read',
    ExpressionAttributeNames: attributeNames(...named),
    ExpressionAttributeValues: values,
  };
};

/**
 * How long a placed intent still stands for its pair: a POST meanwhile (a retry of the one that placed
 * it, a duplicate from another system) gets the placed intent back instead of placing a second call.
 */
export const placedIntentHoldsPairMs = 10 * 60 * 1000;

/**
 * Moves the intent from the state it was read in (`intent.version`). An intent that ends gives the
 * pair back in the same transaction, or, placed, holds it `placedIntentHoldsPairMs` longer. False when
 * another dispatch moved it first.
 */
export const transitionIntent = async (
  db: Db,
  intent: IntentState,
  changes: IntentChanges,
): Promise<boolean> => {
  const update = transitionUpdate(db, intent, changes);
  const send = (u: typeof update) => db.doc.send(new UpdateCommand(u));
  const alone = async () => {
    try {
      await send(update);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  };
  if (isOpen(changes.status)) return alone();
  const pointer = {
    TableName: db.tableName,
    Key: keys.activeIntent(intent.business, intent.user),
    // Only this intent's own pointer: a later intent of the pair may have replaced a lapsed one.
    ConditionExpression: '#intentId = :intentId',
    ExpressionAttributeNames: attributeNames('intentId'),
    ExpressionAttributeValues: { ':intentId': intent.intentId },
  };
  const cancelled = await transactWrite(db, 'call intent', [
    { Update: update },
    changes.status === 'placed'
      ? {
          Update: {
            ...pointer,
            UpdateExpression: 'SET #ttl = :holdUntil',
            ExpressionAttributeNames: attributeNames('intentId', 'ttl'),
            ExpressionAttributeValues: {
              ...pointer.ExpressionAttributeValues,
              ':holdUntil': ttlFromMillis(changes.updatedAt + placedIntentHoldsPairMs),
            },
          },
        }
      : { Delete: pointer },
  ]);
  if (!cancelled) return true;
  // The pointer is gone or another intent's: this one's had lapsed. End this one alone.
  if (!failedCondition(cancelled.reasons[0]) && failedCondition(cancelled.reasons[1])) {
    return alone();
  }
  return false;
};
