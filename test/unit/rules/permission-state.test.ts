import { describe, expect, it } from 'vitest';
import type { NumberRestriction } from '../../../functions/shared/rules/number-pause.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import {
  type ActionView,
  type PermissionView,
  type PlacementCapacity,
  permissionView,
} from '../../../functions/shared/rules/permission-state.js';
import { statedRules } from '../../support/fixtures.js';

const rules = { ...statedRules, simultaneousCallsPerNumber: 3 };
const account = { callsPerSecond: 10 };
const hour = 3_600_000;
const t0 = Date.UTC(2026, 0, 1);
const iso = (millis: number) => new Date(millis).toISOString();

const granted = {
  business: '+918035737458',
  user: '+919812345678',
  permission: 'permanent',
  permissionAt: t0,
  version: 1,
} as unknown as PairState;

const action = (view: PermissionView, name: ActionView['action']): ActionView => {
  const found = view.actions.find((a) => a.action === name);
  if (!found) throw new Error(`no ${name} in the view`);
  return found;
};

const startCall = (
  capacity: Omit<PlacementCapacity, 'account'>,
  now = t0 + hour,
  pair: PairState | undefined = granted,
  country = 'IN',
) => action(permissionView(pair, now, rules, country, { account, ...capacity }), 'start_call');

describe('start_call with the number and account capacity', () => {
  it('shows calls in progress against the limit, and refuses at the limit with no time', () => {
    expect(startCall({ callsInProgress: 2 })).toEqual({
      action: 'start_call',
      canPerform: true,
      limits: [{ window: 'PT24H', max: 5, used: 0 }],
      simultaneousCalls: { max: 3, used: 2 },
      callsPerSecond: { max: 10 },
    });
    const full = startCall({ callsInProgress: 3 });
    expect(full).toMatchObject({ canPerform: false, reason: 'concurrency_limit' });
    expect(full.availableAt).toBeUndefined();
    // A limit lowered below the calls already up still refuses.
    expect(startCall({ callsInProgress: 4 }).reason).toBe('concurrency_limit');
  });

  it("refuses while the next Call API slot's last use is within a second, until exactly a second after", () => {
    const now = t0 + hour;
    for (const [usedAt, refused] of [
      [now, true],
      [now - 999, true],
      [now - 1000, false],
      [now - 60_000, false],
    ] as const) {
      const view = startCall({ callsInProgress: 0, nextCpsSlotUsedAt: usedAt }, now);
      if (refused) {
        expect(view).toMatchObject({
          canPerform: false,
          reason: 'cps_limit',
          availableAt: iso(usedAt + 1000),
          callsPerSecond: { max: 10, availableAt: iso(usedAt + 1000) },
        });
      } else {
        expect(view.canPerform).toBe(true);
        expect(view.callsPerSecond).toEqual({ max: 10 });
      }
    }
  });

  it('a Call API slot that frees after the permission ends: no time lets a call through', () => {
    const now = t0 + hour;
    const ending = (permissionUntil: number) =>
      ({ ...granted, permission: 'temporary', permissionUntil }) as PairState;
    const capacity = { callsInProgress: 0, nextCpsSlotUsedAt: now - 500 };
    const refused = startCall(capacity, now, ending(now + 500));
    expect(refused).toMatchObject({
      canPerform: false,
      reason: 'cps_limit',
      callsPerSecond: { max: 10, availableAt: iso(now + 500) },
    });
    expect(refused.availableAt).toBeUndefined();
    expect(startCall(capacity, now, ending(now + 501)).availableAt).toBe(iso(now + 500));
  });

  it('gives the reason a placement meets first: country, permission, daily limit, concurrency, then CPS', () => {
    const crowded = { callsInProgress: 3, nextCpsSlotUsedAt: t0 + hour };
    expect(startCall(crowded, t0 + hour, granted, 'TR').reason).toBe('country_restricted');
    const neverAsked = permissionView(undefined, t0 + hour, rules, 'IN', { account, ...crowded });
    expect(action(neverAsked, 'start_call').reason).toBe('no_permission');
    const calls = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`c${n}`, t0 + n]));
    const dailyFull = { ...granted, calls } as unknown as PairState;
    expect(startCall(crowded, t0 + hour, dailyFull).reason).toBe('daily_call_limit');
    expect(startCall(crowded).reason).toBe('concurrency_limit');
    expect(startCall({ ...crowded, callsInProgress: 2 }).reason).toBe('cps_limit');
  });

  it('leaves the capacity out where none was read, and out of the permission request', () => {
    const view = permissionView(granted, t0 + hour, rules, 'IN');
    expect(action(view, 'start_call')).not.toHaveProperty('simultaneousCalls');
    expect(action(view, 'start_call')).not.toHaveProperty('callsPerSecond');
    const withCapacity = permissionView(granted, t0 + hour, rules, 'IN', {
      account,
      callsInProgress: 1,
    });
    expect(action(withCapacity, 'send_call_permission_request')).not.toHaveProperty(
      'simultaneousCalls',
    );
  });

  it("says when a full window has room again to the millisecond, as its limit's resetsAt", () => {
    const calls = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`c${n}`, t0 + n * 1234]));
    const full = { ...granted, calls } as unknown as PairState;
    const refused = startCall({ callsInProgress: 0 }, t0 + hour + 1, full);
    expect(refused).toMatchObject({
      reason: 'daily_call_limit',
      availableAt: iso(t0 + 1234 + 24 * hour),
      limits: [{ window: 'PT24H', max: 5, used: 5, resetsAt: iso(t0 + 1234 + 24 * hour) }],
    });

    const asked = {
      business: granted.business,
      user: granted.user,
      request0: t0 + 777,
      request1: t0 + 2 * hour + 333,
    } as unknown as PairState;
    const request = action(
      permissionView(asked, t0 + 3 * hour, rules, 'IN'),
      'send_call_permission_request',
    );
    const resets = request.limits.flatMap((limit) => (limit.resetsAt ? [limit.resetsAt] : []));
    expect(request).toMatchObject({ canPerform: false, reason: 'request_limit' });
    expect(resets.length).toBeGreaterThan(0);
    expect(request.availableAt).toBe([...resets].sort().at(-1));
    expect(Date.parse(request.availableAt ?? '') % 1000).not.toBe(0);
  });
});

describe("the business number's restrictions", () => {
  const paused = {
    business: granted.business,
    restriction: 'calls_paused',
    reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
    since: t0,
    until: t0 + 2 * hour,
  } as const;
  const view = (now: number, restrictions: readonly NumberRestriction[] = [paused]) =>
    permissionView(granted, now, rules, 'IN', undefined, restrictions);

  it('shows a standing pause in force, and refuses start_call with it', () => {
    expect(view(t0 + 2 * hour - 1).businessNumber?.paused).toEqual({
      inForce: true,
      reason: paused.reason,
      since: iso(t0),
      until: iso(t0 + 2 * hour),
    });
    expect(action(view(t0 + 2 * hour - 1), 'start_call')).toMatchObject({
      canPerform: false,
      reason: 'number_paused',
    });
  });

  it('shows nothing once the store reads no standing restriction (from its end on)', () => {
    expect(view(t0 + 2 * hour, []).businessNumber).toEqual({
      paused: null,
      callButtonHidden: null,
    });
    expect(action(view(t0 + 2 * hour, []), 'start_call').canPerform).toBe(true);
  });

  it('shows a hidden call button apart from the pause, whichever is read first', () => {
    const hidden = {
      ...paused,
      restriction: 'call_button_hidden',
      reason: 'CALL_BUTTON_HIDDEN_LOW_PICKUP',
      until: t0 + 3 * hour,
    } as const;
    const shown = {
      paused: { inForce: true, reason: paused.reason, since: iso(t0), until: iso(t0 + 2 * hour) },
      callButtonHidden: {
        inForce: true,
        reason: hidden.reason,
        since: iso(t0),
        until: iso(t0 + 3 * hour),
      },
    };
    expect(view(t0 + hour, [hidden, paused]).businessNumber).toEqual(shown);
    expect(view(t0 + hour, [paused, hidden]).businessNumber).toEqual(shown);
    // A hidden call button alone pauses nothing.
    const onlyHidden = view(t0 + hour, [hidden]);
    expect(onlyHidden.businessNumber?.paused).toBeNull();
    expect(action(onlyHidden, 'start_call').canPerform).toBe(true);
  });

  it('refuses the permission request while paused, available at the pause’s end', () => {
    expect(action(view(t0 + hour), 'send_call_permission_request')).toMatchObject({
      canPerform: false,
      reason: 'number_paused',
      availableAt: iso(t0 + 2 * hour),
    });
  });

  it("shows an operator's lift, out of force, until the pause's end", () => {
    const lifted = { ...paused, liftedAt: t0 + hour };
    expect(view(t0 + hour + 1, [lifted]).businessNumber?.paused).toEqual({
      inForce: false,
      reason: paused.reason,
      since: iso(t0),
      until: iso(t0 + 2 * hour),
      liftedAt: iso(t0 + hour),
    });
  });
});
