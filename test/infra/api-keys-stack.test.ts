import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../functions/shared/config/load.js';
import { routes } from '../../functions/shared/routes.js';
import { authOfScope } from '../../functions/shared/rules/api-keys.js';
import { createApp } from '../../infra/callgate-app.js';
import { apiKeyCacheTtlSeconds } from '../../infra/http-routes.js';
import type { CallgateStack } from '../../infra/stack.js';
import {
  exampleWithApiKeysPath,
  type Json,
  logicalIdIn,
  noBundling,
  synthesized,
} from '../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'callgate-api-keys-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Calls and intents take API keys; permissions and numbers stay IAM. */
const mixedConfigPath = exampleWithApiKeysPath({ calls: 'api-key', intents: 'api-key' });

describe('a stack whose configuration gives some route groups API keys', () => {
  let stack: CallgateStack;
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ stack, resources } = synthesized(mixedConfigPath));
  });

  const ofType = (type: string): Json[] =>
    Object.values(resources).filter((resource: Json) => resource.Type === type);

  const authorizerLogicalId = (): string => {
    const [id, ...others] = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Authorizer')
      .map(([logicalId]) => logicalId);
    expect(others).toEqual([]);
    return id as string;
  };

  it('has one Lambda authorizer: simple responses, payload 2.0, keyed on Authorization, cached 60 s', () => {
    expect(apiKeyCacheTtlSeconds).toBe(60);
    const authorizer = resources[authorizerLogicalId()].Properties;
    const fn = stack.functions.get('api-key-authorizer');
    if (!fn) throw new Error('no api-key-authorizer function');
    expect(authorizer).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: apiKeyCacheTtlSeconds,
    });
    expect(JSON.stringify(authorizer.AuthorizerUri)).toContain(logicalIdIn(stack, fn.handler));
  });

  it('puts each business route behind its group’s authorizer, and the others behind none', () => {
    const config = readConfigFile(mixedConfigPath);
    const byKey = new Map(
      ofType('AWS::ApiGatewayV2::Route').map((route: Json) => [
        route.Properties.RouteKey as string,
        route.Properties,
      ]),
    );
    expect(byKey.size).toBe(routes.length);
    const expected = routes.map((route) => {
      const auth = route.auth === 'business' ? authOfScope(config.api, route.scope) : 'none';
      return {
        route: `${route.method} ${route.path}`,
        type: { 'api-key': 'CUSTOM', iam: 'AWS_IAM', none: 'NONE' }[auth],
        authorizer: auth === 'api-key' ? authorizerLogicalId() : undefined,
      };
    });
    const actual = expected.map(({ route }) => {
      const properties = byKey.get(route);
      return {
        route,
        type: properties?.AuthorizationType,
        authorizer: properties?.AuthorizerId?.Ref,
      };
    });
    expect(actual).toEqual(expected);
    // The mix is real: some routes of each kind.
    expect(new Set(expected.map((route) => route.type))).toEqual(
      new Set(['CUSTOM', 'AWS_IAM', 'NONE']),
    );
    expect(expected.filter((route) => route.type === 'CUSTOM').map((route) => route.route)).toEqual(
      [
        'POST /v1/calls',
        'GET /v1/calls',
        'GET /v1/calls/{callId}',
        'POST /v1/call-intents',
        'GET /v1/call-intents',
        'GET /v1/call-intents/{intentId}',
        'DELETE /v1/call-intents/{intentId}',
      ],
    );
  });

  it('lets the authorizer read and touch the API keys’ items alone, and nothing else', () => {
    const fn = stack.functions.get('api-key-authorizer');
    if (!fn) throw new Error('no api-key-authorizer function');
    const roleRef = resources[logicalIdIn(stack, fn.handler)].Properties.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter((policy: Json) => policy.Properties.Roles.some((role: Json) => role.Ref === roleRef))
      .flatMap((policy: Json) => policy.Properties.PolicyDocument.Statement);
    const table = statements.filter((statement: Json) =>
      [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')),
    );
    expect(table).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [logicalIdIn(stack, stack.table), 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['APIKEY'] } },
      },
    ]);
    const others = statements
      .filter((statement: Json) => !table.includes(statement))
      .flatMap((statement: Json) => [statement.Action].flat());
    expect(others.every((action: string) => /^(logs|xray):/.test(action))).toBe(true);
    const environment = resources[logicalIdIn(stack, fn.handler)].Properties.Environment.Variables;
    expect(environment).not.toHaveProperty('PLIVO_SECRET_ARN');
  });

  it('deploys no authorizer without API keys', () => {
    const plain = synthesized();
    expect(plain.stack.functions.has('api-key-authorizer')).toBe(false);
    expect(
      Object.values(plain.resources).filter(
        (resource: Json) => resource.Type === 'AWS::ApiGatewayV2::Authorizer',
      ),
    ).toEqual([]);
  });

  it('passes the cdk-nag AwsSolutions checks at synth', () => {
    const outdir = join(scratch, 'nag');
    const { app } = createApp({ configPath: mixedConfigPath, context: noBundling, outdir });
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });
});
