import { Duration, type Stack } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { eventSource } from '../functions/shared/events/envelope.js';
import { intentDispatcherEventTypes } from '../functions/shared/events/subscriptions.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { CallgateFunction } from './function-construct.js';
import type { DeadLetters } from './operations.js';
import { selfSchedules } from './self-schedules.js';

export interface IntentSchedulingProps {
  /** Moves call intents on: invoked by the bus's events and by its own wake-ups. */
  readonly dispatcher: CallgateFunction;
  readonly eventBus: IEventBus;
}

/**
 * What moves call intents on: the bus rule that hands the intent events to the dispatcher, and the
 * EventBridge Scheduler group, role and grants of the one-time wake-ups the dispatcher creates.
 */
export class IntentScheduling {
  /** The intents' one-time wake-up schedules, which the dispatcher alone creates. */
  readonly intentWakeups: ScheduleGroup;
  /** What EventBridge Scheduler runs the wake-ups as: it may invoke the dispatcher and dead-letter, nothing else. */
  readonly wakeupRole: Role;
  /** Wake-ups EventBridge Scheduler could not deliver to the dispatcher after its retries. */
  readonly wakeupDeadLetters: Queue;
  /** Intent events the rule could not deliver to the dispatcher after EventBridge's retries. */
  readonly intentEventDeadLetters: Queue;
  /** Dispatcher runs, from an event or a wake-up, that still failed after Lambda's retries. */
  readonly dispatcherDeadLetters: Queue;
  readonly deadLetters: readonly DeadLetters[];

  constructor(stack: Stack, { dispatcher, eventBus }: IntentSchedulingProps) {
    // The rule and the wake-ups both invoke asynchronously: a run that keeps failing is kept, with its
    // event, in one queue whichever invoked it.
    const schedules = selfSchedules(stack, dispatcher, {
      group: { id: 'IntentWakeups' },
      scheduleDeadLetters: { id: 'WakeupDeadLetters', description: 'the intent wake-ups' },
      role: {
        id: 'WakeupRole',
        description:
          'callgate intent wake-ups: invoke the intent dispatcher, dead-letter what fails',
      },
      runDeadLetters: {
        id: 'DispatcherDeadLetters',
        description: "the intent dispatcher's asynchronous invocations",
      },
      namePrefix: '',
      createReason:
        "scheduler:CreateSchedule on schedule/<the stack's schedule group>/*: each wake-up is a new schedule named by its intent at run time, so the group is the narrowest resource that can be named.",
    });
    this.intentWakeups = schedules.group;
    this.wakeupRole = schedules.role;
    this.wakeupDeadLetters = schedules.scheduleDeadLetters;
    this.dispatcherDeadLetters = schedules.runDeadLetters;

    this.intentEventDeadLetters = deadLetterQueue(
      stack,
      'IntentEventDeadLetters',
      'the intent dispatcher rule',
    );
    new Rule(stack, 'IntentDispatcherRule', {
      eventBus,
      description: 'The events that move call intents on, to the intent dispatcher',
      eventPattern: { source: [eventSource], detailType: [...intentDispatcherEventTypes] },
      targets: [
        // These retries cover handing the event over (throttling, a missing permission); once
        // accepted, the dispatcher's own retries below apply.
        new LambdaFunction(dispatcher.handler, {
          retryAttempts: 10,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.intentEventDeadLetters,
        }),
      ],
    });

    this.deadLetters = [
      {
        name: 'intent-events',
        queue: this.intentEventDeadLetters,
        holds: 'intent events the bus rule could not deliver to the intent dispatcher',
      },
      {
        name: 'wakeups',
        queue: this.wakeupDeadLetters,
        holds: 'intent wake-ups EventBridge Scheduler could not deliver to the intent dispatcher',
      },
      {
        name: 'dispatcher',
        queue: this.dispatcherDeadLetters,
        holds: "intent dispatcher runs that still failed after Lambda's retries",
      },
    ];
  }
}
