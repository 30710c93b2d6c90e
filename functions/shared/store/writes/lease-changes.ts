import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import type { Db } from '../client.js';
import {
  attributeNames,
  contentionRetries,
  failedCondition,
  isConditionFailed,
  itemAtFailure,
  transactWrite,
} from '../conditions.js';
import { callRecordRetentionMs } from '../items/call-record.js';
import type { InboundLease } from '../items/leases.js';
import { inboundGrantUpdate } from '../items/pair.js';
import { resetOnConnectUpdate } from '../items/pair-calls.js';
import { keys } from '../keys.js';
import { callListingAttributes } from '../listing.js';
import { ttlFromMillis } from '../table.js';

/** An inbound lease just committed to a shard (store/writes/inbound-call.ts), as DynamoDB Streams tells it. */
export interface InboundStart {
  readonly callId: string;
  readonly business: string;
  readonly shard: number;
  readonly lease: InboundLease;
  readonly rules: Rules;
  readonly callbackPermissionOnInbound: boolean;
  /** When it is recorded (epoch ms). */
  readonly now: number;
}

export type InboundRecordOutcome =
  /** Call record written and the pair updated; `ended`: its hangup came first, the lease is released. */
  | {
      readonly kind: 'recorded';
      readonly permission: 'granted' | 'kept' | 'off';
      readonly ended: boolean;
      /** The pair's user key the call was applied to: the lease's, or the number its BSUID was linked to meanwhile. */
      readonly user: string;
    }
  /** Recorded before (DynamoDB Streams delivers at least once): nothing done. */
  | { readonly kind: 'already_recorded' }
  /**
   * The call is recorded with another lease, or its hangup recorded it as never answered: this lease
   * (a Plivo retry of its answer) is released.
   */
  | { readonly kind: 'lease_released' };

/** How the pair takes part: grant + reset, reset alone (it exists), or not at all (nothing to reset). */
type PairPart = 'grant' | 'reset' | 'none';

interface RecordState {
  readonly startRecordedAt?: number;
  readonly leaseShard?: number;
  readonly endedAt?: number;
}

/**
 * The call record of an inbound call from its lease, once: an upsert that keeps what a hangup already
 * wrote, marked `startRecordedAt`. Until `tolerateEnded`, it also requires the call not to be ended, so a
 * hangup that came first is seen (ALL_OLD).
 */
const recordUpdate = (db: Db, start: InboundStart, tolerateEnded: boolean) => {
  const { callId, business, shard, lease, now } = start;
  const fields = {
    callId,
    direction: 'inbound',
    business,
    user: lease.u,
    ...(lease.i === undefined ? {} : { userId: lease.i }),
    startedAt: lease.s,
    leaseExpiresAt: lease.e,
    ttl: ttlFromMillis(lease.s + callRecordRetentionMs),
    ...callListingAttributes({
      callId,
      business,
      user: lease.u,
      direction: 'inbound',
      startedAt: lease.s,
    }),
  };
  const names = Object.keys(fields);
  return {
    TableName: db.tableName,
    Key: keys.call(callId),
    UpdateExpression: `SET ${names.map((n) => `#${n} = if_not_exists(#${n}, :${n})`).join(', ')}, #leaseShard = :leaseShard, #startRecordedAt = :now`,
    ConditionExpression: `attribute_not_exists(#startRecordedAt)${tolerateEnded ? '' : ' AND attribute_not_exists(#endedAt)'}`,
    ExpressionAttributeNames: attributeNames(
      ...names,
      'leaseShard',
      'startRecordedAt',
      ...(tolerateEnded ? [] : ['endedAt']),
    ),
    ExpressionAttributeValues: {
      ...Object.fromEntries(Object.entries(fields).map(([n, v]) => [`:${n}`, v])),
      ':leaseShard': shard,
      ':now': now,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/** The reset alone; under a BSUID (`keyed`), only while no link stands there. */
const resetUpdate = (
  tableName: string,
  business: string,
  user: string,
  rules: Rules,
  keyed: boolean,
) => {
  const reset = resetOnConnectUpdate(tableName, business, user, rules);
  return keyed
    ? {
        ...reset,
        ConditionExpression: `${reset.ConditionExpression} AND attribute_not_exists(#linkedTo)`,
        ExpressionAttributeNames: {
          ...reset.ExpressionAttributeNames,
          ...attributeNames('linkedTo'),
        },
      }
    : reset;
};

/** Releases this lease only while the shard still holds it. */
const releaseThisLease = async (db: Db, start: InboundStart): Promise<void> => {
  try {
    await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.leaseShard(start.business, start.shard),
        UpdateExpression: 'REMOVE leases.#call',
        ConditionExpression: 'attribute_exists(leases.#call)',
        ExpressionAttributeNames: { '#call': start.callId },
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
};

/**
 * Writes what an inbound call's committed lease means, in one TransactWriteItems: its call record, and
 * the caller's callback permission granted (when the number grants it on inbound calls) with the missed
 * streak reset. Conditions that fail tell what happened:
 * recorded already with this lease → a redelivery; with another lease, or recorded as never answered →
 * this lease is a second one (a Plivo retry of the answer) and is released; ended by a hangup that came
 * first → recorded anyway (the call happened) and the lease released; a longer permission → reset alone;
 * no pair to reset → without the pair.
 */
export const recordInboundStart = async (
  db: Db,
  start: InboundStart,
): Promise<InboundRecordOutcome> => {
  const { business, lease, rules } = start;
  let pairPart: PairPart = start.callbackPermissionOnInbound ? 'grant' : 'reset';
  let ended = false;
  // A BSUID the answer found unlinked may be linked since: the grant then goes to the number's pair.
  let user = lease.u;
  const retry = contentionRetries();
  const pairUpdate = (part: PairPart) =>
    part === 'grant'
      ? inboundGrantUpdate(
          db.tableName,
          business,
          user,
          lease.s,
          rules,
          lease.i === undefined ? undefined : { id: lease.i, keyed: lease.i === user },
        )
      : part === 'reset'
        ? resetUpdate(db.tableName, business, user, rules, lease.i === user)
        : undefined;

  for (;;) {
    const pair = pairUpdate(pairPart);
    const cancelled = await transactWrite(
      db,
      'Recording an inbound call',
      [{ Update: recordUpdate(db, start, ended) }, ...(pair ? [{ Update: pair }] : [])],
      retry,
    );
    if (!cancelled) {
      if (ended) await releaseThisLease(db, start);
      const permission = !start.callbackPermissionOnInbound
        ? 'off'
        : pairPart === 'grant'
          ? 'granted'
          : 'kept';
      return { kind: 'recorded', permission, ended, user };
    }
    const [recordReason, pairReason] = cancelled.reasons;
    if (failedCondition(recordReason)) {
      const record = itemAtFailure<RecordState>(recordReason);
      if (record?.startRecordedAt === undefined) {
        ended = true;
        continue;
      }
      if (record.leaseShard === start.shard && record.endedAt === undefined) {
        return { kind: 'already_recorded' };
      }
      // A call over, or recorded with another lease, holds no lease here (a redelivery after the
      // hangup finds this one gone already).
      await releaseThisLease(db, start);
      return { kind: 'lease_released' };
    }
    if (failedCondition(pairReason)) {
      const linkedTo = itemAtFailure<{ linkedTo?: string }>(pairReason)?.linkedTo;
      if (linkedTo !== undefined && user !== linkedTo) {
        user = linkedTo;
        continue;
      }
      // With an item: a longer permission stands (grant) → reset alone. Without: no pair to reset.
      pairPart = pairPart === 'grant' && pairReason?.Item !== undefined ? 'reset' : 'none';
      continue;
    }
    throw cancelled.error;
  }
};
