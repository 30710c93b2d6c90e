import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  exampleConfigPath,
  readConfigFile,
} from '../../functions/shared/config/load.js';
import { type FunctionName, plivoPaths, routes } from '../../functions/shared/routes.js';
import { keyPrefixes } from '../../functions/shared/store/keys.js';
import { tableDefinition } from '../../functions/shared/store/table.js';
import { ContextError, createApp } from '../../infra/callgate-app.js';
import { CallgateFunction } from '../../infra/function-construct.js';
import { functionAccess } from '../../infra/functions.js';
import type { CallgateStack } from '../../infra/stack.js';
import { asArray, type Json, logicalIdIn, noBundling, synthesized } from '../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'callgate-infra-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('CallgateStack', () => {
  let stack: CallgateStack;
  let template: Template;
  let resources: Record<string, Json>;

  beforeAll(() => {
    ({ stack, template, resources } = synthesized());
  });

  const logicalId = (construct: IConstruct): string => logicalIdIn(stack, construct);

  const logicalIdOf = (fn: FunctionName): string => {
    const callgateFunction = stack.functions.get(fn);
    if (!callgateFunction) throw new Error(`no function ${fn}`);
    return logicalId(callgateFunction.handler);
  };

  /** Every IAM statement attached to the function's role. */
  const statementsOf = (fn: FunctionName): Json[] => {
    const roleRef = resources[logicalIdOf(fn)].Properties.Role['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter(
        (r: Json) =>
          r.Type === 'AWS::IAM::Policy' &&
          r.Properties.Roles.some((role: Json) => role.Ref === roleRef),
      )
      .flatMap((r: Json) => r.Properties.PolicyDocument.Statement);
  };

  const actionsOf = (statements: Json[], prefix: string): string[] =>
    statements.flatMap((s) => asArray<string>(s.Action)).filter((a) => a.startsWith(prefix));

  const distinctFunctions = [...new Set(routes.map((r) => r.fn))];

  it('serves exactly the route table, IAM-authorized on every business route by default', () => {
    const apiRoutes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(apiRoutes).toHaveLength(routes.length);
    for (const route of routes) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: route.auth === 'business' ? 'AWS_IAM' : 'NONE',
      });
    }
  });

  it('never deploys the sandbox routes', () => {
    const keys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r: Json) => r.Properties.RouteKey as string,
    );
    expect(keys.filter((key) => key.includes('_sandbox'))).toEqual([]);
  });

  it('routes each path to the function the table names', () => {
    for (const route of routes) {
      const [apiRoute] = Object.values(
        template.findResources('AWS::ApiGatewayV2::Route', {
          Properties: { RouteKey: `${route.method} ${route.path}` },
        }),
      ) as Json[];
      const integrationId = apiRoute.Properties.Target['Fn::Join'][1][1].Ref;
      const uri = resources[integrationId].Properties.IntegrationUri;
      expect(uri).toEqual({ 'Fn::GetAtt': [logicalIdOf(route.fn), 'Arn'] });
    }
  });

  it('has one function per distinct fn of the route table, lease-changes and events on the stream, the intent dispatcher and permission-expiry', () => {
    expect([...stack.functions.keys()].sort()).toEqual(
      [
        ...distinctFunctions,
        'lease-changes',
        'events',
        'intent-dispatcher',
        'permission-expiry',
      ].sort(),
    );
    template.resourceCountIs('AWS::Lambda::Function', distinctFunctions.length + 4);
  });

  it('keeps the construct id of a renamed function folder, so a deploy updates the function in place', () => {
    expect(logicalIdOf('permission-reply')).toMatch(/^MessageWebhookHandler/);
    expect(logicalIdOf('dial-status')).toMatch(/^DialStatusHandler/);
  });

  it('records inbound calls from the table stream: lease shards only, retried, then dead letters', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    const queueId = stack.getLogicalId(stack.leaseChangeDeadLetters.node.defaultChild as never);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('lease-changes') },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              dynamodb: { Keys: { pk: { S: [{ prefix: keyPrefixes.leaseShard }] } } },
            }),
          },
        ],
      },
    });
    // lease-changes, events and permission-expiry (test/infra/permission-expiry-stack.test.ts).
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('keeps the table: on-demand, TTL on ttl, point-in-time recovery, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('runs every function on nodejs22.x arm64 with tracing and its own log group with retention', () => {
    for (const fn of distinctFunctions) {
      const props = resources[logicalIdOf(fn)].Properties;
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.MemorySize).toBe(512);
      expect(props.Timeout).toBeLessThanOrEqual(10);
      // Decoding the source map at every cold start costs more than it gives (infra/function-construct.ts).
      expect(props.Environment.Variables.NODE_OPTIONS ?? '').not.toContain('--enable-source-maps');
      const logGroup = resources[props.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('gives functions no managed policies: only explicit statements', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as Json[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('puts no Plivo credential in any environment, only the secret ARN where needed', () => {
    const secretId = logicalId(stack.plivoSecret);
    for (const fn of distinctFunctions) {
      const variables: Record<string, Json> =
        resources[logicalIdOf(fn)].Properties.Environment.Variables;
      for (const [name, value] of Object.entries(variables)) {
        expect(name).not.toMatch(/TOKEN|AUTH_ID|PASSWORD|SECRET(?!_ARN$)/);
        // A Plivo Auth ID is 20 and an Auth Token 40 alphanumerics: nothing like it may be inlined.
        if (typeof value === 'string') expect(value).not.toMatch(/^[A-Za-z0-9]{20,}$/);
      }
      expect(variables.PLIVO_AUTH_TOKEN).toBeUndefined();
      expect(variables.PLIVO_AUTH_ID).toBeUndefined();
      expect(variables.PLIVO_SECRET_ARN).toEqual(
        functionAccess[fn].plivoSecret ? { Ref: secretId } : undefined,
      );
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe(stack.stackName);
      expect(variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(variables.TABLE_NAME).toEqual({ Ref: logicalId(stack.table) });
      expect(variables.PUBLIC_BASE_URL).toEqual({
        'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'],
      });
    }
  });

  it('lets only the functions that need it read the one Plivo secret, and nothing else there', () => {
    const secretId = logicalId(stack.plivoSecret);
    for (const fn of distinctFunctions) {
      // The listings' cursor key is another secret (test/infra/listings-stack.test.ts).
      const cursorKey = JSON.stringify({ Ref: logicalId(stack.cursorSecret) });
      const secretStatements = statementsOf(fn).filter(
        (s) =>
          actionsOf([s], 'secretsmanager:').length > 0 && JSON.stringify(s.Resource) !== cursorKey,
      );
      if (!functionAccess[fn].plivoSecret) {
        expect(secretStatements, fn).toEqual([]);
        continue;
      }
      expect(secretStatements, fn).toHaveLength(1);
      expect(asArray(secretStatements[0].Action)).toEqual(['secretsmanager:GetSecretValue']);
      expect(
        asArray<Json>(secretStatements[0].Resource).filter((r) => JSON.stringify(r) !== cursorKey),
      ).toEqual([{ Ref: secretId }]);
    }
  });

  it("grants each function exactly infra/functions.ts's table actions, on the table only", () => {
    const tableArn = {
      'Fn::GetAtt': [logicalId(stack.table), 'Arn'],
    };
    for (const fn of distinctFunctions) {
      // Index reads are granted apart, on the indexes alone (test/infra/listings-stack.test.ts).
      const statements = statementsOf(fn).filter(
        (s) =>
          actionsOf([s], 'dynamodb:').length > 0 && !JSON.stringify(s.Resource).includes('/index/'),
      );
      expect(actionsOf(statements, 'dynamodb:').sort(), fn).toEqual(
        [...functionAccess[fn].tableActions].sort(),
      );
      for (const statement of statements) {
        expect(asArray(statement.Resource), fn).toEqual([tableArn]);
      }
    }
  });

  it("lets the pause's lift update its item and nothing else, behind IAM", () => {
    expect(actionsOf(statementsOf('pause-lift'), 'dynamodb:')).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOf(statementsOf('pause-lift'), 'secretsmanager:')).toEqual([]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'DELETE /v1/numbers/{business}/pause',
      AuthorizationType: 'AWS_IAM',
    });
  });

  it('grants no wildcard or destructive table action anywhere', () => {
    const allActions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p: Json) =>
        p.Properties.PolicyDocument.Statement.flatMap((s: Json) => asArray<string>(s.Action)),
    );
    for (const forbidden of ['dynamodb:*', 'dynamodb:Scan', 'dynamodb:DeleteTable', '*']) {
      expect(allActions).not.toContain(forbidden);
    }
  });

  it('logs API access to its own log group and throttles the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      DefaultRouteSettings: {
        ThrottlingRateLimit: Match.anyValue(),
        ThrottlingBurstLimit: Match.anyValue(),
      },
    });
  });

  it('throttles no higher than callgate itself: every number may ring at its limit at once', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as Json[];
    const settings = stage.Properties.DefaultRouteSettings;
    // The example has 3 numbers of 1,000 simultaneous calls: 3,000 answers may arrive in one burst.
    expect(settings.ThrottlingBurstLimit).toBe(3000);
    expect(settings.ThrottlingRateLimit).toBeGreaterThanOrEqual(3000);
  });

  it('outputs the URLs to paste in the Plivo console, the secret ARN and the table name', () => {
    const endpoint = {
      'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'],
    };
    const outputs = template.toJSON().Outputs;
    expect(outputs.MessageWebhookUrl.Value).toEqual({
      'Fn::Join': ['', [endpoint, plivoPaths.message]],
    });
    expect(outputs.AnswerUrl.Value).toEqual({ 'Fn::Join': ['', [endpoint, plivoPaths.answer]] });
    expect(outputs.HangupUrl.Value).toEqual({ 'Fn::Join': ['', [endpoint, plivoPaths.hangup]] });
    expect(outputs.ApiUrl.Value).toEqual(endpoint);
    // The resource a ready-made execute-api:Invoke policy names: the /v1 routes of this API only.
    expect(JSON.stringify(outputs.BusinessApiArn.Value)).toContain(':execute-api:');
    expect(JSON.stringify(outputs.BusinessApiArn.Value)).toContain(
      `{"Ref":"${logicalId(stack.api)}"}`,
    );
    expect(JSON.stringify(outputs.BusinessApiArn.Value)).toContain('/*/*/v1/*');
    expect(outputs.PlivoSecretArn.Description).toMatch(/authToken/);
    expect(outputs.TableName).toBeDefined();
  });

  it('retains the Plivo secret', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ GenerateSecretString: Match.anyValue() }),
    });
  });
});

describe('createApp', () => {
  it('passes the cdk-nag AwsSolutions checks at synth', () => {
    const outdir = join(scratch, 'nag');
    const { app } = createApp({ configPath: exampleConfigPath, context: noBundling, outdir });
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('uses the publicBaseUrl context (a custom domain) for handlers and outputs', () => {
    const { stack } = createApp({
      configPath: exampleConfigPath,
      context: { ...noBundling, publicBaseUrl: 'https://calls.example.com/' },
    });
    const template = Template.fromStack(stack);
    template.hasOutput('AnswerUrl', { Value: `https://calls.example.com${plivoPaths.answer}` });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ PUBLIC_BASE_URL: 'https://calls.example.com' }),
      },
    });
  });

  it('refuses a publicBaseUrl that is not https', () => {
    expect(() =>
      createApp({
        configPath: exampleConfigPath,
        context: { ...noBundling, publicBaseUrl: 'http://calls.example.com' },
      }),
    ).toThrow(ContextError);
  });

  const certificateArn =
    'arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-1234-4abc-9def-0123456789ab';

  it('creates the custom domain with a certificate ARN: mapped to the stage, TLS 1.2, a DNS target out', () => {
    const outdir = join(scratch, 'domain');
    const { app, stack } = createApp({
      configPath: exampleConfigPath,
      context: { ...noBundling, publicBaseUrl: 'https://calls.example.com', certificateArn },
      outdir,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'calls.example.com',
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: certificateArn, SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    const [stage] = Object.keys(template.findResources('AWS::ApiGatewayV2::Stage'));
    template.hasResource('AWS::ApiGatewayV2::ApiMapping', {
      Properties: {
        ApiId: { Ref: logicalIdIn(stack, stack.api) },
        DomainName: { Ref: Match.anyValue() },
        Stage: '$default',
      },
      DependsOn: [stage],
    });
    template.hasOutput('CustomDomainTarget', {
      Value: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] },
    });
    template.hasOutput('AnswerUrl', { Value: `https://calls.example.com${plivoPaths.answer}` });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('adds the DNS alias record when given the hosted zone', () => {
    const { stack } = createApp({
      configPath: exampleConfigPath,
      context: {
        ...noBundling,
        publicBaseUrl: 'https://calls.example.com',
        certificateArn,
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
      },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'calls.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({
        DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] },
      }),
    });
    expect(Object.keys(template.findOutputs('CustomDomainTarget'))).toEqual([]);
  });

  it.each([
    [{ certificateArn }, /needs publicBaseUrl/],
    [
      {
        certificateArn: 'arn:aws:iam::123456789012:role/x',
        publicBaseUrl: 'https://a.example.com',
      },
      /ACM certificate ARN/,
    ],
    [{ certificateArn, publicBaseUrl: 'https://a.example.com/callgate' }, /no path/],
    [
      { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' },
      /need certificateArn/,
    ],
    [
      {
        certificateArn,
        publicBaseUrl: 'https://a.example.com',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      },
      /go together/,
    ],
    [
      {
        certificateArn,
        publicBaseUrl: 'https://calls.example.org',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
      },
      /not in the hosted zone example.com/,
    ],
  ])('refuses a custom domain it cannot build: %j', (context, message) => {
    const build = () =>
      createApp({ configPath: exampleConfigPath, context: { ...noBundling, ...context } });
    expect(build).toThrow(ContextError);
    expect(build).toThrow(message);
  });

  it('stops on an invalid configuration, naming the bad entry', () => {
    const config = JSON.parse(readFileSync(exampleConfigPath, 'utf8'));
    config.numbers[1].number = '8765550123';
    const configPath = join(scratch, 'bad.json');
    writeFileSync(configPath, JSON.stringify(config));
    expect(() => createApp({ configPath, context: noBundling })).toThrow(ConfigError);
    expect(() => createApp({ configPath, context: noBundling })).toThrow(/numbers\[1\]\.number/);
  });
});

describe('bundling', () => {
  it('bundles a function locally, offline, as ESM with the configuration injected', async () => {
    const config = readConfigFile(exampleConfigPath);
    const outdir = join(scratch, 'bundle');
    const app = new App({ outdir });
    new CallgateFunction(new Stack(app, 'Bundle'), 'Health', { fn: 'health', config });
    app.synth();

    const [assetDir] = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assetDir).toBeDefined();
    const bundle = join(outdir, assetDir as string, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code).not.toContain('__CALLGATE_CONFIG__');
    expect(code).toContain(config.numbers[0]?.number);

    // Run it as Lambda would: the bundled configuration, not a file, must reach the handler.
    const saved = { ...process.env };
    Object.assign(process.env, {
      TABLE_NAME: 'callgate-test',
      PUBLIC_BASE_URL: 'https://calls.example.com',
      CALLGATE_CONFIG: join(scratch, 'no-such-config.json'),
    });
    try {
      const { handler } = await import(pathToFileURL(bundle).href);
      const response = await handler(
        {
          version: '2.0',
          routeKey: 'GET /health',
          rawPath: '/health',
          rawQueryString: '',
          headers: {},
          requestContext: { http: { method: 'GET', path: '/health' }, requestId: 'test' },
          isBase64Encoded: false,
        },
        { awsRequestId: 'test', functionName: 'health' },
      );
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        businessNumbers: config.numbers.length,
        preset: { name: config.rules.preset },
      });
    } finally {
      process.env = saved;
    }
  });
});
