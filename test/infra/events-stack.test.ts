import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, exampleConfigPath } from '../../functions/shared/config/load.js';
import { operationsSchema } from '../../functions/shared/config/schema.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import { createApp } from '../../infra/callgate-app.js';
import { webhookDeliveryTries, webhookRetryInterval } from '../../infra/event-delivery.js';
import type { CallgateStack } from '../../infra/stack.js';
import { type Json, logicalIdIn, noBundling, synthesized } from '../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'callgate-events-infra-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example configuration with `events` set, written where createApp reads it. */
const configWithEvents = (events: unknown): string => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  raw.events = events;
  const path = join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(raw));
  return path;
};

const logicalId = logicalIdIn;

describe('events on AWS', () => {
  let stack: CallgateStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesized());
  });

  it('has its own bus, which the events function names', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const events = stack.functions.get('events');
    if (!events) throw new Error('no events function');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ EVENT_BUS_NAME: { Ref: logicalId(stack, stack.eventBus) } }),
      },
    });
  });

  it('reads pair, call, intent and number restriction changes from the stream: no window, bisected, bounded, reported, dead-lettered', () => {
    const events = stack.functions.get('events');
    if (!events) throw new Error('no events function');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, events.handler) },
      EventSourceArn: {
        'Fn::GetAtt': [logicalId(stack, stack.table), 'StreamArn'],
      },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(stack, stack.eventDeadLetters), 'Arn'] },
        },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT', 'MODIFY'],
              dynamodb: {
                Keys: {
                  pk: {
                    S: [
                      { prefix: keyPrefixes.pair },
                      { prefix: keyPrefixes.call },
                      { prefix: keyPrefixes.intent },
                      { prefix: keyPrefixes.numberRestriction },
                    ],
                  },
                },
              },
            }),
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('adds no webhook unless the configuration names one', () => {
    template.resourceCountIs('AWS::Events::ApiDestination', 0);
    template.resourceCountIs('AWS::Events::Connection', 0);
    // The intent dispatcher's rule alone (test/infra/intents-stack.test.ts).
    template.resourceCountIs('AWS::Events::Rule', 1);
    expect(stack.webhookQueue).toBeUndefined();
    expect(stack.webhookDeadLetters).toBeUndefined();
    expect(
      Object.values(Template.fromStack(stack).toJSON().Resources as Json).filter(
        (r: Json) =>
          r.Type === 'AWS::CloudWatch::Alarm' &&
          r.Properties.AlarmName === `${stack.stackName}-webhook-falling-behind`,
      ),
    ).toEqual([]);
    expect(stack.functions.has('event-webhook')).toBe(false);
  });
});

describe('the events webhook', () => {
  const webhook = {
    url: 'https://crm.example.com/hooks/callgate',
    secret: 'callgate/webhook',
    signingSecretField: 'signingSecret',
    authHeader: { name: 'X-Api-Key', secretField: 'apiKey' },
    concurrency: 20,
  };
  let stack: CallgateStack;
  let template: Template;
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ stack } = createApp({ configPath: configWithEvents({ webhook }), context: noBundling }));
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  });
  const webhookFunction = () => {
    const fn = stack.functions.get('event-webhook');
    if (!fn) throw new Error('no event-webhook function');
    return fn;
  };
  const policiesOf = (fn: { role: IConstruct }): Json[] =>
    Object.values(resources)
      .filter((r: Json) => r.Type === 'AWS::IAM::Policy')
      .filter((p: Json) =>
        p.Properties.Roles.some((r: Json) => r.Ref === logicalId(stack, fn.role)),
      )
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement);

  it('alarms when an event has waited longer than the configured age for the webhook, well before its day of tries ends', () => {
    const threshold = operationsSchema.parse({}).alarms.webhookBacklogAgeSeconds;
    expect(threshold).toBeLessThan(24 * 3600);
    const alarms = Object.values(resources).filter(
      (r: Json) =>
        r.Type === 'AWS::CloudWatch::Alarm' &&
        r.Properties.AlarmName === `${stack.stackName}-webhook-falling-behind`,
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0].Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: {
            'Fn::GetAtt': [logicalId(stack, stack.webhookQueue as IConstruct), 'QueueName'],
          },
        },
      ],
      Statistic: 'Maximum',
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarms[0].Properties.AlarmDescription).toMatch(
      /^Runbook: docs\/operations\.md#webhook-falling-behind /,
    );
  });

  it('queues every envelope from the bus: the rule puts $.detail on the queue, retried a day, dead-lettered', () => {
    const queue = logicalId(stack, stack.webhookQueue as IConstruct);
    const deadLetters = logicalId(stack, stack.webhookDeadLetters as IConstruct);
    const rule = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { Targets: [Match.objectLike({ InputPath: '$.detail' })] },
      }),
    )[0] as Json;
    expect(rule.Properties.EventBusName).toEqual({ Ref: logicalId(stack, stack.eventBus) });
    expect(rule.Properties.EventPattern).toEqual({ source: ['callgate'] });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [queue, 'Arn'] },
        InputPath: '$.detail',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 24 * 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
      }),
    ]);
    expect(resources[queue].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: webhookRetryInterval.toSeconds(),
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] },
        maxReceiveCount: webhookDeliveryTries,
      },
    });
    // A day of tries: the receive count times the visibility timeout, kept longer than that.
    expect(webhookDeliveryTries * webhookRetryInterval.toSeconds()).toBe(24 * 3600);
    expect(resources[queue].Properties.MessageRetentionPeriod).toBeGreaterThan(24 * 3600);
    // No API destination or connection is left: EventBridge cannot sign (decision 0011).
    template.resourceCountIs('AWS::Events::ApiDestination', 0);
    template.resourceCountIs('AWS::Events::Connection', 0);
  });

  it('the event-webhook function reads the queue: batches of 10, partial failures, concurrency as configured', () => {
    const fn = webhookFunction();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stack, fn.handler) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.webhookQueue as IConstruct), 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    // Lambda asks a queue's visibility timeout to be six times the function's.
    const props = resources[logicalId(stack, fn.handler)].Properties;
    expect(webhookRetryInterval.toSeconds()).toBeGreaterThanOrEqual(6 * props.Timeout);
    expect(props.Environment.Variables).not.toHaveProperty('TABLE_NAME');
  });

  it('may read the webhook secret and nothing else: GetSecretValue on that secret, no table, no bus, no Plivo', () => {
    const statements = policiesOf(webhookFunction());
    const actions = statements.flatMap((st: Json) => [st.Action].flat() as string[]);
    for (const action of actions) {
      expect(action).toMatch(
        /^(logs:|xray:|secretsmanager:GetSecretValue$|sqs:(ReceiveMessage|DeleteMessage|ChangeMessageVisibility|GetQueueAttributes|GetQueueUrl)$)/,
      );
    }
    const secretStatements = statements.filter((st: Json) =>
      [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0].Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(secretStatements[0].Resource)).toContain(
      ':secret:callgate/webhook-??????',
    );
    const sqsResources = statements
      .filter((st: Json) => [st.Action].flat().some((a: string) => a.startsWith('sqs:')))
      .flatMap((st: Json) => [st.Resource].flat());
    expect(sqsResources).toEqual([
      { 'Fn::GetAtt': [logicalId(stack, stack.webhookQueue as IConstruct), 'Arn'] },
    ]);
    // The secret is read at run time: its value is in neither the template nor the bundle's config.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/resolve:secretsmanager/);
  });

  it('names a secret given by full ARN as it is', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:callgate/webhook-AbCdEf';
    const { stack } = createApp({
      configPath: configWithEvents({ webhook: { url: webhook.url, secret: arn } }),
      context: noBundling,
    });
    const role = stack.functions.get('event-webhook')?.role as IConstruct;
    const statements = Object.values(Template.fromStack(stack).toJSON().Resources as Json)
      .filter((r: Json) => r.Type === 'AWS::IAM::Policy')
      .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === logicalId(stack, role)))
      .flatMap((p: Json) => p.Properties.PolicyDocument.Statement)
      .filter((st: Json) => st.Action === 'secretsmanager:GetSecretValue');
    expect(statements.map((st: Json) => st.Resource)).toEqual([arn]);
  });

  it("may decrypt with the secret's customer-managed key when one is named: kms:Decrypt on it, through Secrets Manager only", () => {
    const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const kmsStatements = (extra: Record<string, unknown>) => {
      const { stack } = createApp({
        configPath: configWithEvents({
          webhook: { url: webhook.url, secret: webhook.secret, ...extra },
        }),
        context: noBundling,
      });
      const role = stack.functions.get('event-webhook')?.role as IConstruct;
      return Object.values(Template.fromStack(stack).toJSON().Resources as Json)
        .filter((r: Json) => r.Type === 'AWS::IAM::Policy')
        .filter((p: Json) => p.Properties.Roles.some((r: Json) => r.Ref === logicalId(stack, role)))
        .flatMap((p: Json) => p.Properties.PolicyDocument.Statement)
        .filter((st: Json) => JSON.stringify(st.Action).includes('kms:'));
    };
    expect(kmsStatements({ kmsKeyArn })).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: kmsKeyArn,
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
      },
    ]);
    expect(kmsStatements({})).toEqual([]);
    expect(() =>
      createApp({
        configPath: configWithEvents({
          webhook: { url: webhook.url, secret: webhook.secret, kmsKeyArn: 'alias/callgate' },
        }),
        context: noBundling,
      }),
    ).toThrow(/events\.webhook\.kmsKeyArn/);
  });

  it('refuses a webhook that is not https, has no secret, or a header without the signing field', () => {
    for (const webhook of [
      { url: 'http://crm.example.com/hook', secret: 'callgate/webhook' },
      { url: 'https://crm.example.com/hook' },
      { url: 'https://crm.example.com/hook', secret: 'x', tyop: 1 },
      {
        url: 'https://crm.example.com/hook',
        secret: 'x',
        authHeader: { name: 'X-Api-Key', secretField: 'apiKey' },
      },
      { url: 'https://crm.example.com/hook', secret: 'x', concurrency: 1 },
      // The API destination's settings are gone: a configuration that still has them says so.
      { url: 'https://crm.example.com/hook', secret: 'x', invocationsPerSecond: 10 },
    ]) {
      expect(() =>
        createApp({ configPath: configWithEvents({ webhook }), context: noBundling }),
      ).toThrow(ConfigError);
    }
  });
});
