import { randomUUID } from 'node:crypto';
import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { type PhoneNumber, parsePhoneNumber } from '../numbers.js';
import { callsInWindow } from '../rules/daily-calls.js';
import {
  afterFailure,
  afterRefusal,
  callsInProgressMatter,
  cancellation,
  decideIntent,
  type EndStatus,
  endStatuses,
  type IntentFacts,
  type IntentState,
  type IntentStep,
  isOpen,
  openStatuses,
  placingTakeoverMs,
} from '../rules/intent.js';
import { type IntentView, intentView } from '../rules/intent-view.js';
import { mayStillBeMissed } from '../rules/missed-calls.js';
import { type PauseRead, pausedUntil } from '../rules/number-pause.js';
import type { PairState } from '../rules/pair.js';
import { type PlacementRefusal, placementRefusalBeforeRead } from '../rules/place-call.js';
import { type Origin, originOf } from '../rules/references.js';
import { bsuidRefusal } from '../rules/user-link.js';
import { stillContended } from '../store/conditions.js';
import { readCall } from '../store/items/call-record.js';
import {
  createIntent,
  type IntentChanges,
  type IntentItem,
  readActiveIntentId,
  readIntent,
  transitionIntent,
} from '../store/items/intents.js';
import { readNumberPause, readPairAndPause } from '../store/items/number-restriction.js';
import { readPair } from '../store/items/pair.js';
import { markPauseWait, pauseWaitingIntents } from '../store/items/pause-wait.js';
import { reachableNumberOf } from '../store/items/user-link.js';
import { intentListing, type ListedItem, listPage } from '../store/listing.js';
import { requestPermission } from './permission-request.js';
import { placeCall } from './place-call.js';

/**
 * Call intents (rules/intent.ts): "call this user as soon as Meta allows it". POST creates one and
 * takes its first step at once; afterwards the dispatcher (functions/intent-dispatcher) takes the next
 * step whenever something may have changed it: a due moment (EventBridge Scheduler) or a permission
 * event. Every step is decided afresh from what stands and written conditionally on the intent's
 * version, and the call is placed with the intent's own idempotency key (store/items/idempotency.ts), so a step taken twice places
 * at most one call.
 */

/** Steps taken in one go: the request sent, then the wait for its answer, is the longest chain. */
const maxSteps = 3;

/** The pair's recent calls that may still be missed; a counted call without its record counts too. */
const countCallsInProgress = async (deps: Deps, pair: PairState | undefined, now: number) => {
  if (!callsInProgressMatter(pair, now, deps.config.rules)) return 0;
  const records = await Promise.all(
    callsInWindow(pair, now).map((callId) => readCall(deps.db, callId, now)),
  );
  return records.filter((record) => record === undefined || mayStillBeMissed(record)).length;
};

/**
 * The intent's facts as they stand, and the number's pause they were decided on. The pause is read with
 * the pair (one BatchGetItem) unless this run read it already (`known`): a run reads it once, and the
 * placement or request it makes takes that read too.
 */
const factsFor = async (
  deps: Deps,
  intent: IntentState,
  known?: PauseRead,
): Promise<{ readonly facts: IntentFacts; readonly pause: PauseRead } | undefined> => {
  const number = configuredNumber(deps.config, intent.business);
  if (!number) return undefined;
  const now = deps.clock();
  const { pair, pause } = known
    ? { pair: await readPair(deps.db, intent.business, intent.user, now), pause: known.standing }
    : await readPairAndPause(deps.db, intent.business, intent.user, now);
  return {
    facts: {
      pair,
      outboundHours: number.outbound?.hours,
      callsInProgress: await countCallsInProgress(deps, pair, now),
      pausedUntil: pausedUntil(pause, now),
      now,
      settings: deps.config.rules,
    },
    pause: { standing: pause },
  };
};

/** What ending writes: the end, and nothing an open intent held (its moment, its claim). */
const endChanges = (
  status: EndStatus,
  now: number,
  extra: Partial<IntentChanges> = {},
): IntentChanges => ({
  status,
  updatedAt: now,
  endedAt: now,
  dueAt: undefined,
  waitReason: undefined,
  placingSince: undefined,
  ...extra,
});

/** The changes a waiting or ending step writes. */
const changesOf = (step: IntentStep, now: number): IntentChanges | undefined => {
  switch (step.kind) {
    case 'wait':
      return {
        status: step.status,
        updatedAt: now,
        dueAt: step.dueAt,
        waitReason: step.reason,
        placingSince: undefined,
      };
    case 'end':
      return endChanges(
        step.status,
        now,
        step.status === 'declined' ? { reason: step.reason } : {},
      );
    default:
      return undefined;
  }
};

/**
 * A wait the intent already holds. Limits say when they free in whole seconds (`retryAfter`), so the
 * same wait computed a moment later may land up to a second apart: that is the same wait, not a
 * reschedule to write (and announce) again.
 */
const unchanged = (intent: IntentState, step: IntentStep): boolean =>
  step.kind === 'wait' &&
  intent.status === step.status &&
  intent.waitReason === step.reason &&
  intent.dueAt !== undefined &&
  Math.abs(intent.dueAt - step.dueAt) < 1000;

/** Writes a waiting or ending step; false when another dispatch moved the intent first. */
const settle = (deps: Deps, intent: IntentState, step: IntentStep, now: number) => {
  const changes = changesOf(step, now);
  if (!changes || unchanged(intent, step)) return Promise.resolve(true);
  return transitionIntent(deps.db, intent, changes);
};

/**
 * Places the intent's call: claims the intent (`placing`) so no other dispatch places it meanwhile,
 * then places the call with the intent's own idempotency key and records what came of it.
 */
const placeIntentCall = async (
  deps: Deps,
  intent: IntentItem,
  facts: IntentFacts,
  pause: PauseRead,
) => {
  const now = facts.now;
  const claimed = { ...intent, status: 'placing' as const, version: intent.version + 1 };
  const claim = await transitionIntent(deps.db, intent, {
    status: 'placing',
    updatedAt: now,
    placingSince: now,
  });
  if (!claim) return;
  const number = configuredNumber(deps.config, intent.business);
  const business = parsePhoneNumber(intent.business) as PhoneNumber;
  const user = parsePhoneNumber(intent.user) as PhoneNumber;
  const failures = (intent.failedAttempts ?? 0) + 1;
  let next: IntentStep;
  let placedCallId: string | undefined;
  // Only a placement that failed counts toward `placementAttempts`; a refusal by a limit does not.
  let failed = false;
  try {
    const outcome = number
      ? await placeCall(deps, {
          business,
          user,
          number,
          agent: intent.agent,
          intentId: intent.intentId,
          pause,
          ...originOf(intent),
        })
      : undefined;
    switch (outcome?.kind) {
      case undefined:
        next = { kind: 'end', status: 'declined', reason: 'unknown_business_number' };
        break;
      case 'placed':
      case 'replayed':
        placedCallId = outcome.response.callId;
        next = { kind: 'none' };
        break;
      case 'idempotency_conflict':
        if (outcome.reason === 'answer_lost') {
          placedCallId = outcome.callId;
          next = { kind: 'none' };
        } else {
          // Another dispatch's placement of this intent is still under way: look again after it.
          next = {
            kind: 'wait',
            status: 'scheduled',
            dueAt: now + (outcome.reason === 'still_placing' ? outcome.retryAfter : 30) * 1000,
            reason: 'retry',
          };
        }
        break;
      case 'refused':
        next = afterRefusal(intent, outcome.refusal, { ...facts, now: deps.clock() });
        break;
      case 'contended':
        failed = true;
        next = afterFailure(intent, failures, false, facts);
        break;
      case 'plivo_failed':
        failed = true;
        // A call answered unreadably is released (its agent leg refused); retrying could ring the agent twice.
        next = afterFailure(
          intent,
          failures,
          outcome.error.kind === 'refused' || outcome.error.kind === 'unreadable',
          facts,
        );
        break;
    }
  } catch (error) {
    failed = true;
    deps.logger.error('call intent placement failed', {
      intentId: intent.intentId,
      error: error as Error,
    });
    next = afterFailure(intent, failures, false, facts);
  }
  const at = deps.clock();
  if (placedCallId !== undefined) {
    await transitionIntent(deps.db, claimed, endChanges('placed', at, { callId: placedCallId }));
    return;
  }
  const changes = changesOf(next, at);
  if (!changes) return;
  await transitionIntent(deps.db, claimed, {
    ...changes,
    ...(failed ? { failedAttempts: failures } : {}),
  });
};

/** Sends the permission request for an intent; a failure that retrying cannot mend ends it. */
const requestIntentPermission = async (
  deps: Deps,
  intent: IntentItem,
  facts: IntentFacts,
  pause: PauseRead,
) => {
  const number = configuredNumber(deps.config, intent.business);
  if (!number) return;
  const outcome = await requestPermission(deps, {
    business: parsePhoneNumber(intent.business) as PhoneNumber,
    user: parsePhoneNumber(intent.user) as PhoneNumber,
    number,
    pause,
    ...originOf(intent),
  });
  // A request Plivo may have sent stays counted: the intent waits for the reply as if it went.
  if (outcome.kind === 'sent' || outcome.kind === 'refused' || outcome.kind === 'plivo_uncertain') {
    return;
  }
  const failures = (intent.failedAttempts ?? 0) + 1;
  const permanent =
    outcome.kind === 'invalid_variables' ||
    (outcome.kind === 'plivo_failed' && outcome.error.kind === 'refused');
  const next: IntentStep = permanent
    ? { kind: 'end', status: 'declined', reason: 'permission_request_failed' }
    : afterFailure(intent, failures, false, facts);
  if (next.kind === 'wait') {
    await transitionIntent(deps.db, intent, {
      ...(changesOf({ ...next, status: 'waiting_permission' }, facts.now) as IntentChanges),
      failedAttempts: failures,
    });
  } else {
    await settle(deps, intent, next, facts.now);
  }
};

/**
 * Takes the intent's next steps until it waits, ends or another dispatch holds it: the one thing the
 * dispatcher does, whatever woke it. Returns the intent as it then stands. The number's pause is read
 * once in a run (or taken from `pause`, read by the caller): a pause recorded during the run's steps is
 * seen by the next run, or refused by Meta itself, as one recorded after a placement's read is.
 */
export const advanceIntent = async (
  deps: Deps,
  intentId: string,
  pause?: PauseRead,
): Promise<IntentItem | undefined> => {
  let pauseRead = pause;
  for (let step = 0; step < maxSteps; step++) {
    const intent = await readIntent(deps.db, intentId, deps.clock());
    if (!intent || !isOpen(intent.status)) return intent;
    const read = await factsFor(deps, intent, pauseRead);
    pauseRead = read?.pause ?? pauseRead;
    const facts = read?.facts;
    const next: IntentStep = facts
      ? decideIntent(intent, facts)
      : { kind: 'end', status: 'declined', reason: 'unknown_business_number' };
    const now = facts?.now ?? deps.clock();
    switch (next.kind) {
      case 'none':
        return intent;
      case 'wait':
      case 'end':
        if (unchanged(intent, next)) return intent;
        // Written, or another dispatch moved it first: either way this run is done with it.
        await settle(deps, intent, next, now);
        return readIntent(deps.db, intentId, deps.clock());
      case 'request_permission':
        if (read) await requestIntentPermission(deps, intent, read.facts, read.pause);
        break;
      case 'place': {
        if (read) await placeIntentCall(deps, intent, read.facts, read.pause);
        const after = await readIntent(deps.db, intentId, deps.clock());
        // A refusal that changed the step (the permission moved meanwhile) left it due now: take it.
        const dueNow =
          after !== undefined &&
          (after.status === 'scheduled' || after.status === 'waiting_permission') &&
          (after.dueAt ?? Number.POSITIVE_INFINITY) <= deps.clock();
        if (!dueNow) return after;
        break;
      }
    }
  }
  return readIntent(deps.db, intentId, deps.clock());
};

/** The pair's open intent, moved on by a permission decision (a grant places or schedules it; a refusal ends it). */
export const advancePairIntent = async (
  deps: Deps,
  business: string,
  user: string,
): Promise<IntentItem | undefined> => {
  const intentId = await readActiveIntentId(deps.db, business, user, deps.clock());
  return intentId === undefined ? undefined : advanceIntent(deps, intentId);
};

/**
 * An intent that now waits on its number's pause until `at` is marked, so that an operator's lift
 * wakes it (`wakePausedIntents`); then the pause is read again. A lift committed before the mark was
 * missed by the lift's look at the marks, but not by this read, which comes after the mark: false
 * then, and the intent is to be taken on now. True while the pause stands.
 */
export const awaitPause = async (
  deps: Deps,
  wait: { readonly intentId: string; readonly business: string; readonly at: number },
): Promise<boolean> => {
  await markPauseWait(deps.db, wait.business, wait.intentId, wait.at);
  const now = deps.clock();
  return pausedUntil(await readNumberPause(deps.db, wait.business, now), now) !== undefined;
};

/**
 * An operator lifted the number's pause: every intent marked as waiting on it takes its next step now,
 * as its wake-up at the pause's end would have (which, when it comes, finds nothing left to do). The
 * marks are read a page at a time and each page's intents advanced side by side.
 */
export const wakePausedIntents = async (
  deps: Deps,
  business: string,
): Promise<IntentAfterRun[]> => {
  const woken: IntentAfterRun[] = [];
  // Every intent here is the number's: its pause, read once for them all.
  let pause: PauseRead | undefined;
  for await (const page of pauseWaitingIntents(deps.db, business, deps.clock())) {
    pause ??= { standing: await readNumberPause(deps.db, business, deps.clock()) };
    const known = pause;
    woken.push(
      ...(await Promise.all(page.map((intentId) => advanceIntent(deps, intentId, known)))),
    );
  }
  return woken;
};

/** `Origin`: the request's reference, metadata and caller, kept on the intent. */
export interface IntentToCreate extends Origin {
  readonly business: PhoneNumber;
  /** The user number, or a BSUID: the intent calls the number it is linked to, refused when none. */
  readonly user: PhoneNumber | { readonly id: string };
  readonly agent?: string | undefined;
  /** Epoch ms; the configured lifetime from now when absent. */
  readonly notAfter?: number | undefined;
}

/** An intent as a run of `advanceIntent` leaves it (undefined: there is none). */
export type IntentAfterRun = Awaited<ReturnType<typeof advanceIntent>>;

/**
 * When a dispatcher must look at the intent again after a run: another run's placement under way once
 * it may be taken over, should that run die; a wait at its moment, whichever wake-up or event this run
 * came from (the wait may be one it left unchanged, whose event came long ago). Undefined: no look.
 */
export const lookAgainAt = (intent: IntentAfterRun, now: number): number | undefined => {
  if (intent?.status === 'placing' && intent.placingSince !== undefined) {
    return intent.placingSince + placingTakeoverMs + 1000;
  }
  if (
    (intent?.status === 'scheduled' || intent?.status === 'waiting_permission') &&
    intent.dueAt !== undefined &&
    intent.dueAt > now
  ) {
    return intent.dueAt;
  }
  return undefined;
};

/**
 * A step written as due now is taken by the run that wrote it (the POST, or the dispatcher); its event
 * only sets a wake-up for a run that died before taking it, once that run's claim may be taken over.
 */
const handoffMs = placingTakeoverMs + 30_000;

/**
 * When the dispatcher must look at an intent its event says waits: at the moment it waits for, or, for a
 * step written as due now (its moment is its write), once its writer may be taken over.
 */
export const momentOfEvent = (at: number, writtenAt: number): number =>
  at > writtenAt ? at : writtenAt + handoffMs;

export type CreateIntentOutcome =
  | { readonly kind: 'created'; readonly intent: IntentView }
  /** The pair's open intent, which stands instead. */
  | { readonly kind: 'active'; readonly intent: IntentView }
  | { readonly kind: 'refused'; readonly refusal: PlacementRefusal }
  | { readonly kind: 'invalid_not_after'; readonly latest: number };

/**
 * Creates an intent in the state its first step leads to, then takes that step (placing the call or
 * sending the permission request) at once. A second intent for the pair returns the open one, moved on
 * if its placement was left behind (`placingTakeoverMs`).
 */
export const createCallIntent = async (
  deps: Deps,
  request: IntentToCreate,
): Promise<CreateIntentOutcome> => {
  const { rules } = deps.config;
  const now = deps.clock();
  const early = placementRefusalBeforeRead(request.business.country, rules);
  if (early) return { kind: 'refused', refusal: early };
  const user = await reachableNumberOf(deps.db, request.business.e164, request.user, now);
  const unreachable = bsuidRefusal({ number: user }, 'call');
  if (unreachable) return { kind: 'refused', refusal: { code: unreachable } };
  const latest = now + rules.callIntents.maxLifetimeSeconds * 1000;
  const notAfter = request.notAfter ?? now + rules.callIntents.lifetimeSeconds * 1000;
  if (notAfter <= now || notAfter > latest) return { kind: 'invalid_not_after', latest };
  const draft: IntentState = {
    intentId: randomUUID(),
    business: request.business.e164,
    user: user as string,
    ...(request.agent === undefined ? {} : { agent: request.agent }),
    ...originOf(request),
    createdAt: now,
    updatedAt: now,
    notAfter,
    status: 'scheduled',
    version: 1,
  };
  const read = await factsFor(deps, draft);
  const first: IntentStep = read
    ? decideIntent(draft, read.facts)
    : { kind: 'end', status: 'declined', reason: 'unknown_business_number' };
  // A step to take now is written as due now: should this request stop before taking it, the
  // dispatcher takes it from the `intent.scheduled` or `intent.waiting_permission` event.
  const firstState: IntentStep =
    first.kind === 'place'
      ? { kind: 'wait', status: 'scheduled', dueAt: now, reason: 'now' }
      : first.kind === 'request_permission'
        ? { kind: 'wait', status: 'waiting_permission', dueAt: now, reason: 'request_due' }
        : first;
  const changes = changesOf(firstState, now);
  const created = await createIntent(deps.db, { ...draft, ...changes } as IntentState, now);
  if (created.kind === 'active') {
    const active = await advanceIntent(deps, created.intentId, read?.pause);
    if (!active) throw new Error(`the pair's active intent ${created.intentId} is missing`);
    return { kind: 'active', intent: intentView(await placingSettled(deps, active)) };
  }
  if (first.kind !== 'place' && first.kind !== 'request_permission') {
    return { kind: 'created', intent: intentView(created.intent) };
  }
  const moved = await advanceIntent(deps, created.intent.intentId, read?.pause);
  return {
    kind: 'created',
    intent: intentView(await placingSettled(deps, moved ?? created.intent)),
  };
};

/** How long a POST waits for another run's placement of its intent (a grant's event got there first). */
const placingWaitMs = 3_000;
const placingPollMs = 100;

/** The intent once a placement another run is making has an outcome, or as it stands after a wait. */
const placingSettled = async (deps: Deps, intent: IntentItem): Promise<IntentItem> => {
  let current = intent;
  for (let waited = 0; current.status === 'placing' && waited < placingWaitMs; ) {
    await new Promise((resolve) => setTimeout(resolve, placingPollMs));
    waited += placingPollMs;
    current = (await readIntent(deps.db, intent.intentId, deps.clock())) ?? current;
  }
  return current;
};

export type CancelIntentOutcome =
  | { readonly kind: 'cancelled' | 'already_ended'; readonly intent: IntentView }
  | { readonly kind: 'placed'; readonly intent: IntentView }
  | { readonly kind: 'not_found' };

/** GET: the intent as the API shows it, or undefined when there is none. */
export const readCallIntent = async (
  deps: Deps,
  intentId: string,
): Promise<IntentView | undefined> => {
  const intent = await readIntent(deps.db, intentId, deps.clock());
  return intent && intentView(intent);
};

/** DELETE: ends an intent that has not placed its call; a call on its way cannot be taken back. */
export const cancelCallIntent = async (
  deps: Deps,
  intentId: string,
  /** Who cancels it (http/actor.ts): named by `intent.cancelled`. */
  actor?: string,
): Promise<CancelIntentOutcome> => {
  for (let attempt = 0; attempt < maxSteps; attempt++) {
    const now = deps.clock();
    const intent = await readIntent(deps.db, intentId, now);
    if (!intent) return { kind: 'not_found' };
    const verdict = cancellation(intent);
    if (verdict !== 'cancel') return { kind: verdict, intent: intentView(intent) };
    const changes = endChanges('cancelled', now, actor === undefined ? {} : { cancelledBy: actor });
    if (await transitionIntent(deps.db, intent, changes)) {
      return {
        kind: 'cancelled',
        intent: intentView((await readIntent(deps.db, intentId, deps.clock())) ?? intent),
      };
    }
  }
  throw stillContended('call intent');
};

/** What GET /v1/call-intents may list: one status, or `open` (every open status, the default). */
export const intentStatusFilters = ['open', ...openStatuses, ...endStatuses] as const;

export type IntentStatusFilter = (typeof intentStatusFilters)[number];

export type ListIntentsOutcome =
  | {
      readonly kind: 'listed';
      readonly intents: readonly IntentView[];
      readonly cursor?: string;
    }
  /** Tampered with, made for another query, or not a cursor at all. */
  | { readonly kind: 'invalid_cursor' };

/** A number's intents in a status (the open ones by default), newest first, a page at a time. */
export const listCallIntents = async (
  deps: Deps,
  query: {
    readonly business: string;
    readonly status: IntentStatusFilter;
    readonly limit: number;
    readonly cursor?: string | undefined;
  },
): Promise<ListIntentsOutcome> => {
  const page = await listPage<IntentItem & ListedItem>(
    deps.db,
    intentListing(query.business, query.status === 'open' ? openStatuses : [query.status]),
    { limit: query.limit, cursor: query.cursor, now: deps.clock() },
    await deps.listingCursorKey(),
  );
  if (page.kind === 'invalid_cursor') return page;
  return {
    kind: 'listed',
    intents: page.items.map(intentView),
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  };
};
