import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { Deps } from '../shared/deps.js';
import { type Envelope, eventSource } from '../shared/events/envelope.js';
import { intentDispatcherEventTypes } from '../shared/events/subscriptions.js';
import {
  advanceIntent,
  advancePairIntent,
  awaitPause,
  type IntentAfterRun,
  lookAgainAt,
  momentOfEvent,
  wakePausedIntents,
} from '../shared/operations/call-intents.js';
import type { IntentWakeup, IntentWakeups } from '../shared/scheduling/wakeups.js';

/** An event of the stack's bus, as an EventBridge rule delivers it. */
export interface BusDelivery {
  readonly source: typeof eventSource;
  readonly 'detail-type': string;
  readonly detail: Envelope;
}

export type DispatcherEvent = BusDelivery | IntentWakeup;

export type DispatcherHandler = (event: DispatcherEvent, context: Context) => Promise<void>;

const wakeupSchema = z.object({ intentId: z.uuid() });

const deliverySchema = z.object({
  source: z.literal(eventSource),
  detail: z.object({
    type: z.enum(intentDispatcherEventTypes),
    time: z.iso.datetime(),
    business: z.string(),
    // The number's own events name no user.
    user: z.string().optional(),
    data: z.object({
      intentId: z.uuid().optional(),
      at: z.iso.datetime().optional(),
      reason: z.string().optional(),
    }),
  }),
});

/**
 * The call intents' dispatcher: woken by the intent's own due moment (EventBridge Scheduler) or by an
 * event of the bus (a permission decision on the pair; an intent that now waits, whose wake-up it sets;
 * an operator's lift of a number's pause, which wakes the intents waiting on it).
 * Whatever woke it, it takes the intent's next step as it then stands (operations/call-intents.ts), so
 * a wake-up delivered twice or late does no harm. A failure is thrown: Lambda's asynchronous retries, then
 * its dead-letter queue, take over.
 */
export const createHandler =
  (deps: Deps, wakeupsFor: (dispatcherArn: string) => IntentWakeups): DispatcherHandler =>
  async (event, context) => {
    const wakeups = () => wakeupsFor(context.invokedFunctionArn);
    /** After a run, the intent's next look stands (`lookAgainAt`). */
    const watch = async (intent: IntentAfterRun) => {
      const at = lookAgainAt(intent, deps.clock());
      if (intent && at !== undefined) await wakeups().wakeAt(intent.intentId, at);
    };
    const wakeup = wakeupSchema.safeParse(event);
    if (wakeup.success) {
      await watch(await advanceIntent(deps, wakeup.data.intentId));
      return;
    }
    const delivery = deliverySchema.safeParse(event);
    if (!delivery.success) {
      deps.logger.error('dispatcher event not understood; dropped', {
        issues: delivery.error.issues.map((issue) => issue.message),
      });
      return;
    }
    const { detail } = delivery.data;
    const { intentId, at, reason } = detail.data;
    if (detail.type === 'number.unpaused') {
      await Promise.all((await wakePausedIntents(deps, detail.business)).map(watch));
      return;
    }
    if (detail.type === 'intent.scheduled' || detail.type === 'intent.waiting_permission') {
      if (intentId === undefined || at === undefined) return;
      if (
        reason === 'number_paused' &&
        !(await awaitPause(deps, { intentId, business: detail.business, at: Date.parse(at) }))
      ) {
        await watch(await advanceIntent(deps, intentId));
        return;
      }
      const moment = momentOfEvent(Date.parse(at), Date.parse(detail.time));
      // A moment that passed before its event came is taken now: a wake-up for it would never come.
      if (moment <= deps.clock()) await watch(await advanceIntent(deps, intentId));
      else await wakeups().wakeAt(intentId, moment);
      return;
    }
    if (detail.user !== undefined) {
      await watch(await advancePairIntent(deps, detail.business, detail.user));
    }
  };
