import * as z from 'zod';
import { callsInWindow, type DailyCallSettings, dailyCallCheck } from './daily-calls.js';
import type { WeeklyHours } from './hours.js';
import { nextOpening } from './hours.js';
import type { MissedCallSettings } from './missed-calls.js';
import type { PairState } from './pair.js';
import { type PermissionSettings, permissionAt } from './permission.js';
import { type PermissionRequestSettings, requestRefusal } from './permission-request.js';
import type { PlacementRefusal } from './place-call.js';
import type { Origin } from './references.js';

/**
 * Call intents: "call this user as soon as Meta allows it". What an intent does next is decided afresh
 * from the facts each time it is looked at (the pair as it stands, the number's outbound hours, the
 * clock), so a grant, a schedule firing twice or a late event can only lead to the same step: nothing
 * but the intent's own end and its backoff after a failed placement is remembered.
 */

// Built where the configuration is validated (synth, local runs), never at a Lambda's cold start.
export const intentSettings = () =>
  z.strictObject({
    callIntents: z
      .strictObject({
        /** How long an intent lasts when the request gives no `notAfter` (DESIGN: 7 days). */
        lifetimeSeconds: z
          .number()
          .int()
          .min(60)
          .default(7 * 24 * 3600),
        /** The latest `notAfter` a request may ask for, from its creation. */
        maxLifetimeSeconds: z
          .number()
          .int()
          .min(60)
          .default(30 * 24 * 3600),
        /** Placements that fail on a transient error (Plivo unreachable, storage busy) before the intent gives up. */
        placementAttempts: z.number().int().min(1).max(20).default(5),
        /** The first wait after a failed placement; each further failure doubles it. */
        retrySeconds: z.number().int().min(1).max(3600).default(30),
      })
      .refine(
        (s) => s.lifetimeSeconds <= s.maxLifetimeSeconds,
        'lifetimeSeconds must not exceed maxLifetimeSeconds',
      )
      .prefault({}),
  });

export type IntentSettings = z.infer<ReturnType<typeof intentSettings>>;

export type IntentSettingsAll = IntentSettings &
  PermissionSettings &
  DailyCallSettings &
  MissedCallSettings &
  PermissionRequestSettings;

/**
 * A placement that has not answered for this long may be taken over by another dispatch: longer than a
 * function runs (10 s) and than a pending Idempotency-Key stands (30 s), so the takeover's placement,
 * under the same key, finds the first one's outcome or may take its reservation over.
 */
export const placingTakeoverMs = 60 * 1000;

/**
 * An intent waiting on calls in progress is moved by their outcome's event (`call.answered`,
 * `call.missed`); it also looks again this often, for an outcome that has no event (`failed`, a call
 * that ended before the user was dialed).
 */
export const callsInProgressRecheckMs = 60 * 1000;

export const openStatuses = ['waiting_permission', 'scheduled', 'placing'] as const;
export const endStatuses = ['placed', 'expired', 'declined', 'cancelled'] as const;
export type OpenStatus = (typeof openStatuses)[number];
export type EndStatus = (typeof endStatuses)[number];
export type IntentStatus = OpenStatus | EndStatus;

/** Why an intent waits: the first moment allowed is `dueAt`. */
export type WaitReason =
  /** Everything allows the call now: it is about to be placed. */
  | 'now'
  | 'outside_hours'
  | 'daily_call_limit'
  | 'concurrency_limit'
  | 'cps_limit'
  /** Meta paused the business number's calls and permission requests: looked at again at the pause's end. */
  | 'number_paused'
  /** The last placement failed on a transient error: retried with backoff. */
  | 'retry'
  /**
   * The pair's calls still in progress (placed, no dial status yet) could all go unanswered and bring
   * the streak to the revocation with this call: looked at again once they settle.
   */
  | 'calls_in_progress'
  /** No permission: the request is sent at `dueAt` (now, or when the request limits allow one). */
  | 'request_due'
  /** The request was sent: the user's reply moves the intent; without one it expires at `notAfter`. */
  | 'awaiting_reply';

export type DeclineReason =
  | 'permission_rejected'
  | 'permission_revoked'
  /** The next unanswered call would be the one that revokes the permission. */
  | 'revocation_risk'
  | 'country_restricted'
  /** The business number is no longer in the configuration. */
  | 'unknown_business_number'
  /** The permission request cannot be sent: its template cannot be filled, or Plivo refused it. */
  | 'permission_request_failed'
  /** Plivo refused the call, or failed `placementAttempts` times. */
  | 'plivo_error';

/**
 * The intent item's attributes, as the rules read them and the store writes them. Times in epoch ms.
 * `Origin`: the creating request's reference, metadata and actor, copied onto the call it places and
 * the permission request it sends.
 */
export interface IntentState extends Origin {
  readonly intentId: string;
  readonly business: string;
  readonly user: string;
  /** The agent the call rings first; the number's default when absent. */
  readonly agent?: string;
  readonly createdAt: number;
  /** When the intent last moved (its creation, then each transition). */
  readonly updatedAt: number;
  /** Never placed at or after this moment. */
  readonly notAfter: number;
  readonly status: IntentStatus;
  /** When the intent is next looked at (open intents). */
  readonly dueAt?: number;
  readonly waitReason?: WaitReason;
  /** declined: why. */
  readonly reason?: DeclineReason;
  /** placed: the call (GET /v1/calls/{callId}). */
  readonly callId?: string;
  /** placing: when the placement was claimed (another dispatch takes it over after `placingTakeoverMs`). */
  readonly placingSince?: number;
  /** Placements that failed on a transient error so far. */
  readonly failedAttempts?: number;
  /** When the intent ended. */
  readonly endedAt?: number;
  /** cancelled: the actor of the DELETE, which `intent.cancelled` names. */
  readonly cancelledBy?: string;
  /** Bumped by every transition: optimistic concurrency. */
  readonly version: number;
}

export const isOpen = (status: IntentStatus): status is OpenStatus =>
  (openStatuses as readonly string[]).includes(status);

/** What the intent does next. */
export type IntentStep =
  /** Nothing now: an ended intent, or a placement another dispatch is making. */
  | { readonly kind: 'none' }
  | { readonly kind: 'end'; readonly status: 'expired' }
  | { readonly kind: 'end'; readonly status: 'declined'; readonly reason: DeclineReason }
  | {
      readonly kind: 'wait';
      readonly status: 'scheduled' | 'waiting_permission';
      readonly dueAt: number;
      readonly reason: WaitReason;
    }
  | { readonly kind: 'request_permission' }
  | { readonly kind: 'place' };

export interface IntentFacts {
  readonly pair: PairState | undefined;
  /** The business number's outbound hours; absent = any time. */
  readonly outboundHours?: WeeklyHours | undefined;
  /** The pair's business-initiated calls placed whose outcome is not known yet (they may be missed). */
  readonly callsInProgress: number;
  /** When Meta's pause of the business number ends, while one stands (`pausedUntil` in rules/number-pause.ts). */
  readonly pausedUntil?: number | undefined;
  readonly now: number;
  readonly settings: IntentSettingsAll;
}

/**
 * The pair's recent calls whose outcome is still to come matter only if all of them being missed would
 * bring the streak to the revocation with one more call: only then are they looked up.
 */
export const callsInProgressMatter = (
  pair: PairState | undefined,
  now: number,
  settings: MissedCallSettings,
): boolean =>
  (pair?.missed ?? 0) + callsInWindow(pair, now).length >= settings.missedCalls.revokeAt - 1;

const wait = (
  intent: IntentState,
  status: 'scheduled' | 'waiting_permission',
  at: number,
  reason: WaitReason,
): IntentStep =>
  // Past `notAfter` it is looked at once more, to expire.
  ({ kind: 'wait', status, dueAt: Math.min(at, intent.notAfter), reason });

/**
 * The permission side. A request still waiting for its answer (sent since the last decision, within the
 * time an unanswered request stands) is waited on until the intent's end: one request per intent, never a
 * reminder the user did not ask for. Otherwise a request is sent now, or when the request limits next
 * allow one.
 */
const withoutPermission = (intent: IntentState, facts: IntentFacts): IntentStep => {
  const { pair, now, settings } = facts;
  const sentAt = pair?.requestSentAt;
  if (
    // Stryker disable next-line ConditionalExpression: undefined >= x is false too (the check narrows the type)
    sentAt !== undefined &&
    // Stryker disable next-line OptionalChaining: a send time comes from a pair
    sentAt >= (pair?.permissionAt ?? 0) &&
    now < sentAt + settings.refusalStandsSeconds * 1000
  ) {
    return wait(intent, 'waiting_permission', intent.notAfter, 'awaiting_reply');
  }
  const refusal = requestRefusal(pair, now, settings);
  if (refusal?.code !== 'request_limit') return { kind: 'request_permission' };
  return wait(intent, 'waiting_permission', now + refusal.retryAfter * 1000, 'request_due');
};

/**
 * The next step of an intent at `facts.now`, from what stands: its end and notAfter, the permission,
 * the missed streak, the outbound hours, the daily limit and its backoff. Limits that only the
 * placement itself can check (concurrency, calls per second) come back through `afterRefusal`.
 */
export const decideIntent = (intent: IntentState, facts: IntentFacts): IntentStep => {
  const { pair, now, settings } = facts;
  if (!isOpen(intent.status)) return { kind: 'none' };
  if (now >= intent.notAfter) return { kind: 'end', status: 'expired' };
  if (
    intent.status === 'placing' &&
    // Stryker disable next-line ConditionalExpression: now < NaN is false too (the check narrows the type)
    intent.placingSince !== undefined &&
    now < intent.placingSince + placingTakeoverMs
  ) {
    return { kind: 'none' };
  }
  const permission = permissionAt(pair, now);
  switch (permission.kind) {
    case 'rejected':
      return { kind: 'end', status: 'declined', reason: 'permission_rejected' };
    case 'revoked':
      return { kind: 'end', status: 'declined', reason: 'permission_revoked' };
    // Stryker disable next-line ConditionalExpression: the last clause: falling out of it is its break
    default:
      break;
  }
  const permitted = permission.kind === 'temporary' || permission.kind === 'permanent';
  // A pause stops the request and the call alike: nothing is tried before it ends.
  if (facts.pausedUntil !== undefined && now < facts.pausedUntil) {
    return wait(
      intent,
      permitted ? 'scheduled' : 'waiting_permission',
      facts.pausedUntil,
      'number_paused',
    );
  }
  // A backoff holds back the step that failed only: a grant during a failed request's backoff places.
  const retrying = permitted ? 'scheduled' : 'waiting_permission';
  if (
    intent.waitReason === 'retry' &&
    intent.status === retrying &&
    // Stryker disable next-line ConditionalExpression: now < undefined is false too (the check narrows the type)
    intent.dueAt !== undefined &&
    now < intent.dueAt
  ) {
    return wait(intent, retrying, intent.dueAt, 'retry');
  }
  if (!permitted) return withoutPermission(intent, facts);
  // Stryker disable next-line OptionalChaining: a permission comes from a pair
  const missed = pair?.missed ?? 0;
  const revokingMiss = settings.missedCalls.revokeAt - 1;
  if (missed >= revokingMiss) {
    return { kind: 'end', status: 'declined', reason: 'revocation_risk' };
  }
  if (facts.outboundHours) {
    const opening = nextOpening(facts.outboundHours, now);
    if (opening === undefined) return wait(intent, 'scheduled', intent.notAfter, 'outside_hours');
    if (opening > now) return wait(intent, 'scheduled', opening, 'outside_hours');
  }
  // Stryker disable next-line OptionalChaining: a permission comes from a pair
  const daily = dailyCallCheck(pair?.calls, now, settings);
  if (!daily.ok)
    return wait(intent, 'scheduled', now + daily.retryAfter * 1000, 'daily_call_limit');
  if (missed + facts.callsInProgress >= revokingMiss) {
    return wait(intent, 'scheduled', now + callsInProgressRecheckMs, 'calls_in_progress');
  }
  return { kind: 'place' };
};

/** How long after the `failures`-th failed placement the next one is tried: doubling, at most an hour. */
export const retryDelayMs = (failures: number, settings: IntentSettings): number =>
  Math.min(settings.callIntents.retrySeconds * 2 ** Math.max(0, failures - 1), 3600) * 1000;

/** What a placement the limits refused means for the intent (the permission side is re-decided). */
export const afterRefusal = (
  intent: IntentState,
  refusal: PlacementRefusal,
  facts: IntentFacts,
): IntentStep => {
  const { now } = facts;
  switch (refusal.code) {
    case 'country_restricted':
      return { kind: 'end', status: 'declined', reason: 'country_restricted' };
    case 'daily_call_limit':
    case 'cps_limit': {
      // A permission that ends first: looked at again once it has, to ask for a new one.
      const seconds = 'retryAfter' in refusal ? refusal.retryAfter : refusal.requestPermissionAfter;
      return wait(intent, 'scheduled', now + seconds * 1000, refusal.code);
    }
    case 'concurrency_limit':
      return wait(intent, 'scheduled', now + retryDelayMs(1, facts.settings), 'concurrency_limit');
    case 'number_paused':
      // Paused since the intent's facts were read: it waits the pause out instead of failing.
      return wait(intent, 'scheduled', refusal.pausedUntil, 'number_paused');
    default: {
      // The permission changed between the read and the placement: decide again from what stands now,
      // and write a step to take as due now, so the intent's event sets it off.
      // Whatever the intent waited for before is over: this placement was tried.
      const { dueAt: _dueAt, waitReason: _waitReason, ...tried } = intent;
      const step = decideIntent({ ...tried, status: 'scheduled' }, facts);
      if (step.kind === 'place') return wait(intent, 'scheduled', now, 'now');
      if (step.kind === 'request_permission') {
        return wait(intent, 'waiting_permission', now, 'request_due');
      }
      return step;
    }
  }
};

/** A placement failed on a transient error (`failures` so far, this one included): retry later, or give up. */
export const afterFailure = (
  intent: IntentState,
  failures: number,
  permanent: boolean,
  facts: IntentFacts,
): IntentStep =>
  permanent || failures >= facts.settings.callIntents.placementAttempts
    ? { kind: 'end', status: 'declined', reason: 'plivo_error' }
    : wait(intent, 'scheduled', facts.now + retryDelayMs(failures, facts.settings), 'retry');

/** Whether `DELETE` may cancel the intent: not once its call may be on its way. */
export const cancellation = (intent: IntentState): 'cancel' | 'already_ended' | 'placed' =>
  intent.status === 'placed' || intent.status === 'placing'
    ? 'placed'
    : isOpen(intent.status)
      ? 'cancel'
      : 'already_ended';
