import { ArnFormat, Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { permissionExpiryNamePrefix } from '../functions/shared/scheduling/wakeups.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { CallgateFunction } from './function-construct.js';
import type { DeadLetters } from './operations.js';

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
    this.scheduleGroup = new ScheduleGroup(stack, 'PermissionExpiryLooks', {
      // Its schedules invoke this stack's function alone, and its name is fixed at synth: as the
      // intents' group, deleted with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.lookDeadLetters = deadLetterQueue(
      stack,
      'PermissionExpiryLookDeadLetters',
      "the permission expiries' looks",
    );
    this.lookRole = new Role(stack, 'PermissionExpiryLookRole', {
      // Only schedules of this account may use it (confused deputy).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description:
        'callgate permission expiries: invoke the permission-expiry function, dead-letter what fails',
    });
    // In the role's own policy: the function's environment names the role, so the role cannot name it.
    this.lookRole.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [expiry.handler.functionArn],
      }),
    );
    this.lookRole.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.lookDeadLetters.queueArn],
      }),
    );
    expiry
      .addEnvironment('SCHEDULE_GROUP_NAME', this.scheduleGroup.scheduleGroupName)
      .addEnvironment('SCHEDULER_ROLE_ARN', this.lookRole.roleArn)
      .addEnvironment('WAKEUP_DEAD_LETTER_ARN', this.lookDeadLetters.queueArn);
    // Named by pair and expiry at run time: the group and the name prefix are what can be fixed. No
    // update or delete: a look is never changed, and each deletes itself once it ran.
    const schedules = `${this.scheduleGroup.scheduleGroupName}/${permissionExpiryNamePrefix}*`;
    expiry.role.addToPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [
          stack.formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: schedules,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    expiry.role.addToPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.lookRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    Validations.of(expiry.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${schedules}]`,
      reason:
        "scheduler:CreateSchedule on schedule/<the stack's expiry group>/permission-*: each look is a new schedule named by its pair and expiry at run time, so the group and the prefix are the narrowest resource that can be named.",
    });

    this.lapseDeadLetters = deadLetterQueue(
      stack,
      'PermissionExpiryDeadLetters',
      "the permission-expiry function's asynchronous invocations",
    );
    // A look that came before its end is thrown and retried by Lambda (a minute, then two later).
    expiry.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.lapseDeadLetters),
    });

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
