import { ArnFormat, Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { eventSource } from '../functions/shared/events/envelope.js';
import { intentDispatcherEventTypes } from '../functions/shared/events/subscriptions.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { CallgateFunction } from './function-construct.js';
import type { DeadLetters } from './operations.js';

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
    this.intentWakeups = new ScheduleGroup(stack, 'IntentWakeups', {
      // Its schedules invoke this stack's dispatcher alone, so without the stack they could only fail;
      // and its name is fixed at synth, so a retained group would stop the stack being created again.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.wakeupDeadLetters = deadLetterQueue(stack, 'WakeupDeadLetters', 'the intent wake-ups');
    this.wakeupRole = new Role(stack, 'WakeupRole', {
      // Only schedules of this account may use it (confused deputy).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'callgate intent wake-ups: invoke the intent dispatcher, dead-letter what fails',
    });
    // Statements in the role's own policy, not the role: the dispatcher's environment names the role,
    // so the role itself cannot name the dispatcher.
    this.wakeupRole.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [dispatcher.handler.functionArn],
      }),
    );
    // Scheduler dead-letters with the schedule's role.
    this.wakeupRole.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.wakeupDeadLetters.queueArn],
      }),
    );
    dispatcher
      .addEnvironment('SCHEDULE_GROUP_NAME', this.intentWakeups.scheduleGroupName)
      .addEnvironment('SCHEDULER_ROLE_ARN', this.wakeupRole.roleArn)
      .addEnvironment('WAKEUP_DEAD_LETTER_ARN', this.wakeupDeadLetters.queueArn);
    // Schedules are named by intent and moment, so only the group can be fixed here. No update or
    // delete: a wake-up is never changed, and each deletes itself once it ran.
    dispatcher.role.addToPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [
          stack.formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: `${this.intentWakeups.scheduleGroupName}/*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    dispatcher.role.addToPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.wakeupRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    Validations.of(dispatcher.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.intentWakeups.scheduleGroupName}/*]`,
      reason:
        "scheduler:CreateSchedule on schedule/<the stack's schedule group>/*: each wake-up is a new schedule named by its intent at run time, so the group is the narrowest resource that can be named.",
    });

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
    this.dispatcherDeadLetters = deadLetterQueue(
      stack,
      'DispatcherDeadLetters',
      "the intent dispatcher's asynchronous invocations",
    );
    // The rule and the wake-ups both invoke asynchronously: a run that keeps failing is kept, with its
    // event, in one queue whichever invoked it.
    dispatcher.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.dispatcherDeadLetters),
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
