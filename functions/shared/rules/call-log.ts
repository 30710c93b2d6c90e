import type { DialStatus } from './missed-calls.js';
import { type References, referencesOf } from './references.js';

/**
 * The call log (GET /v1/calls/{callId}): one stored call, either direction, as the business sees it.
 * Derived from the record alone, so every field reads the same whenever it is asked.
 */

/** The call record's attributes the log reads (store/items/call-record.ts writes them). Times in epoch ms. */
export interface CallLogRecord extends References {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly business: string;
  readonly user: string;
  /** The user's BSUID, where the call's webhooks named one. */
  readonly userId?: string;
  /** Inbound: when callgate answered (the lease's start). */
  readonly startedAt: number;
  /** Inbound: set on every record of a call callgate answered, absent on one a hangup wrote before any answer. */
  readonly leaseShard?: number;
  readonly agent?: string;
  readonly placedAt?: number;
  readonly dialedAt?: number;
  readonly dialStatus?: string;
  readonly dialStatusAt?: number;
  readonly endedAt?: number;
  readonly endedBy?: string;
  readonly durationSeconds?: number;
  readonly hangupCause?: string;
  readonly refusal?: string;
  readonly missedInARow?: number;
}

export type CallLogStatus = 'placing' | 'ringing' | 'in_progress' | 'ended';

export type CallLogOutcome = 'answered' | 'missed' | 'busy' | 'failed' | 'refused-after-placing';

/** Business-initiated: the request's (or its intent's) reference and metadata. */
export interface CallLogView extends References {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly business: string;
  /** The number, or the BSUID of an inbound caller known by it alone. */
  readonly user: string;
  /** The user's BSUID, when known. */
  readonly userId?: string;
  readonly status: CallLogStatus;
  readonly placedAt?: string;
  readonly answeredAt?: string;
  readonly endedAt?: string;
  readonly durationSeconds?: number;
  /** Absent while it is not known yet. */
  readonly outcome?: CallLogOutcome;
  readonly hangupCause?: string;
  readonly agent?: string;
  readonly refusal?: string;
  readonly endedBy?: string;
  readonly missedInARow?: number;
}

const iso = (millis: number): string => new Date(millis).toISOString();

/**
 * The duration of a call callgate ended itself (its flow, or reconciliation), when no hangup had said
 * how long it was: whole seconds from the record's start to its end. It is the call's duration for good:
 * a hangup that comes later does not change an end already recorded.
 */
export const durationOnRecord = (startedAt: number, endedAt: number): number =>
  Math.max(0, Math.round((endedAt - startedAt) / 1000));

/** Plivo's DialStatus as the log reads it: `busy` stays apart from the misses the rules count. */
const dialStatusOutcomes: Readonly<Record<DialStatus, CallLogOutcome>> = {
  completed: 'answered',
  'no-answer': 'missed',
  timeout: 'missed',
  busy: 'busy',
  failed: 'failed',
};

const fromDialStatus = (dialStatus: string): CallLogOutcome | undefined =>
  Object.hasOwn(dialStatusOutcomes, dialStatus)
    ? dialStatusOutcomes[dialStatus as DialStatus]
    : undefined;

const outboundOutcome = (record: CallLogRecord): CallLogOutcome | undefined => {
  if (record.refusal !== undefined) return 'refused-after-placing';
  // Stryker disable next-line ConditionalExpression: no outcome is keyed "undefined" either
  const dialed = record.dialStatus === undefined ? undefined : fromDialStatus(record.dialStatus);
  if (dialed) return dialed;
  // Over without a dial status the rules know: the agent leg never bridged to the user.
  return record.endedAt === undefined ? undefined : 'failed';
};

/** A hangup that came before any answer writes a record with no lease shard (store/writes/call-end.ts). */
const inboundOutcome = (record: CallLogRecord): CallLogOutcome | undefined => {
  if (record.leaseShard !== undefined) return 'answered';
  return record.endedAt === undefined ? undefined : 'missed';
};

const outboundStatus = (record: CallLogRecord): CallLogStatus => {
  if (record.dialStatus !== undefined) return 'in_progress';
  // A dialed call was placed, even on a record written before placedAt was kept.
  return record.placedAt !== undefined || record.dialedAt !== undefined ? 'ringing' : 'placing';
};

const answeredAt = (record: CallLogRecord): number | undefined =>
  record.direction === 'inbound' ? record.startedAt : record.dialStatusAt;

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export const callLogView = (record: CallLogRecord): CallLogView => {
  const outcome = record.direction === 'inbound' ? inboundOutcome(record) : outboundOutcome(record);
  const status: CallLogStatus =
    record.endedAt !== undefined
      ? 'ended'
      : record.direction === 'inbound'
        ? 'in_progress'
        : outboundStatus(record);
  const answered = outcome === 'answered' ? answeredAt(record) : undefined;
  return {
    callId: record.callId,
    direction: record.direction,
    business: record.business,
    user: record.user,
    ...optional('userId', record.userId),
    status,
    ...optional('placedAt', record.placedAt === undefined ? undefined : iso(record.placedAt)),
    ...optional('answeredAt', answered === undefined ? undefined : iso(answered)),
    ...optional('endedAt', record.endedAt === undefined ? undefined : iso(record.endedAt)),
    ...optional('durationSeconds', record.durationSeconds),
    ...optional('outcome', outcome),
    ...optional('hangupCause', record.hangupCause),
    ...optional('agent', record.agent),
    ...optional('refusal', record.refusal),
    ...optional('endedBy', record.endedBy),
    ...optional('missedInARow', record.missedInARow),
    ...referencesOf(record),
  };
};
