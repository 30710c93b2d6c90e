/**
 * The edges of Meta's rules, each on both sides: the millisecond a grant, a refusal or a window ends,
 * the settings that tell two rules apart, and the pair attributes a rule must not read as another.
 */
import { describe, expect, it } from 'vitest';
import { type Rules, rulesSchema } from '../../../functions/shared/config/schema.js';
import {
  cpsRetryAfterSeconds,
  cpsSlot,
  cpsSlotFreeUntil,
} from '../../../functions/shared/rules/calls-per-second.js';
import {
  callSetupAllowanceSeconds,
  isLeaseLapsed,
  leaseExpiry,
} from '../../../functions/shared/rules/concurrency.js';
import {
  callsAfterPlacement,
  countsTowardDailyLimit,
} from '../../../functions/shared/rules/daily-calls.js';
import { clearedOnConnect, streakAfterMiss } from '../../../functions/shared/rules/missed-calls.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import {
  decisionFromCorrection,
  decisionFromReply,
  inboundCallGrant,
  isPermissionActive,
  pairExpiryWithPermission,
  permissionAt,
  permissionRefusal,
  replySupersedes,
} from '../../../functions/shared/rules/permission.js';
import {
  requestAllowedAt,
  requestPermissionAfter,
  requestRefusal,
  requestRoom,
  requestTimes,
} from '../../../functions/shared/rules/permission-request.js';
import { permissionView } from '../../../functions/shared/rules/permission-state.js';
import { statedRules } from '../../support/fixtures.js';

const rules: Rules = statedRules;
const second = 1000;
const hour = 3600 * second;
const day = 24 * hour;
const t0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const business = '+918035737458';
const user = '+919812345678';

/** A stored pair; built from plain objects, as items come back from DynamoDB. */
const pair = (state: object = {}): PairState =>
  ({ business, user, ...state }) as unknown as PairState;

/** A grant and a refusal that last differently long, so neither can stand in for the other. */
const uneven = rulesSchema.parse({
  permissionSeconds: 2 * 24 * 3600,
  refusalStandsSeconds: 5 * 24 * 3600,
});

const startCall = (view: ReturnType<typeof permissionView>) =>
  view.actions.find((action) => action.action === 'start_call');
const sendRequest = (view: ReturnType<typeof permissionView>) =>
  view.actions.find((action) => action.action === 'send_call_permission_request');

describe('a refusal lapses back to none after refusalStandsSeconds, at its exact end', () => {
  it.each([
    ['revoked', 'automatic', 'permission_revoked'],
    ['revoked', 'missed_calls', 'permission_revoked'],
    ['revoked', 'manual', 'permission_revoked'],
    ['rejected', undefined, 'permission_rejected'],
  ] as const)(
    '%s (%s): refused until the last millisecond, none from its end',
    (permission, reason, code) => {
      const decided = pair({
        permission,
        permissionAt: t0,
        permissionUntil: t0 + 7 * day,
        ...(reason ? { revokedReason: reason } : {}),
      });
      const end = t0 + rules.refusalStandsSeconds * 1000;
      expect(permissionAt(decided, end - 1)).toEqual({
        kind: permission,
        until: end,
        ...(reason ? { reason } : {}),
      });
      expect(permissionRefusal(decided, end - 1)).toBe(code);
      for (const at of [end, end + 1, end + 30 * day]) {
        expect(permissionAt(decided, at)).toStrictEqual({ kind: 'none' });
        expect(permissionRefusal(decided, at)).toBe('no_permission');
      }
    },
  );

  it('a revocation for missed calls, from the reply that revokes to the end of its stand', () => {
    const revoked = pair(
      decisionFromReply(
        { response: 'reject', isPermanent: false, responseSource: 'automatic' },
        t0,
        uneven,
      ),
    );
    const end = t0 + uneven.refusalStandsSeconds * 1000;
    expect(revoked.permissionUntil).toBe(end);
    expect(permissionAt(revoked, end - 1)).toEqual({
      kind: 'revoked',
      until: end,
      reason: 'automatic',
    });
    expect(permissionAt(revoked, end)).toStrictEqual({ kind: 'none' });
  });

  it('a lapsed revocation shows no_permission: no revokedReason, the call refused as never granted', () => {
    const lapsed = pair({
      permission: 'revoked',
      permissionAt: t0,
      permissionUntil: t0 + 7 * day,
      permissionSource: 'reply',
      revokedReason: 'missed_calls',
    });
    const standing = permissionView(lapsed, t0 + 7 * day - 1, rules, 'IN');
    expect(standing.permission).toMatchObject({ status: 'revoked', revokedReason: 'missed_calls' });
    expect(startCall(standing)).toMatchObject({ canPerform: false, reason: 'permission_revoked' });
    expect(startCall(standing)).not.toHaveProperty('availableAt');
    const view = permissionView(lapsed, t0 + 7 * day, rules, 'IN');
    expect(view.permission).toStrictEqual({
      status: 'no_permission',
      source: 'reply',
      decidedAt: iso(t0),
    });
    expect(startCall(view)).toMatchObject({ canPerform: false, reason: 'no_permission' });
    expect(startCall(view)).not.toHaveProperty('availableAt');
    expect(sendRequest(view)).toMatchObject({ canPerform: true });
  });

  it('a rejection says until when it stands, but start_call no time: it lapses to no permission', () => {
    const rejected = pair(
      decisionFromReply(
        { response: 'reject', isPermanent: false, responseSource: 'user_action' },
        t0,
        uneven,
      ),
    );
    const view = permissionView(rejected, t0 + hour, uneven, 'IN');
    expect(view.permission).toMatchObject({ status: 'rejected', expiresAt: iso(t0 + 5 * day) });
    expect(startCall(view)).toMatchObject({ canPerform: false, reason: 'permission_rejected' });
    expect(startCall(view)).not.toHaveProperty('availableAt');
    expect(startCall(permissionView(rejected, t0 + 5 * day, uneven, 'IN'))).toMatchObject({
      canPerform: false,
      reason: 'no_permission',
    });
  });

  it('an expired grant says when it ended, and waits for a new request rather than a time', () => {
    const expired = pair({ permission: 'temporary', permissionAt: t0, permissionUntil: t0 + day });
    expect(permissionAt(expired, t0 + 2 * day)).toEqual({ kind: 'expired', expiredAt: t0 + day });
    const view = permissionView(expired, t0 + 2 * day, rules, 'IN');
    expect(view.permission).toMatchObject({ status: 'expired', expiresAt: iso(t0 + day) });
    expect(startCall(view)).toMatchObject({ canPerform: false, reason: 'permission_expired' });
    expect(startCall(view)).not.toHaveProperty('availableAt');
    // An item missing its end (never written so) is expired from its decision, or from the epoch.
    expect(permissionAt(pair({ permission: 'temporary', permissionAt: t0 }), t0)).toEqual({
      kind: 'expired',
      expiredAt: t0,
    });
    expect(permissionAt(pair({ permission: 'temporary' }), t0)).toEqual({
      kind: 'expired',
      expiredAt: 0,
    });
  });

  it('a refusal or grant without an end does not stand, and lets no call through', () => {
    for (const permission of ['rejected', 'revoked', 'temporary'] as const) {
      const open = pair({ permission, permissionAt: t0 });
      expect(isPermissionActive(open, t0)).toBe(false);
      expect(permissionRefusal(open, t0)).not.toBeUndefined();
    }
    expect(permissionAt(pair({ permission: 'rejected', permissionAt: t0 }), t0)).toStrictEqual({
      kind: 'none',
    });
    expect(permissionAt(pair({ permission: 'revoked', permissionAt: t0 }), t0)).toStrictEqual({
      kind: 'none',
    });
  });
});

describe('the TTL the pair keeps after a write', () => {
  it('a week after a grant that ends later, else a week after the write', () => {
    expect(pairExpiryWithPermission(t0 + 30 * day, t0)).toBe(t0 + 37 * day);
    expect(pairExpiryWithPermission(t0 - 3 * day, t0)).toBe(t0 + 7 * day);
    expect(pairExpiryWithPermission(0, t0)).toBe(t0 + 7 * day);
  });
});

describe("an operator's correction, with a grant and a refusal of different lengths", () => {
  it.each([
    ['temporary', { permission: 'temporary', permissionUntil: t0 + 2 * day }],
    ['rejected', { permission: 'rejected', permissionUntil: t0 + 5 * day }],
    ['revoked', { permission: 'revoked', permissionUntil: t0 + 5 * day, revokedReason: 'manual' }],
  ] as const)('%s without an expiry lasts its own default', (status, decided) => {
    expect(decisionFromCorrection({ status }, t0, uneven)).toStrictEqual({
      decision: { permissionAt: t0, permissionSource: 'manual', ...decided },
    });
  });

  it('an expiry at most its own default from now is taken, a millisecond later is too late', () => {
    for (const [status, longest] of [
      ['temporary', 2 * day],
      ['rejected', 5 * day],
      ['revoked', 5 * day],
    ] as const) {
      expect(decisionFromCorrection({ status, expiresAt: t0 + longest }, t0, uneven)).toMatchObject(
        { decision: { permission: status, permissionUntil: t0 + longest } },
      );
      expect(decisionFromCorrection({ status, expiresAt: t0 + longest + 1 }, t0, uneven)).toEqual({
        refusal: 'expiry_too_late',
      });
    }
    expect(
      decisionFromCorrection({ status: 'permanent', expiresAt: t0 + 9 * day }, t0, uneven),
    ).toEqual({ refusal: 'expiry_not_allowed' });
  });

  it('an expiry one millisecond ahead is taken, one at now is in the past', () => {
    for (const status of ['temporary', 'rejected', 'revoked'] as const) {
      expect(decisionFromCorrection({ status, expiresAt: t0 + 1 }, t0, uneven)).toMatchObject({
        decision: { permission: status, permissionUntil: t0 + 1 },
      });
      expect(decisionFromCorrection({ status, expiresAt: t0 }, t0, uneven)).toEqual({
        refusal: 'expiry_in_the_past',
      });
    }
  });
});

describe('an inbound call grants a temporary permission', () => {
  it('for permissionSeconds, unless one is active at its last millisecond, kept a week past its end', () => {
    expect(inboundCallGrant(t0, uneven)).toEqual({
      until: t0 + 2 * day,
      unlessActiveAt: t0 + 2 * day - 1,
      keepUntil: t0 + 9 * day,
    });
  });
});

describe('which reply decides: the later one by send time', () => {
  it.each([
    [undefined, undefined, true],
    [undefined, t0, true],
    [t0, undefined, true],
    [t0, t0 + 1, true],
    [t0, t0, false],
    [t0, t0 - 1, false],
  ])('deciding reply sent at %s, this one at %s: supersedes %s', (deciding, sent, supersedes) => {
    expect(replySupersedes(deciding, sent)).toBe(supersedes);
  });
});

describe('permission-request slots', () => {
  it('reads times from the slots, skipping empty ones, zeros and anything but a number', () => {
    const slots = pair({ request0: 0, request1: t0 });
    expect(requestTimes(slots, rules)).toEqual([t0]);
    expect(requestTimes(pair({ request0: t0 - day, request1: undefined }), rules)).toEqual([
      t0 - day,
    ]);
    expect(requestTimes(pair({ request0: String(t0), request1: -1 }), rules)).toEqual([]);
    expect(requestTimes(undefined, rules)).toEqual([]);
    // Only the slots the settings name: a slot beyond them is not read.
    expect(requestTimes(pair({ request1: t0, request2: t0 }), rules)).toEqual([t0]);
  });

  it("the store's condition: the m-th newest slot empty or at or before the window's start", () => {
    expect(requestRoom(t0, rules)).toEqual([
      { slot: 'request1', cutoff: t0 - day },
      { slot: 'request0', cutoff: t0 - 7 * day },
    ]);
    const wider = rulesSchema.parse({ permissionRequests: { per24Hours: 2, per7Days: 5 } });
    expect(requestRoom(t0, wider)).toEqual([
      { slot: 'request3', cutoff: t0 - day },
      { slot: 'request0', cutoff: t0 - 7 * day },
    ]);
  });

  it('a full window: the request waits, and says until when', () => {
    const one = pair({ request0: 0, request1: t0 });
    expect(requestRefusal(one, t0 + hour, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 23 * 3600,
    });
    expect(sendRequest(permissionView(one, t0 + hour, rules, 'IN'))).toMatchObject({
      canPerform: false,
      reason: 'request_limit',
      availableAt: iso(t0 + day),
    });
  });

  it('a temporary grant refuses requests until it ends and the windows have room, whichever is later', () => {
    // Granted an hour after the request, for two hours: the window is full for 21 more after that.
    const short = pair({
      permission: 'temporary',
      permissionAt: t0 + hour,
      permissionUntil: t0 + 3 * hour,
      request1: t0,
    });
    expect(requestAllowedAt(short, t0 + 2 * hour, rules)).toBe(t0 + day);
    expect(requestRefusal(short, t0 + 2 * hour, rules)).toEqual({
      code: 'permission_active',
      retryAfter: 22 * 3600,
    });
    expect(sendRequest(permissionView(short, t0 + 2 * hour, rules, 'IN'))).toMatchObject({
      canPerform: false,
      reason: 'permission_active',
      availableAt: iso(t0 + day),
    });
    // Once the grant has ended the window still holds the request: the limit is the reason.
    expect(requestRefusal(short, t0 + 3 * hour, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 21 * 3600,
    });
    // A grant lasting past the window's reset: its end.
    const long = pair({ ...short, permissionUntil: t0 + 2 * day });
    expect(requestAllowedAt(long, t0 + 2 * hour, rules)).toBe(t0 + 2 * day);
    expect(requestPermissionAfter(long, t0 + 2 * hour, rules)).toBe(46 * 3600);
  });

  it('without a permission a request may be sent now, or once the windows have room', () => {
    expect(requestAllowedAt(undefined, t0, rules)).toBe(t0);
    expect(requestPermissionAfter(undefined, t0, rules)).toBe(0);
    const asked = pair({ request1: t0 });
    expect(requestAllowedAt(asked, t0 + hour, rules)).toBe(t0 + day);
    expect(requestPermissionAfter(asked, t0 + hour, rules)).toBe(23 * 3600);
    expect(requestPermissionAfter(asked, t0 + day, rules)).toBe(0);
  });

  it('a permanent grant refuses requests with no time to wait for', () => {
    expect(requestAllowedAt(pair({ permission: 'permanent' }), t0, rules)).toBeUndefined();
    const permanent = pair({ permission: 'permanent', permissionAt: t0 });
    const request = sendRequest(permissionView(permanent, t0 + day, rules, 'IN'));
    expect(request).toMatchObject({ canPerform: false, reason: 'permission_active' });
    expect(request).not.toHaveProperty('availableAt');
  });
});

describe('missed-call streak', () => {
  it.each([
    [undefined, 1, false],
    [{}, 1, false],
    [{ missed: 1 }, 2, true],
    [{ missed: 5 }, 6, true],
  ])('after %o one more miss is #%i in a row, warned %s', (state, missedInARow, missedWarning) => {
    const stored = state === undefined ? undefined : pair(state);
    expect(streakAfterMiss(stored, rules)).toEqual({ missedInARow, missedWarning });
  });

  it('warnAt must be below revokeAt', () => {
    expect(rulesSchema.safeParse({ missedCalls: { warnAt: 3, revokeAt: 4 } }).success).toBe(true);
    expect(rulesSchema.safeParse({ missedCalls: { warnAt: 4, revokeAt: 4 } }).success).toBe(false);
  });

  it('a connected call clears the request slots and the streak', () => {
    expect(clearedOnConnect(rules)).toEqual(['request0', 'request1', 'missed', 'warnedAt']);
  });

  it.each([
    [{ missed: 2, warnedAt: t0 }, 2, true],
    [{ missed: 1 }, 1, false],
    // A streak cleared without its warning (an older item) is no warning.
    [{ missed: 0, warnedAt: t0 }, 0, false],
    [{ warnedAt: t0 }, 0, false],
  ])('the view of %o: %i in a row, warned %s', (state, consecutiveMissed, warned) => {
    const view = permissionView(pair(state), t0, rules, 'IN');
    expect([view.consecutiveMissed, view.warned]).toEqual([consecutiveMissed, warned]);
  });
});

describe('daily calls', () => {
  it('calls stored out of order: start_call resets when enough of the oldest have left', () => {
    const granted = { permission: 'permanent', permissionAt: t0 - day };
    // The map keeps no order: the oldest call is neither first nor last.
    const calls = {
      c: t0 - 2 * hour,
      a: t0 - 20 * hour,
      e: t0 - 1,
      b: t0 - 10 * hour,
      d: t0 - hour,
    };
    const full = startCall(permissionView(pair({ ...granted, calls }), t0, rules, 'IN'));
    expect(full).toMatchObject({
      canPerform: false,
      reason: 'daily_call_limit',
      availableAt: iso(t0 + 4 * hour),
      limits: [{ window: 'PT24H', max: 5, used: 5, resetsAt: iso(t0 + 4 * hour) }],
    });
    // Lowered to 3: three must leave, the third oldest (2 h ago) last of them.
    const lowered = rulesSchema.parse({ businessCallsPer24Hours: 3 });
    expect(startCall(permissionView(pair({ ...granted, calls }), t0, lowered, 'IN'))).toMatchObject(
      {
        availableAt: iso(t0 + 22 * hour),
        limits: [{ used: 5, resetsAt: iso(t0 + 22 * hour) }],
      },
    );
  });

  it('a full day of calls under a grant that ends before the reset: no time lets a call through', () => {
    const calls = { a: t0 - 20 * hour, b: t0 - 3, c: t0 - 2, d: t0 - 1, e: t0 };
    const grant = { permission: 'temporary', permissionAt: t0 - day, calls } as const;
    const ending = pair({ ...grant, permissionUntil: t0 + 4 * hour });
    const view = startCall(permissionView(ending, t0, rules, 'IN'));
    expect(view).toMatchObject({ canPerform: false, reason: 'daily_call_limit' });
    expect(view).not.toHaveProperty('availableAt');
    // Lasting a millisecond past the reset, a call then goes through.
    const lasting = pair({ ...grant, permissionUntil: t0 + 4 * hour + 1 });
    expect(startCall(permissionView(lasting, t0, rules, 'IN'))).toMatchObject({
      availableAt: iso(t0 + 4 * hour),
    });
  });

  it('the first call of a pair never seen', () => {
    expect(callsAfterPlacement(undefined, 'c1', t0, rules)).toEqual({ c1: t0 });
  });

  it.each([
    ['connected', 'dialed', true],
    ['missed', 'dialed', true],
    ['failed', 'dialed', true],
    ['connected', 'connected', true],
    ['missed', 'connected', false],
    ['failed', 'connected', false],
  ] as const)('a %s call counts in %s mode: %s', (outcome, counted, counts) => {
    const settings = rulesSchema.parse({ businessCallsCounted: counted });
    expect(countsTowardDailyLimit(outcome, settings)).toBe(counts);
  });
});

describe('settings Meta bounds', () => {
  it('at most 1,000 simultaneous calls per number', () => {
    const simultaneous = (simultaneousCallsPerNumber: number) =>
      rulesSchema.safeParse({ simultaneousCallsPerNumber }).success;
    expect([0, 1, 1000, 1001].map(simultaneous)).toEqual([false, true, true, false]);
  });

  it('restricted countries are ISO 3166 alpha-2 codes, nothing around them', () => {
    const countries = (restrictedCountries: string[]) =>
      rulesSchema.safeParse({ restrictedCountries });
    expect(countries(['JM', 'US']).success).toBe(true);
    for (const code of ['USA', 'XUS', 'us', 'U']) {
      expect(countries([code]).error?.issues[0]?.message).toBe(
        'must be an ISO 3166 alpha-2 code such as US',
      );
    }
  });
});

describe('simultaneous-call leases', () => {
  it('lapse an hour of set-up after the longest bridged call, never before', () => {
    expect(callSetupAllowanceSeconds).toBe(3600);
    expect(leaseExpiry(t0, rules)).toBe(t0 + (4 * 3600 + 3600) * 1000);
    const short = rulesSchema.parse({ maxCallSeconds: 600 });
    expect(leaseExpiry(t0, short)).toBe(t0 + 4200 * 1000);
  });

  it('may be reaped from the millisecond they lapse', () => {
    expect(isLeaseLapsed(t0, t0 - 1)).toBe(false);
    expect(isLeaseLapsed(t0, t0)).toBe(true);
    expect(isLeaseLapsed(t0, t0 + 1)).toBe(true);
  });
});

describe('calls per second', () => {
  it('ticket k takes slot k mod n', () => {
    const settings = { callsPerSecond: 3 };
    expect([0, 1, 2, 3, 4, 7].map((ticket) => cpsSlot(ticket, settings))).toEqual([
      0, 1, 2, 0, 1, 1,
    ]);
  });

  it('a slot is free again once its last request is a second old', () => {
    expect(cpsSlotFreeUntil(t0)).toBe(t0 - 1000);
    expect(cpsRetryAfterSeconds).toBe(1);
  });
});
