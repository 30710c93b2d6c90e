import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, exampleConfigPath } from '../../functions/shared/config/load.js';
import { logRetentionDays, operationsSchema } from '../../functions/shared/config/schema.js';
import { metricCatalog, metricEmitters, metricsNamespace } from '../../functions/shared/metrics.js';
import { type FunctionName, httpFunctionNames, plivoPaths } from '../../functions/shared/routes.js';
import { pendingTakeoverMs } from '../../functions/shared/store/items/idempotency.js';
import { createApp } from '../../infra/callgate-app.js';
import { functionSizing } from '../../infra/functions.js';
import {
  plivoRouteKeys,
  plivoWebhookFailuresMetric,
  runbookAnchors,
  runbookPath,
} from '../../infra/operations.js';
import type { CallgateStack } from '../../infra/stack.js';
import { type Json, logicalIdIn, noBundling, synthesized } from '../support/stack.js';

const scratch = mkdtempSync(join(tmpdir(), 'callgate-operations-infra-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example configuration with some keys replaced, written where createApp reads it. */
const configWith = (changes: Record<string, unknown>): string => {
  const raw = { ...JSON.parse(readFileSync(exampleConfigPath, 'utf8')), ...changes };
  const path = join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(raw));
  return path;
};

const ofType = (resources: Record<string, Json>, type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/**
 * The dashboard's body as JSON: CloudFormation joins it from strings and references, each reference
 * put back here as the text `<Ref:LogicalId>` or `<GetAtt:LogicalId.Attribute>`.
 */
const dashboardBody = (resources: Record<string, Json>): Json => {
  const [[, dashboard] = []] = ofType(resources, 'AWS::CloudWatch::Dashboard');
  const body = dashboard.Properties.DashboardBody;
  if (typeof body === 'string') return JSON.parse(body);
  const parts: Json[] = body['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part.Ref) return `<Ref:${part.Ref}>`;
      if (part['Fn::GetAtt']) return `<GetAtt:${part['Fn::GetAtt'].join('.')}>`;
      throw new Error(`unexpected part ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text);
};

/** GitHub's anchor of a Markdown heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');

const runbookHeadings = (): Set<string> =>
  new Set(
    readFileSync(join(import.meta.dirname, '../..', runbookPath), 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  );

describe('operations on AWS', () => {
  let stack: CallgateStack;
  let template: Template;
  let resources: Record<string, Json>;
  beforeAll(() => {
    ({ stack, template, resources } = synthesized());
  });

  const logicalId = (construct: Parameters<typeof logicalIdIn>[1]): string =>
    logicalIdIn(stack, construct);
  const handlerId = (fn: FunctionName): string => {
    const f = stack.functions.get(fn);
    if (!f) throw new Error(`no function ${fn}`);
    return logicalId(f.handler);
  };
  const topicId = (): string => logicalId(stack.operations.topic);

  /** The alarm of that name (`<stack>-<name>`), its properties. */
  const alarmNamed = (name: string): Json => {
    const found = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
      ([, r]) => r.Properties.AlarmName === `${stack.stackName}-${name}`,
    );
    expect(found, name).toHaveLength(1);
    return found[0]?.[1].Properties;
  };

  /** Every metric an alarm reads, from its Metrics list or its single metric. */
  const alarmMetrics = (alarm: Json): Json[] =>
    alarm.Metrics
      ? alarm.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => ({
          Dimensions: [],
          ...m.MetricStat.Metric,
          Stat: m.MetricStat.Stat,
        }))
      : [
          {
            Namespace: alarm.Namespace,
            MetricName: alarm.MetricName,
            Dimensions: alarm.Dimensions ?? [],
            Stat: alarm.Statistic ?? alarm.ExtendedStatistic,
          },
        ];

  const deadLetterQueues = () =>
    [
      ['lease-changes', stack.leaseChangeDeadLetters],
      ['events', stack.eventDeadLetters],
      ['intent-events', stack.intentEventDeadLetters],
      ['wakeups', stack.wakeupDeadLetters],
      ['dispatcher', stack.dispatcherDeadLetters],
      ['expiry-watch', stack.expiryWatchDeadLetters],
      ['permission-expiry-looks', stack.permissionExpiryLookDeadLetters],
      ['permission-expiry', stack.permissionExpiryDeadLetters],
    ] as const;

  /** Every alarm the stack must have, by name, with its runbook section. */
  const expectedAlarms = (): [string, string][] => [
    ['plivo-route-5xx', runbookAnchors.plivoRoute5xx],
    ...[...stack.functions.keys()].map((fn): [string, string] => [
      `function-errors-${fn}`,
      runbookAnchors.functionErrors,
    ]),
    ['table-throttling', runbookAnchors.tableThrottling],
    ['iterator-age-lease-changes', runbookAnchors.eventsFallingBehind],
    ['iterator-age-events', runbookAnchors.eventsFallingBehind],
    ['iterator-age-permission-expiry', runbookAnchors.eventsFallingBehind],
    ...deadLetterQueues().map(([name]): [string, string] => [
      `dead-letters-${name}`,
      runbookAnchors.deadLetters,
    ]),
    ['plivo-api-errors', runbookAnchors.plivoApiErrors],
    ['inbound-refused-at-capacity', runbookAnchors.inboundAtCapacity],
    ['number-paused', runbookAnchors.numberPaused],
  ];

  describe('alarm topic', () => {
    it('is encrypted with a rotated key of its own that CloudWatch may use', () => {
      const [[topicLogicalId, topic] = []] = ofType(resources, 'AWS::SNS::Topic');
      expect(topicLogicalId).toBe(topicId());
      const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
      const key = resources[keyId];
      expect(key.Type).toBe('AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const cloudWatch = key.Properties.KeyPolicy.Statement.find(
        (s: Json) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
      );
      expect(cloudWatch.Effect).toBe('Allow');
      expect(cloudWatch.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    });

    it('refuses publishing without TLS and lets this account’s CloudWatch alarms publish', () => {
      const policies = ofType(resources, 'AWS::SNS::TopicPolicy').filter(([, p]) =>
        p.Properties.Topics.some((t: Json) => t.Ref === topicId()),
      );
      expect(policies).toHaveLength(1);
      const statements: Json[] = policies[0]?.[1].Properties.PolicyDocument.Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Condition: expect.objectContaining({
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          }),
        }),
      );
    });

    it('has no subscription when the configuration names no alarmEmail', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  describe('alarms', () => {
    it('are exactly the ones listed, each notifying the topic when it fires and clears', () => {
      const expected = expectedAlarms().map(([name]) => `${stack.stackName}-${name}`);
      const actual = ofType(resources, 'AWS::CloudWatch::Alarm').map(
        ([, r]) => r.Properties.AlarmName,
      );
      expect([...actual].sort()).toEqual([...expected].sort());
      for (const [name] of expectedAlarms()) {
        const alarm = alarmNamed(name);
        expect(alarm.AlarmActions, name).toEqual([{ Ref: topicId() }]);
        expect(alarm.OKActions, name).toEqual([{ Ref: topicId() }]);
        expect(alarm.TreatMissingData, name).toBe('notBreaching');
      }
    });

    it('each starts its description with a runbook anchor that docs/operations.md has', () => {
      const headings = runbookHeadings();
      for (const anchor of Object.values(runbookAnchors))
        expect(headings, anchor).toContain(anchor);
      for (const [name, anchor] of expectedAlarms()) {
        const description: string = alarmNamed(name).AlarmDescription;
        expect(description.startsWith(`Runbook: ${runbookPath}#${anchor} `), name).toBe(true);
        expect(description.length).toBeLessThanOrEqual(1024);
      }
    });

    it('counts Plivo webhook 5xx and 429 answers from the access log, for exactly the Plivo routes', () => {
      expect([...plivoRouteKeys].sort()).toEqual(
        Object.values(plivoPaths)
          .map((path) => `POST ${path}`)
          .sort(),
      );
      const filters = ofType(resources, 'AWS::Logs::MetricFilter');
      expect(filters).toHaveLength(1);
      const filter = filters[0]?.[1].Properties;
      expect(filter.LogGroupName).toEqual({ Ref: logicalId(stack.apiAccessLogs) });
      expect(filter.MetricTransformations).toEqual([
        {
          MetricNamespace: metricsNamespace,
          MetricName: plivoWebhookFailuresMetric,
          MetricValue: '1',
        },
      ]);
      for (const key of plivoRouteKeys) expect(filter.FilterPattern).toContain(`"${key}"`);
      expect(filter.FilterPattern).toContain('$.status = "5*"');
      expect(filter.FilterPattern).toContain('$.status = "429"');
      // The access log writes what the filter reads.
      const [[, apiStage] = []] = ofType(resources, 'AWS::ApiGatewayV2::Stage');
      const format = JSON.parse(apiStage.Properties.AccessLogSettings.Format);
      expect(format).toMatchObject({ routeKey: '$context.routeKey', status: '$context.status' });
      expect(plivoWebhookFailuresMetric in metricCatalog).toBe(false);

      const alarm = alarmNamed('plivo-route-5xx');
      expect(alarmMetrics(alarm)).toEqual([
        {
          Namespace: metricsNamespace,
          MetricName: plivoWebhookFailuresMetric,
          Dimensions: [],
          Stat: 'Sum',
        },
      ]);
      expect(alarm.Threshold).toBe(1);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    });

    it("watches every function's Errors", () => {
      for (const fn of stack.functions.keys()) {
        const alarm = alarmNamed(`function-errors-${fn}`);
        expect(alarmMetrics(alarm), fn).toEqual([
          {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: handlerId(fn) } }],
            Stat: 'Sum',
          },
        ]);
        expect(alarm.Threshold).toBe(1);
      }
    });

    it("watches the table's read and write throttling", () => {
      const alarm = alarmNamed('table-throttling');
      const metrics = alarmMetrics(alarm);
      expect(metrics.map((m) => m.MetricName).sort()).toEqual([
        'ReadThrottleEvents',
        'WriteThrottleEvents',
      ]);
      for (const metric of metrics) {
        expect(metric.Dimensions).toEqual([
          { Name: 'TableName', Value: { Ref: logicalId(stack.table) } },
        ]);
      }
      expect(alarm.Threshold).toBe(1);
    });

    it('watches the iterator age of exactly the functions with a stream mapping', () => {
      const mapped = ofType(resources, 'AWS::Lambda::EventSourceMapping').map(
        ([, m]) => m.Properties.FunctionName.Ref,
      );
      expect(stack.streamFunctions.map((f) => logicalId(f.handler)).sort()).toEqual(mapped.sort());
      for (const reader of stack.streamFunctions) {
        const alarm = alarmNamed(`iterator-age-${reader.fn}`);
        expect(alarmMetrics(alarm)).toEqual([
          {
            Namespace: 'AWS/Lambda',
            MetricName: 'IteratorAge',
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(reader.handler) } }],
            Stat: 'Maximum',
          },
        ]);
        expect(alarm.Threshold).toBe(60_000);
        expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
      }
    });

    it('fires on any message in any dead-letter queue of the stack', () => {
      const queues = ofType(resources, 'AWS::SQS::Queue').map(([id]) => id);
      expect(
        deadLetterQueues()
          .map(([, q]) => logicalId(q))
          .sort(),
      ).toEqual(queues.sort());
      for (const [name, queue] of deadLetterQueues()) {
        const alarm = alarmNamed(`dead-letters-${name}`);
        expect(alarmMetrics(alarm)).toEqual([
          {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [
              { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } },
            ],
            Stat: 'Maximum',
          },
        ]);
        expect(alarm.Threshold).toBe(1);
      }
    });

    it('sums PlivoApiErrors over the functions that emit it', () => {
      const alarm = alarmNamed('plivo-api-errors');
      const metrics = alarmMetrics(alarm);
      expect(metrics).toHaveLength(metricEmitters.PlivoApiErrors.length);
      expect(metrics.length).toBeLessThanOrEqual(10);
      expect(metrics.map((m) => m.Dimensions)).toEqual(
        metricEmitters.PlivoApiErrors.map((fn) => [
          { Name: 'function', Value: fn },
          { Name: 'service', Value: stack.stackName },
        ]),
      );
      for (const metric of metrics) {
        expect(metric).toMatchObject({
          Namespace: metricsNamespace,
          MetricName: 'PlivoApiErrors',
          Stat: 'Sum',
        });
      }
      const [expression] = alarm.Metrics.filter((m: Json) => m.Expression);
      expect(expression.Expression).toMatch(/^SUM\(\[m0(, m\d)*\]\)$/);
      expect(alarm.Threshold).toBe(5);
    });

    it('counts InboundRefusedAtCapacity from the answer function', () => {
      expect(metricEmitters.InboundRefusedAtCapacity).toEqual(['answer']);
      const alarm = alarmNamed('inbound-refused-at-capacity');
      expect(alarmMetrics(alarm)).toEqual([
        {
          Namespace: metricsNamespace,
          MetricName: 'InboundRefusedAtCapacity',
          Dimensions: [
            { Name: 'function', Value: 'answer' },
            { Name: 'service', Value: stack.stackName },
          ],
          Stat: 'Sum',
        },
      ]);
      expect(alarm.Threshold).toBe(1);
    });
  });

  describe('dashboard', () => {
    let body: Json;
    let text: string;
    beforeAll(() => {
      body = dashboardBody(resources);
      text = JSON.stringify(body);
    });

    it('is callgate-<stack>', () => {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `callgate-${stack.stackName}`,
      });
      expect(body.widgets.length).toBeGreaterThan(10);
    });

    it('shows the permission funnel summed over functions by SEARCH', () => {
      const funnel = body.widgets.find((w: Json) => w.properties.title === 'Permission funnel');
      const expressions = funnel.properties.metrics.map((m: Json[]) => m[0]?.expression);
      expect(expressions).toEqual(
        ['PermissionRequested', 'PermissionGranted', 'CallsPlaced', 'CallsAnswered'].map(
          (name) =>
            `SUM(SEARCH('{${metricsNamespace},service,function} MetricName="${name}" service="${stack.stackName}"', 'Sum', 300))`,
        ),
      );
    });

    it('reads the counts of this stack only: functions name it as their service', () => {
      for (const fn of stack.functions.keys()) {
        const variables = resources[handlerId(fn)]?.Properties.Environment.Variables;
        expect(variables?.POWERTOOLS_SERVICE_NAME, fn).toBe(stack.stackName);
      }
      const searches = [...text.matchAll(/SEARCH\('\{Callgate[^']*'/g)].map(([search]) => search);
      expect(searches.length).toBeGreaterThan(10);
      for (const search of searches) expect(search).toContain(`service=\\"${stack.stackName}\\"`);
    });

    it('shows every metric of the catalog, and no Callgate metric outside it', () => {
      for (const name of Object.keys(metricCatalog)) {
        expect(text, name).toContain(`MetricName=\\"${name}\\"`);
      }
      const searched = [...text.matchAll(/MetricName=\\"(\w+)\\"/g)].map(([, name]) => name);
      const known = new Set([...Object.keys(metricCatalog), 'ThrottledRequests', 'SystemErrors']);
      for (const name of searched) expect(known, name).toContain(name);
      expect(text).toContain(
        `SEARCH('{${metricsNamespace},service,function,reason} MetricName=\\"CallsRefused\\" service=\\"${stack.stackName}\\"'`,
      );
      expect(text).toContain(
        `SEARCH('{${metricsNamespace},service,function,status} MetricName=\\"PlivoApiErrors\\" service=\\"${stack.stackName}\\"'`,
      );
      expect(text).toContain(`["${metricsNamespace}","${plivoWebhookFailuresMetric}"`);
    });

    it('shows Duration p50/p99, Errors and Throttles of every function', () => {
      for (const fn of stack.functions.keys()) {
        const ref = `<Ref:${handlerId(fn)}>`;
        for (const [metric, stat] of [
          ['Duration', 'p50'],
          ['Duration', 'p99'],
          ['Errors', 'Sum'],
          ['Throttles', 'Sum'],
        ]) {
          expect(text, `${fn} ${metric} ${stat}`).toContain(
            `["AWS/Lambda","${metric}","FunctionName","${ref}",{"label":"${fn}","stat":"${stat}"}]`,
          );
        }
      }
      for (const reader of stack.streamFunctions) {
        expect(text).toContain(
          `["AWS/Lambda","IteratorAge","FunctionName","<Ref:${logicalId(reader.handler)}>"`,
        );
      }
    });

    it('shows the HTTP API, the table and the dead letters', () => {
      const api = `"ApiId","<Ref:${logicalId(stack.api)}>"`;
      for (const metric of ['5xx', '4xx', 'Count', 'Latency', 'IntegrationLatency']) {
        expect(text, metric).toContain(`["AWS/ApiGateway","${metric}",${api}`);
      }
      const tableRef = `<Ref:${logicalId(stack.table)}>`;
      for (const metric of [
        'ReadThrottleEvents',
        'WriteThrottleEvents',
        'ConsumedReadCapacityUnits',
        'ConsumedWriteCapacityUnits',
      ]) {
        expect(text, metric).toContain(`["AWS/DynamoDB","${metric}","TableName","${tableRef}"`);
      }
      for (const metric of ['ThrottledRequests', 'SystemErrors']) {
        expect(text, metric).toContain(
          `{AWS/DynamoDB,Operation,TableName} TableName=\\"${tableRef}\\" MetricName=\\"${metric}\\"`,
        );
      }
      expect(text).toContain('["AWS/DynamoDB","UserErrors"');
      for (const [, queue] of deadLetterQueues()) {
        expect(text).toContain(
          `["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","<GetAtt:${logicalId(queue)}.QueueName>"`,
        );
      }
    });

    it("reads max memory and init duration from every function's REPORT lines", () => {
      const widget = body.widgets.find(
        (w: Json) => w.type === 'log' && w.properties.query.includes('REPORT'),
      );
      const query: string = widget.properties.query;
      expect(query).toContain('filter @type = "REPORT"');
      expect(query).toContain('max(@maxMemoryUsed / 1000 / 1000) as maxMemoryMB');
      expect(query).toContain('max(@initDuration)');
      for (const f of stack.functions.values()) {
        expect(query).toContain(`SOURCE '<Ref:${logicalId(f.logGroup)}>'`);
      }
    });
  });

  describe('sizing', () => {
    const props = (fn: FunctionName): Json => resources[handlerId(fn)].Properties;

    it('keeps every function log group for the configured retention (30 days by default)', () => {
      const groups = ofType(resources, 'AWS::Logs::LogGroup');
      expect(groups).toHaveLength(stack.functions.size + 1);
      for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
      for (const fn of stack.functions.keys()) {
        expect(resources[props(fn).LoggingConfig.LogGroup.Ref].Properties.RetentionInDays).toBe(30);
      }
    });

    it('reserves concurrency for the stream readers and the intent dispatcher only', () => {
      expect(props('events').ReservedConcurrentExecutions).toBe(20);
      expect(props('lease-changes').ReservedConcurrentExecutions).toBe(20);
      // The example allows 10 calls per second: twice that.
      expect(props('intent-dispatcher').ReservedConcurrentExecutions).toBe(20);
      // Plivo's webhooks, and every other HTTP function, are never throttled by callgate itself.
      for (const fn of httpFunctionNames) {
        expect(props(fn).ReservedConcurrentExecutions, fn).toBeUndefined();
      }
    });

    it('sizes each function as infra/functions.ts says; placements end well before a key may be taken over', () => {
      for (const fn of stack.functions.keys()) {
        expect(props(fn).MemorySize, fn).toBe(functionSizing[fn].memoryMB);
        expect(props(fn).Timeout, fn).toBe(functionSizing[fn].timeoutSeconds);
      }
      for (const fn of ['place-call', 'call-intents', 'intent-dispatcher'] as const) {
        expect(props(fn).Timeout * 1000, fn).toBeLessThanOrEqual(pendingTakeoverMs / 3);
      }
      for (const fn of ['permission-reply', 'answer', 'hangup', 'dial-status'] as const) {
        expect(props(fn).Timeout, fn).toBeLessThanOrEqual(10);
      }
    });
  });
});

describe('operations configured', () => {
  const settings = {
    alarmEmail: 'oncall@example.com',
    logRetentionDays: 90,
    alarms: {
      plivoRoute5xxPer5Minutes: 3,
      functionErrorsPer5Minutes: 4,
      tableThrottlesPer5Minutes: 7,
      iteratorAgeSeconds: 300,
      plivoApiErrorsPer5Minutes: 25,
      capacityRefusalsPer5Minutes: 10,
      numberPausesPer5Minutes: 2,
      webhookBacklogAgeSeconds: 900,
    },
  };
  let stack: CallgateStack;
  let resources: Record<string, Json>;
  let outdir: string;
  beforeAll(() => {
    outdir = join(scratch, 'configured');
    const configPath = configWith({
      operations: settings,
      account: { callsPerSecond: 200 },
      events: { webhook: { url: 'https://crm.example.com/hooks', secret: 'callgate/webhook' } },
    });
    const created = createApp({ configPath, context: noBundling, outdir });
    stack = created.stack;
    created.app.synth();
    resources = Template.fromStack(stack).toJSON().Resources;
  });

  const alarm = (name: string): Json =>
    ofType(resources, 'AWS::CloudWatch::Alarm').find(
      ([, r]) => r.Properties.AlarmName === `${stack.stackName}-${name}`,
    )?.[1].Properties;

  it('takes every threshold from the configuration', () => {
    expect(alarm('plivo-route-5xx').Threshold).toBe(3);
    for (const fn of stack.functions.keys()) {
      expect(alarm(`function-errors-${fn}`).Threshold).toBe(4);
    }
    expect(alarm('table-throttling').Threshold).toBe(7);
    expect(alarm('iterator-age-events').Threshold).toBe(300_000);
    expect(alarm('iterator-age-lease-changes').Threshold).toBe(300_000);
    expect(alarm('plivo-api-errors').Threshold).toBe(25);
    expect(alarm('inbound-refused-at-capacity').Threshold).toBe(10);
    expect(alarm('number-paused').Threshold).toBe(2);
    expect(alarm('webhook-falling-behind').Threshold).toBe(900);
    expect(alarm('plivo-api-errors').AlarmDescription).toContain('25 or more');
  });

  it('subscribes alarmEmail to the topic', () => {
    const subscriptions = ofType(resources, 'AWS::SNS::Subscription');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.[1].Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: stack.getLogicalId(stack.operations.topic.node.defaultChild as never) },
    });
  });

  it('keeps every log group for logRetentionDays', () => {
    for (const [, group] of ofType(resources, 'AWS::Logs::LogGroup')) {
      expect(group.Properties.RetentionInDays).toBe(90);
    }
  });

  it("alarms on the webhook's dead letters too", () => {
    expect(alarm('dead-letters-webhook').AlarmDescription).toMatch(
      new RegExp(`^Runbook: ${runbookPath}#${runbookAnchors.deadLetters} `),
    );
  });

  it('caps the intent dispatcher at 100 whatever the calls per second', () => {
    const dispatcher = stack.functions.get('intent-dispatcher');
    if (!dispatcher) throw new Error('no dispatcher');
    expect(
      resources[stack.getLogicalId(dispatcher.handler.node.defaultChild as never)].Properties
        .ReservedConcurrentExecutions,
    ).toBe(100);
  });

  it('passes the cdk-nag AwsSolutions checks with every option on', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });
});

describe('operations configuration', () => {
  it("allows exactly CloudWatch Logs' retention periods", () => {
    const cdkValues = Object.values(RetentionDays)
      .filter((v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE)
      .sort((a, b) => a - b);
    expect([...logRetentionDays]).toEqual(cdkValues);
  });

  it('defaults every threshold', () => {
    expect(operationsSchema.parse(undefined)).toEqual({
      logRetentionDays: 30,
      alarms: {
        plivoRoute5xxPer5Minutes: 1,
        functionErrorsPer5Minutes: 1,
        tableThrottlesPer5Minutes: 1,
        iteratorAgeSeconds: 60,
        plivoApiErrorsPer5Minutes: 5,
        capacityRefusalsPer5Minutes: 1,
        numberPausesPer5Minutes: 1,
        webhookBacklogAgeSeconds: 3600,
      },
    });
  });

  it('stops synth on a bad value, naming the entry', () => {
    for (const [operations, entry] of [
      [{ logRetentionDays: 31 }, /operations\.logRetentionDays/],
      [{ alarmEmail: 'not an address' }, /operations\.alarmEmail/],
      [{ alarms: { iteratorAgeSeconds: 0 } }, /operations\.alarms\.iteratorAgeSeconds/],
      [
        { alarms: { webhookBacklogAgeSeconds: 86_401 } },
        /operations\.alarms\.webhookBacklogAgeSeconds/,
      ],
      [{ alarms: { plivoApiErrors: 5 } }, /operations\.alarms/],
      [{ dashboards: true }, /operations/],
    ] as const) {
      const configPath = configWith({ operations });
      expect(() => createApp({ configPath, context: noBundling })).toThrow(ConfigError);
      expect(() => createApp({ configPath, context: noBundling })).toThrow(entry);
    }
  });
});
