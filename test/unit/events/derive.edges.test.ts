/**
 * The events a change means, at the edges: an item written whole in its first write, attributes an
 * older item lacks (read with the defaults the events document), and writes that change nothing a
 * consumer is told about.
 */
import { describe, expect, it } from 'vitest';
import { eventsOfChange } from '../../../functions/shared/events/derive.js';
import type { IntentState } from '../../../functions/shared/rules/intent.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import type { CallRecord } from '../../../functions/shared/store/items/call-record.js';
import { keys } from '../../../functions/shared/store/keys.js';
import {
  business,
  callId,
  change,
  intentId,
  iso,
  pair,
  pairKey,
  t0,
  user,
} from './derive.fixtures.js';

/** Each event as [type, data], data compared strictly: a key left undefined is a key too much. */
const factsOf = (pk: string, old: object | undefined, now: object) =>
  eventsOfChange(change(pk, old, now)).map((event) => [event.type, event.data]);

describe('pair decisions', () => {
  const before = pair({ permission: 'temporary', permissionAt: t0 - 5, permissionUntil: t0 + 9 });

  it.each([
    [
      'a permanent grant without a source is from a reply',
      { permission: 'permanent' },
      ['permission.granted', { permanent: true, expiresAt: null, source: 'reply' }],
    ],
    [
      'a temporary grant without a source is from a reply',
      { permission: 'temporary', permissionUntil: t0 + 1000 },
      ['permission.granted', { permanent: false, expiresAt: iso(t0 + 1000), source: 'reply' }],
    ],
    [
      'a temporary grant by an inbound call says so',
      { permission: 'temporary', permissionUntil: t0 + 1000, permissionSource: 'inbound_call' },
      [
        'permission.granted',
        { permanent: false, expiresAt: iso(t0 + 1000), source: 'inbound_call' },
      ],
    ],
    [
      'a revocation without a reason is manual',
      { permission: 'revoked', permissionUntil: t0 + 1000 },
      ['permission.revoked', { reason: 'manual', standsUntil: iso(t0 + 1000) }],
    ],
  ] as const)('%s', (_, decision, fact) => {
    const after = pair({ ...decision, permissionAt: t0 } as Partial<PairState>);
    expect(factsOf(pairKey.pk, before, after)).toStrictEqual([fact]);
  });

  it('a lapse recorded on an item lacking its grant’s attributes reads them from the lapse, source reply', () => {
    const bare = pair({ permission: 'temporary' });
    expect(factsOf(pairKey.pk, bare, { ...bare, expiredAt: t0 })).toStrictEqual([
      [
        'permission.expired',
        { grantedAt: iso(t0), expiresAt: iso(t0), expiredAt: iso(t0), source: 'reply' },
      ],
    ]);
    // An item written whole with its lapse (restored from a backup): its grant, then its end.
    const restored = pair({
      permission: 'temporary',
      permissionAt: t0 - 9,
      permissionUntil: t0 - 7,
      permissionSource: 'manual',
      expiredAt: t0,
    });
    expect(factsOf(pairKey.pk, undefined, restored).map(([type]) => type)).toStrictEqual([
      'permission.granted',
      'permission.expired',
    ]);
    const ended = pair({ permission: 'temporary', permissionUntil: t0 - 7 });
    expect(factsOf(pairKey.pk, ended, { ...ended, expiredAt: t0 })).toStrictEqual([
      [
        'permission.expired',
        { grantedAt: iso(t0 - 7), expiresAt: iso(t0 - 7), expiredAt: iso(t0), source: 'reply' },
      ],
    ]);
  });

  it("a decision without a permission is announced only as an operator's none", () => {
    for (const permissionSource of ['reply', 'inbound_call', undefined] as const) {
      const cleared = pair({ permissionAt: t0, ...(permissionSource ? { permissionSource } : {}) });
      expect(factsOf(pairKey.pk, before, cleared)).toEqual([]);
    }
  });

  it('a write that drops the sent request announces no request', () => {
    const sent = pair({ sentRequestId: 'r1', requestSentAt: t0 });
    const { sentRequestId: _, ...dropped } = sent;
    expect(factsOf(pairKey.pk, sent, dropped)).toEqual([]);
  });
});

describe('calls', () => {
  const callKey = keys.call(callId);
  const outbound: CallRecord = {
    ...callKey,
    callId,
    direction: 'outbound',
    business,
    user,
    startedAt: t0,
    leaseExpiresAt: t0 + 3_600_000,
    leaseShard: 3,
    ttl: 1,
  };

  it('a record written placed in its first write: call.placed, without an agent or intent it lacks', () => {
    expect(factsOf(callKey.pk, undefined, { ...outbound, placedAt: t0 })).toStrictEqual([
      ['call.placed', { callId, agent: null }],
    ]);
    expect(
      factsOf(callKey.pk, undefined, { ...outbound, placedAt: t0, intentId, agent: 'sip:a@x.com' }),
    ).toStrictEqual([['call.placed', { callId, agent: 'sip:a@x.com', intentId }]]);
  });

  it('a record written with its dial status in its first write: that dial status', () => {
    const missed = { ...outbound, dialStatus: 'no-answer', dialStatusAt: t0 };
    expect(factsOf(callKey.pk, undefined, missed)).toStrictEqual([
      ['call.missed', { callId, consecutiveMissed: 1, warning: false }],
    ]);
  });
});

describe('intents', () => {
  const intentKey = keys.intent(intentId);
  const intent = (fields: Partial<IntentState>): IntentState => ({
    ...intentKey,
    intentId,
    business,
    user,
    createdAt: t0,
    updatedAt: t0,
    notAfter: t0 + 86_400_000,
    status: 'scheduled',
    version: 1,
    ...fields,
  });

  it('a reschedule to a new moment for the same reason is a new intent.scheduled', () => {
    const waiting = intent({ dueAt: t0, waitReason: 'daily_call_limit' });
    const later = intent({ dueAt: t0 + 60_000, waitReason: 'daily_call_limit', version: 2 });
    expect(factsOf(intentKey.pk, waiting, later)).toEqual([
      ['intent.scheduled', { intentId, at: iso(t0 + 60_000), reason: 'daily_call_limit' }],
    ]);
  });

  it.each([
    [
      'waiting without a moment or reason: due at the move, now',
      { status: 'waiting_permission' },
      ['intent.waiting_permission', { intentId, at: iso(t0), reason: 'now' }],
    ],
    ['placed without a call', { status: 'placed' }, ['intent.placed', { intentId, callId: '' }]],
    [
      'declined without a reason',
      { status: 'declined' },
      ['intent.declined', { intentId, reason: 'plivo_error' }],
    ],
  ] as const)('an item missing what its status names: %s', (_, fields, fact) => {
    expect(factsOf(intentKey.pk, undefined, intent(fields))).toStrictEqual([fact]);
  });
});
