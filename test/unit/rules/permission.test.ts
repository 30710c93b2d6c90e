import { describe, expect, it } from 'vitest';
import { rulesSchema } from '../../../functions/shared/config/schema.js';
import { businessCallTimes } from '../../../functions/shared/rules/daily-calls.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import {
  type CallPermissionReply,
  decisionFromCorrection,
  decisionFromReply,
  pairExpiryAfterDecision,
} from '../../../functions/shared/rules/permission.js';
import {
  pairExpiryAfterRequest,
  requestRefusal,
} from '../../../functions/shared/rules/permission-request.js';
import { permissionView } from '../../../functions/shared/rules/permission-state.js';
import { windowUsage } from '../../../functions/shared/rules/window.js';
import { statedRules } from '../../support/fixtures.js';

const rules = statedRules;
const second = 1000;
const hour = 3600 * second;
const day = 24 * hour;
const t0 = Date.UTC(2026, 0, 1);
const business = '+918035737458';
const user = '+919812345678';

/** A stored pair; built from plain objects, as items come back from DynamoDB. */
const pair = (state: object = {}): PairState =>
  ({ business, user, ...state }) as unknown as PairState;

const accept: CallPermissionReply = {
  response: 'accept',
  isPermanent: false,
  responseSource: 'user_action',
};

const requestAction = (view: ReturnType<typeof permissionView>) => view.actions[0];
const callAction = (view: ReturnType<typeof permissionView>) => view.actions[1];

describe('decisions from a call-permission reply', () => {
  it('accept grants a temporary permission for permissionSeconds from the reply', () => {
    expect(decisionFromReply(accept, t0, rules)).toEqual({
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + 7 * day,
      permissionSource: 'reply',
    });
  });

  it('accept with expiration_timestamp (epoch seconds) lasts until then', () => {
    const expires = t0 / 1000 + 3 * 24 * 3600;
    const decision = decisionFromReply({ ...accept, expirationTimestamp: expires }, t0, rules);
    expect(decision.permissionUntil).toBe(expires * 1000);
  });

  it('accept with is_permanent grants a permanent permission with no end and no TTL', () => {
    const decision = decisionFromReply({ ...accept, isPermanent: true }, t0, rules);
    expect(decision).toEqual({
      permission: 'permanent',
      permissionAt: t0,
      permissionSource: 'reply',
    });
    expect(pairExpiryAfterDecision(decision, t0)).toBeUndefined();
  });

  it('reject by the user stands for refusalStandsSeconds', () => {
    const decision = decisionFromReply({ ...accept, response: 'reject' }, t0, rules);
    expect(decision).toMatchObject({ permission: 'rejected', permissionUntil: t0 + 7 * day });
    expect(decision.revokedReason).toBeUndefined();
  });

  it('reject with response_source automatic revokes', () => {
    const decision = decisionFromReply(
      { ...accept, response: 'reject', responseSource: 'automatic' },
      t0,
      rules,
    );
    expect(decision).toMatchObject({ permission: 'revoked', revokedReason: 'automatic' });
    const view = permissionView(pair(decision), t0 + hour, rules, 'IN');
    expect(view.permission).toEqual({
      status: 'revoked',
      expiresAt: new Date(t0 + 7 * day).toISOString(),
      source: 'reply',
      decidedAt: new Date(t0).toISOString(),
      revokedReason: 'automatic',
    });
    // The call is refused, and no time lets it through: a lapsed revocation is no permission.
    expect(callAction(view)).toStrictEqual({
      action: 'start_call',
      canPerform: false,
      reason: 'permission_revoked',
      limits: [{ window: 'PT24H', max: 5, used: 0 }],
    });
  });

  it('the pair TTL covers the decision, a week of showing it expired, and 7 days of everything else', () => {
    const short = decisionFromReply(
      { ...accept, expirationTimestamp: t0 / 1000 + 3600 },
      t0,
      rules,
    );
    expect(pairExpiryAfterDecision(short, t0)).toBe(t0 + hour + 7 * day);
    const long = decisionFromReply(
      { ...accept, expirationTimestamp: t0 / 1000 + 30 * 86400 },
      t0,
      rules,
    );
    expect(pairExpiryAfterDecision(long, t0)).toBe(t0 + 37 * day);
    const longRefusal = rulesSchema.parse({ refusalStandsSeconds: 10 * 86400 });
    expect(pairExpiryAfterRequest(t0, longRefusal)).toBe(t0 + 10 * day);
    expect(pairExpiryAfterRequest(t0, rules)).toBe(t0 + 7 * day);
  });
});

describe('permission status over time', () => {
  const granted = pair(decisionFromReply(accept, t0, rules));

  it.each([
    ['just before 7 days', 7 * day - 1, 'temporary'],
    ['at 7 days', 7 * day, 'expired'],
    ['after 7 days', 7 * day + 1, 'expired'],
  ])('a temporary grant %s is %s', (_, offset, status) => {
    expect(permissionView(granted, t0 + offset, rules, 'IN').permission.status).toBe(status);
  });

  it('a permanent grant never expires', () => {
    const permanent = pair(decisionFromReply({ ...accept, isPermanent: true }, t0, rules));
    expect(permissionView(permanent, t0 + 1000 * day, rules, 'IN').permission).toEqual({
      status: 'permanent',
      source: 'reply',
      decidedAt: new Date(t0).toISOString(),
    });
  });

  it('a new grant replaces the old one', () => {
    const rejected = pair(decisionFromReply({ ...accept, response: 'reject' }, t0, rules));
    expect(permissionView(rejected, t0 + day, rules, 'IN').permission.status).toBe('rejected');
    const regranted = pair({ ...rejected, ...decisionFromReply(accept, t0 + day, rules) });
    expect(permissionView(regranted, t0 + day, rules, 'IN').permission).toEqual({
      status: 'temporary',
      expiresAt: new Date(t0 + 8 * day).toISOString(),
      source: 'reply',
      decidedAt: new Date(t0 + day).toISOString(),
    });
  });

  it('a refusal stops standing after refusalStandsSeconds', () => {
    const rejected = pair(decisionFromReply({ ...accept, response: 'reject' }, t0, rules));
    expect(permissionView(rejected, t0 + 7 * day - 1, rules, 'IN').permission.status).toBe(
      'rejected',
    );
    expect(permissionView(rejected, t0 + 7 * day, rules, 'IN').permission.status).toBe(
      'no_permission',
    );
  });

  it('never offers start_call from a business number whose country is restricted', () => {
    const granted = pair({
      permission: 'temporary',
      permissionAt: t0,
      permissionUntil: t0 + 7 * day,
      permissionSource: 'reply',
    });
    const start = (callsRestricted: boolean) =>
      permissionView(granted, t0 + hour, rules, callsRestricted ? 'US' : 'IN').actions.find(
        (a) => a.action === 'start_call',
      )?.canPerform;
    expect(start(false)).toBe(true);
    expect(start(true)).toBe(false);
  });

  it('no stored pair is no_permission, with every request allowed and no call', () => {
    const view = permissionView(undefined, t0, rules, 'IN');
    expect(view.permission).toEqual({ status: 'no_permission' });
    expect([view.consecutiveMissed, view.warned]).toEqual([0, false]);
    expect(requestAction(view)).toEqual({
      action: 'send_call_permission_request',
      canPerform: true,
      limits: [
        { window: 'PT24H', max: 1, used: 0 },
        { window: 'P7D', max: 2, used: 0 },
      ],
    });
    expect(callAction(view)).toEqual({
      action: 'start_call',
      canPerform: false,
      reason: 'no_permission',
      limits: [{ window: 'PT24H', max: 5, used: 0 }],
    });
  });
});

describe('permission-request windows', () => {
  it('an entry counts while now < t + window, and leaves at exactly t + window', () => {
    const w = { window: 'PT24H', ms: day, max: 1 } as const;
    expect(windowUsage([t0], t0 + day - 1, w)).toEqual({
      window: 'PT24H',
      max: 1,
      used: 1,
      resetsAt: t0 + day,
    });
    expect(windowUsage([t0], t0 + day, w)).toEqual({ window: 'PT24H', max: 1, used: 0 });
  });

  it('one request: refused just before 24 h with retryAfter to the second, allowed at and after', () => {
    const one = pair({ request0: 0, request1: t0 });
    expect(requestRefusal(one, t0 + day - 1, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 1,
    });
    expect(requestRefusal(one, t0 + hour, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 23 * 3600,
    });
    expect(requestRefusal(one, t0 + day, rules)).toBeUndefined();
    expect(requestRefusal(one, t0 + day + 1, rules)).toBeUndefined();
  });

  it('two requests in 7 days: refused until the older leaves the 7-day window', () => {
    const two = pair({ request0: t0, request1: t0 + 2 * day });
    expect(requestRefusal(two, t0 + 3 * day, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 4 * 24 * 3600,
    });
    expect(requestRefusal(two, t0 + 7 * day - 1, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 1,
    });
    expect(requestRefusal(two, t0 + 7 * day, rules)).toBeUndefined();
    expect(requestRefusal(two, t0 + 7 * day + 1, rules)).toBeUndefined();
  });

  it('both windows full: retryAfter waits for the later reset', () => {
    // The 24 h window frees at t0 + 7.5 d, the 7-day one at t0 + 8 d.
    const two = pair({ request0: t0 + day, request1: t0 + 6 * day + 12 * hour });
    const view = permissionView(two, t0 + 7 * day, rules, 'IN');
    expect(requestAction(view)?.canPerform).toBe(false);
    expect(requestAction(view)?.limits).toEqual([
      {
        window: 'PT24H',
        max: 1,
        used: 1,
        resetsAt: new Date(t0 + 7 * day + 12 * hour).toISOString(),
      },
      { window: 'P7D', max: 2, used: 2, resetsAt: new Date(t0 + 8 * day).toISOString() },
    ]);
    expect(requestRefusal(two, t0 + 7 * day, rules)).toEqual({
      code: 'request_limit',
      retryAfter: 24 * 3600,
    });
  });

  it('an active permission refuses requests (permission_active), an expired one does not', () => {
    const granted = pair({ ...decisionFromReply(accept, t0, rules) });
    // Until the temporary permission ends: 6 days on.
    expect(requestRefusal(granted, t0 + day, rules)).toEqual({
      code: 'permission_active',
      retryAfter: 6 * 24 * 3600,
    });
    expect(requestRefusal(granted, t0 + 7 * day - 1, rules)).toEqual({
      code: 'permission_active',
      retryAfter: 1,
    });
    expect(requestAction(permissionView(granted, t0 + day, rules, 'IN'))?.canPerform).toBe(false);
    expect(requestRefusal(granted, t0 + 7 * day, rules)).toBeUndefined();
    const permanent = pair(decisionFromReply({ ...accept, isPermanent: true }, t0, rules));
    expect(requestRefusal(permanent, t0 + 100 * day, rules)).toEqual({ code: 'permission_active' });
  });

  it('a rejection does not stop requests; the windows do', () => {
    const rejected = pair(decisionFromReply({ ...accept, response: 'reject' }, t0, rules));
    expect(requestRefusal(rejected, t0, rules)).toBeUndefined();
  });

  it('slots holding 0 (shifted from an empty slot) are not requests', () => {
    expect(
      requestAction(permissionView(pair({ request0: 0, request1: 0 }), t0, rules, 'IN')),
    ).toMatchObject({
      canPerform: true,
      limits: [{ used: 0 }, { used: 0 }],
    });
  });
});

describe('start_call', () => {
  const granted = decisionFromReply(accept, t0, rules);

  it('reads call times as a list or as a map of call id to time', () => {
    expect(businessCallTimes(pair({ calls: { a: 1, b: 2 } }))).toEqual([1, 2]);
    expect(businessCallTimes(undefined)).toEqual([]);
  });

  it('needs an active permission and room in the 24 h window', () => {
    const calls = [0, 1, 2, 3, 4].map((i) => t0 + i * hour);
    const asMap = Object.fromEntries(calls.map((t, i) => [`call-${i}`, t]));
    for (const stored of [calls, asMap]) {
      const full = pair({ ...granted, calls: stored });
      const at = t0 + 5 * hour;
      expect(callAction(permissionView(full, at, rules, 'IN'))).toEqual({
        action: 'start_call',
        canPerform: false,
        reason: 'daily_call_limit',
        availableAt: new Date(t0 + day).toISOString(),
        limits: [{ window: 'PT24H', max: 5, used: 5, resetsAt: new Date(t0 + day).toISOString() }],
      });
      expect(callAction(permissionView(full, t0 + day, rules, 'IN'))).toMatchObject({
        canPerform: true,
        limits: [{ used: 4 }],
      });
    }
    const withRoom = pair({ ...granted, calls: calls.slice(0, 4) });
    expect(callAction(permissionView(withRoom, t0 + 5 * hour, rules, 'IN'))?.canPerform).toBe(true);
    const expired = pair({ ...granted, calls: [] });
    expect(callAction(permissionView(expired, t0 + 7 * day, rules, 'IN'))).toMatchObject({
      canPerform: false,
      reason: 'permission_expired',
    });
    expect(requestAction(permissionView(pair(granted), t0 + hour, rules, 'IN'))).toMatchObject({
      canPerform: false,
      reason: 'permission_active',
      availableAt: new Date(t0 + 7 * day).toISOString(),
    });
    expect(callAction(permissionView(pair(granted), t0 + hour, rules, 'US'))).toMatchObject({
      canPerform: false,
      reason: 'country_restricted',
    });
  });
});

describe("an operator's correction", () => {
  it.each([
    [{ status: 'temporary' }, { permission: 'temporary', permissionUntil: t0 + 7 * day }],
    [
      { status: 'temporary', expiresAt: t0 + hour },
      { permission: 'temporary', permissionUntil: t0 + hour },
    ],
    [{ status: 'permanent' }, { permission: 'permanent' }],
    [{ status: 'rejected' }, { permission: 'rejected', permissionUntil: t0 + 7 * day }],
    [
      { status: 'revoked', expiresAt: t0 + day },
      { permission: 'revoked', permissionUntil: t0 + day, revokedReason: 'manual' },
    ],
    [{ status: 'none' }, {}],
  ] as const)('%j decides %j, source manual', (correction, decided) => {
    const result = decisionFromCorrection(correction, t0, rules);
    expect(result).toEqual({
      decision: { permissionAt: t0, permissionSource: 'manual', ...decided },
    });
  });

  it('refuses an expiry where none applies, or one not in the future', () => {
    expect(decisionFromCorrection({ status: 'permanent', expiresAt: t0 + day }, t0, rules)).toEqual(
      {
        refusal: 'expiry_not_allowed',
      },
    );
    expect(decisionFromCorrection({ status: 'none', expiresAt: t0 + day }, t0, rules)).toEqual({
      refusal: 'expiry_not_allowed',
    });
    expect(decisionFromCorrection({ status: 'temporary', expiresAt: t0 }, t0, rules)).toEqual({
      refusal: 'expiry_in_the_past',
    });
  });

  it('a pair with no permission still expires; only a permanent grant keeps it forever', () => {
    const none = decisionFromCorrection({ status: 'none' }, t0, rules);
    const permanent = decisionFromCorrection({ status: 'permanent' }, t0, rules);
    if (!('decision' in none) || !('decision' in permanent)) throw new Error('expected decisions');
    expect(pairExpiryAfterDecision(none.decision, t0)).toBe(t0 + 7 * day);
    expect(pairExpiryAfterDecision(permanent.decision, t0)).toBeUndefined();
  });
});
