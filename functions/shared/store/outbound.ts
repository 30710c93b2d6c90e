import {
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Rules } from '../config/schema.js';
import { leaseExpiry } from '../rules/lease.js';
import {
  afterMissedCall,
  type DialOutcome,
  decidePlacement,
  type PlacementRefusal,
} from '../rules/outbound.js';
import type { PairState } from '../rules/pair.js';
import { type CallRecord, newCallRecord, readCall } from './calls.js';
import { type Db, readLive } from './client.js';
import { keys } from './keys.js';
import { reapExpiredLeases, releaseLeaseUpdate, takeLeaseUpdate, withLine } from './leases.js';
import { resetOnConnectUpdate } from './pair-updates.js';
import { readPair } from './permissions.js';
import { ttlFromMillis } from './table.js';
import {
  type CancellationReason,
  cancellationReasons,
  conflicted,
  contentionRetries,
  failedCondition,
  stillContended,
} from './transactions.js';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A business-initiated call's record: the shared call item plus the agent its first leg rings. */
export type OutboundCallRecord = CallRecord & { readonly agent?: string };

/** What POST /v1/calls answers with 201, kept in the idempotency record for retries. */
export interface PlacedCallResponse {
  readonly callId: string;
  readonly requestUuid: string;
  readonly from: string;
  readonly to: string;
  readonly agent: string;
  readonly status: 'placing';
}

/** The first request seen with an Idempotency-Key. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  /** pending: reserved, Plivo not answered yet; placed: `response` is what the client got. */
  readonly status: 'pending' | 'placed';
  readonly response?: PlacedCallResponse;
}

export interface Reservation {
  readonly callId: string;
  readonly business: string;
  readonly user: string;
  readonly agent: string;
  readonly idempotency?: { readonly key: string; readonly requestHash: string } | undefined;
}

export type ReserveOutcome =
  /** Daily slot, lease, CPS token, call record (and idempotency record) written in one transaction. */
  | { readonly kind: 'reserved'; readonly reservedAt: number }
  | {
      readonly kind: 'refused';
      readonly refusal:
        | PlacementRefusal
        | { readonly code: 'concurrency_limit' }
        | { readonly code: 'cps_limit'; readonly retryAfter: number };
    }
  /** The Idempotency-Key was used before: the record as it stands. */
  | { readonly kind: 'idempotent'; readonly record: IdempotencyRecord }
  /** Lost every optimistic retry to other writers of the same items: try again shortly. */
  | { readonly kind: 'contended' };

export interface Limits {
  readonly rules: Rules;
  readonly callsPerSecond: number;
}

/** How long an Idempotency-Key is remembered. */
const idempotencyRetentionMs = 24 * 3600 * 1000;
/** A CPS bucket outlives its second long enough for a slow Plivo refusal to give its token back. */
const cpsBucketRetentionMs = 10 * 60 * 1000;

/**
 * The agent leg answered: marks the call as dialed (from now on it counts among the user's daily calls
 * whatever happens) and returns it. Undefined when callgate never placed it, or it already ended (its
 * hangup came first, or Plivo placed it after callgate gave up on the request): then nobody is dialed.
 * One UpdateItem; a retried answer keeps the first time.
 */
export const markDialed = async (
  db: Db,
  callId: string,
  now: number,
): Promise<OutboundCallRecord | undefined> => {
  try {
    const { Attributes } = await db.doc.send(
      new UpdateCommand({
        TableName: db.tableName,
        Key: keys.call(callId),
        UpdateExpression: 'SET #dialedAt = if_not_exists(#dialedAt, :now)',
        ConditionExpression:
          'attribute_exists(pk) AND #direction = :outbound AND attribute_not_exists(#endedAt)',
        ExpressionAttributeNames: {
          '#dialedAt': 'dialedAt',
          '#direction': 'direction',
          '#endedAt': 'endedAt',
        },
        ExpressionAttributeValues: { ':now': now, ':outbound': 'outbound' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as OutboundCallRecord | undefined;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
};

export const readIdempotency = async (
  db: Db,
  business: string,
  key: string,
  now: number,
): Promise<IdempotencyRecord | undefined> => {
  const item = await readLive<Record<string, unknown>>(db, keys.idempotency(business, key), now);
  return item ? idempotencyRecord(item) : undefined;
};

const idempotencyRecord = (item: Record<string, unknown>): IdempotencyRecord => ({
  requestHash: String(item.requestHash ?? ''),
  status: item.status === 'placed' ? 'placed' : 'pending',
  ...(typeof item.response === 'string'
    ? { response: JSON.parse(item.response) as PlacedCallResponse }
    : {}),
});

// The document client does not unmarshall the item a cancelled transaction returns.
const idempotencyFromReason = (reason: CancellationReason): IdempotencyRecord =>
  idempotencyRecord(unmarshall(reason.Item ?? {}));

const cpsSecond = (now: number) => Math.floor(now / 1000);

/**
 * The placement transaction, in a fixed order the cancellation reasons are read by:
 * pair (daily slot, optimistic version), line (concurrency lease), CPS bucket, call record, idempotency.
 */
const placementItems = (
  db: Db,
  reservation: Reservation,
  pair: PairState | undefined,
  decision: { calls: Readonly<Record<string, number>>; keepUntil: number | undefined },
  now: number,
  limits: Limits,
): TransactItem[] => {
  const { callId, business, user, agent, idempotency } = reservation;
  const leaseExpiresAt = leaseExpiry(now, limits.rules);
  const pairTtl = decision.keepUntil === undefined ? undefined : ttlFromMillis(decision.keepUntil);
  const items: TransactItem[] = [
    {
      Update: {
        TableName: db.tableName,
        Key: keys.pair(business, user),
        // A permanent grant keeps having no TTL.
        UpdateExpression: `SET #calls = :calls${pairTtl === undefined ? '' : ', #ttl = :ttl'} ADD #version :one`,
        ConditionExpression:
          pair?.version === undefined
            ? 'attribute_exists(pk) AND attribute_not_exists(#version)'
            : '#version = :read',
        ExpressionAttributeNames: {
          '#calls': 'calls',
          '#version': 'version',
          ...(pairTtl === undefined ? {} : { '#ttl': 'ttl' }),
        },
        ExpressionAttributeValues: {
          ':calls': decision.calls,
          ':one': 1,
          ...(pair?.version === undefined ? {} : { ':read': pair.version }),
          ...(pairTtl === undefined ? {} : { ':ttl': pairTtl }),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Update: takeLeaseUpdate(
        db.tableName,
        business,
        callId,
        leaseExpiresAt,
        limits.rules.simultaneousCallsPerNumber,
      ),
    },
    {
      Update: {
        TableName: db.tableName,
        Key: keys.cps(cpsSecond(now)),
        UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :cps',
        ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':cps': limits.callsPerSecond,
          ':ttl': ttlFromMillis(now + cpsBucketRetentionMs),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: db.tableName,
        Item: {
          ...newCallRecord({
            callId,
            direction: 'outbound',
            business,
            user,
            startedAt: now,
            leaseExpiresAt,
          }),
          agent,
        } satisfies OutboundCallRecord,
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
  if (idempotency) {
    items.push({
      Put: {
        TableName: db.tableName,
        Item: {
          ...keys.idempotency(business, idempotency.key),
          requestHash: idempotency.requestHash,
          status: 'pending',
          callId,
          ttl: ttlFromMillis(now + idempotencyRetentionMs),
        },
        // An expired record DynamoDB has not deleted yet counts as absent.
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :nowSeconds',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  return items;
};

/**
 * Checks the rules on one consistent read of the pair and takes every reservation in one transaction:
 * the daily slot (pair `calls`, under the read `version`), the concurrency lease, the CPS token, the
 * call record and the idempotency record. A lost optimistic race re-reads and retries.
 */
export const reserveCall = async (
  db: Db,
  reservation: Reservation,
  clock: () => number,
  limits: Limits,
): Promise<ReserveOutcome> => {
  let reaped = false;
  const retry = contentionRetries();
  do {
    const now = clock();
    const pair = await readPair(db, reservation.business, reservation.user, now);
    const decision = decidePlacement(pair, reservation.callId, now, limits.rules);
    if (decision.kind === 'refused') return decision;
    const items = placementItems(db, reservation, pair, decision, now, limits);
    try {
      await withLine(db, reservation.business, () =>
        db.doc.send(new TransactWriteCommand({ TransactItems: items })),
      );
      return { kind: 'reserved', reservedAt: now };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const [pairReason, leaseReason, cpsReason, , idempotencyReason] = reasons;
      if (idempotencyReason && failedCondition(idempotencyReason)) {
        return { kind: 'idempotent', record: idempotencyFromReason(idempotencyReason) };
      }
      // Another writer changed the pair (or the line was created meanwhile): the read is stale.
      if (failedCondition(pairReason) || reasons.some(conflicted)) continue;
      if (failedCondition(leaseReason)) {
        if (!leaseReason?.Item) continue;
        if (!reaped) {
          reaped = true;
          if ((await reapExpiredLeases(db, reservation.business, now)) > 0) continue;
        }
        return { kind: 'refused', refusal: { code: 'concurrency_limit' } };
      }
      if (failedCondition(cpsReason)) {
        return { kind: 'refused', refusal: { code: 'cps_limit', retryAfter: 1 } };
      }
      throw error;
    }
  } while (await retry());
  return { kind: 'contended' };
};

/** Keeps the answer the client got, so a retry with the same Idempotency-Key gets it again. */
export const recordPlacedResponse = async (
  db: Db,
  business: string,
  key: string,
  response: PlacedCallResponse,
): Promise<void> => {
  await db.doc.send(
    new UpdateCommand({
      TableName: db.tableName,
      Key: keys.idempotency(business, key),
      UpdateExpression: 'SET #status = :placed, #response = :response',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
      ExpressionAttributeValues: { ':placed': 'placed', ':response': JSON.stringify(response) },
    }),
  );
};

/**
 * Plivo did not take the call: gives back everything `reserveCall` took, in one transaction, so
 * nothing is counted and a retry (even with the same Idempotency-Key) can place it.
 */
export const releaseReservation = async (
  db: Db,
  reservation: Reservation,
  reservedAt: number,
): Promise<void> => {
  const { callId, business, user, idempotency } = reservation;
  const pairItem: TransactItem = {
    Update: {
      TableName: db.tableName,
      Key: keys.pair(business, user),
      UpdateExpression: 'REMOVE #calls.#call ADD #version :one',
      // The entry is gone only if the pair item was replaced meanwhile: then there is nothing to undo.
      ConditionExpression: 'attribute_exists(#calls.#call)',
      ExpressionAttributeNames: { '#calls': 'calls', '#call': callId, '#version': 'version' },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
  const rest: TransactItem[] = [
    { Update: releaseLeaseUpdate(db.tableName, business, callId) },
    {
      Update: {
        TableName: db.tableName,
        Key: keys.cps(cpsSecond(reservedAt)),
        UpdateExpression: 'ADD #n :minusOne',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':minusOne': -1 },
      },
    },
    { Delete: { TableName: db.tableName, Key: keys.call(callId) } },
    ...(idempotency
      ? [{ Delete: { TableName: db.tableName, Key: keys.idempotency(business, idempotency.key) } }]
      : []),
  ];
  let withPair = true;
  const retry = contentionRetries();
  for (;;) {
    try {
      await db.doc.send(
        new TransactWriteCommand({ TransactItems: withPair ? [pairItem, ...rest] : rest }),
      );
      return;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      if (withPair && failedCondition(reasons[0])) withPair = false;
      else if (!reasons.some(conflicted)) throw error;
      else if (!(await retry())) throw stillContended('Releasing a call');
    }
  }
};

export type DialStatusOutcome =
  | { readonly kind: 'unknown_call' }
  /** Applied now, or already by an earlier delivery of the same callback. */
  | { readonly kind: 'applied' | 'already_applied'; readonly call: CallRecord };

/** Records the dial status on the call once; the condition makes Plivo's retries no-ops. */
const dialStatusOnCall = (db: Db, callId: string, dialStatus: string, now: number) => ({
  TableName: db.tableName,
  Key: keys.call(callId),
  UpdateExpression: 'SET #dialStatus = :dialStatus, #dialStatusAt = :now',
  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#dialStatus)',
  ExpressionAttributeNames: { '#dialStatus': 'dialStatus', '#dialStatusAt': 'dialStatusAt' },
  ExpressionAttributeValues: { ':dialStatus': dialStatus, ':now': now },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

/**
 * One missed call on the pair, as a versioned write: the count read, the warning and the revocation
 * are decided together and written only if neither the count nor the version moved since the read, so
 * parallel callbacks for different calls of the pair cannot lose a miss or revoke twice.
 */
const missedCallUpdate = (db: Db, call: CallRecord, pair: PairState, now: number, rules: Rules) => {
  const step = afterMissedCall(pair, now, rules);
  const names: Record<string, string> = { '#missed': 'missed', '#version': 'version' };
  const values: Record<string, unknown> = {};
  const conditions = [
    pair.version === undefined
      ? 'attribute_exists(pk) AND attribute_not_exists(#version)'
      : '#version = :read',
    pair.missed === undefined ? 'attribute_not_exists(#missed)' : '#missed = :seen',
  ];
  if (pair.version !== undefined) values[':read'] = pair.version;
  if (pair.missed !== undefined) values[':seen'] = pair.missed;
  let expression: string;
  if (step.kind === 'revoke') {
    Object.assign(names, {
      '#permission': 'permission',
      '#permissionAt': 'permissionAt',
      '#permissionUntil': 'permissionUntil',
      '#revokedReason': 'revokedReason',
      '#warnedAt': 'warnedAt',
      '#ttl': 'ttl',
    });
    Object.assign(values, {
      ':revoked': 'revoked',
      ':now': now,
      ':until': step.permissionUntil,
      ':reason': 'missed_calls',
      ':ttl': ttlFromMillis(step.keepUntil),
      ':one': 1,
    });
    // The count has done its job: a later grant starts from zero.
    expression =
      'SET #permission = :revoked, #permissionAt = :now, #permissionUntil = :until, ' +
      '#revokedReason = :reason, #ttl = :ttl REMOVE #missed, #warnedAt ADD #version :one';
  } else {
    values[':missed'] = step.missed;
    expression = 'SET #missed = :missed';
    if (step.warn) {
      names['#warnedAt'] = 'warnedAt';
      values[':now'] = now;
      expression += ', #warnedAt = :now';
    }
  }
  return {
    TableName: db.tableName,
    Key: keys.pair(call.business, call.user),
    UpdateExpression: expression,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

const recordOnCallOnly = async (
  db: Db,
  call: CallRecord,
  dialStatus: string,
  now: number,
): Promise<DialStatusOutcome> => {
  try {
    await db.doc.send(new UpdateCommand(dialStatusOnCall(db, call.callId, dialStatus, now)));
    return { kind: 'applied', call };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      return { kind: 'already_applied', call };
    }
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
): Promise<DialStatusOutcome> => {
  const retry = contentionRetries();
  do {
    const now = clock();
    const call = await readCall(db, callId, now);
    if (call?.direction !== 'outbound') return { kind: 'unknown_call' };
    if (call.dialStatus !== undefined) return { kind: 'already_applied', call };
    const onCall = { Update: dialStatusOnCall(db, callId, dialStatus, now) };
    let pairUpdate: TransactItem['Update'] | undefined;
    if (outcome === 'connected') {
      pairUpdate = resetOnConnectUpdate(db.tableName, call.business, call.user, rules);
    } else if (outcome === 'missed') {
      const pair = await readPair(db, call.business, call.user, now);
      if (pair) pairUpdate = missedCallUpdate(db, call, pair, now, rules);
    }
    if (!pairUpdate) return recordOnCallOnly(db, call, dialStatus, now);
    try {
      await db.doc.send(
        new TransactWriteCommand({ TransactItems: [onCall, { Update: pairUpdate }] }),
      );
      return { kind: 'applied', call };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (!reasons) throw error;
      const [callReason, pairReason] = reasons;
      if (failedCondition(callReason)) return { kind: 'already_applied', call };
      // A connected call whose pair is gone (expired) has nothing to reset.
      if (failedCondition(pairReason) && outcome === 'connected') {
        return recordOnCallOnly(db, call, dialStatus, now);
      }
      // A missed call's read of the pair went stale: read again.
      if (failedCondition(pairReason) || reasons.some(conflicted)) continue;
      throw error;
    }
  } while (await retry());
  throw stillContended('A dial status');
};
