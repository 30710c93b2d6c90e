import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventsOfChange } from '../../../functions/shared/events/derive.js';
import type { Envelope } from '../../../functions/shared/events/envelope.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import type { CallRecord } from '../../../functions/shared/store/items/call-record.js';
import { idempotencyKeys } from '../../../functions/shared/store/items/idempotency.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { temporaryGrantMs } from '../../support/fixtures.js';
import { business, callId, change, iso, pair, pairKey, t0, user } from './derive.fixtures.js';

describe('pair changes', () => {
  it('a grant by reply: permission.granted with its expiry, at the decision time', () => {
    const granted = pair({
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + temporaryGrantMs,
      permissionSource: 'reply',
      version: 1,
    });
    expect(eventsOfChange(change(pairKey.pk, undefined, granted))).toEqual([
      {
        id: 'c1-0',
        type: 'permission.granted',
        time: iso(t0),
        business,
        user,
        data: { permanent: false, expiresAt: iso(t0 + temporaryGrantMs), source: 'reply' },
      },
    ]);
  });

  it.each([
    [
      { permission: 'permanent', permissionSource: 'manual' },
      'permission.granted',
      { permanent: true, expiresAt: null, source: 'manual' },
    ],
    [
      { permission: 'rejected', permissionUntil: t0 + 1000, permissionSource: 'reply' },
      'permission.rejected',
      { standsUntil: iso(t0 + 1000) },
    ],
    [
      { permission: 'revoked', permissionUntil: t0 + 1000, revokedReason: 'missed_calls' },
      'permission.revoked',
      { reason: 'missed_calls', standsUntil: iso(t0 + 1000) },
    ],
    [
      { permission: 'revoked', permissionUntil: t0 + 1000, revokedReason: 'automatic' },
      'permission.revoked',
      { reason: 'automatic', standsUntil: iso(t0 + 1000) },
    ],
    [{ permissionSource: 'manual' }, 'permission.cleared', { source: 'manual' }],
  ] as const)('decision %o → %s', (decision, type, data) => {
    const before = pair({ permission: 'temporary', permissionAt: t0 - 5, permissionUntil: t0 + 9 });
    const after = pair({ ...decision, permissionAt: t0 } as Partial<PairState>);
    expect(eventsOfChange(change(pairKey.pk, before, after))).toEqual([
      { id: 'c1-0', type, time: iso(t0), business, user, data },
    ]);
  });

  it('a sent request: permission.requested once per request id, at its send time', () => {
    const reserved = pair({ request1: t0, lastRequestId: 'r1', version: 1 });
    const sent = { ...reserved, sentRequestId: 'r1', requestSentAt: t0 };
    expect(eventsOfChange(change(pairKey.pk, undefined, reserved))).toEqual([]);
    // Marked sent without a kind (before free-form requests): a template.
    expect(eventsOfChange(change(pairKey.pk, reserved, sent))).toEqual([
      {
        id: 'c1-0',
        type: 'permission.requested',
        time: iso(t0),
        business,
        user,
        data: { kind: 'template' },
      },
    ]);
    const interactive = { ...sent, requestSentKind: 'interactive' as const };
    expect(eventsOfChange(change(pairKey.pk, reserved, interactive))[0]?.data).toEqual({
      kind: 'interactive',
    });
    // A later write that leaves it (a call counted) does not announce it again.
    expect(eventsOfChange(change(pairKey.pk, sent, { ...sent, calls: { x: t0 } }))).toEqual([]);
  });

  it('a recorded lapse: permission.expired once, at the permission’s end, saying when it was noticed', () => {
    const until = t0 + temporaryGrantMs;
    const granted = pair({
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: until,
      permissionSource: 'inbound_call',
      version: 3,
    });
    const lapsed = { ...granted, expiredAt: until + 61_000 };
    expect(eventsOfChange(change(pairKey.pk, granted, lapsed))).toEqual([
      {
        id: 'c1-0',
        type: 'permission.expired',
        time: iso(until),
        business,
        user,
        data: {
          grantedAt: iso(t0),
          expiresAt: iso(until),
          expiredAt: iso(until + 61_000),
          source: 'inbound_call',
        },
      },
    ]);
    // Later writes that keep the record (a request counted) do not announce it again.
    expect(eventsOfChange(change(pairKey.pk, lapsed, { ...lapsed, request0: until }))).toEqual([]);
    // A renewal removes it: a grant, not a second expiry.
    const renewed = { ...granted, permissionAt: until + 1, permissionUntil: until + 9 };
    expect(eventsOfChange(change(pairKey.pk, lapsed, renewed)).map((event) => event.type)).toEqual([
      'permission.granted',
    ]);
  });

  it('a counted call, a miss, a warning, a reset or a TTL deletion decides nothing', () => {
    const granted = pair({ permission: 'permanent', permissionAt: t0, permissionSource: 'reply' });
    const counted = { ...granted, calls: { a: t0 + 1 }, version: 2 };
    const missed = { ...counted, missed: 2, warnedAt: t0 + 2 };
    expect(eventsOfChange(change(pairKey.pk, granted, counted))).toEqual([]);
    expect(eventsOfChange(change(pairKey.pk, counted, missed))).toEqual([]);
    expect(eventsOfChange(change(pairKey.pk, missed, granted))).toEqual([]);
    expect(eventsOfChange(change(pairKey.pk, granted, undefined))).toEqual([]);
  });

  it('other items (lease shards, idempotency, messages) yield no events', () => {
    const shard = keys.leaseShard(business, 0);
    expect(eventsOfChange(change(shard.pk, undefined, { ...shard, leases: { a: 1 } }))).toEqual([]);
    const idem = keys.idempotency(idempotencyKeys.client('k'));
    expect(eventsOfChange(change(idem.pk, undefined, { ...idem, status: 'placed' }))).toEqual([]);
  });
});

/** What a consumer keeps from permission events: the permission as it stands. */
interface Replayed {
  readonly status: 'none' | 'temporary' | 'permanent' | 'rejected' | 'revoked';
  readonly until?: string | null;
  readonly reason?: string;
  readonly requests: number;
}

const replay = (events: readonly Envelope[]): Replayed => {
  let state: Replayed = { status: 'none', requests: 0 };
  for (const event of events) state = replayOne(state, event);
  return state;
};

const replayOne = (state: Replayed, event: Envelope): Replayed => {
  switch (event.type) {
    case 'permission.requested':
      return { ...state, requests: state.requests + 1 };
    case 'permission.granted':
      return {
        status: event.data.permanent ? 'permanent' : 'temporary',
        until: event.data.expiresAt,
        requests: state.requests,
      };
    case 'permission.rejected':
      return { status: 'rejected', until: event.data.standsUntil, requests: state.requests };
    case 'permission.revoked':
      return {
        status: 'revoked',
        until: event.data.standsUntil,
        reason: event.data.reason,
        requests: state.requests,
      };
    case 'permission.cleared':
      return { status: 'none', requests: state.requests };
    default:
      return state;
  }
};

/** The same, read straight from the stored pair. */
const stored = (image: PairState | undefined, requests: number): Replayed => {
  const permission = image?.permission;
  if (!permission) return { status: 'none', requests };
  const until =
    permission === 'permanent' ? null : iso(image?.permissionUntil ?? image?.permissionAt ?? 0);
  return {
    status: permission,
    until,
    ...(permission === 'revoked' ? { reason: image?.revokedReason ?? 'manual' } : {}),
    requests,
  };
};

/** Every write the store makes on a pair, as a change of its image (rules/ and store/ decide the values). */
const pairWrite = fc.oneof(
  fc.record({
    kind: fc.constant('decision' as const),
    permission: fc.constantFrom('temporary', 'permanent', 'rejected', 'revoked', undefined),
    source: fc.constantFrom('reply', 'inbound_call', 'manual'),
    reason: fc.constantFrom('missed_calls', 'automatic', 'manual'),
    untilDays: fc.integer({ min: 1, max: 30 }),
  }),
  fc.record({ kind: fc.constant('request' as const) }),
  fc.record({ kind: fc.constant('call' as const), id: fc.uuid() }),
  fc.record({ kind: fc.constant('miss' as const) }),
  fc.record({ kind: fc.constant('rewrite' as const) }),
  fc.record({ kind: fc.constant('ttl_deletion' as const) }),
);

type PairWrite = typeof pairWrite extends fc.Arbitrary<infer W> ? W : never;

const apply = (
  image: PairState | undefined,
  write: PairWrite,
  at: number,
  step: number,
): PairState | undefined => {
  const base = image ?? pair();
  switch (write.kind) {
    case 'decision': {
      const { permission } = write;
      const decided: Record<string, unknown> = {
        ...base,
        permissionAt: at,
        // An operator's none is the one decision without a permission.
        permissionSource: permission === undefined ? 'manual' : write.source,
        version: (base.version ?? 0) + 1,
      };
      delete decided.permission;
      delete decided.permissionUntil;
      delete decided.revokedReason;
      delete decided.missed;
      if (permission !== undefined) decided.permission = permission;
      if (permission !== undefined && permission !== 'permanent') {
        decided.permissionUntil = at + write.untilDays * 86_400_000;
      }
      if (permission === 'revoked') decided.revokedReason = write.reason;
      return decided as unknown as PairState;
    }
    case 'request':
      return { ...base, sentRequestId: `request-${step}`, requestSentAt: at };
    case 'call':
      return {
        ...base,
        calls: { ...base.calls, [write.id]: at },
        version: (base.version ?? 0) + 1,
      };
    case 'miss':
      return { ...base, missed: (base.missed ?? 0) + 1 };
    case 'rewrite':
      return image && { ...image };
    case 'ttl_deletion':
      return undefined;
  }
};

describe('property: replaying the events reconstructs the permission', () => {
  it('any sequence of pair writes yields events whose replay equals the stored permission and counts every sent request', () => {
    fc.assert(
      fc.property(fc.array(pairWrite, { maxLength: 40 }), (writes) => {
        let image: PairState | undefined;
        let sinceDeletion: Envelope[] = [];
        const ids = new Set<string>();
        let requests = 0;
        writes.forEach((write, step) => {
          const next = apply(image, write, t0 + step * 60_000, step);
          const events = eventsOfChange(change(pairKey.pk, image, next, `change-${step}`));
          for (const event of events) {
            expect(ids.has(event.id)).toBe(false);
            ids.add(event.id);
            expect(event.time).toBe(iso(t0 + step * 60_000));
          }
          if (write.kind === 'request') requests++;
          // A TTL deletion forgets the pair: what a consumer knew of it no longer stands either.
          sinceDeletion = next === undefined ? [] : [...sinceDeletion, ...events];
          if (next === undefined) requests = 0;
          image = next;
        });
        expect(replay(sinceDeletion)).toEqual(stored(image, requests));
      }),
      { numRuns: 500 },
    );
  });

  it('the same change delivered twice yields the same events, ids included', () => {
    fc.assert(
      fc.property(pairWrite, pairWrite, (first, second) => {
        const before = apply(undefined, first, t0, 0);
        const after = apply(before, second, t0 + 1000, 1);
        const once = eventsOfChange(change(pairKey.pk, before, after, 'same'));
        expect(eventsOfChange(change(pairKey.pk, before, after, 'same'))).toEqual(once);
      }),
    );
  });
});

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
  agent: 'sip:support@phone.plivo.com',
  ttl: 1,
};
const inbound: CallRecord = { ...outbound, direction: 'inbound', agent: undefined } as CallRecord;

const callEvents = (old: CallRecord | undefined, now: CallRecord) =>
  eventsOfChange(change(callKey.pk, old, now)).map((e) => [e.type, e.data, e.time]);

describe('call changes', () => {
  it('a reserved business call says nothing until Plivo accepted it: then call.placed', () => {
    expect(callEvents(undefined, outbound)).toEqual([]);
    const placed = { ...outbound, placedAt: t0 + 300, requestUuid: 'r' };
    expect(callEvents(outbound, placed)).toEqual([
      ['call.placed', { callId, agent: 'sip:support@phone.plivo.com' }, iso(t0 + 300)],
    ]);
    expect(callEvents(placed, { ...placed, dialedAt: t0 + 5000 })).toEqual([]);
  });

  it('the dial status: completed → call.answered; no-answer, busy, timeout → call.missed with the streak; failed → nothing', () => {
    const placed = { ...outbound, placedAt: t0 };
    const at = t0 + 20_000;
    expect(callEvents(placed, { ...placed, dialStatus: 'completed', dialStatusAt: at })).toEqual([
      ['call.answered', { callId }, iso(at)],
    ]);
    for (const dialStatus of ['no-answer', 'busy', 'timeout']) {
      expect(
        callEvents(placed, {
          ...placed,
          dialStatus,
          dialStatusAt: at,
          missedInARow: 2,
          missedWarning: true,
        }),
      ).toEqual([['call.missed', { callId, consecutiveMissed: 2, warning: true }, iso(at)]]);
    }
    expect(callEvents(placed, { ...placed, dialStatus: 'failed', dialStatusAt: at })).toEqual([]);
  });

  it('the end: call.ended once, with what the hangup said (null while unknown)', () => {
    const ended = {
      ...outbound,
      endedAt: t0 + 60_000,
      durationSeconds: 42,
      hangupCause: 'NORMAL_CLEARING',
    };
    expect(callEvents(outbound, ended)).toEqual([
      [
        'call.ended',
        {
          callId,
          direction: 'outbound',
          durationSeconds: 42,
          hangupCause: 'NORMAL_CLEARING',
          outcome: 'failed',
        },
        iso(t0 + 60_000),
      ],
    ]);
    const byFlow = { ...inbound, endedAt: t0 + 9000, endedBy: 'flow' as const, durationSeconds: 9 };
    expect(callEvents(inbound, byFlow)).toEqual([
      [
        'call.ended',
        {
          callId,
          direction: 'inbound',
          durationSeconds: 9,
          hangupCause: null,
          outcome: 'answered',
        },
        iso(t0 + 9000),
      ],
    ]);
    // A rewrite of an end already recorded is not a second end.
    expect(callEvents(byFlow, { ...byFlow, leaseExpiresAt: t0 + 100 })).toEqual([]);
  });

  it('an inbound call callgate answered: call.started at its answer; one it never answered only ends', () => {
    expect(callEvents(undefined, inbound)).toEqual([['call.started', { callId }, iso(t0)]]);
    const { leaseShard: _, ...unanswered } = { ...inbound, endedAt: t0, startRecordedAt: t0 };
    expect(callEvents(undefined, unanswered as CallRecord).map(([type]) => type)).toEqual([
      'call.ended',
    ]);
    // A hangup that came before the record: started and ended in one write.
    expect(callEvents(undefined, { ...inbound, endedAt: t0 + 5000 }).map(([type]) => type)).toEqual(
      ['call.started', 'call.ended'],
    );
  });
});

describe('a user with a business-scoped user ID', () => {
  it('is named by `userId` beside the number, and only when the pair records one', () => {
    const granted = {
      permission: 'permanent',
      permissionAt: t0,
      permissionSource: 'reply',
    } as const;
    const [event] = eventsOfChange(
      change(pairKey.pk, pair(), pair({ ...granted, userId: 'US.13491208655302741918' })),
    );
    expect(event).toMatchObject({
      user,
      userId: 'US.13491208655302741918',
      type: 'permission.granted',
    });
    const [plain] = eventsOfChange(change(pairKey.pk, pair(), pair(granted)));
    expect(plain).not.toHaveProperty('userId');
  });

  it('leaves a BSUID’s link to the number silent, even when it replaces the BSUID’s own grant', () => {
    const bsuid = 'US.13491208655302741918';
    const link = { ...keys.pair(business, bsuid), business, user, userId: bsuid, linkedTo: user };
    expect(eventsOfChange(change(link.pk, undefined, link))).toEqual([]);
    const own = {
      ...keys.pair(business, bsuid),
      business,
      user: bsuid,
      permission: 'permanent',
      permissionAt: t0,
    };
    expect(eventsOfChange(change(link.pk, own, link))).toEqual([]);
  });

  it('announces nothing when a link moves the BSUID’s decision, announced when made, onto the number’s pair', () => {
    const moved = {
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + 1000,
      permissionSource: 'reply',
      expiredAt: t0 + 2000,
    } as const;
    const before = pair({ permission: 'rejected', permissionAt: t0 - 5 });
    const linked = pair({ ...moved, userId: 'US.1349', decisionLinkedAt: t0 + 3000 });
    expect(eventsOfChange(change(pairKey.pk, before, linked))).toEqual([]);
    expect(eventsOfChange(change(pairKey.pk, undefined, linked))).toEqual([]);
    // A decision made on the pair later is its own, and speaks.
    const later = pair({ ...linked, permission: 'permanent', permissionAt: t0 + 4000 });
    expect(eventsOfChange(change(pairKey.pk, linked, later)).map((e) => e.type)).toEqual([
      'permission.granted',
    ]);
    const lapsed = pair({ ...linked, expiredAt: undefined });
    expect(
      eventsOfChange(change(pairKey.pk, lapsed, { ...lapsed, expiredAt: t0 + 5000 })).map(
        (e) => e.type,
      ),
    ).toEqual(['permission.expired']);
  });
});
