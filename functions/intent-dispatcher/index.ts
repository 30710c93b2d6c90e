import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { lambdaDeps } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createEventBridgeWakeups } from '../shared/scheduling/eventbridge-scheduler.js';
import type { IntentWakeups } from '../shared/scheduling/wakeups.js';
import { createHandler } from './handler.js';

const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const groupName = requireEnv('SCHEDULE_GROUP_NAME');
const roleArn = requireEnv('SCHEDULER_ROLE_ARN');
const deadLetterArn = requireEnv('WAKEUP_DEAD_LETTER_ARN');

let wakeups: IntentWakeups | undefined;
const observability = lambdaObservability('intent-dispatcher');

// The schedules invoke this very function: its ARN is known from the first invocation's context.
export const handler = observability.wrap(
  createHandler(lambdaDeps(observability), (dispatcherArn) => {
    wakeups ??= createEventBridgeWakeups({
      groupName,
      targetArn: dispatcherArn,
      roleArn,
      deadLetterArn,
      client: observability.traced(new SchedulerClient({})),
    });
    return wakeups;
  }),
);
