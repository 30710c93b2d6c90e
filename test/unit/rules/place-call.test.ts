import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Rules, rulesSchema } from '../../../functions/shared/config/schema.js';
import { numberProblem, parseE164, parsePhoneNumber } from '../../../functions/shared/numbers.js';
import { isCountryRestricted } from '../../../functions/shared/rules/countries.js';
import { callWindowMs, dailyCallCheck } from '../../../functions/shared/rules/daily-calls.js';
import { afterMissedCall, dialOutcome } from '../../../functions/shared/rules/missed-calls.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import { permissionRefusal } from '../../../functions/shared/rules/permission.js';
import { decidePlacement } from '../../../functions/shared/rules/place-call.js';
import { statedRules } from '../../support/fixtures.js';

const rules: Rules = statedRules;
const now = Date.UTC(2026, 0, 15, 12);
const hour = 3600_000;
const day = 24 * hour;
const business = '+918035737458';
const user = '+919412341234';

const granted = (extra: Partial<PairState> = {}): PairState => ({
  business,
  user,
  permission: 'temporary',
  permissionAt: now - day,
  permissionUntil: now + 6 * day,
  ...extra,
});

const callsAt = (...times: number[]): Record<string, number> =>
  Object.fromEntries(times.map((t, i) => [`call-${i}`, t]));

describe('how numbers are written', () => {
  it("Plivo's bare digits are read from webhooks; the business API takes E.164 with + only", () => {
    const india = { e164: '+918035737458', country: 'IN' };
    expect(parsePhoneNumber('918035737458')).toEqual(india);
    expect(parseE164('+918035737458')).toEqual(india);
    expect(parseE164('918035737458')).toBeUndefined();
    expect(numberProblem('918035737458')).toMatch(/^is not an E\.164 number: \+ and/);
    expect(numberProblem('+447700900123')).toMatch(/^is written as E\.164, but .*\+44/);
  });
});

describe('country restriction by numbering plan', () => {
  it('refuses +1 212 (US) and allows +1 876 (Jamaica), though both start with +1', () => {
    const us = parsePhoneNumber('+12125550123');
    const jamaica = parsePhoneNumber('+18765550123');
    expect(us?.country).toBe('US');
    expect(jamaica?.country).toBe('JM');
    expect(isCountryRestricted(us?.country, rules)).toBe(true);
    expect(isCountryRestricted(jamaica?.country, rules)).toBe(false);
  });

  it('refuses every default country and allows India', () => {
    for (const country of ['US', 'CA', 'TR', 'EG', 'NG', 'VN']) {
      expect(isCountryRestricted(country, rules)).toBe(true);
    }
    expect(isCountryRestricted(parsePhoneNumber('+918035737458')?.country, rules)).toBe(false);
  });

  it('follows the configured list, and refuses a number no plan assigns to a country', () => {
    const custom = rulesSchema.parse({ restrictedCountries: ['JM'] });
    expect(isCountryRestricted('JM', custom)).toBe(true);
    expect(isCountryRestricted('US', custom)).toBe(false);
    expect(isCountryRestricted(undefined, rules)).toBe(true);
  });
});

describe('permission check', () => {
  it.each([
    ['no pair', undefined, 'no_permission'],
    ['never decided', { business, user }, 'no_permission'],
    ['temporary, lasting', granted(), undefined],
    ['temporary, 1 ms before expiry', granted({ permissionUntil: now + 1 }), undefined],
    ['temporary, at expiry', granted({ permissionUntil: now }), 'permission_expired'],
    ['permanent', granted({ permission: 'permanent', permissionUntil: undefined }), undefined],
    ['rejected, standing', granted({ permission: 'rejected' }), 'permission_rejected'],
    [
      'rejected, no longer standing',
      granted({ permission: 'rejected', permissionUntil: now }),
      'no_permission',
    ],
    [
      'revoked',
      granted({ permission: 'revoked', revokedReason: 'missed_calls' }),
      'permission_revoked',
    ],
  ] as const)('%s → %s', (_, pair, expected) => {
    expect(permissionRefusal(pair, now)).toBe(expected);
  });
});

describe('daily call limit (rolling 24 h)', () => {
  it('allows the 5th call and refuses the 6th until the oldest leaves the window', () => {
    expect(
      dailyCallCheck(callsAt(now - 20 * hour, now - 3 * hour, now - hour, now - 1), now, rules),
    ).toEqual({ ok: true });
    const five = callsAt(now - 20 * hour, now - 10 * hour, now - 3 * hour, now - hour, now - 1);
    expect(dailyCallCheck(five, now, rules)).toEqual({ ok: false, retryAfter: 4 * 3600 });
  });

  it('counts a call until exactly 24 h after it was placed', () => {
    const justInside = callsAt(now - callWindowMs + 1, now - 4, now - 3, now - 2, now - 1);
    expect(dailyCallCheck(justInside, now, rules)).toEqual({ ok: false, retryAfter: 1 });
    const justLeft = callsAt(now - callWindowMs, now - 4, now - 3, now - 2, now - 1);
    expect(dailyCallCheck(justLeft, now, rules)).toEqual({ ok: true });
  });

  it('with a limit lowered below the count, waits for enough calls to leave, not just the oldest', () => {
    const lowered = rulesSchema.parse({ businessCallsPer24Hours: 3 });
    const five = callsAt(now - 20 * hour, now - 10 * hour, now - 3 * hour, now - hour, now - 1);
    // 3 of 5 must leave: the third oldest (placed 3 h ago) leaves in 21 h.
    expect(dailyCallCheck(five, now, lowered)).toEqual({ ok: false, retryAfter: 21 * 3600 });
  });

  it('property: refused exactly when the window is full, and free again after retryAfter', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 * callWindowMs }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 10 }),
        (ages, max) => {
          const limited = { ...rules, businessCallsPer24Hours: max };
          const calls = callsAt(...ages.map((age) => now - age));
          const inWindow = ages.filter((age) => age < callWindowMs).length;
          const check = dailyCallCheck(calls, now, limited);
          expect(check.ok).toBe(inWindow < max);
          if (!check.ok) {
            expect(check.retryAfter).toBeGreaterThanOrEqual(1);
            expect(dailyCallCheck(calls, now + check.retryAfter * 1000, limited).ok).toBe(true);
            if (check.retryAfter > 1) {
              expect(dailyCallCheck(calls, now + (check.retryAfter - 1) * 1000, limited).ok).toBe(
                false,
              );
            }
          }
        },
      ),
    );
  });
});

describe('placement decision', () => {
  it('adds the call, drops calls that left the window, keeps the pair while call or grant matter', () => {
    const pair = granted({
      calls: callsAt(now - 2 * day, now - hour),
      permissionUntil: now + hour,
    });
    const decision = decidePlacement(pair, 'new-call', now, rules);
    expect(decision).toEqual({
      kind: 'allowed',
      calls: { 'call-1': now - hour, 'new-call': now },
      // The grant ends in an hour and is shown expired for a week after: later than now + 7 days.
      keepUntil: now + hour + 7 * day,
    });
    const longGrant = decidePlacement(
      granted({ permissionUntil: now + 30 * day }),
      'c',
      now,
      rules,
    );
    // Readable as expired for a week after it ends.
    expect(longGrant.kind === 'allowed' && longGrant.keepUntil).toBe(now + 37 * day);
  });

  it('never gives a permanent grant a TTL', () => {
    const pair = granted({ permission: 'permanent', permissionUntil: undefined });
    const decision = decidePlacement(pair, 'c', now, rules);
    expect(decision.kind === 'allowed' && decision.keepUntil).toBeUndefined();
  });

  it('checks the permission before the daily limit', () => {
    const full = callsAt(now - 5, now - 4, now - 3, now - 2, now - 1);
    // A refusal of the permission names no retry (a lapsed one is none, which refuses too): it says
    // when a permission request may be sent, now when the windows have room.
    expect(
      decidePlacement(granted({ permission: 'revoked', calls: full }), 'c', now, rules),
    ).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'permission_revoked', requestPermissionAfter: 0 },
    });
    expect(
      decidePlacement(
        granted({ permission: 'rejected', permissionUntil: now + 1500, request0: now - 1500 }),
        'c',
        now,
        rules,
      ),
    ).toStrictEqual({
      kind: 'refused',
      // The request sent 1.5 s ago fills the 24 h window.
      refusal: { code: 'permission_rejected', requestPermissionAfter: 24 * 3600 - 1 },
    });
    expect(decidePlacement(undefined, 'c', now, rules)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'no_permission', requestPermissionAfter: 0 },
    });
    expect(decidePlacement(granted({ permissionUntil: now }), 'c', now, rules)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'permission_expired', requestPermissionAfter: 0 },
    });
    expect(decidePlacement(granted({ calls: full }), 'c', now, rules)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', retryAfter: 24 * 3600 },
    });
  });

  it('the daily limit of a permission that ends before the limit frees: a request once it has ended, no retry', () => {
    const full = callsAt(now - 5, now - 4, now - 3, now - 2, now - 1);
    const ending = (permissionUntil: number, extra: Partial<PairState> = {}) =>
      decidePlacement(granted({ calls: full, permissionUntil, ...extra }), 'c', now, rules);
    expect(ending(now + hour)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', requestPermissionAfter: 3600 },
    });
    // Lasting to the second the client retries at, not a millisecond more: the call then is refused.
    expect(ending(now + day)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', requestPermissionAfter: 24 * 3600 },
    });
    expect(ending(now + day + 1)).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', retryAfter: 24 * 3600 },
    });
    // The permission ends in an hour, the request windows have room only in 20.
    expect(ending(now + hour, { request0: now - 4 * hour })).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', requestPermissionAfter: 20 * 3600 },
    });
    const permanent = ending(now, { permission: 'permanent', permissionUntil: undefined });
    expect(permanent).toStrictEqual({
      kind: 'refused',
      refusal: { code: 'daily_call_limit', retryAfter: 24 * 3600 },
    });
  });
});

describe('missed calls', () => {
  // The thresholds these cases count to, stated here rather than taken from the defaults.
  const counting = rulesSchema.parse({ missedCalls: { warnAt: 2, revokeAt: 4 } });
  it('warns once at 2 in a row and revokes at 4, for the refusal period', () => {
    expect(afterMissedCall(granted(), now, counting)).toEqual({
      kind: 'count',
      missed: 1,
      warn: false,
    });
    expect(afterMissedCall(granted({ missed: 1 }), now, counting)).toEqual({
      kind: 'count',
      missed: 2,
      warn: true,
    });
    expect(afterMissedCall(granted({ missed: 2, warnedAt: now - 1 }), now, counting)).toEqual({
      kind: 'count',
      missed: 3,
      warn: false,
    });
    expect(afterMissedCall(granted({ missed: 3, warnedAt: now - 1 }), now, counting)).toEqual({
      kind: 'revoke',
      missed: 4,
      permissionUntil: now + counting.refusalStandsSeconds * 1000,
      keepUntil: now + counting.refusalStandsSeconds * 1000 + 7 * day,
    });
  });

  it('revokes a permanent grant too, but has nothing to revoke without an active permission', () => {
    const permanent = granted({ permission: 'permanent', permissionUntil: undefined, missed: 3 });
    expect(afterMissedCall(permanent, now, counting).kind).toBe('revoke');
    const expired = granted({ permissionUntil: now - 1, missed: 3 });
    expect(afterMissedCall(expired, now, counting)).toEqual({
      kind: 'count',
      missed: 4,
      warn: true,
    });
  });

  it('follows configured thresholds', () => {
    const strict = rulesSchema.parse({ missedCalls: { warnAt: 1, revokeAt: 2 } });
    expect(afterMissedCall(granted(), now, strict)).toEqual({
      kind: 'count',
      missed: 1,
      warn: true,
    });
    expect(afterMissedCall(granted({ missed: 1 }), now, strict).kind).toBe('revoke');
  });

  it('reads DialStatus: only completed connects, failed is neither', () => {
    expect(dialOutcome('completed')).toBe('connected');
    expect(dialOutcome('no-answer')).toBe('missed');
    expect(dialOutcome('busy')).toBe('missed');
    expect(dialOutcome('timeout')).toBe('missed');
    expect(dialOutcome('failed')).toBe('failed');
  });
});
