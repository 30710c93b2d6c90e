import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PairState } from '../../rules/pair.js';
import type { Origin } from '../../rules/references.js';
import { type Db, readLive } from '../client.js';
import { attributeNames, isConditionFailed } from '../conditions.js';
import { keys } from '../keys.js';
import { callListingAttributes } from '../listing.js';
import { ttlFromMillis } from '../table.js';
import { readPair } from './pair.js';

/**
 * One call, either direction: written once when it starts, its end applied once. Times in epoch ms.
 * Business-initiated: the request's (or its intent's) reference, metadata and actor (`Origin`).
 */
export interface CallRecord extends Origin {
  readonly pk: string;
  readonly sk: string;
  /** Plivo's CallUUID (inbound) or callgate's call id (business-initiated). */
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  /** E.164 business number: one of its lease shards holds the call's lease. */
  readonly business: string;
  /**
   * The lease shard of the business number that holds the call's lease (store/items/leases.ts); absent on the
   * record a hangup writes for a call it ended before it was answered, which never held one.
   */
  readonly leaseShard?: number;
  /** The WhatsApp user: E.164, or the BSUID of an inbound caller known by it alone. */
  readonly user: string;
  /** The user's BSUID, where the call's webhook named one. */
  readonly userId?: string;
  readonly startedAt: number;
  readonly leaseExpiresAt: number;
  /** Business-initiated: the agent its first leg rings. */
  readonly agent?: string;
  /** Business-initiated by a call intent: its id. */
  readonly intentId?: string;
  /** Business-initiated: when Plivo's Call API accepted the agent leg (absent while it is being placed). */
  readonly placedAt?: number;
  /** Business-initiated: Plivo's request id for the agent leg. */
  readonly requestUuid?: string;
  readonly endedAt?: number;
  /**
   * Ended by callgate, not by a hangup (which may never come): `flow`, its own answer ended the call;
   * `reconciliation`, Plivo no longer listed it live. Its duration is then the record's own
   * (`durationOnRecord`); a hangup that does come later changes nothing.
   */
  readonly endedBy?: EndedBy;
  readonly durationSeconds?: number;
  readonly hangupCause?: string;
  /** Business-initiated, ended without dialing the user: why the rules refused it (e.g. permission_revoked). */
  readonly refusal?: string;
  readonly dialStatus?: string;
  readonly dialStatusAt?: number;
  /** Business-initiated, not answered: the user's unanswered business calls in a row, this one included. */
  readonly missedInARow?: number;
  /** Business-initiated, not answered: `missedInARow` reached the number at which the user is warned. */
  readonly missedWarning?: boolean;
  /** Business-initiated: when the agent answered and callgate dialed the WhatsApp user. */
  readonly dialedAt?: number;
  /** Epoch seconds. */
  readonly ttl: number;
  /** The listings' index attributes (store/listing.ts); absent on records written before them. */
  readonly byNumber?: string;
  readonly byUser?: string;
  readonly listedAt?: string;
}

export type EndedBy = 'flow' | 'reconciliation';

/** Call records are kept for a month after the call started (support questions, billing checks). */
export const callRecordRetentionMs = 30 * 24 * 3600 * 1000;

export const newCallRecord = (
  fields: {
    callId: string;
    direction: 'inbound' | 'outbound';
    business: string;
    user: string;
    startedAt: number;
    leaseExpiresAt: number;
    leaseShard?: number;
    agent?: string;
    intentId?: string;
  } & Origin,
): CallRecord => ({
  ...keys.call(fields.callId),
  ...fields,
  ...callListingAttributes(fields),
  ttl: ttlFromMillis(fields.startedAt + callRecordRetentionMs),
});

export const readCall = (db: Db, callId: string, now: number) =>
  readLive<CallRecord>(db, keys.call(callId), now);

export type DialAttempt =
  /** Marked dialed (from now on it counts among the user's daily calls whatever happens). */
  | { readonly kind: 'dialed' }
  /** Ended meanwhile (its hangup came first), or not a business-initiated call: nobody is dialed. */
  | { readonly kind: 'not_live' }
  /** The permission no longer allows the call: the pair as it stands (undefined when gone). */
  | { readonly kind: 'not_permitted'; readonly pair: PairState | undefined };

/**
 * The agent leg answered: marks the call as dialed only while the pair's permission still allows it (it
 * may have been rejected, revoked or have expired since the call was placed). The permission is read
 * consistently, then the call marked under its own condition: one write unit, not the four of a
 * transaction holding the pair. A decision landing between the two is ordered after the dial, as one
 * landing a moment later would be. A retried answer keeps the first time.
 */
export const dialIfPermitted = async (
  db: Db,
  call: CallRecord,
  now: number,
  /** The rule the operation passes in: whether the pair as read permits the call now. */
  permits: (pair: PairState | undefined, now: number) => boolean,
): Promise<DialAttempt> => {
  const pair = await readPair(db, call.business, call.user, now);
  if (!permits(pair, now)) return { kind: 'not_permitted', pair };
  try {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.call(call.callId),
        UpdateExpression: 'SET #dialedAt = if_not_exists(#dialedAt, :now)',
        ConditionExpression:
          'attribute_exists(pk) AND #direction = :outbound AND attribute_not_exists(#endedAt)',
        ExpressionAttributeNames: attributeNames('dialedAt', 'direction', 'endedAt'),
        ExpressionAttributeValues: { ':now': now, ':outbound': 'outbound' },
      }),
    );
    return { kind: 'dialed' };
  } catch (error) {
    if (isConditionFailed(error)) return { kind: 'not_live' };
    throw error;
  }
};

/**
 * Plivo's Call API accepted the agent leg: the record says so (the call log's `placedAt`, the
 * `call.placed` event). Never recreates a record a release removed meanwhile.
 */
export const markPlaced = async (
  db: Db,
  callId: string,
  requestUuid: string,
  now: number,
): Promise<void> => {
  try {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.call(callId),
        UpdateExpression:
          'SET #placedAt = if_not_exists(#placedAt, :now), #requestUuid = :requestUuid',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: attributeNames('placedAt', 'requestUuid'),
        ExpressionAttributeValues: { ':now': now, ':requestUuid': requestUuid },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
};
