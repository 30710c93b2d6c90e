import { ArnFormat, Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { CallgateFunction } from './function-construct.js';

/** A construct's id and what its queue or role is for, as its description says it. */
interface Named {
  readonly id: string;
  readonly description: string;
}

export interface SelfSchedulesProps {
  readonly group: { readonly id: string };
  /** The schedules' dead letters: what EventBridge Scheduler could not deliver after its retries. */
  readonly scheduleDeadLetters: Named;
  readonly role: Named;
  /** The function's asynchronous dead letters: its runs that still failed after Lambda's retries. */
  readonly runDeadLetters: Named;
  /** What every schedule's name begins with; empty when names have no fixed part. */
  readonly namePrefix: string;
  /** Why `scheduler:CreateSchedule` on the group and prefix is the narrowest grant. */
  readonly createReason: string;
}

export interface SelfSchedules {
  readonly group: ScheduleGroup;
  readonly role: Role;
  readonly scheduleDeadLetters: Queue;
  readonly runDeadLetters: Queue;
}

/**
 * What a function whose one-time schedules invoke itself needs (functions/shared/lambda-deps.ts,
 * `selfSchedules`): its schedule group, the role EventBridge Scheduler runs them as, their dead
 * letters, the function's grants to create them in the group alone, and its own asynchronous retries
 * and dead letters (the schedules invoke it asynchronously).
 */
export const selfSchedules = (
  stack: Stack,
  fn: CallgateFunction,
  props: SelfSchedulesProps,
): SelfSchedules => {
  const group = new ScheduleGroup(stack, props.group.id, {
    // Its schedules invoke this stack's function alone, so without the stack they could only fail;
    // and its name is fixed at synth, so a retained group would stop the stack being created again.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const scheduleDeadLetters = deadLetterQueue(
    stack,
    props.scheduleDeadLetters.id,
    props.scheduleDeadLetters.description,
  );
  const role = new Role(stack, props.role.id, {
    // Only schedules of this account may use it (confused deputy).
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: props.role.description,
  });
  // Statements in the role's own policy, not the role: the function's environment names the role, so
  // the role itself cannot name the function.
  role.addToPolicy(
    new PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [fn.handler.functionArn],
    }),
  );
  // Scheduler dead-letters with the schedule's role.
  role.addToPolicy(
    new PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [scheduleDeadLetters.queueArn],
    }),
  );
  fn.addEnvironment('SCHEDULE_GROUP_NAME', group.scheduleGroupName)
    .addEnvironment('SCHEDULER_ROLE_ARN', role.roleArn)
    .addEnvironment('WAKEUP_DEAD_LETTER_ARN', scheduleDeadLetters.queueArn);
  // Schedules are named at run time, so only the group and the prefix can be fixed here. No update or
  // delete: a schedule is never changed, and each deletes itself once it ran.
  const schedules = `${group.scheduleGroupName}/${props.namePrefix}*`;
  fn.role.addToPolicy(
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
  fn.role.addToPolicy(
    new PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    }),
  );
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${schedules}]`,
    reason: props.createReason,
  });

  const runDeadLetters = deadLetterQueue(
    stack,
    props.runDeadLetters.id,
    props.runDeadLetters.description,
  );
  fn.handler.configureAsyncInvoke({
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
    onFailure: new SqsDestination(runDeadLetters),
  });
  return { group, role, scheduleDeadLetters, runDeadLetters };
};
