import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Rules } from '../../config/schema.js';
import type { DialOutcome, MissedCallStep } from '../../rules/missed-calls.js';
import type { PairState } from '../../rules/pair.js';
import type { Db } from '../client.js';
import {
  attributeNames,
  contentionRetries,
  failedCondition,
  isConditionFailed,
  stillContended,
  transactWrite,
} from '../conditions.js';
import { type CallRecord, readCall } from '../items/call-record.js';
import { readPair } from '../items/pair.js';
import { missedCallUpdate, resetOnConnectUpdate, uncountCallUpdate } from '../items/pair-calls.js';
import { keys } from '../keys.js';

export type DialStatusOutcome =
  | { readonly kind: 'unknown_call' }
  /** Applied now, or already by an earlier delivery of the same callback. */
  | { readonly kind: 'applied' | 'already_applied'; readonly call: CallRecord };

/** A missed call's place in the user's streak, kept on its record (the call log, the `call.missed` event). */
export interface MissedInARow {
  readonly missedInARow: number;
  readonly missedWarning: boolean;
}

/**
 * What a dial status decides, passed in by the operation (the rules' functions): the store calls them
 * on each read of the pair, so a lost race decides again on what it read.
 */
export interface DialStatusDecisions {
  /** Whether the call stays among the user's daily calls. */
  readonly counts: boolean;
  /** A miss's place in the user's streak, from the pair as read. */
  readonly streakAfterMiss: (pair: PairState | undefined) => MissedInARow;
  /** What a miss does to the pair as read: count, warn or revoke. */
  readonly afterMissedCall: (pair: PairState, now: number) => MissedCallStep;
}

/** Records the dial status on the call once; the condition makes Plivo's retries no-ops. */
const dialStatusOnCall = (
  db: Db,
  callId: string,
  dialStatus: string,
  now: number,
  missed?: MissedInARow,
) => ({
  TableName: db.tableName,
  Key: keys.call(callId),
  UpdateExpression: `SET #dialStatus = :dialStatus, #dialStatusAt = :now${missed ? ', #missedInARow = :missedInARow, #missedWarning = :missedWarning' : ''}`,
  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#dialStatus)',
  ExpressionAttributeNames: attributeNames(
    'dialStatus',
    'dialStatusAt',
    ...(missed ? ['missedInARow', 'missedWarning'] : []),
  ),
  ExpressionAttributeValues: {
    ':dialStatus': dialStatus,
    ':now': now,
    ...(missed
      ? { ':missedInARow': missed.missedInARow, ':missedWarning': missed.missedWarning }
      : {}),
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

const recordOnCallOnly = async (
  db: Db,
  call: CallRecord,
  dialStatus: string,
  now: number,
  missed?: MissedInARow,
): Promise<DialStatusOutcome> => {
  try {
    await db.doc.send(
      new UpdateCommand(dialStatusOnCall(db, call.callId, dialStatus, now, missed)),
    );
    return { kind: 'applied', call };
  } catch (error) {
    if (isConditionFailed(error)) return { kind: 'already_applied', call };
    throw error;
  }
};

/**
 * Applies Plivo's dial status for a business-initiated call once: records it on the call and, in the
 * same transaction, resets the pair on a connected call or counts a missed one.
 */
export const applyDialStatus = async (
  db: Db,
  callId: string,
  dialStatus: string,
  outcome: DialOutcome,
  clock: () => number,
  rules: Rules,
  decide: DialStatusDecisions,
): Promise<DialStatusOutcome> => {
  const retry = contentionRetries();
  do {
    const now = clock();
    const call = await readCall(db, callId, now);
    if (call?.direction !== 'outbound') return { kind: 'unknown_call' };
    if (call.dialStatus !== undefined) return { kind: 'already_applied', call };
    const { counts } = decide;
    let missed: MissedInARow | undefined;
    let pairUpdate:
      | ReturnType<typeof resetOnConnectUpdate>
      | ReturnType<typeof missedCallUpdate>
      | ReturnType<typeof uncountCallUpdate>
      | undefined;
    if (outcome === 'connected') {
      pairUpdate = resetOnConnectUpdate(db.tableName, call.business, call.user, rules);
    } else {
      const pair = await readPair(db, call.business, call.user, now);
      const uncount = !counts && pair?.calls?.[callId] !== undefined ? callId : undefined;
      if (outcome === 'missed') missed = decide.streakAfterMiss(pair);
      if (pair && outcome === 'missed') {
        const step = decide.afterMissedCall(pair, now);
        pairUpdate = missedCallUpdate(
          db.tableName,
          call.business,
          call.user,
          pair,
          step,
          now,
          uncount,
        );
      } else if (uncount) {
        pairUpdate = uncountCallUpdate(db.tableName, call.business, call.user, uncount);
      }
    }
    if (!pairUpdate) return recordOnCallOnly(db, call, dialStatus, now, missed);
    const onCall = { Update: dialStatusOnCall(db, callId, dialStatus, now, missed) };
    const cancelled = await transactWrite(
      db,
      'A dial status',
      [onCall, { Update: pairUpdate }],
      retry,
    );
    if (!cancelled) return { kind: 'applied', call };
    const [callReason, pairReason] = cancelled.reasons;
    if (failedCondition(callReason)) return { kind: 'already_applied', call };
    // A connected call whose pair is gone (expired) has nothing to reset; a failed one, nothing to give back.
    if (failedCondition(pairReason) && outcome !== 'missed') {
      return recordOnCallOnly(db, call, dialStatus, now, missed);
    }
    // A missed call's read of the pair went stale: read again.
    if (!failedCondition(pairReason)) throw cancelled.error;
  } while (await retry());
  throw stillContended('A dial status');
};
