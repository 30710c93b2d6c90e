import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weeklyHoursSchema } from '../../../functions/shared/config/call-flow.js';
import { type Rules, rulesSchema } from '../../../functions/shared/config/schema.js';
import { eventsOfChange, type TableChange } from '../../../functions/shared/events/derive.js';
import { callsInWindow, dailyCallCheck } from '../../../functions/shared/rules/daily-calls.js';
import type { WeeklyHours } from '../../../functions/shared/rules/hours.js';
import { isOpen as isOpenHours } from '../../../functions/shared/rules/hours.js';
import {
  afterFailure,
  afterRefusal,
  callsInProgressMatter,
  callsInProgressRecheckMs,
  cancellation,
  decideIntent,
  endStatuses,
  type IntentFacts,
  type IntentState,
  type IntentStatus,
  type IntentStep,
  isOpen,
  openStatuses,
  placingTakeoverMs,
  retryDelayMs,
  type WaitReason,
} from '../../../functions/shared/rules/intent.js';
import { intentView } from '../../../functions/shared/rules/intent-view.js';
import { mayStillBeMissed } from '../../../functions/shared/rules/missed-calls.js';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import { isPermissionActive } from '../../../functions/shared/rules/permission.js';
import type { PlacementRefusal } from '../../../functions/shared/rules/place-call.js';
import type { CallRecord } from '../../../functions/shared/store/items/call-record.js';
import { keys } from '../../../functions/shared/store/keys.js';
import { statedRules } from '../../support/fixtures.js';
import {
  business,
  callId,
  dueIntent,
  intentFacts,
  intentId,
  storedPair,
  t0,
  user,
} from '../../support/intent-fixtures.js';

const rules: Rules = statedRules;
const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;
const notAfter = t0 + 7 * day;
const iso = (ms: number) => new Date(ms).toISOString();

const pair = storedPair;

const intent = dueIntent;

/** Weekdays 09:00–17:00 UTC. */
const officeHours: WeeklyHours = weeklyHoursSchema.parse({
  timeZone: 'UTC',
  weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['09:00-17:00']])),
});
const neverOpen: WeeklyHours = weeklyHoursSchema.parse({ timeZone: 'UTC', weekly: {} });

const facts = (
  pairState: PairState | undefined,
  now = t0,
  extra: Partial<IntentFacts> = {},
): IntentFacts => intentFacts(pairState, { now, ...extra });

const wait = (
  status: 'scheduled' | 'waiting_permission',
  dueAt: number,
  reason: WaitReason,
): IntentStep => ({ kind: 'wait', status, dueAt, reason });
const declined = (reason: Extract<IntentStep, { status: 'declined' }>['reason']): IntentStep => ({
  kind: 'end',
  status: 'declined',
  reason,
});
const expired: IntentStep = { kind: 'end', status: 'expired' };
const place: IntentStep = { kind: 'place' };
const requestPermission: IntentStep = { kind: 'request_permission' };
const none: IntentStep = { kind: 'none' };

const permanent = { permission: 'permanent', permissionAt: t0 - day, permissionSource: 'reply' };
const temporary = {
  permission: 'temporary',
  permissionAt: t0 - day,
  permissionUntil: t0 + 6 * day,
  permissionSource: 'reply',
};
/** Five calls in the last 24 h (the default limit); the oldest leaves the window at t0 + 14 h. */
const fiveCalls = Object.fromEntries([10, 9, 8, 7, 6].map((h, i) => [`call-${i}`, t0 - h * hour]));

interface Situation {
  readonly name: string;
  readonly pair?: object;
  readonly intent?: Partial<IntentState>;
  readonly now?: number;
  readonly hours?: WeeklyHours;
  readonly step: IntentStep;
  /**
   * A retry backoff holds back only the step that failed, so only an intent in the status `step` waits
   * in: in any other status it decides this.
   */
  readonly notHeld?: IntentStep;
}

const situations: readonly Situation[] = [
  { name: 'no permission, a request allowed', step: requestPermission },
  {
    // An operator cleared the permission after the last request: that request is not awaited, and
    // it fills the 24 h window until t0 + 20 h.
    name: 'no permission, the request limit reached',
    pair: {
      permissionSource: 'manual',
      permissionAt: t0 - 3 * hour,
      request1: t0 - 4 * hour,
      sentRequestId: 'r1',
      requestSentAt: t0 - 4 * hour,
    },
    step: wait('waiting_permission', t0 + 20 * hour, 'request_due'),
  },
  {
    name: 'a request sent since the last decision, still standing',
    pair: { request1: t0 - hour, sentRequestId: 'r1', requestSentAt: t0 - hour },
    step: wait('waiting_permission', notAfter, 'awaiting_reply'),
  },
  { name: 'a temporary permission active', pair: temporary, step: place },
  { name: 'a permanent permission', pair: permanent, step: place },
  {
    name: 'a temporary permission expired',
    pair: { ...temporary, permissionAt: t0 - 8 * day, permissionUntil: t0 - day },
    step: requestPermission,
  },
  {
    name: 'a rejection standing',
    pair: { permission: 'rejected', permissionAt: t0 - day, permissionUntil: t0 + 6 * day },
    step: declined('permission_rejected'),
  },
  {
    name: 'a revocation standing',
    pair: {
      permission: 'revoked',
      permissionAt: t0 - day,
      permissionUntil: t0 + 6 * day,
      revokedReason: 'missed_calls',
    },
    step: declined('permission_revoked'),
  },
  {
    // The request before the rejection is neither awaited nor counted any more.
    name: 'a rejection that lapsed',
    pair: {
      permission: 'rejected',
      permissionAt: t0 - 8 * day,
      permissionUntil: t0 - day,
      request1: t0 - 9 * day,
      sentRequestId: 'r1',
      requestSentAt: t0 - 9 * day,
    },
    step: requestPermission,
  },
  {
    name: 'permission active, missed = revokeAt - 1',
    pair: { ...permanent, missed: rules.missedCalls.revokeAt - 1 },
    step: declined('revocation_risk'),
  },
  {
    name: 'permission active, missed = revokeAt - 2',
    pair: { ...permanent, missed: rules.missedCalls.revokeAt - 2 },
    step: place,
  },
  {
    name: 'permission active, inside outbound hours',
    pair: permanent,
    hours: officeHours,
    step: place,
  },
  {
    // Monday 18:00: the hours open again on Tuesday at 09:00.
    name: 'permission active, outside outbound hours',
    pair: permanent,
    hours: officeHours,
    now: t0 + 8 * hour,
    step: wait('scheduled', t0 + 23 * hour, 'outside_hours'),
  },
  {
    name: 'outside outbound hours, the next opening after notAfter',
    pair: permanent,
    hours: officeHours,
    now: t0 + 8 * hour,
    intent: { notAfter: t0 + 12 * hour },
    step: wait('scheduled', t0 + 12 * hour, 'outside_hours'),
  },
  {
    name: 'outbound hours that never open',
    pair: permanent,
    hours: neverOpen,
    step: wait('scheduled', notAfter, 'outside_hours'),
  },
  {
    name: 'the daily limit reached',
    pair: { ...permanent, calls: fiveCalls },
    step: wait('scheduled', t0 + 14 * hour, 'daily_call_limit'),
  },
  {
    name: 'the daily limit reached, freeing after notAfter',
    pair: { ...permanent, calls: fiveCalls },
    intent: { notAfter: t0 + hour },
    step: wait('scheduled', t0 + hour, 'daily_call_limit'),
  },
  {
    name: 'a retry backoff standing, permission active',
    pair: permanent,
    intent: { waitReason: 'retry', dueAt: t0 + minute, failedAttempts: 1 },
    step: wait('scheduled', t0 + minute, 'retry'),
    notHeld: place,
  },
  {
    name: 'a retry backoff standing, no permission',
    intent: { waitReason: 'retry', dueAt: t0 + minute, failedAttempts: 1 },
    step: wait('waiting_permission', t0 + minute, 'retry'),
    notHeld: requestPermission,
  },
  {
    name: 'a retry backoff that has run',
    pair: permanent,
    intent: { waitReason: 'retry', dueAt: t0, failedAttempts: 1 },
    step: place,
  },
  {
    name: 'now = notAfter, the permission active',
    pair: permanent,
    intent: { notAfter: t0 },
    step: expired,
  },
  {
    name: 'now past notAfter, a rejection standing',
    pair: { permission: 'rejected', permissionAt: t0 - day, permissionUntil: t0 + 6 * day },
    intent: { notAfter: t0 - second },
    step: expired,
  },
  {
    name: 'now past notAfter, a retry backoff standing',
    intent: { notAfter: t0 - second, waitReason: 'retry', dueAt: t0 + minute },
    step: expired,
  },
];

/** How a state takes the situation: decided afresh, only expired (a fresh placement), or not at all. */
type Takes = 'decides' | 'expires_only' | 'nothing';

const states: readonly {
  readonly name: string;
  readonly fields: (now: number) => Partial<IntentState>;
  readonly takes: Takes;
}[] = [
  {
    name: 'waiting_permission',
    fields: () => ({ status: 'waiting_permission', waitReason: 'request_due' }),
    takes: 'decides',
  },
  { name: 'scheduled', fields: () => ({ status: 'scheduled' }), takes: 'decides' },
  {
    name: 'placing, fresh',
    fields: (now) => ({ status: 'placing', placingSince: now - placingTakeoverMs + 1 }),
    takes: 'expires_only',
  },
  {
    name: 'placing, stale',
    fields: (now) => ({ status: 'placing', placingSince: now - placingTakeoverMs }),
    takes: 'decides',
  },
  {
    name: 'placed',
    fields: (now) => ({ status: 'placed', callId, endedAt: now - minute }),
    takes: 'nothing',
  },
  { name: 'expired', fields: (now) => ({ status: 'expired', endedAt: now }), takes: 'nothing' },
  {
    name: 'declined',
    fields: (now) => ({ status: 'declined', reason: 'plivo_error', endedAt: now }),
    takes: 'nothing',
  },
  { name: 'cancelled', fields: (now) => ({ status: 'cancelled', endedAt: now }), takes: 'nothing' },
];

const expectedStep = (takes: Takes, status: IntentStatus, situation: Situation): IntentStep => {
  const { step, notHeld } = situation;
  if (takes === 'nothing') return none;
  if (takes === 'expires_only')
    return step.kind === 'end' && step.status === 'expired' ? step : none;
  if (notHeld && step.kind === 'wait' && step.status !== status) return notHeld;
  return step;
};

describe('decideIntent: every state in every situation', () => {
  const cases = states.flatMap((state) =>
    situations.map((situation) => {
      const now = situation.now ?? t0;
      const fields = state.fields(now);
      return {
        state: state.name,
        situation: situation.name,
        run: () =>
          decideIntent(
            intent({ ...fields, ...situation.intent }),
            facts(situation.pair && pair(situation.pair), now, { outboundHours: situation.hours }),
          ),
        expected: expectedStep(state.takes, intent(fields).status, situation),
      };
    }),
  );

  it.each(cases)('$state × $situation', ({ run, expected }) => {
    expect(run()).toEqual(expected);
  });
});

describe('decideIntent: the edges of each fact', () => {
  it('a temporary permission ending exactly now has expired: a request goes', () => {
    const ending = pair({ ...temporary, permissionUntil: t0 });
    expect(decideIntent(intent(), facts(ending))).toEqual(requestPermission);
    expect(decideIntent(intent(), facts(ending, t0 - 1))).toEqual(place);
  });

  it('a rejection standing until exactly now has lapsed', () => {
    const rejected = pair({ permission: 'rejected', permissionAt: t0 - day, permissionUntil: t0 });
    expect(decideIntent(intent(), facts(rejected))).toEqual(requestPermission);
    expect(decideIntent(intent(), facts(rejected, t0 - 1))).toEqual(
      declined('permission_rejected'),
    );
  });

  it('an unanswered request stands for refusalStandsSeconds; a decision since it ends the wait', () => {
    const sentAt = t0 - 8 * day;
    const request = pair({ sentRequestId: 'r1', requestSentAt: sentAt });
    const standsUntil = sentAt + rules.refusalStandsSeconds * 1000;
    const long = intent({ notAfter: t0 + 30 * day });
    expect(decideIntent(long, facts(request, standsUntil - 1))).toEqual(
      wait('waiting_permission', t0 + 30 * day, 'awaiting_reply'),
    );
    expect(decideIntent(long, facts(request, standsUntil))).toEqual(requestPermission);
    // A grant that came and went after the request: the request was answered.
    const answered = pair({
      ...temporary,
      sentRequestId: 'r1',
      requestSentAt: t0 - 3 * day,
      permissionAt: t0 - 2 * day,
      permissionUntil: t0 - day,
    });
    expect(decideIntent(intent(), facts(answered))).toEqual(requestPermission);
  });

  it('four calls in the window leave room for a fifth; the fifth leaving it frees the limit', () => {
    const four = Object.fromEntries(Object.entries(fiveCalls).slice(1));
    expect(decideIntent(intent(), facts(pair({ ...permanent, calls: four })))).toEqual(place);
    const full = pair({ ...permanent, calls: fiveCalls });
    expect(decideIntent(intent(), facts(full, t0 + 14 * hour - second))).toEqual(
      wait('scheduled', t0 + 14 * hour, 'daily_call_limit'),
    );
    // retryAfter is whole seconds, rounded up: never before the call leaves the window.
    expect(decideIntent(intent(), facts(full, t0 + 14 * hour - 1))).toEqual(
      wait('scheduled', t0 + 14 * hour + 999, 'daily_call_limit'),
    );
    expect(decideIntent(intent(), facts(full, t0 + 14 * hour))).toEqual(place);
  });

  it('the hours open at their first minute and close at their end', () => {
    const open = pair(permanent);
    const nine = Date.parse('2026-03-03T09:00:00Z');
    const hoursAt = (now: number) =>
      decideIntent(intent(), facts(open, now, { outboundHours: officeHours }));
    expect(hoursAt(nine)).toEqual(place);
    expect(hoursAt(nine - 1)).toEqual(wait('scheduled', nine, 'outside_hours'));
    expect(hoursAt(nine + 8 * hour)).toEqual(
      wait('scheduled', Date.parse('2026-03-04T09:00:00Z'), 'outside_hours'),
    );
  });

  it('a placement claimed without a claim time is taken over at once', () => {
    expect(decideIntent(intent({ status: 'placing' }), facts(pair(permanent)))).toEqual(place);
  });

  // The status the backoff was written with tells which step failed: a call waits `scheduled`, a
  // permission request `waiting_permission`.
  it.each<[string, Partial<IntentState>, object | undefined, IntentStep]>([
    [
      "a failed placement's backoff, the permission active: held",
      { status: 'scheduled' },
      permanent,
      wait('scheduled', t0 + minute, 'retry'),
    ],
    [
      "a failed request's backoff, still no permission: held",
      { status: 'waiting_permission' },
      undefined,
      wait('waiting_permission', t0 + minute, 'retry'),
    ],
    [
      "a grant during a failed request's backoff: placed",
      { status: 'waiting_permission' },
      permanent,
      place,
    ],
    [
      'a backoff after a failed placement, the permission now gone: a request, not held',
      { status: 'scheduled' },
      undefined,
      requestPermission,
    ],
    [
      'a stale placement, an old backoff: not held',
      { status: 'placing', placingSince: t0 - placingTakeoverMs },
      permanent,
      place,
    ],
  ])('%s', (_, fields, pairState, step) => {
    const backingOff = intent({ ...fields, waitReason: 'retry', dueAt: t0 + minute });
    expect(decideIntent(backingOff, facts(pairState && pair(pairState)))).toEqual(step);
  });

  it("a grant during a failed request's backoff still waits for the hours", () => {
    const backingOff = intent({
      status: 'waiting_permission',
      waitReason: 'retry',
      dueAt: t0 + minute,
    });
    expect(
      decideIntent(
        backingOff,
        facts(pair(permanent), t0 + 8 * hour, { outboundHours: officeHours }),
      ),
    ).toEqual(wait('scheduled', t0 + 23 * hour, 'outside_hours'));
  });

  it('a revocation risk outranks the hours and the daily limit; the hours outrank the daily limit', () => {
    const everything = pair({ ...permanent, missed: 3, calls: fiveCalls });
    const evening = t0 + 8 * hour;
    expect(
      decideIntent(intent(), facts(everything, evening, { outboundHours: officeHours })),
    ).toEqual(declined('revocation_risk'));
    const full = pair({ ...permanent, calls: fiveCalls });
    expect(decideIntent(intent(), facts(full, evening, { outboundHours: officeHours }))).toEqual(
      wait('scheduled', t0 + 23 * hour, 'outside_hours'),
    );
  });
});

describe('calls in progress: an intent never places the call that could revoke', () => {
  const inProgress = (missed: number, callsInProgress: number, now = t0) =>
    decideIntent(intent(), facts(pair({ ...permanent, missed }), now, { callsInProgress }));
  const recheck = wait('scheduled', t0 + callsInProgressRecheckMs, 'calls_in_progress');
  // Counted from the revocation: the calls up and the misses with one more reach it, or not.
  const revokeAt = rules.missedCalls.revokeAt;

  it.each([
    [revokeAt - 2, 1, recheck],
    [revokeAt - 2, 0, place],
    [0, revokeAt - 1, recheck],
    [0, revokeAt - 2, place],
    [1, revokeAt - 2, recheck],
    [1, revokeAt - 3, place],
  ] as const)('%i missed and %i in progress: %o', (missed, callsInProgress, step) => {
    expect(inProgress(missed, callsInProgress)).toEqual(step);
  });

  it('a miss that makes the revocation certain declines, whatever is in progress', () => {
    expect(inProgress(revokeAt - 1, 1)).toEqual(declined('revocation_risk'));
  });

  it('the hours and the daily limit outrank calls in progress; the wait never passes notAfter', () => {
    const evening = t0 + 8 * hour;
    const ringing = pair({ ...permanent, missed: revokeAt - 2 });
    expect(
      decideIntent(
        intent(),
        facts(ringing, evening, { outboundHours: officeHours, callsInProgress: 1 }),
      ),
    ).toEqual(wait('scheduled', t0 + 23 * hour, 'outside_hours'));
    const full = pair({ ...permanent, missed: revokeAt - 2, calls: fiveCalls });
    expect(decideIntent(intent(), facts(full, t0, { callsInProgress: 1 }))).toEqual(
      wait('scheduled', t0 + 14 * hour, 'daily_call_limit'),
    );
    expect(
      decideIntent(intent({ notAfter: t0 + second }), facts(ringing, t0, { callsInProgress: 1 })),
    ).toEqual(wait('scheduled', t0 + second, 'calls_in_progress'));
  });

  it('the calls are looked up only when all of them missed would reach the revocation with one more', () => {
    const recent = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`call-${i}`, t0 - i * hour]));
    const matter = (missed: number | undefined, calls: number) =>
      callsInProgressMatter(
        pair({ ...permanent, ...(missed === undefined ? {} : { missed }), calls: recent(calls) }),
        t0,
        rules,
      );
    expect([
      matter(1, revokeAt - 2),
      matter(1, revokeAt - 3),
      matter(0, revokeAt - 1),
      matter(undefined, revokeAt - 1),
    ]).toEqual([true, false, true, true]);
    expect([matter(undefined, revokeAt - 2), matter(revokeAt - 1, 0)]).toEqual([false, true]);
    expect(callsInProgressMatter(undefined, t0, rules)).toBe(false);
    const strict = rulesSchema.parse({ missedCalls: { warnAt: 1, revokeAt: 2 } });
    expect(callsInProgressMatter(undefined, t0, strict)).toBe(false);
    expect(callsInProgressMatter(pair({ calls: recent(1) }), t0, strict)).toBe(true);
  });

  it('a call placed exactly 24 h ago has left the window; a millisecond later it has not', () => {
    const calls = { old: t0 - day, recent: t0 - day + 1, now: t0 };
    expect(callsInWindow(pair({ calls }), t0)).toEqual(['recent', 'now']);
    expect(callsInWindow(undefined, t0)).toEqual([]);
    expect(callsInWindow(pair({ missed: 1 }), t0)).toEqual([]);
    expect(callsInProgressMatter(pair({ missed: 1, calls: { old: t0 - day } }), t0, rules)).toBe(
      false,
    );
  });

  it.each([
    ['placed, the agent leg ringing', {}, true],
    ['the user dialed, ringing', { dialedAt: t0 }, true],
    ['dialed, ended, no dial status yet', { dialedAt: t0, endedAt: t0 }, true],
    ['ended before the user was dialed', { endedAt: t0 }, false],
    ['missed', { dialedAt: t0, dialStatus: 'no-answer' }, false],
    ['answered', { dialedAt: t0, dialStatus: 'completed' }, false],
    ['failed', { dialStatus: 'failed', endedAt: t0 }, false],
  ] as const)('%s: may still be missed = %s', (_, call, may) => {
    expect(mayStillBeMissed(call)).toBe(may);
  });
});

describe('afterRefusal: a placement the limits refused', () => {
  const scheduled = intent();
  const revoked = pair({
    permission: 'revoked',
    permissionAt: t0 - second,
    permissionUntil: t0 + 7 * day,
    revokedReason: 'automatic',
  });

  it.each<[string, PlacementRefusal, PairState | undefined, IntentStep]>([
    [
      'country_restricted',
      { code: 'country_restricted', country: 'US' },
      pair(permanent),
      declined('country_restricted'),
    ],
    [
      'daily_call_limit',
      { code: 'daily_call_limit', retryAfter: 600 },
      pair(permanent),
      wait('scheduled', t0 + 600 * second, 'daily_call_limit'),
    ],
    [
      'cps_limit',
      { code: 'cps_limit', retryAfter: 1 },
      pair(permanent),
      wait('scheduled', t0 + second, 'cps_limit'),
    ],
    [
      'daily_call_limit under a permission that ends first',
      { code: 'daily_call_limit', requestPermissionAfter: 3600 },
      pair(permanent),
      wait('scheduled', t0 + hour, 'daily_call_limit'),
    ],
    [
      'cps_limit under a permission that ends first',
      { code: 'cps_limit', requestPermissionAfter: 1 },
      pair(permanent),
      wait('scheduled', t0 + second, 'cps_limit'),
    ],
    [
      'concurrency_limit',
      { code: 'concurrency_limit' },
      pair(permanent),
      wait('scheduled', t0 + retryDelayMs(1, rules), 'concurrency_limit'),
    ],
    [
      'permission_revoked, the pair revoked',
      { code: 'permission_revoked', requestPermissionAfter: 0 },
      revoked,
      declined('permission_revoked'),
    ],
    [
      'permission_rejected, the pair rejected',
      { code: 'permission_rejected', requestPermissionAfter: 0 },
      pair({ permission: 'rejected', permissionAt: t0 - second, permissionUntil: t0 + day }),
      declined('permission_rejected'),
    ],
    [
      'no_permission, the pair re-read allows the call',
      { code: 'no_permission', requestPermissionAfter: 0 },
      pair(permanent),
      wait('scheduled', t0, 'now'),
    ],
    [
      'permission_expired, the pair re-read allows the call',
      { code: 'permission_expired', requestPermissionAfter: 0 },
      pair(temporary),
      wait('scheduled', t0, 'now'),
    ],
    [
      'no_permission, a request standing',
      { code: 'no_permission', requestPermissionAfter: 0 },
      pair({ sentRequestId: 'r1', requestSentAt: t0 - hour }),
      wait('waiting_permission', notAfter, 'awaiting_reply'),
    ],
    // A request to send is written due now, like a call: the intent's own event sets the dispatcher off.
    [
      'permission_expired, the grant ran out and a request is allowed',
      { code: 'permission_expired', requestPermissionAfter: 0 },
      pair({ ...temporary, permissionUntil: t0 - second }),
      wait('waiting_permission', t0, 'request_due'),
    ],
    [
      'no_permission, the request limit reached',
      { code: 'no_permission', requestPermissionAfter: 0 },
      pair({
        permissionSource: 'manual',
        permissionAt: t0 - 3 * hour,
        request1: t0 - 4 * hour,
        sentRequestId: 'r1',
        requestSentAt: t0 - 4 * hour,
      }),
      wait('waiting_permission', t0 + 20 * hour, 'request_due'),
    ],
  ])('%s', (_, refusal, pairState, step) => {
    expect(afterRefusal(scheduled, refusal, facts(pairState))).toEqual(step);
  });

  it('a permission refusal re-decides the claimed intent as if it waited: the claim does not hold it', () => {
    const claimed = intent({ status: 'placing', placingSince: t0 - second });
    expect(
      afterRefusal(
        claimed,
        { code: 'no_permission', requestPermissionAfter: 0 },
        facts(pair(permanent)),
      ),
    ).toEqual(wait('scheduled', t0, 'now'));
    expect(
      afterRefusal(
        claimed,
        { code: 'no_permission', requestPermissionAfter: 0 },
        facts(pair(permanent), t0 + 8 * hour, { outboundHours: officeHours }),
      ),
    ).toEqual(wait('scheduled', t0 + 23 * hour, 'outside_hours'));
    expect(
      afterRefusal(claimed, { code: 'no_permission', requestPermissionAfter: 0 }, facts(undefined)),
    ).toEqual(wait('waiting_permission', t0, 'request_due'));
  });

  it.each<PlacementRefusal>([
    { code: 'daily_call_limit', retryAfter: 3600 },
    { code: 'cps_limit', retryAfter: 60 },
    { code: 'concurrency_limit' },
  ])('$code: dueAt never past notAfter', (refusal) => {
    const ending = intent({ notAfter: t0 + 10 * second });
    const step = afterRefusal(ending, refusal, facts(pair(permanent)));
    expect(step).toMatchObject({ kind: 'wait', status: 'scheduled', dueAt: t0 + 10 * second });
  });

  it('a permission refusal at notAfter expires the intent', () => {
    const ending = intent({ notAfter: t0 });
    expect(
      afterRefusal(
        ending,
        { code: 'permission_revoked', requestPermissionAfter: 0 },
        facts(revoked),
      ),
    ).toEqual(expired);
  });
});

describe('afterFailure and retryDelayMs: backoff after transient failures', () => {
  const patient = rulesSchema.parse({ callIntents: { placementAttempts: 20 } });

  it.each([
    [0, 30],
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
    [7, 1920],
    [8, 3600],
    [20, 3600],
  ])('after %i failures: %i s', (failures, seconds) => {
    expect(retryDelayMs(failures, rules)).toBe(seconds * second);
  });

  it('the first wait is retrySeconds, capped at an hour', () => {
    expect(retryDelayMs(1, rulesSchema.parse({ callIntents: { retrySeconds: 5 } }))).toBe(
      5 * second,
    );
    expect(retryDelayMs(2, rulesSchema.parse({ callIntents: { retrySeconds: 3600 } }))).toBe(hour);
  });

  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
  ])('failure %i of 5: retried after %i s', (failures, seconds) => {
    expect(afterFailure(intent(), failures, false, facts(pair(permanent)))).toEqual(
      wait('scheduled', t0 + seconds * second, 'retry'),
    );
  });

  it.each([
    [8, 3600],
    [19, 3600],
  ])('with 20 attempts, failure %i waits %i s', (failures, seconds) => {
    expect(
      afterFailure(intent(), failures, false, facts(pair(permanent), t0, { settings: patient })),
    ).toEqual(wait('scheduled', t0 + seconds * second, 'retry'));
  });

  it('declined plivo_error at placementAttempts failures, or at once when the failure is permanent', () => {
    const attempts = rules.callIntents.placementAttempts;
    expect(afterFailure(intent(), attempts, false, facts(pair(permanent)))).toEqual(
      declined('plivo_error'),
    );
    expect(afterFailure(intent(), attempts + 1, false, facts(pair(permanent)))).toEqual(
      declined('plivo_error'),
    );
    expect(afterFailure(intent(), 1, true, facts(pair(permanent)))).toEqual(
      declined('plivo_error'),
    );
    expect(
      afterFailure(intent(), 20, false, facts(pair(permanent), t0, { settings: patient })),
    ).toEqual(declined('plivo_error'));
  });

  it('the retry never waits past notAfter', () => {
    const ending = intent({ notAfter: t0 + 10 * second });
    expect(afterFailure(ending, 1, false, facts(pair(permanent)))).toEqual(
      wait('scheduled', t0 + 10 * second, 'retry'),
    );
  });
});

describe('cancellation', () => {
  it.each<[IntentStatus, ReturnType<typeof cancellation>]>([
    ['waiting_permission', 'cancel'],
    ['scheduled', 'cancel'],
    ['placing', 'placed'],
    ['placed', 'placed'],
    ['expired', 'already_ended'],
    ['declined', 'already_ended'],
    ['cancelled', 'already_ended'],
  ])('%s → %s', (status, outcome) => {
    expect(cancellation(intent({ status }))).toBe(outcome);
  });
});

describe('intentView', () => {
  const base = {
    intentId,
    from: business,
    to: user,
    createdAt: iso(t0 - hour),
    notAfter: iso(notAfter),
  };

  it.each<[IntentStatus, WaitReason]>([
    ['scheduled', 'outside_hours'],
    ['waiting_permission', 'awaiting_reply'],
  ])('%s: when it is next looked at, and why it waits', (status, waitReason) => {
    const view = intentView(intent({ status, dueAt: t0 + hour, waitReason, agent: 'sip:a@x' }));
    expect(view).toEqual({
      ...base,
      status,
      agent: 'sip:a@x',
      scheduledAt: iso(t0 + hour),
      reason: waitReason,
    });
  });

  it('placing: no moment and no reason, even while the item still holds its last wait', () => {
    expect(intentView(intent({ status: 'placing', placingSince: t0 }))).toEqual({
      ...base,
      status: 'placing',
    });
  });

  it('placed: the call and the end', () => {
    const placed = intent({ status: 'placed', callId, endedAt: t0 + minute });
    expect(intentView(placed)).toEqual({
      ...base,
      status: 'placed',
      callId,
      endedAt: iso(t0 + minute),
    });
  });

  it('declined: the decline reason, not a wait reason', () => {
    const item = intent({
      status: 'declined',
      reason: 'revocation_risk',
      endedAt: t0 + minute,
    });
    expect(intentView(item)).toEqual({
      ...base,
      status: 'declined',
      reason: 'revocation_risk',
      endedAt: iso(t0 + minute),
    });
  });

  it.each<IntentStatus>(['expired', 'cancelled'])('%s: only the end', (status) => {
    const { dueAt: _d, waitReason: _w, ...ended } = intent({ status, endedAt: t0 + minute });
    expect(intentView(ended)).toEqual({ ...base, status, endedAt: iso(t0 + minute) });
  });
});

describe('events of intent changes', () => {
  const intentKey = keys.intent(intentId);
  const item = (fields: Partial<IntentState> = {}) => ({ ...intentKey, ...intent(fields) });
  const change = (
    old: object | undefined,
    now: object | undefined,
    changeId = 'c1',
  ): TableChange => ({
    changeId,
    pk: intentKey.pk,
    old: old as Record<string, unknown> | undefined,
    new: now as Record<string, unknown> | undefined,
  });
  const moved = t0 + 5 * minute;
  const envelope = (type: string, data: object, id = 'c1-0') => ({
    id,
    type,
    time: iso(moved),
    business,
    user,
    data,
  });

  it('a created intent: intent.scheduled due now, at its creation', () => {
    const created = item({ createdAt: t0, updatedAt: t0, version: 1 });
    expect(eventsOfChange(change(undefined, created))).toEqual([
      {
        id: 'c1-0',
        type: 'intent.scheduled',
        time: iso(t0),
        business,
        user,
        data: { intentId, at: iso(t0), reason: 'now' },
      },
    ]);
  });

  const before = item();
  it.each<[string, Partial<IntentState>, Partial<IntentState>, ReturnType<typeof envelope>]>([
    [
      'scheduled → waiting_permission',
      {},
      { status: 'waiting_permission', dueAt: notAfter, waitReason: 'awaiting_reply' },
      envelope('intent.waiting_permission', {
        intentId,
        at: iso(notAfter),
        reason: 'awaiting_reply',
      }),
    ],
    [
      'waiting_permission → scheduled',
      { status: 'waiting_permission', waitReason: 'request_due' },
      { status: 'scheduled', dueAt: t0 + day, waitReason: 'outside_hours' },
      envelope('intent.scheduled', { intentId, at: iso(t0 + day), reason: 'outside_hours' }),
    ],
    [
      'placing → placed',
      { status: 'placing', placingSince: t0 },
      { status: 'placed', callId, endedAt: moved },
      envelope('intent.placed', { intentId, callId }),
    ],
    [
      'waiting_permission → expired',
      { status: 'waiting_permission', waitReason: 'awaiting_reply' },
      { status: 'expired', endedAt: moved },
      envelope('intent.expired', { intentId }),
    ],
    [
      'scheduled → declined',
      {},
      { status: 'declined', reason: 'revocation_risk', endedAt: moved },
      envelope('intent.declined', { intentId, reason: 'revocation_risk' }),
    ],
    [
      'scheduled → cancelled',
      {},
      { status: 'cancelled', endedAt: moved },
      envelope('intent.cancelled', { intentId }),
    ],
  ])('%s: exactly its event, at the move', (_, from, to, event) => {
    const after = item({ ...from, ...to, updatedAt: moved, version: 4 });
    expect(eventsOfChange(change(item(from), after))).toEqual([event]);
  });

  it('a reschedule (same status, a new moment or reason) is a new intent.scheduled', () => {
    const later = item({ dueAt: t0 + hour, waitReason: 'retry', updatedAt: moved, version: 4 });
    expect(eventsOfChange(change(before, later))).toEqual([
      envelope('intent.scheduled', { intentId, at: iso(t0 + hour), reason: 'retry' }),
    ]);
    const sameMoment = item({ waitReason: 'cps_limit', updatedAt: moved, version: 4 });
    expect(eventsOfChange(change(before, sameMoment))).toEqual([
      envelope('intent.scheduled', { intentId, at: iso(t0), reason: 'cps_limit' }),
    ]);
  });

  it('placing says nothing: the claim, a takeover, an unchanged rewrite, a removal', () => {
    const claimed = item({ status: 'placing', placingSince: t0, updatedAt: t0, version: 4 });
    const takenOver = { ...claimed, placingSince: moved, updatedAt: moved, version: 5 };
    expect(eventsOfChange(change(before, claimed))).toEqual([]);
    expect(eventsOfChange(change(claimed, takenOver))).toEqual([]);
    expect(eventsOfChange(change(before, { ...before }))).toEqual([]);
    expect(eventsOfChange(change(before, { ...before, version: 4, failedAttempts: 1 }))).toEqual(
      [],
    );
    const cancelled = item({ status: 'cancelled', endedAt: t0 });
    expect(eventsOfChange(change(cancelled, { ...cancelled, version: 9 }))).toEqual([]);
    expect(eventsOfChange(change(before, undefined))).toEqual([]);
  });

  it('a placement refused after the claim speaks again once the intent waits', () => {
    const claimed = item({ status: 'placing', placingSince: t0, version: 4 });
    const back = item({
      dueAt: t0 + 30 * second,
      waitReason: 'concurrency_limit',
      updatedAt: moved,
      version: 5,
    });
    expect(eventsOfChange(change(claimed, back))).toEqual([
      envelope('intent.scheduled', {
        intentId,
        at: iso(t0 + 30 * second),
        reason: 'concurrency_limit',
      }),
    ]);
  });

  it('ids are the change id and the index: a redelivered change yields the same events', () => {
    const after = item({ status: 'expired', endedAt: moved, updatedAt: moved });
    const once = eventsOfChange(change(before, after, 'shard-1:seq-42'));
    expect(once.map((e) => e.id)).toEqual(['shard-1:seq-42-0']);
    expect(eventsOfChange(change(before, after, 'shard-1:seq-42'))).toEqual(once);
  });

  it('call.placed carries the intentId of a call an intent placed', () => {
    const callKey = keys.call(callId);
    const record: CallRecord = {
      ...callKey,
      callId,
      direction: 'outbound',
      business,
      user,
      startedAt: t0,
      leaseExpiresAt: t0 + hour,
      leaseShard: 1,
      agent: 'sip:support@phone.plivo.com',
      intentId,
      ttl: 1,
    };
    const placed = { ...record, placedAt: t0 + 300, requestUuid: 'r' };
    const events = eventsOfChange({
      changeId: 'c2',
      pk: callKey.pk,
      old: record as unknown as Record<string, unknown>,
      new: placed as unknown as Record<string, unknown>,
    });
    expect(events).toEqual([
      {
        id: 'c2-0',
        type: 'call.placed',
        time: iso(t0 + 300),
        business,
        user,
        data: { callId, agent: 'sip:support@phone.plivo.com', intentId },
      },
    ]);
  });
});

describe('property: what decideIntent may do', () => {
  const offset = (min: number, max: number) => fc.integer({ min, max });
  const kolkataEvenings = weeklyHoursSchema.parse({
    timeZone: 'Asia/Kolkata',
    weekly: { mon: ['18:00-21:00'], sat: ['10:00-24:00'] },
    holidays: ['2026-03-07'],
  });
  const strict = rulesSchema.parse({
    missedCalls: { warnAt: 1, revokeAt: 2 },
    businessCallsPer24Hours: 1,
    permissionRequests: { per24Hours: 2, per7Days: 3 },
  });

  const world = fc
    .record({
      now: offset(0, 30 * day).map((d) => t0 + d),
      // Mostly open: an ended intent has only one answer.
      status: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom<IntentStatus>(...openStatuses) },
        { weight: 1, arbitrary: fc.constantFrom<IntentStatus>(...endStatuses) },
      ),
      life: offset(-day, 30 * day),
      claimedAgo: fc.option(offset(0, 2 * placingTakeoverMs), { nil: undefined }),
      due: fc.option(offset(-2 * hour, 2 * hour), { nil: undefined }),
      waitReason: fc.constantFrom<WaitReason | undefined>(
        undefined,
        'now',
        'retry',
        'retry',
        'outside_hours',
        'awaiting_reply',
      ),
      pair: fc.option(
        fc.record({
          permission: fc.constantFrom(
            undefined,
            'temporary',
            'temporary',
            'permanent',
            'permanent',
            'rejected',
            'revoked',
          ),
          decidedAgo: offset(0, 20 * day),
          until: offset(-10 * day, 10 * day),
          sentAgo: fc.option(offset(0, 10 * day), { nil: undefined }),
          requests: fc.array(offset(0, 8 * day), { maxLength: 3 }),
          calls: fc.array(offset(0, 3 * day), { maxLength: 6 }),
          missed: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, offset(0, 5)),
        }),
        { nil: undefined, freq: 8 },
      ),
      hours: fc.constantFrom(undefined, undefined, officeHours, kolkataEvenings, neverOpen),
      callsInProgress: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, offset(0, 4)),
      settings: fc.constantFrom(rules, strict),
    })
    .map((w) => {
      const { now } = w;
      const p = w.pair;
      const pairState =
        p &&
        pair({
          ...(p.permission === undefined ? {} : { permission: p.permission }),
          permissionAt: now - p.decidedAgo,
          ...(p.permission === 'permanent' ? {} : { permissionUntil: now + p.until }),
          ...(p.sentAgo === undefined
            ? {}
            : { sentRequestId: 'r', requestSentAt: now - p.sentAgo }),
          ...Object.fromEntries(
            [...p.requests].sort((a, b) => b - a).map((ago, i) => [`request${i}`, now - ago]),
          ),
          calls: Object.fromEntries(p.calls.map((ago, i) => [`call-${i}`, now - ago])),
          missed: p.missed,
        });
      const state = intent({
        status: w.status,
        notAfter: now + w.life,
        ...(w.claimedAgo === undefined ? {} : { placingSince: now - w.claimedAgo }),
        ...(w.due === undefined ? { dueAt: undefined } : { dueAt: now + w.due }),
        waitReason: w.waitReason,
      });
      const situation: IntentFacts = {
        pair: pairState,
        outboundHours: w.hours,
        callsInProgress: w.callsInProgress,
        now,
        settings: w.settings,
      };
      return { state, situation };
    });

  it('waits fall in (now, notAfter], wait for the permission exactly when it is not active, a backoff holds exactly the step that failed, and a call is placed only when everything allows it', () => {
    fc.assert(
      fc.property(world, ({ state, situation }) => {
        const { now, pair: pairState, settings, outboundHours } = situation;
        const step = decideIntent(state, situation);
        if (!isOpen(state.status) || now >= state.notAfter) {
          expect(step).toEqual(isOpen(state.status) ? expired : none);
          return;
        }
        const active = isPermissionActive(pairState, now);
        const retrying =
          state.waitReason === 'retry' &&
          state.dueAt !== undefined &&
          now < state.dueAt &&
          state.status === (active ? 'scheduled' : 'waiting_permission');
        switch (step.kind) {
          case 'wait':
            expect(step.dueAt).toBeGreaterThan(now);
            expect(step.dueAt).toBeLessThanOrEqual(state.notAfter);
            expect(step.status).toBe(active ? 'scheduled' : 'waiting_permission');
            expect(step.reason === 'retry').toBe(retrying);
            if (retrying) expect(step.dueAt).toBe(Math.min(state.dueAt ?? 0, state.notAfter));
            break;
          case 'place':
            expect(active).toBe(true);
            expect(retrying).toBe(false);
            // Even if every call in progress goes unanswered, this one cannot be the revoking miss.
            expect((pairState?.missed ?? 0) + situation.callsInProgress).toBeLessThan(
              settings.missedCalls.revokeAt - 1,
            );
            expect(outboundHours === undefined || isOpenHours(outboundHours, now)).toBe(true);
            expect(dailyCallCheck(pairState?.calls, now, settings).ok).toBe(true);
            break;
          case 'request_permission':
            expect(active).toBe(false);
            expect(retrying).toBe(false);
            break;
          case 'none':
            expect(state.status).toBe('placing');
            expect(now).toBeLessThan((state.placingSince ?? 0) + placingTakeoverMs);
            break;
          case 'end':
            expect(step.status).toBe('declined');
            break;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('after a refusal or a failure, the claimed intent waits or ends: a wait falls in [now, notAfter], due now only as the re-decided step, and a permission refusal waits for the permission exactly when it is not active', () => {
    const refusal = fc.constantFrom<PlacementRefusal>(
      { code: 'country_restricted', country: 'US' },
      { code: 'no_permission', requestPermissionAfter: 0 },
      { code: 'permission_expired', requestPermissionAfter: 0 },
      { code: 'permission_revoked', requestPermissionAfter: 0 },
      { code: 'permission_rejected', requestPermissionAfter: 0 },
      { code: 'daily_call_limit', retryAfter: 86_400 },
      { code: 'cps_limit', retryAfter: 1 },
      { code: 'concurrency_limit' },
    );
    const permissionRefusals: readonly PlacementRefusal['code'][] = [
      'no_permission',
      'permission_expired',
      'permission_revoked',
      'permission_rejected',
    ];
    fc.assert(
      fc.property(
        world,
        refusal,
        fc.integer({ min: 1, max: 25 }),
        ({ state, situation }, code, failures) => {
          const { now, pair: pairState } = situation;
          const open = { ...state, status: 'scheduled' as const };
          fc.pre(now < open.notAfter);
          const refused = afterRefusal(open, code, situation);
          for (const step of [refused, afterFailure(open, failures, false, situation)]) {
            expect(['wait', 'end']).toContain(step.kind);
            if (step.kind !== 'wait') continue;
            expect(step.dueAt).toBeGreaterThanOrEqual(now);
            expect(step.dueAt).toBeLessThanOrEqual(open.notAfter);
            if (step.dueAt === now) {
              expect([
                wait('scheduled', now, 'now'),
                wait('waiting_permission', now, 'request_due'),
              ]).toContainEqual(step);
            }
          }
          if (permissionRefusals.includes(code.code) && refused.kind === 'wait') {
            expect(refused.status).toBe(
              isPermissionActive(pairState, now) ? 'scheduled' : 'waiting_permission',
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
