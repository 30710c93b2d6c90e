import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { lambdaDeps } from '../shared/lambda-deps.js';
import { lambdaObservability } from '../shared/lambda-observability.js';
import { createEventBridgePermissionExpiries } from '../shared/scheduling/eventbridge-scheduler.js';
import type { PermissionExpiryWakeups } from '../shared/scheduling/wakeups.js';
import { createHandler } from './handler.js';

const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const groupName = requireEnv('SCHEDULE_GROUP_NAME');
const roleArn = requireEnv('SCHEDULER_ROLE_ARN');
const deadLetterArn = requireEnv('WAKEUP_DEAD_LETTER_ARN');

let expiries: PermissionExpiryWakeups | undefined;
const observability = lambdaObservability('permission-expiry');

// The schedules invoke this very function: its ARN is known from the first invocation's context.
export const handler = observability.wrap(
  createHandler(lambdaDeps(observability), (functionArn) => {
    expiries ??= createEventBridgePermissionExpiries({
      groupName,
      targetArn: functionArn,
      roleArn,
      deadLetterArn,
      client: observability.traced(new SchedulerClient({})),
    });
    return expiries;
  }),
);
