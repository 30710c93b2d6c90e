import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { durationOnRecord } from '../../rules/call-log.js';
import type { Db } from '../client.js';
import {
  attributeNames,
  contentionRetries,
  failedCondition,
  isConditionFailed,
  itemAtFailure,
  stillContended,
  type TransactItem,
  transactWrite,
} from '../conditions.js';
import {
  type CallRecord,
  callRecordRetentionMs,
  type EndedBy,
  newCallRecord,
  readCall,
} from '../items/call-record.js';
import {
  findLease,
  type InboundLease,
  isInboundLease,
  releaseLeaseUpdate,
} from '../items/leases.js';
import { uncountCallUpdate } from '../items/pair-calls.js';
import { keys } from '../keys.js';
import { callListingAttributes } from '../listing.js';
import { ttlFromMillis } from '../table.js';

export interface CallEnd {
  readonly callId: string;
  /** The business number when the request names it (inbound: `To`): kept on the record of a call that ends before it was answered. */
  readonly business?: string | undefined;
  /** The caller (inbound: `From`), kept on the record of a call that ends before it was answered. */
  readonly user?: string | undefined;
  /** The caller's BSUID, where the hangup named one: kept there too. */
  readonly userId?: string | undefined;
  readonly endedAt: number;
  readonly durationSeconds?: number | undefined;
  readonly hangupCause?: string | undefined;
  /** The rules ended the call before the user was dialed: why (kept on the record). */
  readonly refusal?: string | undefined;
  /**
   * callgate ends the call without a hangup: its duration is the record's own (`durationOnRecord`), and
   * a hangup that comes later finds the call ended.
   */
  readonly endedBy?: EndedBy | undefined;
}

/**
 * `ended_unanswered`: the hangup came before callgate recorded the call (a slow or failed answer).
 * `refused`: the answer refused the call (at capacity, or a caller that is not a number): there was no
 * call, nothing is recorded.
 */
export type CallEndOutcome =
  | 'ended'
  | 'already_ended'
  | 'ended_unanswered'
  | 'refused'
  | 'unknown_call';

/** What a hangup knows of the call: from the request alone, or from its record as it stands. */
type CallState =
  | { readonly kind: 'absent' }
  /** No record, its answer's lease found: answered, its record not derived yet (store/writes/lease-changes.ts). */
  | { readonly kind: 'unrecorded'; readonly lease: Lease; readonly start: InboundLease }
  /** No record and no lease: the hangup came before any answer. */
  | { readonly kind: 'unanswered'; readonly business: string }
  /** No record and no lease, and the answer refused the call. */
  | { readonly kind: 'refused' }
  /** Ended once, by its hangup or by callgate: the end stands. */
  | { readonly kind: 'ended' }
  /** Inbound, or business-initiated once the user was dialed. */
  | { readonly kind: 'live'; readonly lease: Lease }
  /** Business-initiated whose agent never answered: the user was never dialed. */
  | { readonly kind: 'undialed'; readonly lease: Lease; readonly user: string };

/** Where a call's lease is held, and since when the call is up. */
interface Lease {
  readonly business: string;
  readonly shard: number;
  readonly startedAt: number;
}

/** Of a record not ended: every such record was written with the lease it took. */
const leaseOf = (record: CallRecord): Lease => ({
  business: record.business,
  shard: record.leaseShard ?? 0,
  startedAt: record.startedAt,
});

const stateOf = (record: CallRecord | undefined): CallState => {
  if (!record) return { kind: 'absent' };
  if (record.endedAt !== undefined) return { kind: 'ended' };
  if (record.direction === 'outbound' && record.dialedAt === undefined) {
    return { kind: 'undialed', lease: leaseOf(record), user: record.user };
  }
  return { kind: 'live', lease: leaseOf(record) };
};

type Step =
  | { readonly kind: 'done'; readonly outcome: CallEndOutcome }
  /** Record the end and release the lease, in one transaction; `uncount` also gives the daily slot back. */
  | { readonly kind: 'end'; readonly lease: Lease; readonly uncount?: string }
  /** Look for the answer's lease on the number the request names. */
  | { readonly kind: 'find_lease'; readonly business: string }
  /** Write the record, ended, from the lease, and release the lease, in one transaction. */
  | { readonly kind: 'end_unrecorded'; readonly lease: Lease; readonly start: InboundLease }
  /** Write the record as ended, so the lease of a late answer is released as soon as it is taken. */
  | { readonly kind: 'record_unanswered'; readonly business: string };

/**
 * The hangup callback, state by state. An undialed business-initiated call is not one of the user's
 * daily calls, so it gives its slot back. A hangup that overtakes its inbound answer (slow, or failed
 * and retried by Plivo) records the call as ended; one of a call the answer refused records nothing. A
 * call ends once: what its first end recorded is what the call log and `call.ended` say.
 */
const onHangup = (state: CallState, end: CallEnd): Step => {
  switch (state.kind) {
    case 'live':
      return { kind: 'end', lease: state.lease };
    case 'undialed':
      return { kind: 'end', lease: state.lease, uncount: state.user };
    case 'ended':
      return { kind: 'done', outcome: 'already_ended' };
    case 'refused':
      return { kind: 'done', outcome: 'refused' };
    case 'absent':
      return end.business === undefined
        ? { kind: 'done', outcome: 'unknown_call' }
        : { kind: 'find_lease', business: end.business };
    case 'unrecorded':
      return { kind: 'end_unrecorded', lease: state.lease, start: state.start };
    case 'unanswered':
      return { kind: 'record_unanswered', business: state.business };
  }
};

/** `startedAt`: of a call that was up, so that an end by callgate has a duration. */
const endedFields = (end: CallEnd, startedAt?: number) => {
  const durationSeconds =
    end.durationSeconds ??
    (end.endedBy === undefined || startedAt === undefined
      ? undefined
      : durationOnRecord(startedAt, end.endedAt));
  return {
    endedAt: end.endedAt,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(end.hangupCause === undefined ? {} : { hangupCause: end.hangupCause }),
    ...(end.refusal === undefined ? {} : { refusal: end.refusal }),
    ...(end.endedBy === undefined ? {} : { endedBy: end.endedBy }),
  };
};

const endItems = (db: Db, end: CallEnd, step: Extract<Step, { kind: 'end' }>): TransactItem[] => {
  const fields = endedFields(end, step.lease.startedAt);
  const names = Object.keys(fields);
  return [
    {
      Update: {
        TableName: db.tableName,
        Key: keys.call(end.callId),
        UpdateExpression: `SET ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
        // Not ended; for an uncount, still undialed (the agent may answer meanwhile).
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#endedAt)${step.uncount === undefined ? '' : ' AND attribute_not_exists(#dialedAt)'}`,
        ExpressionAttributeNames: attributeNames(
          ...names,
          ...(step.uncount === undefined ? [] : ['dialedAt']),
        ),
        ExpressionAttributeValues: Object.fromEntries(
          Object.entries(fields).map(([n, v]) => [`:${n}`, v]),
        ),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    { Update: releaseLeaseUpdate(db.tableName, step.lease.business, step.lease.shard, end.callId) },
    ...(step.uncount === undefined
      ? []
      : [
          {
            Update: uncountCallUpdate(db.tableName, step.lease.business, step.uncount, end.callId),
          },
        ]),
  ];
};

/**
 * The end of an inbound call whose record is not derived yet: the record written from its lease and
 * ended (an upsert: the derivation may write its part meanwhile, and still applies the caller's
 * permission afterwards).
 */
const unrecordedEndUpdate = (
  db: Db,
  end: CallEnd,
  step: Extract<Step, { kind: 'end_unrecorded' }>,
) => {
  const started = {
    callId: end.callId,
    direction: 'inbound',
    business: step.lease.business,
    user: step.start.u,
    ...(step.start.i === undefined ? {} : { userId: step.start.i }),
    startedAt: step.start.s,
    leaseExpiresAt: step.start.e,
    leaseShard: step.lease.shard,
    ttl: ttlFromMillis(step.start.s + callRecordRetentionMs),
    ...callListingAttributes({
      callId: end.callId,
      business: step.lease.business,
      user: step.start.u,
      direction: 'inbound',
      startedAt: step.start.s,
    }),
  };
  const ended = endedFields(end, step.start.s);
  const startNames = Object.keys(started);
  const endNames = Object.keys(ended);
  return {
    TableName: db.tableName,
    Key: keys.call(end.callId),
    UpdateExpression: `SET ${[
      ...startNames.map((n) => `#${n} = if_not_exists(#${n}, :${n})`),
      ...endNames.map((n) => `#${n} = :${n}`),
    ].join(', ')}`,
    ConditionExpression: 'attribute_not_exists(#endedAt)',
    ExpressionAttributeNames: attributeNames(...startNames, ...endNames),
    ExpressionAttributeValues: Object.fromEntries(
      Object.entries({ ...started, ...ended }).map(([n, v]) => [`:${n}`, v]),
    ),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
};

/** The answer refused this call (store/writes/inbound-call.ts `rememberRefusedCall`). */
const wasRefused = async (db: Db, callId: string): Promise<boolean> => {
  const { Item } = await db.doc.send(
    new GetCommand({
      TableName: db.tableName,
      Key: keys.refusedCall(callId),
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
};

/** The most state changes one hangup can see (absent → undialed → live → ended, with room to spare). */
const maxMoves = 6;

/**
 * Records a call's end and releases its lease, once, whatever order Plivo's callbacks come in. Each step
 * is one conditional write for the state the hangup believes; a failed condition returns the record as
 * it stands, which is the next state. Concurrent writers only cost a retry.
 */
export const endCall = async (db: Db, end: CallEnd): Promise<CallEndOutcome> => {
  const retry = contentionRetries();
  let state = stateOf(await readCall(db, end.callId, end.endedAt));
  for (let moves = 0; moves < maxMoves; moves++) {
    const step = onHangup(state, end);
    if (step.kind === 'done') return step.outcome;
    if (step.kind === 'find_lease') {
      const found = await findLease(db, step.business, end.callId);
      state =
        found && isInboundLease(found.lease)
          ? {
              kind: 'unrecorded',
              lease: { business: step.business, shard: found.shard, startedAt: found.lease.s },
              start: found.lease,
            }
          : (await wasRefused(db, end.callId))
            ? { kind: 'refused' }
            : { kind: 'unanswered', business: step.business };
      continue;
    }
    if (step.kind === 'end_unrecorded') {
      const cancelled = await transactWrite(
        db,
        'A hangup',
        [
          { Update: unrecordedEndUpdate(db, end, step) },
          {
            Update: releaseLeaseUpdate(
              db.tableName,
              step.lease.business,
              step.lease.shard,
              end.callId,
            ),
          },
        ],
        retry,
      );
      if (!cancelled) return 'ended';
      const [callReason] = cancelled.reasons;
      if (!failedCondition(callReason)) throw cancelled.error;
      // Ended meanwhile by another hangup.
      state = stateOf(itemAtFailure<CallRecord>(callReason));
      continue;
    }
    if (step.kind === 'record_unanswered') {
      try {
        await db.doc.send(
          new PutCommand({
            TableName: db.tableName,
            Item: {
              ...newCallRecord({
                callId: end.callId,
                direction: 'inbound',
                business: step.business,
                user: end.user ?? '',
                startedAt: end.endedAt,
                leaseExpiresAt: end.endedAt,
              }),
              ...(end.userId === undefined ? {} : { userId: end.userId }),
              ...endedFields(end),
              // Its start is settled: nothing to record, and a lease taken later is a late answer's.
              startRecordedAt: end.endedAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'ended_unanswered';
      } catch (error) {
        // The answer recorded the call in the meantime.
        if (!isConditionFailed(error)) throw error;
        state = stateOf(itemAtFailure<CallRecord>(error));
        continue;
      }
    }
    const cancelled = await transactWrite(db, 'A hangup', endItems(db, end, step), retry);
    if (!cancelled) return 'ended';
    const [callReason, , uncountReason] = cancelled.reasons;
    if (failedCondition(callReason)) {
      // Ended meanwhile, or the agent answered meanwhile.
      state = stateOf(itemAtFailure<CallRecord>(callReason));
    } else if (state.kind === 'undialed' && failedCondition(uncountReason)) {
      // The daily slot is already gone (pruned, or the pair expired): end without giving it back.
      state = { kind: 'live', lease: state.lease };
    } else {
      throw cancelled.error;
    }
  }
  throw stillContended('A hangup');
};
