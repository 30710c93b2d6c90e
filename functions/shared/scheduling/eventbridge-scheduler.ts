import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { IntentWakeup, IntentWakeups } from './wakeups.js';

export interface SchedulerOptions {
  /** The stack's schedule group: its schedules, and only those, are the dispatcher's to create. */
  readonly groupName: string;
  /** The dispatcher function the schedules invoke. */
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
 * One-time EventBridge Scheduler schedules, deleted once they ran. Named by intent and moment, so the
 * same wake-up asked for twice (an event redelivered) is one schedule: the second create conflicts.
 */
export const createEventBridgeWakeups = (options: SchedulerOptions): IntentWakeups => {
  const client = options.client ?? new SchedulerClient({});
  const clock = options.clock ?? Date.now;
  return {
    wakeAt: async (intentId, at) => {
      const input: IntentWakeup = { intentId };
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: `intent-${intentId}-${Math.ceil(at / 1000)}`,
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
    },
  };
};
