import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, exampleConfigPath } from '../../functions/shared/config/load.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import { createApp } from '../../infra/callgate-app.js';
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
    expect(stack.webhookDeadLetters).toBeUndefined();
  });
});

describe('the events webhook', () => {
  it('posts every envelope through an API destination: rate-limited, retried a day, dead-lettered', () => {
    const configPath = configWithEvents({
      webhook: {
        url: 'https://crm.example.com/hooks/callgate',
        authHeader: 'X-Api-Key',
        secret: 'callgate/webhook',
        secretField: 'apiKey',
        invocationsPerSecond: 20,
      },
    });
    const { stack } = createApp({ configPath, context: noBundling });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'X-Api-Key',
          ApiKeyValue: Match.stringLikeRegexp(
            'resolve:secretsmanager:callgate/webhook:SecretString:apiKey',
          ),
        },
      },
    });
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://crm.example.com/hooks/callgate',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 20,
    });
    const rule = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { Targets: [Match.objectLike({ InputPath: '$.detail' })] },
      }),
    )[0] as Json;
    expect(rule.Properties.EventBusName).toEqual({ Ref: logicalId(stack, stack.eventBus) });
    expect(rule.Properties.EventPattern).toEqual({ source: ['callgate'] });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        InputPath: '$.detail',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 24 * 3600 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.webhookDeadLetters as IConstruct), 'Arn'] },
        },
      }),
    ]);
  });

  it('refuses a webhook that is not https, or has no secret, naming the entry', () => {
    for (const webhook of [
      { url: 'http://crm.example.com/hook', secret: 'callgate/webhook' },
      { url: 'https://crm.example.com/hook' },
      { url: 'https://crm.example.com/hook', secret: 'x', tyop: 1 },
    ]) {
      expect(() =>
        createApp({ configPath: configWithEvents({ webhook }), context: noBundling }),
      ).toThrow(ConfigError);
    }
  });
});
