import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  type IntentWakeup,
  type IntentWakeups,
  intentWakeupAt,
  intentWakeupName,
  type PermissionExpiryWakeup,
  type PermissionExpiryWakeups,
  permissionExpiryLookAt,
  permissionExpiryName,
} from './wakeups.js';

export interface SchedulerOptions {
  /** The stack's schedule group: its schedules, and only those, are the function's to create. */
  readonly groupName: string;
  /** The function the schedules invoke (the one creating them). */
  readonly targetArn: string;
  /** The role EventBridge Scheduler invokes it with. */
  readonly roleArn: string;
  /** Where a wake-up that could not be delivered goes. */
  readonly deadLetterArn: string;
  readonly client?: SchedulerClient;
  /** Epoch ms; the Lambda's clock by default. */
  readonly clock?: () => number;
}

/**
 * `at()` takes whole seconds, in the time zone given (UTC here): the moment's own second, rounded up,
 * but at least a whole second after the request, so the schedule never lands in the past (a moment the
 * clock reached meanwhile runs a second or two late instead of never).
 */
const atExpression = (at: number, now: number) =>
  `at(${new Date(Math.max(Math.ceil(at / 1000), Math.ceil(now / 1000) + 1) * 1000)
    .toISOString()
    .slice(0, 19)})`;

/**
 * One one-time schedule, deleted once it ran. A name already taken is the same schedule asked for
 * again (an event or a stream record redelivered): the create conflicts, which is success.
 */
const createOneTimeSchedule = (options: SchedulerOptions) => {
  const client = options.client ?? new SchedulerClient({});
  const clock = options.clock ?? Date.now;
  return async (name: string, at: number, input: object): Promise<void> => {
    try {
      await client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: options.groupName,
          ScheduleExpression: atExpression(at, clock()),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: options.targetArn,
            RoleArn: options.roleArn,
            Input: JSON.stringify(input),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: options.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConflictException') throw error;
    }
  };
};

/** The intents' wake-ups, named by intent and minute, at the whole minute after the moment. */
export const createEventBridgeWakeups = (options: SchedulerOptions): IntentWakeups => {
  const schedule = createOneTimeSchedule(options);
  return {
    wakeAt: (intentId, at) =>
      schedule(intentWakeupName(intentId, at), intentWakeupAt(at), {
        intentId,
      } satisfies IntentWakeup),
  };
};

/** The looks at temporary permissions' ends, named by pair and expiry, at the minute after it. */
export const createEventBridgePermissionExpiries = (
  options: SchedulerOptions,
): PermissionExpiryWakeups => {
  const schedule = createOneTimeSchedule(options);
  return {
    watch: (expiry) =>
      schedule(permissionExpiryName(expiry), permissionExpiryLookAt(expiry.expiresAt), {
        business: expiry.business,
        user: expiry.user,
        expiresAt: expiry.expiresAt,
      } satisfies PermissionExpiryWakeup),
  };
};
