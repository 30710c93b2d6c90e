import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { permissionExpiryNamePrefix } from '../../functions/shared/scheduling/wakeups.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import type { CallgateStack } from '../../infra/stack.js';
import { asArray, type Json, logicalIdIn, synthesized } from '../support/stack.js';

describe('permission expiries on AWS', () => {
  let stack: CallgateStack;
  let template: Template;
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ stack, template, resources } = synthesized());
  });

  const logicalId = (construct: IConstruct): string => logicalIdIn(stack, construct);
  const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
  const ofType = (type: string): Json[] =>
    Object.values(resources).filter((r: Json) => r.Type === type);
  const statementsOf = (role: IConstruct): Json[] =>
    ofType('AWS::IAM::Policy')
      .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === logicalId(role)))
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement);
  const actionsOf = (statements: Json[], prefix: string) =>
    statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith(prefix)));

  it('binds the function to the table alone, and names its schedule group, role and dead letters', () => {
    expect(stack.functions.get('permission-expiry')).toBe(stack.permissionExpiry);
    const variables =
      resources[logicalId(stack.permissionExpiry.handler)].Properties.Environment.Variables;
    expect(variables).toEqual({
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      POWERTOOLS_SERVICE_NAME: stack.stackName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      TABLE_NAME: { Ref: logicalId(stack.table) },
      SCHEDULE_GROUP_NAME: stack.permissionExpiryLooks.scheduleGroupName,
      SCHEDULER_ROLE_ARN: arnOf(stack.permissionExpiryLookRole),
      WAKEUP_DEAD_LETTER_ARN: arnOf(stack.permissionExpiryLookDeadLetters),
    });
  });

  it('may update table items and nothing else of the table, and no secret', () => {
    const statements = statementsOf(stack.permissionExpiry.role);
    // The table's own ARN; its stream's (read through the mapping) is apart.
    const table = statements.filter((s) =>
      asArray<Json>(s.Resource).some(
        (r) => r?.['Fn::GetAtt']?.[0] === logicalId(stack.table) && r['Fn::GetAtt'][1] === 'Arn',
      ),
    );
    expect(table.flatMap((s) => asArray<string>(s.Action)).sort()).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOf(statements, 'secretsmanager:')).toEqual([]);
    expect(actionsOf(statements, 'events:')).toEqual([]);
  });

  it('has its own schedule group, deleted with the stack', () => {
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: { Name: stack.permissionExpiryLooks.scheduleGroupName },
      DeletionPolicy: 'Delete',
    });
    expect(stack.permissionExpiryLooks.scheduleGroupName).not.toBe(
      stack.intentWakeups.scheduleGroupName,
    );
  });

  it('runs the looks as a role of this account that may only invoke the function and dead-letter', () => {
    const role = resources[logicalId(stack.permissionExpiryLookRole)].Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
    expect(statementsOf(stack.permissionExpiryLookRole)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: arnOf(stack.permissionExpiry.handler),
      },
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: arnOf(stack.permissionExpiryLookDeadLetters),
      },
    ]);
  });

  it('lets the function create schedules of its name prefix in its group only, and pass its look role to the scheduler only', () => {
    const statements = statementsOf(stack.permissionExpiry.role);
    expect(actionsOf(statements, 'scheduler:')).toEqual([
      {
        Action: 'scheduler:CreateSchedule',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':scheduler:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:schedule/${stack.permissionExpiryLooks.scheduleGroupName}/${permissionExpiryNamePrefix}*`,
            ],
          ],
        },
      },
    ]);
    expect(actionsOf(statements, 'iam:')).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(stack.permissionExpiryLookRole),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    // The intents' dispatcher cannot pass this role nor create in this group, and the reverse.
    const dispatcher = statementsOf(stack.intentDispatcher.role);
    expect(JSON.stringify(actionsOf(dispatcher, 'iam:'))).not.toContain(
      logicalId(stack.permissionExpiryLookRole),
    );
    expect(JSON.stringify(actionsOf(dispatcher, 'scheduler:'))).not.toContain(
      stack.permissionExpiryLooks.scheduleGroupName,
    );
  });

  it('reads INSERT and MODIFY of pairs from the stream, retried, then dead-lettered', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack.permissionExpiry.handler) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: arnOf(stack.expiryWatchDeadLetters) },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT', 'MODIFY'],
              dynamodb: { Keys: { pk: { S: [{ prefix: keyPrefixes.pair }] } } },
            }),
          },
        ],
      },
    });
    expect(stack.streamFunctions).toContain(stack.permissionExpiry);
  });

  it('retries a failed look twice, then keeps it in its own dead letters', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.permissionExpiry.handler) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.permissionExpiryDeadLetters) } },
    });
  });

  it('reserves concurrency like the other stream readers', () => {
    expect(
      resources[logicalId(stack.permissionExpiry.handler)].Properties.ReservedConcurrentExecutions,
    ).toBe(20);
  });
});
