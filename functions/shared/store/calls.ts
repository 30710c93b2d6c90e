import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Rules } from '../config/schema.js';
import { leaseExpiry } from '../rules/lease.js';
import { requestSlotNames } from '../rules/pair.js';
import { pairExpiryWithPermission } from '../rules/permission.js';
import { type Db, readLive } from './client.js';
import { keys } from './keys.js';
import {
  isMissingLine,
  reapExpiredLeases,
  releaseLeaseUpdate,
  takeLeaseUpdate,
  withLine,
} from './leases.js';
import { refundBusinessCallUpdate, resetOnConnectUpdate } from './pair-updates.js';
import { ttlFromMillis } from './table.js';
import {
  cancellationReasons,
  conflicted,
  contentionRetries,
  failedCondition,
  stillContended,
} from './transactions.js';

/** One call, either direction: written once when it starts, its end applied once. Times in epoch ms. */
export interface CallRecord {
  readonly pk: string;
  readonly sk: string;
  /** Plivo's CallUUID (inbound) or callgate's call id (business-initiated). */
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  /** E.164 business number: its line item holds the call's lease. */
  readonly business: string;
  /** E.164 WhatsApp user number. */
  readonly user: string;
  readonly startedAt: number;
  readonly leaseExpiresAt: number;
  readonly endedAt?: number;
  readonly durationSeconds?: number;
  readonly hangupCause?: string;
  readonly dialStatus?: string;
  /** Business-initiated: when the agent answered and callgate dialed the WhatsApp user. */
  readonly dialedAt?: number;
  /** Epoch seconds. */
  readonly ttl: number;
}

/** callgate's own id of a business-initiated call, which Plivo brings back in `?call=`. */
export const callIdSchema = z.uuid('`call` must be a callgate call id');

/** Call records are kept for a month after the call started (support questions, billing checks). */
export const callRecordRetentionMs = 30 * 24 * 3600 * 1000;

export const newCallRecord = (fields: {
  callId: string;
  direction: 'inbound' | 'outbound';
  business: string;
  user: string;
  startedAt: number;
  leaseExpiresAt: number;
}): CallRecord => ({
  ...keys.call(fields.callId),
  ...fields,
  ttl: ttlFromMillis(fields.startedAt + callRecordRetentionMs),
});

/**
 * The pair update of an inbound call when callback permission is on: grant a temporary permission until
 * `until` and reset on connect, in one write. Its condition fails when a longer permission stands
 * (permanent, or temporary until at least `until`): the caller then retries with the reset alone.
 */
const grantOnInboundUpdate = (
  tableName: string,
  business: string,
  user: string,
  now: number,
  rules: Rules,
) => {
  const until = now + rules.permissionSeconds * 1000;
  const slots = requestSlotNames(rules);
  const slotNames = Object.fromEntries(slots.map((slot, i) => [`#r${i}`, slot]));
  return {
    TableName: tableName,
    Key: keys.pair(business, user),
    UpdateExpression: [
      'SET #permission = :temporary, #permissionAt = :now, #permissionUntil = :until,',
      '#permissionSource = :inbound, #ttl = :ttl, #business = :business, #user = :user',
      `REMOVE #revokedReason, #missed, #warnedAt${slots.map((_, i) => `, #r${i}`).join('')}`,
      'ADD #version :one',
    ].join(' '),
    ConditionExpression:
      'attribute_not_exists(#permission) OR NOT (#permission = :permanent OR (#permission = :temporary AND #permissionUntil >= :until))',
    ExpressionAttributeNames: {
      '#permission': 'permission',
      '#permissionAt': 'permissionAt',
      '#permissionUntil': 'permissionUntil',
      '#permissionSource': 'permissionSource',
      '#revokedReason': 'revokedReason',
      '#missed': 'missed',
      '#warnedAt': 'warnedAt',
      '#ttl': 'ttl',
      '#version': 'version',
      '#business': 'business',
      '#user': 'user',
      ...slotNames,
    },
    ExpressionAttributeValues: {
      ':temporary': 'temporary',
      ':permanent': 'permanent',
      ':inbound': 'inbound_call',
      ':now': now,
      ':until': until,
      ':ttl': ttlFromMillis(pairExpiryWithPermission(until, now)),
      ':business': business,
      ':user': user,
      ':one': 1,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

export interface InboundCallStart {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly now: number;
  readonly rules: Rules;
  readonly callbackPermissionOnInbound: boolean;
}

export type InboundCallOutcome =
  /** Recorded, lease taken; `permission` says what happened to the caller's callback permission. */
  | { readonly kind: 'started'; readonly permission: 'granted' | 'kept' | 'off' }
  /** Plivo asked again for a call already recorded: answer the same, count nothing. */
  | { readonly kind: 'duplicate' }
  /** The business number has no lease left: nothing was written. */
  | { readonly kind: 'at_capacity' };

/** How the pair takes part: grant + reset, reset alone (it exists), or not at all (nothing to reset). */
type PairPart = 'grant' | 'reset' | 'none';

/**
 * Records an inbound call, takes its lease and applies what the call means to the pair, in one
 * TransactWriteItems in the common case. Conditions that fail tell what to do next (read from the
 * cancellation reasons, with ALL_OLD so "exists" and "missing" differ):
 * call record exists → a Plivo retry; line full → reap expired leases once, else at capacity; a longer
 * permission → retry with the reset alone; no pair to reset → retry without the pair; no line item yet →
 * withLine creates it and runs again.
 */
export const startInboundCall = async (
  db: Db,
  start: InboundCallStart,
): Promise<InboundCallOutcome> => {
  const { callId, business, user, now, rules } = start;
  const leaseExpiresAt = leaseExpiry(now, rules);
  const record = newCallRecord({
    callId,
    direction: 'inbound',
    business,
    user,
    startedAt: now,
    leaseExpiresAt,
  });
  let pairPart: PairPart = start.callbackPermissionOnInbound ? 'grant' : 'reset';
  let reaped = false;
  const retry = contentionRetries();

  const pairUpdate = (part: PairPart) =>
    part === 'grant'
      ? grantOnInboundUpdate(db.tableName, business, user, now, rules)
      : part === 'reset'
        ? {
            ...resetOnConnectUpdate(db.tableName, business, user, rules),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }
        : undefined;

  const attempt = async (): Promise<InboundCallOutcome> => {
    for (;;) {
      const pair = pairUpdate(pairPart);
      try {
        await db.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: db.tableName,
                  Item: record,
                  ConditionExpression: 'attribute_not_exists(pk)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Update: takeLeaseUpdate(
                  db.tableName,
                  business,
                  callId,
                  leaseExpiresAt,
                  rules.simultaneousCallsPerNumber,
                ),
              },
              ...(pair ? [{ Update: pair }] : []),
            ],
          }),
        );
        const permission = !start.callbackPermissionOnInbound
          ? 'off'
          : pairPart === 'grant'
            ? 'granted'
            : 'kept';
        return { kind: 'started', permission };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        // Another transaction held the line (a burst of calls): nothing was written, go again.
        if (reasons.some(conflicted)) {
          if (await retry()) continue;
          throw stillContended('An inbound call');
        }
        const [callReason, lineReason, pairReason] = reasons;
        if (failedCondition(callReason)) return { kind: 'duplicate' };
        if (failedCondition(lineReason)) {
          // No item: the line does not exist yet, withLine creates it.
          if (lineReason?.Item === undefined) throw error;
          if (reaped) return { kind: 'at_capacity' };
          reaped = true;
          if ((await reapExpiredLeases(db, business, now)) === 0) return { kind: 'at_capacity' };
          continue;
        }
        if (failedCondition(pairReason)) {
          // With an item: a longer permission stands (grant) → reset alone. Without: no pair to reset.
          pairPart = pairPart === 'grant' && pairReason?.Item !== undefined ? 'reset' : 'none';
          continue;
        }
        throw error;
      }
    }
  };

  return withLine(db, business, attempt);
};

export interface CallEnd {
  readonly callId: string;
  /** The business number when the request names it (inbound: `To`); else read from the call record. */
  readonly business?: string | undefined;
  /** The caller (inbound: `From`), kept on the record of a call that ends before it was answered. */
  readonly user?: string | undefined;
  readonly endedAt: number;
  readonly durationSeconds?: number | undefined;
  readonly hangupCause?: string | undefined;
}

/** `ended_unanswered`: the hangup came before callgate recorded the call (a slow or failed answer). */
export type CallEndOutcome = 'ended' | 'already_ended' | 'ended_unanswered' | 'unknown_call';

export const readCall = (db: Db, callId: string, now: number) =>
  readLive<CallRecord>(db, keys.call(callId), now);

/**
 * Records a call's end and releases its lease in one TransactWriteItems. The record's condition
 * (exists, not ended, same business) makes a repeated hangup cancel without releasing twice. When the
 * request does not name the business number, or names another one, the record is read first.
 */
export const endCall = async (
  db: Db,
  end: CallEnd,
  retry = contentionRetries(),
  refundable = true,
): Promise<CallEndOutcome> => {
  let business = end.business;
  let refundFor: string | undefined;
  if (business === undefined) {
    const record = await readCall(db, end.callId, end.endedAt);
    if (!record) return 'unknown_call';
    if (record.endedAt !== undefined) return 'already_ended';
    business = record.business;
    // The agent never answered, so the WhatsApp user was never dialed: not one of the user's daily calls.
    if (refundable && record.direction === 'outbound' && record.dialedAt === undefined) {
      refundFor = record.user;
    }
  }
  try {
    await db.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: db.tableName,
              Key: keys.call(end.callId),
              UpdateExpression: `SET endedAt = :endedAt${end.durationSeconds === undefined ? '' : ', durationSeconds = :duration'}${end.hangupCause === undefined ? '' : ', hangupCause = :cause'}`,
              ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(endedAt) AND #business = :business${refundFor === undefined ? '' : ' AND attribute_not_exists(dialedAt)'}`,
              ExpressionAttributeNames: { '#business': 'business' },
              ExpressionAttributeValues: {
                ':endedAt': end.endedAt,
                ':business': business,
                ...(end.durationSeconds === undefined ? {} : { ':duration': end.durationSeconds }),
                ...(end.hangupCause === undefined ? {} : { ':cause': end.hangupCause }),
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Update: releaseLeaseUpdate(db.tableName, business, end.callId) },
          ...(refundFor === undefined
            ? []
            : [
                {
                  Update: refundBusinessCallUpdate(db.tableName, business, refundFor, end.callId),
                },
              ]),
        ],
      }),
    );
    return 'ended';
  } catch (error) {
    if (isMissingLine(error) && end.business !== undefined) {
      // The named business number has no line item, so this call holds no lease there: go by the record.
      const record = await readCall(db, end.callId, end.endedAt);
      if (!record) return recordEndBeforeAnswer(db, { ...end, business: end.business }, retry);
      return endCall(db, { ...end, business: undefined }, retry);
    }
    const reasons = cancellationReasons(error);
    if (reasons?.some(conflicted)) {
      if (await retry()) return endCall(db, end, retry);
      throw stillContended('A hangup');
    }
    const [callReason, , refundReason] = reasons ?? [];
    // The daily slot is already gone (pruned, or the pair expired): end the call without giving it back.
    if (refundFor !== undefined && failedCondition(refundReason) && !failedCondition(callReason)) {
      return endCall(db, end, retry, false);
    }
    if (!failedCondition(callReason)) throw error;
    const old = callReason?.Item;
    if (!old) {
      return end.business === undefined
        ? 'unknown_call'
        : recordEndBeforeAnswer(db, { ...end, business: end.business }, retry);
    }
    if (old.endedAt !== undefined) return 'already_ended';
    // The request named another business number than the call's, or the agent answered meanwhile:
    // end it by the record as it stands now.
    if (end.business !== undefined || old.dialedAt !== undefined) {
      return endCall(db, { ...end, business: undefined }, retry, refundable);
    }
    throw error;
  }
};

/**
 * An inbound call that ended before its answer was recorded (the answer was slow, or failed and Plivo
 * retries it): record the end first, so the late answer finds the call and takes no lease that no hangup
 * would ever release.
 */
const recordEndBeforeAnswer = async (
  db: Db,
  end: CallEnd & { readonly business: string },
  retry: () => Promise<boolean>,
): Promise<CallEndOutcome> => {
  try {
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...newCallRecord({
            callId: end.callId,
            direction: 'inbound',
            business: end.business,
            user: end.user ?? '',
            startedAt: end.endedAt,
            leaseExpiresAt: end.endedAt,
          }),
          endedAt: end.endedAt,
          ...(end.durationSeconds === undefined ? {} : { durationSeconds: end.durationSeconds }),
          ...(end.hangupCause === undefined ? {} : { hangupCause: end.hangupCause }),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return 'ended_unanswered';
  } catch (error) {
    // The answer recorded the call in the meantime: end it the ordinary way.
    if ((error as Error).name === 'ConditionalCheckFailedException') return endCall(db, end, retry);
    throw error;
  }
};
