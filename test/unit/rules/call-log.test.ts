import { describe, expect, it } from 'vitest';
import {
  type CallLogOutcome,
  type CallLogRecord,
  type CallLogStatus,
  callLogView,
  durationOnRecord,
} from '../../../functions/shared/rules/call-log.js';
import type { CallRecord } from '../../../functions/shared/store/items/call-record.js';
import { keys } from '../../../functions/shared/store/keys.js';

const t0 = Date.UTC(2026, 0, 15, 12);
const iso = (millis: number) => new Date(millis).toISOString();
const business = '+918035737458';
const user = '+919412341234';
const callId = '3a2e4c90-dcee-4931-8a59-f123ab507e60';

/** The fields a view may ever have: nothing internal (keys, ttl, lease, Plivo's request id) leaks. */
const viewFields = [
  'callId',
  'direction',
  'business',
  'user',
  'userId',
  'status',
  'placedAt',
  'answeredAt',
  'endedAt',
  'durationSeconds',
  'outcome',
  'hangupCause',
  'agent',
  'refusal',
  'endedBy',
  'missedInARow',
  'reference',
  'metadata',
];

const inbound = (extra: Partial<CallLogRecord> = {}): CallLogRecord => ({
  callId,
  direction: 'inbound',
  business,
  user,
  startedAt: t0,
  ...extra,
});

const outbound = (extra: Partial<CallLogRecord> = {}): CallLogRecord => ({
  callId,
  direction: 'outbound',
  business,
  user,
  startedAt: t0,
  agent: 'sip:support@phone.plivo.com',
  ...extra,
});

const ended = { endedAt: t0 + 60_000, durationSeconds: 42, hangupCause: 'NORMAL_CLEARING' };

describe('call log view: inbound', () => {
  // Answered: the record carries the lease shard it was recorded with (0 is a shard like any other).
  it.each<[string, Record<string, unknown>, CallLogStatus, CallLogOutcome | undefined, boolean]>([
    ['answered, live', { leaseShard: 0 }, 'in_progress', 'answered', true],
    ['answered, live (shard 3)', { leaseShard: 3 }, 'in_progress', 'answered', true],
    ['answered, ended', { leaseShard: 0, ...ended }, 'ended', 'answered', true],
    // The record a hangup writes before any answer: ended, marked recorded, no lease shard.
    [
      'hung up before the answer',
      { ...ended, startRecordedAt: ended.endedAt },
      'ended',
      'missed',
      false,
    ],
    // No writer leaves this state; nothing is claimed about it.
    ['no shard, not ended', {}, 'in_progress', undefined, false],
  ])('%s', (_, extra, status, outcome, answered) => {
    const view = callLogView(inbound(extra));
    expect(view.status).toBe(status);
    expect(view.outcome).toBe(outcome);
    expect(view.answeredAt).toBe(answered ? iso(t0) : undefined);
    expect(view.placedAt).toBeUndefined();
  });

  it('ended by callgate: endedBy is shown, with the hangup cause and duration once they come', () => {
    const view = callLogView(inbound({ leaseShard: 1, endedAt: t0 + 5_000, endedBy: 'flow' }));
    expect(view).toEqual({
      callId,
      direction: 'inbound',
      business,
      user,
      status: 'ended',
      answeredAt: iso(t0),
      endedAt: iso(t0 + 5_000),
      outcome: 'answered',
      endedBy: 'flow',
    });
  });
});

describe('call log view: a user with a BSUID', () => {
  it('names the BSUID as userId beside the user, and leaves it out when none is known', () => {
    const bsuid = 'US.13491208655302741918';
    expect(callLogView(inbound({ leaseShard: 0, userId: bsuid }))).toMatchObject({
      user,
      userId: bsuid,
    });
    expect(callLogView(inbound({ user: bsuid, userId: bsuid }))).toMatchObject({
      user: bsuid,
      userId: bsuid,
    });
    expect(callLogView(inbound())).not.toHaveProperty('userId');
  });
});

describe('call log view: business-initiated, every combination', () => {
  const dialStatuses = [undefined, 'completed', 'no-answer', 'timeout', 'busy', 'failed'] as const;
  const byDialStatus: Record<string, CallLogOutcome> = {
    completed: 'answered',
    'no-answer': 'missed',
    timeout: 'missed',
    busy: 'busy',
    failed: 'failed',
  };
  const cases = dialStatuses.flatMap((dialStatus) =>
    [false, true].flatMap((placed) =>
      [false, true].flatMap((isEnded) =>
        [false, true].map((refused) => ({ dialStatus, placed, isEnded, refused })),
      ),
    ),
  );

  it.each(cases)(
    'dialStatus $dialStatus, placed $placed, ended $isEnded, refused $refused',
    ({ dialStatus, placed, isEnded, refused }) => {
      const dialStatusAt = t0 + 30_000;
      const record = outbound({
        ...(placed ? { placedAt: t0 + 500 } : {}),
        ...(dialStatus ? { dialedAt: t0 + 10_000, dialStatus, dialStatusAt } : {}),
        ...(isEnded ? ended : {}),
        ...(refused ? { refusal: 'permission_revoked' } : {}),
      });
      const view = callLogView(record);

      const status: CallLogStatus = isEnded
        ? 'ended'
        : dialStatus
          ? 'in_progress'
          : placed
            ? 'ringing'
            : 'placing';
      const outcome: CallLogOutcome | undefined = refused
        ? 'refused-after-placing'
        : dialStatus
          ? byDialStatus[dialStatus]
          : isEnded
            ? 'failed'
            : undefined;
      expect(view.status).toBe(status);
      expect(view.outcome).toBe(outcome);
      expect(view.answeredAt).toBe(outcome === 'answered' ? iso(dialStatusAt) : undefined);
      expect(view.placedAt).toBe(placed ? iso(t0 + 500) : undefined);
      expect(view.endedAt).toBe(isEnded ? iso(ended.endedAt) : undefined);
      expect(view.durationSeconds).toBe(isEnded ? 42 : undefined);
      expect(view.hangupCause).toBe(isEnded ? 'NORMAL_CLEARING' : undefined);
      expect(view.refusal).toBe(refused ? 'permission_revoked' : undefined);
      expect(view.agent).toBe('sip:support@phone.plivo.com');
      // Absent optional fields are left out, not written as undefined or null.
      for (const [key, value] of Object.entries(view)) expect(value, key).toBeDefined();
      expect(viewFields).toEqual(expect.arrayContaining(Object.keys(view)));
    },
  );

  it('a dialed call is placed even on a record kept before placedAt was', () => {
    expect(callLogView(outbound({ dialedAt: t0 + 10_000 })).status).toBe('ringing');
  });

  it('a dial status the rules do not know: in progress, outcome unknown; once over, failed', () => {
    const odd = { dialedAt: t0 + 10_000, dialStatus: 'cancel', dialStatusAt: t0 + 30_000 };
    const live = callLogView(outbound({ placedAt: t0, ...odd }));
    expect([live.status, live.outcome, live.answeredAt]).toEqual([
      'in_progress',
      undefined,
      undefined,
    ]);
    const over = callLogView(outbound({ placedAt: t0, ...odd, ...ended }));
    expect([over.status, over.outcome]).toEqual(['ended', 'failed']);
  });

  it('a missed call shows how many in a row; the full view of an answered call', () => {
    const missed = callLogView(
      outbound({
        placedAt: t0 + 500,
        dialedAt: t0 + 10_000,
        dialStatus: 'no-answer',
        dialStatusAt: t0 + 55_000,
        missedInARow: 2,
        ...ended,
      }),
    );
    expect([missed.outcome, missed.missedInARow]).toEqual(['missed', 2]);

    const stored: CallRecord = {
      pk: keys.call(callId).pk,
      sk: 'CALL',
      callId,
      direction: 'outbound',
      business,
      leaseShard: 2,
      user,
      startedAt: t0,
      leaseExpiresAt: t0 + 3_600_000,
      agent: 'sip:support@phone.plivo.com',
      placedAt: t0 + 500,
      requestUuid: '11111111-2222-4333-8444-555555555555',
      dialedAt: t0 + 10_000,
      dialStatus: 'completed',
      dialStatusAt: t0 + 30_000,
      endedAt: t0 + 72_000,
      durationSeconds: 62,
      hangupCause: 'Normal Hangup',
      ttl: Math.ceil((t0 + 30 * 86_400_000) / 1000),
    };
    expect(callLogView(stored)).toEqual({
      callId,
      direction: 'outbound',
      business,
      user,
      status: 'ended',
      placedAt: iso(t0 + 500),
      answeredAt: iso(t0 + 30_000),
      endedAt: iso(t0 + 72_000),
      durationSeconds: 62,
      outcome: 'answered',
      hangupCause: 'Normal Hangup',
      agent: 'sip:support@phone.plivo.com',
    });
  });
});

describe('call log view: references', () => {
  it("shows the request's reference and metadata, never its actor", () => {
    const record = {
      ...outbound({ reference: 'TICKET-1', metadata: { contact: 'c-9' } }),
      actor: 'key:crm',
    } as CallLogRecord;
    const view = callLogView(record);
    expect(view).toMatchObject({ reference: 'TICKET-1', metadata: { contact: 'c-9' } });
    expect(view).not.toHaveProperty('actor');
    expect(callLogView(outbound())).not.toHaveProperty('reference');
    expect(callLogView(outbound())).not.toHaveProperty('metadata');
  });
});

describe('the duration of a call callgate ended', () => {
  it('is whole seconds from the start to the end, rounded', () => {
    expect(durationOnRecord(t0, t0)).toBe(0);
    expect(durationOnRecord(t0, t0 + 499)).toBe(0);
    expect(durationOnRecord(t0, t0 + 500)).toBe(1);
    expect(durationOnRecord(t0, t0 + 7_000)).toBe(7);
    expect(durationOnRecord(t0, t0 + 7_499)).toBe(7);
    expect(durationOnRecord(t0 + 1_000, t0 + 62_600)).toBe(62);
  });

  it('is never negative, even when the end is stamped before the start (clocks of two Lambdas)', () => {
    expect(durationOnRecord(t0, t0 - 1)).toBe(0);
    expect(durationOnRecord(t0, t0 - 5_000)).toBe(0);
  });
});
