import type { Stack } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { permissionExpiryNamePrefix } from '../functions/shared/scheduling/wakeups.js';
import type { CallgateFunction } from './function-construct.js';
import type { DeadLetters } from './operations.js';
import { selfSchedules } from './self-schedules.js';

/**
 * What watches temporary permissions' ends (docs/decisions/0012-permission-expiry.md): the
 * EventBridge Scheduler group, role and grants of the one-time looks the permission-expiry function
 * creates at each end, and the dead letters of those looks. Its stream mapping is in
 * infra/stream-readers.ts with the others.
 */
export class PermissionExpiries {
  /** The looks at permissions' ends, which the permission-expiry function alone creates. */
  readonly scheduleGroup: ScheduleGroup;
  /** What EventBridge Scheduler runs the looks as: it may invoke the function and dead-letter, nothing else. */
  readonly lookRole: Role;
  /** Looks EventBridge Scheduler could not deliver to the function after its retries. */
  readonly lookDeadLetters: Queue;
  /** Looks the function still failed after Lambda's asynchronous retries. */
  readonly lapseDeadLetters: Queue;
  readonly deadLetters: readonly DeadLetters[];

  constructor(stack: Stack, expiry: CallgateFunction) {
    // A look that came before its end is thrown and retried by Lambda (a minute, then two later).
    const schedules = selfSchedules(stack, expiry, {
      group: { id: 'PermissionExpiryLooks' },
      scheduleDeadLetters: {
        id: 'PermissionExpiryLookDeadLetters',
        description: "the permission expiries' looks",
      },
      role: {
        id: 'PermissionExpiryLookRole',
        description:
          'callgate permission expiries: invoke the permission-expiry function, dead-letter what fails',
      },
      runDeadLetters: {
        id: 'PermissionExpiryDeadLetters',
        description: "the permission-expiry function's asynchronous invocations",
      },
      namePrefix: permissionExpiryNamePrefix,
      createReason:
        "scheduler:CreateSchedule on schedule/<the stack's expiry group>/permission-*: each look is a new schedule named by its pair and expiry at run time, so the group and the prefix are the narrowest resource that can be named.",
    });
    this.scheduleGroup = schedules.group;
    this.lookRole = schedules.role;
    this.lookDeadLetters = schedules.scheduleDeadLetters;
    this.lapseDeadLetters = schedules.runDeadLetters;

    this.deadLetters = [
      {
        name: 'permission-expiry-looks',
        queue: this.lookDeadLetters,
        holds:
          "looks at permissions' ends EventBridge Scheduler could not deliver to the permission-expiry function",
      },
      {
        name: 'permission-expiry',
        queue: this.lapseDeadLetters,
        holds: "permission-expiry runs from a look that still failed after Lambda's retries",
      },
    ];
  }
}
