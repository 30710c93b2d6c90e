/**
 * The references and the actor a `/v1` request left on what it wrote, on every event that follows
 * from it: its call's, its intent's, its permission request's and the reply answering it, an
 * operator's correction and lift. Facts no request started carry none.
 */
import { describe, expect, it } from 'vitest';
import { eventsOfChange } from '../../../functions/shared/events/derive.js';
import type { IntentState } from '../../../functions/shared/rules/intent.js';
import type { NumberRestriction } from '../../../functions/shared/rules/number-pause.js';
import type { CallRecord } from '../../../functions/shared/store/items/call-record.js';
import { restrictionItem } from '../../../functions/shared/store/items/number-restriction.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { temporaryGrantMs } from '../../support/fixtures.js';
import { business, callId, change, intentId, pair, t0, user } from './derive.fixtures.js';

const origin = {
  actor: 'key:hubspot',
  reference: 'TICKET-4711',
  metadata: { contact: 'c-19', queue: 'billing' },
};
const { actor: _actor, ...references } = origin;

const dataOf = (old: object | undefined, now: object) =>
  eventsOfChange(change((now as { pk: string }).pk, old, now)).map((e) => [e.type, e.data]);

describe('a permission request', () => {
  const reserved = pair({ request1: t0, lastRequestId: 'r1', version: 1 });
  const sent = pair({
    ...reserved,
    sentRequestId: 'r1',
    requestSentAt: t0,
    requestSentKind: 'template',
    requestActor: origin.actor,
    requestReference: origin.reference,
    requestMetadata: origin.metadata,
  });

  it('permission.requested carries its references and actor', () => {
    expect(dataOf(reserved, sent)).toEqual([
      ['permission.requested', { kind: 'template', ...origin }],
    ]);
    // One without any: the kind alone.
    expect(dataOf(reserved, { ...reserved, sentRequestId: 'r1', requestSentAt: t0 })).toEqual([
      ['permission.requested', { kind: 'template' }],
    ]);
  });

  it('the reply that answers it carries them too, read from before the reply took them off the pair', () => {
    const answered = pair({
      ...reserved,
      sentRequestId: 'r1',
      requestSentAt: t0,
      permission: 'temporary',
      permissionAt: t0 + 1000,
      permissionUntil: t0 + 1000 + temporaryGrantMs,
      permissionSource: 'reply',
    });
    expect(dataOf(sent, answered)).toEqual([
      [
        'permission.granted',
        {
          permanent: false,
          expiresAt: new Date(t0 + 1000 + temporaryGrantMs).toISOString(),
          source: 'reply',
          ...origin,
        },
      ],
    ]);
    const rejected = {
      ...answered,
      permission: 'rejected',
      permissionUntil: t0 + 5000,
    } as const;
    expect(dataOf(sent, rejected)).toEqual([
      ['permission.rejected', { standsUntil: new Date(t0 + 5000).toISOString(), ...origin }],
    ]);
    // A later reply answers no request: none.
    expect(dataOf(rejected, { ...answered, permissionAt: t0 + 9000 })[0]?.[1]).toEqual({
      permanent: false,
      expiresAt: new Date(t0 + 1000 + temporaryGrantMs).toISOString(),
      source: 'reply',
    });
  });

  it('a grant by an inbound call, or a revocation by missed calls, answers no request', () => {
    const inbound = pair({
      ...sent,
      permission: 'temporary',
      permissionAt: t0 + 1000,
      permissionUntil: t0 + 2000,
      permissionSource: 'inbound_call',
    });
    expect(dataOf(sent, inbound)[0]?.[1]).not.toHaveProperty('reference');
    const revoked = pair({
      ...sent,
      permission: 'revoked',
      permissionAt: t0 + 1000,
      permissionUntil: t0 + 2000,
      permissionSource: 'missed_calls',
      revokedReason: 'missed_calls',
      decisionActor: 'key:stale',
    });
    expect(dataOf(sent, revoked)).toEqual([
      [
        'permission.revoked',
        { reason: 'missed_calls', standsUntil: new Date(t0 + 2000).toISOString() },
      ],
    ]);
  });
});

describe("an operator's correction", () => {
  it('names its actor, on a grant, a revocation and a clearing, and carries no request of the pair', () => {
    const before = pair({ requestActor: 'key:crm', requestReference: 'T-1' });
    const manual = (fields: object) =>
      pair({
        ...before,
        permissionAt: t0,
        permissionSource: 'manual',
        decisionActor: 'iam:arn:aws:iam::1:user/ops',
        ...fields,
      });
    expect(dataOf(before, manual({ permission: 'permanent' }))).toEqual([
      [
        'permission.granted',
        {
          permanent: true,
          expiresAt: null,
          source: 'manual',
          actor: 'iam:arn:aws:iam::1:user/ops',
        },
      ],
    ]);
    expect(
      dataOf(
        before,
        manual({ permission: 'revoked', permissionUntil: t0, revokedReason: 'manual' }),
      ),
    ).toEqual([
      [
        'permission.revoked',
        {
          reason: 'manual',
          standsUntil: new Date(t0).toISOString(),
          actor: 'iam:arn:aws:iam::1:user/ops',
        },
      ],
    ]);
    expect(dataOf(before, manual({}))).toEqual([
      ['permission.cleared', { source: 'manual', actor: 'iam:arn:aws:iam::1:user/ops' }],
    ]);
  });
});

describe('a business-initiated call', () => {
  const record: CallRecord = {
    ...keys.call(callId),
    callId,
    direction: 'outbound',
    business,
    user,
    startedAt: t0,
    leaseExpiresAt: t0 + 3_600_000,
    leaseShard: 0,
    agent: 'sip:support@phone.plivo.com',
    ttl: 1,
    ...origin,
  };

  it('carries its references and actor on call.placed, answered, missed and ended', () => {
    const placed = { ...record, placedAt: t0 + 1 };
    const answered = { ...placed, dialStatus: 'completed', dialStatusAt: t0 + 2 };
    const missed = { ...placed, dialStatus: 'no-answer', dialStatusAt: t0 + 2 };
    const ended = {
      ...answered,
      endedAt: t0 + 3,
      durationSeconds: 1,
      hangupCause: 'NORMAL_CLEARING',
    };
    const events = [
      ...dataOf(record, placed),
      ...dataOf(placed, answered),
      ...dataOf(placed, missed),
      ...dataOf(answered, ended),
    ];
    expect(events.map(([type]) => type)).toEqual([
      'call.placed',
      'call.answered',
      'call.missed',
      'call.ended',
    ]);
    for (const [, data] of events) expect(data).toMatchObject(origin);
  });

  it('a call without any carries none', () => {
    const { actor: _a, reference: _r, metadata: _m, ...bare } = record;
    const [[, data] = []] = dataOf(bare, { ...bare, placedAt: t0 + 1 });
    expect(data).toEqual({ callId, agent: record.agent });
  });
});

describe('a call intent', () => {
  const intent = (fields: Partial<IntentState>): IntentState & { pk: string } => ({
    ...keys.intent(intentId),
    intentId,
    business,
    user,
    createdAt: t0,
    updatedAt: t0,
    notAfter: t0 + 86_400_000,
    status: 'scheduled',
    dueAt: t0,
    waitReason: 'now',
    version: 1,
    ...origin,
    ...fields,
  });

  it('carries its references and actor on every intent.* event', () => {
    const steps: Partial<IntentState>[] = [
      { status: 'waiting_permission', waitReason: 'awaiting_reply', version: 2 },
      { status: 'placed', callId, version: 3 },
      { status: 'expired', version: 3 },
      { status: 'declined', reason: 'plivo_error', version: 3 },
    ];
    expect(dataOf(undefined, intent({}))).toEqual([
      ['intent.scheduled', { intentId, at: new Date(t0).toISOString(), reason: 'now', ...origin }],
    ]);
    for (const step of steps) {
      const [[, data] = []] = dataOf(intent({}), intent(step));
      expect(data).toMatchObject(origin);
    }
  });

  it('a cancellation names who cancelled, beside the references it was created with', () => {
    const cancelled = intent({ status: 'cancelled', cancelledBy: 'key:zendesk', version: 2 });
    expect(dataOf(intent({}), cancelled)).toEqual([
      ['intent.cancelled', { intentId, ...references, actor: 'key:zendesk' }],
    ]);
    // Cancelled without a recorded canceller (never through the API): the creator's actor stays.
    const unnamed = intent({ status: 'cancelled', version: 2 });
    expect(dataOf(intent({}), unnamed)).toEqual([['intent.cancelled', { intentId, ...origin }]]);
    // Only a cancellation reads `cancelledBy`.
    const expired = intent({ status: 'expired', cancelledBy: 'key:zendesk', version: 2 });
    expect(dataOf(intent({}), expired)).toEqual([['intent.expired', { intentId, ...origin }]]);
  });
});

describe("a number's pause", () => {
  const restriction = (fields: Partial<NumberRestriction> = {}) =>
    restrictionItem({
      business,
      restriction: 'calls_paused',
      reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
      since: t0,
      until: t0 + 60_000,
      ...fields,
    });

  it("number.unpaused names the operator who lifted it; Meta's pause names nobody", () => {
    expect(dataOf(restriction(), restriction({ liftedAt: t0 + 1, liftedBy: 'key:ops' }))).toEqual([
      [
        'number.unpaused',
        { reason: 'operator', pausedUntil: new Date(t0 + 60_000).toISOString(), actor: 'key:ops' },
      ],
    ]);
    expect(dataOf(restriction(), restriction({ liftedAt: t0 + 1 }))[0]?.[1]).not.toHaveProperty(
      'actor',
    );
  });
});
