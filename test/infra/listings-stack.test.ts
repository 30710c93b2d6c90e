/**
 * The listings on AWS: the table's two sparse indexes, Query on them granted to the two functions
 * that serve the listings and to no other, the cursor key's secret read by those two alone, the
 * upgrade that adds the indexes one deploy at a time, and the bus's archive.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../functions/shared/config/load.js';
import { configSchema } from '../../functions/shared/config/schema.js';
import { routes } from '../../functions/shared/routes.js';
import { tableDefinition } from '../../functions/shared/store/table.js';
import { ContextError, createApp } from '../../infra/callgate-app.js';
import type { CallgateStack } from '../../infra/stack.js';
import { asArray, type Json, logicalIdIn, noBundling, synthesized } from '../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'callgate-listings-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const configWith = (events: Record<string, unknown>): string => {
  const raw = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
  raw.events = events;
  const path = join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(raw));
  return path;
};

describe('the listings in the stack', () => {
  let stack: CallgateStack;
  let template: Template;
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ stack, template, resources } = synthesized());
  });

  const statementsOf = (fn: string): Json[] => {
    const handler = stack.functions.get(fn as never)?.handler;
    if (!handler) throw new Error(`no function ${fn}`);
    const roleRef = resources[logicalIdIn(stack, handler)].Properties.Role['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter(
        (r: Json) =>
          r.Type === 'AWS::IAM::Policy' &&
          r.Properties.Roles.some((role: Json) => role.Ref === roleRef),
      )
      .flatMap((r: Json) => r.Properties.PolicyDocument.Statement);
  };
  const indexArn = (index: string) => ({
    'Fn::Join': [
      '',
      [{ 'Fn::GetAtt': [logicalIdIn(stack, stack.table), 'Arn'] }, `/index/${index}`],
    ],
  });

  it('routes both listings through IAM to the functions that serve one item of each', () => {
    for (const [path, fn, scope] of [
      ['/v1/calls', 'call-log', 'calls:read'],
      ['/v1/call-intents', 'call-intents', 'intents:read'],
    ] as const) {
      expect(routes).toContainEqual({ method: 'GET', path, fn, auth: 'business', scope });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `GET ${path}`,
        AuthorizationType: 'AWS_IAM',
      });
    }
  });

  it('gives the table its two sparse indexes, every attribute projected, keyed as store/table.ts says', () => {
    const table = resources[logicalIdIn(stack, stack.table)].Properties;
    expect(table.GlobalSecondaryIndexes).toEqual(
      tableDefinition.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'byNumber', AttributeType: 'S' },
        { AttributeName: 'byUser', AttributeType: 'S' },
        { AttributeName: 'listedAt', AttributeType: 'S' },
      ]),
    );
  });

  it('grants Query on the indexes to call-log (both) and call-intents (by-number) alone', () => {
    const indexStatements = (fn: string) =>
      statementsOf(fn).filter((s) => JSON.stringify(s.Resource).includes('/index/'));
    expect(indexStatements('call-log')).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: [indexArn('by-number'), indexArn('by-user')],
      },
    ]);
    expect(indexStatements('call-intents')).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: indexArn('by-number') },
    ]);
    for (const fn of stack.functions.keys()) {
      if (fn === 'call-log' || fn === 'call-intents') continue;
      expect(indexStatements(fn), fn).toEqual([]);
    }
  });

  it('lets only the listing functions read the cursor key, by the ARN in their environment', () => {
    const cursorKey = { Ref: logicalIdIn(stack, stack.cursorSecret) };
    for (const [fn, callgateFunction] of stack.functions) {
      const reads = statementsOf(fn).filter((s) =>
        asArray<Json>(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(cursorKey)),
      );
      const environment =
        resources[logicalIdIn(stack, callgateFunction.handler)].Properties.Environment?.Variables ??
        {};
      if (fn === 'call-log' || fn === 'call-intents') {
        // call-intents reads the Plivo secret too: one statement names both.
        expect(reads, fn).toHaveLength(1);
        expect(reads[0].Action, fn).toBe('secretsmanager:GetSecretValue');
        expect(environment.CURSOR_SECRET_ARN, fn).toEqual(cursorKey);
      } else {
        expect(reads, fn).toEqual([]);
        expect(environment, fn).not.toHaveProperty('CURSOR_SECRET_ARN');
      }
    }
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('adds the indexes one deploy at a time when the tableIndexes context asks', () => {
    const indexesWith = (tableIndexes: unknown) => {
      const { stack: staged } = createApp({
        configPath: exampleConfigPath,
        context: { ...noBundling, tableIndexes },
      });
      const table =
        Template.fromStack(staged).toJSON().Resources[logicalIdIn(staged, staged.table)];
      return (table.Properties.GlobalSecondaryIndexes ?? []).map((i: Json) => i.IndexName);
    };
    expect(indexesWith(0)).toEqual([]);
    expect(indexesWith('1')).toEqual(['by-number']);
    expect(indexesWith(2)).toEqual(['by-number', 'by-user']);
    for (const bad of [3, -1, 'all', 1.5]) {
      expect(() => indexesWith(bad), String(bad)).toThrow(ContextError);
    }
  });

  it("archives the bus's events for the configured days, and names the archive in the outputs", () => {
    const days = configSchema.parse(JSON.parse(readFileSync(exampleConfigPath, 'utf8'))).events
      .archiveRetentionDays;
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalIdIn(stack, stack.eventBus), 'Arn'] },
      RetentionDays: days,
      EventPattern: { source: ['callgate'] },
    });
    const outputs = template.toJSON().Outputs;
    expect(outputs).toHaveProperty('EventArchiveName');
    expect(outputs).toHaveProperty('EventArchiveArn');

    const week = Template.fromStack(
      createApp({ configPath: configWith({ archiveRetentionDays: 7 }), context: noBundling }).stack,
    );
    week.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 7 });
    const none = createApp({
      configPath: configWith({ archiveRetentionDays: 0 }),
      context: noBundling,
    }).stack;
    Template.fromStack(none).resourceCountIs('AWS::Events::Archive', 0);
    expect(Template.fromStack(none).toJSON().Outputs).not.toHaveProperty('EventArchiveName');
    expect(asArray(none.eventArchive ?? [])).toEqual([]);
  });
});
