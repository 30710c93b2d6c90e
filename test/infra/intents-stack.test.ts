import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { intentDispatcherEventTypes } from '../../functions/shared/events/subscriptions.js';
import { routes } from '../../functions/shared/routes.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import type { CallgateFunction } from '../../infra/function-construct.js';
import type { CallgateStack } from '../../infra/stack.js';
import { asArray, type Json, logicalIdIn, synthesized } from '../support/stack.js';

describe('call intents on AWS', () => {
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

  /** Every statement of the policies attached to the role, whichever construct made them. */
  const statementsOf = (role: IConstruct): Json[] =>
    ofType('AWS::IAM::Policy')
      .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === logicalId(role)))
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement);

  const functionNamed = (fn: 'call-intents' | 'events'): CallgateFunction => {
    const found = stack.functions.get(fn);
    if (!found) throw new Error(`no function ${fn}`);
    return found;
  };

  it('serves POST, GET and DELETE of call intents and their listing, IAM-authorized, from the call-intents function', () => {
    const intentRoutes = routes.filter((route) => route.fn === 'call-intents');
    expect(intentRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'DELETE /v1/call-intents/{intentId}',
      'GET /v1/call-intents',
      'GET /v1/call-intents/{intentId}',
      'POST /v1/call-intents',
    ]);
    for (const route of intentRoutes) {
      const key = `${route.method} ${route.path}`;
      const found = Object.values(
        template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: key } }),
      ) as Json[];
      expect(found, key).toHaveLength(1);
      const apiRoute = found[0].Properties;
      expect(apiRoute.AuthorizationType, key).toBe('AWS_IAM');
      const integrationId = apiRoute.Target['Fn::Join'][1][1].Ref;
      expect(resources[integrationId].Properties.IntegrationUri, key).toEqual(
        arnOf(functionNamed('call-intents').handler),
      );
    }
  });

  it('binds the dispatcher like a routed function, and names its schedule group, role and dead letters', () => {
    const variables =
      resources[logicalId(stack.intentDispatcher.handler)].Properties.Environment.Variables;
    expect(stack.functions.get('intent-dispatcher')).toBe(stack.intentDispatcher);
    expect(variables).toEqual({
      PUBLIC_BASE_URL: { 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] },
      POWERTOOLS_SERVICE_NAME: stack.stackName,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      TABLE_NAME: { Ref: logicalId(stack.table) },
      PLIVO_SECRET_ARN: { Ref: logicalId(stack.plivoSecret) },
      SCHEDULE_GROUP_NAME: stack.intentWakeups.scheduleGroupName,
      SCHEDULER_ROLE_ARN: arnOf(stack.wakeupRole),
      WAKEUP_DEAD_LETTER_ARN: arnOf(stack.wakeupDeadLetters),
    });
  });

  it('has one schedule group for the wake-ups, deleted with the stack', () => {
    // The other is the permission expiries' (test/infra/permission-expiry-stack.test.ts).
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 2);
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: { Name: stack.intentWakeups.scheduleGroupName },
      DeletionPolicy: 'Delete',
    });
  });

  it('runs the wake-ups as a role of this account that may only invoke the dispatcher and dead-letter', () => {
    const role = resources[logicalId(stack.wakeupRole)].Properties;
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
    expect(statementsOf(stack.wakeupRole)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: arnOf(stack.intentDispatcher.handler),
      },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(stack.wakeupDeadLetters) },
    ]);
  });

  it('lets the dispatcher create schedules in its group only, and pass the wake-up role to the scheduler only', () => {
    const statements = statementsOf(stack.intentDispatcher.role);
    const scheduler = statements.filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('scheduler:')),
    );
    expect(scheduler).toEqual([
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
              `:schedule/${stack.intentWakeups.scheduleGroupName}/*`,
            ],
          ],
        },
      },
    ]);
    const iam = statements.filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('iam:')),
    );
    expect(iam).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: arnOf(stack.wakeupRole),
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    // No other role may create schedules or pass roles but the permission expiries' function, on its
    // own group (test/infra/permission-expiry-stack.test.ts).
    const schedulers = [stack.intentDispatcher.role, stack.permissionExpiry.role].map(logicalId);
    const elsewhere = ofType('AWS::IAM::Policy')
      .filter((p: Json) => !p.Properties.Roles.some((r: Json) => schedulers.includes(r.Ref)))
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: Json) => asArray<string>(s.Action))
      .filter((a: string) => a.startsWith('scheduler:') || a.startsWith('iam:'));
    expect(elsewhere).toEqual([]);
  });

  it("sends the dispatcher's events from the stack bus, retried, then dead-lettered", () => {
    const rules = ofType('AWS::Events::Rule').filter(
      (r: Json) => r.Properties.EventPattern['detail-type'] !== undefined,
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0].Properties;
    expect(rule.EventBusName).toEqual({ Ref: logicalId(stack.eventBus) });
    expect(rule.EventPattern).toEqual({
      source: ['callgate'],
      'detail-type': [...intentDispatcherEventTypes],
    });
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: arnOf(stack.intentDispatcher.handler),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: { Arn: arnOf(stack.intentEventDeadLetters) },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(stack.intentDispatcher.handler),
      Principal: 'events.amazonaws.com',
    });
  });

  it('retries a failed dispatcher run twice, then keeps it in its own dead letters', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.intentDispatcher.handler) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.dispatcherDeadLetters) } },
    });
    const sends = statementsOf(stack.intentDispatcher.role).filter((s) =>
      asArray<string>(s.Action).includes('sqs:SendMessage'),
    );
    expect(sends.map((s) => s.Resource)).toEqual([arnOf(stack.dispatcherDeadLetters)]);
  });

  it('lets intent changes through the events function’s stream filter', () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping').find(
      (m: Json) => m.Properties.FunctionName.Ref === logicalId(functionNamed('events').handler),
    );
    const [filter] = mapping.Properties.FilterCriteria.Filters;
    expect(JSON.parse(filter.Pattern).dynamodb.Keys.pk.S).toContainEqual({
      prefix: keyPrefixes.intent,
    });
  });
});
