import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { OperationsSettings } from '../functions/shared/config/schema.js';
import { type MetricName, metricEmitters, metricsNamespace } from '../functions/shared/metrics.js';
import { type FunctionName, routes } from '../functions/shared/routes.js';
import type { CallgateFunction } from './function-construct.js';

/** The runbook every alarm links to; each alarm's description starts with its section. */
export const runbookPath = 'docs/operations.md';

/** The runbook's section of each alarm: the anchor of its heading in docs/operations.md. */
export const runbookAnchors = {
  plivoRoute5xx: 'plivo-route-5xx',
  functionErrors: 'function-errors',
  tableThrottling: 'table-throttling',
  eventsFallingBehind: 'events-falling-behind',
  deadLetters: 'dead-letters',
  plivoApiErrors: 'plivo-api-errors',
  inboundAtCapacity: 'inbound-refused-at-capacity',
  numberPaused: 'number-paused',
  webhookBehind: 'webhook-falling-behind',
} as const;

export type RunbookAnchor = (typeof runbookAnchors)[keyof typeof runbookAnchors];

/** What an alarm's description starts with. */
export const runbookLink = (anchor: RunbookAnchor): string => `Runbook: ${runbookPath}#${anchor}`;

/**
 * Counted from the API's access log (a metric filter, not a function): a Plivo webhook answered with a
 * 5xx or a 429. Not in functions/shared/metrics.ts, which lists what the functions emit; it has no
 * dimension.
 */
export const plivoWebhookFailuresMetric = 'PlivoWebhookFailures';

/** The route keys Plivo calls, from the route table. */
export const plivoRouteKeys: readonly string[] = routes
  .filter((route) => route.auth === 'plivo-signature')
  .map((route) => `${route.method} ${route.path}`);

/**
 * Every count carries the stack's name as its `service` dimension (Powertools' serviceName, set by
 * infra/function-construct.ts), so two stacks in one account and region keep their counts apart.
 */

/** Every graph and alarm looks at 5-minute periods. */
const period = Duration.minutes(5);
const periodSeconds = period.toSeconds();

/** A dead-letter queue of the stack, named for the alarm and the dashboard. */
export interface DeadLetters {
  /** Short and unique: part of the alarm's name, e.g. `lease-changes`. */
  readonly name: string;
  readonly queue: IQueue;
  /** What a message in it is, for the alarm's description. */
  readonly holds: string;
}

export interface OperationsProps {
  /** Every function of the stack, by its name in the route table. */
  readonly functions: ReadonlyMap<FunctionName, CallgateFunction>;
  readonly table: ITable;
  readonly api: HttpApi;
  /** The API's JSON access log (routeKey and status of every request). */
  readonly apiAccessLogs: ILogGroup;
  readonly deadLetters: readonly DeadLetters[];
  /** The envelopes on their way to the events webhook, when one is configured. */
  readonly webhookQueue?: IQueue | undefined;
  /** The functions that read the table's stream through an event source mapping. */
  readonly streamFunctions: readonly CallgateFunction[];
  /** The configuration's `operations`. */
  readonly settings: OperationsSettings;
}

/** One of callgate's counts, emitted by one function, with the dimension set {service, function}. */
export const callgateCount = (name: MetricName, fn: FunctionName, service: string): Metric =>
  new Metric({
    namespace: metricsNamespace,
    metricName: name,
    dimensionsMap: { service, function: fn },
    statistic: 'Sum',
    period,
  });

/**
 * A count summed over the functions that emit it (functions/shared/metrics.ts `metricEmitters`): an
 * alarm cannot SEARCH, and its metric math takes at most 10 metrics.
 */
export const countOverEmitters = (name: MetricName, service: string): IMetric => {
  const emitters = metricEmitters[name];
  if (emitters.length === 0 || emitters.length > 10) {
    throw new Error(`${name} is emitted by ${emitters.length} functions: an alarm sums 1 to 10`);
  }
  const [only] = emitters;
  if (emitters.length === 1 && only)
    return callgateCount(name, only, service).with({ label: name });
  const usingMetrics = Object.fromEntries(
    emitters.map((fn, i) => [`m${i}`, callgateCount(name, fn, service)]),
  );
  return new MathExpression({
    expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
    usingMetrics,
    label: name,
    period,
  });
};

/**
 * A count summed over every function that emits it, found by SEARCH: for the dashboard, which then
 * shows a function that starts emitting without a change here.
 */
export const searchTotal = (name: MetricName, service: string): MathExpression =>
  new MathExpression({
    expression: `SUM(SEARCH('{${metricsNamespace},service,function} MetricName="${name}" service="${service}"', 'Sum', ${periodSeconds}))`,
    label: name,
    period,
  });

/** A labelled count, one line per function and label value (`reason` or `status`). */
const searchByLabel = (
  name: MetricName,
  label: 'reason' | 'status',
  service: string,
): MathExpression =>
  new MathExpression({
    expression: `SEARCH('{${metricsNamespace},service,function,${label}} MetricName="${name}" service="${service}"', 'Sum', ${periodSeconds})`,
    label: `${name} \${PROP('Dim.function')} \${PROP('Dim.${label}')}`,
    period,
  });

/**
 * What operating callgate needs on AWS: an SNS topic the alarms notify (e-mailed when the configuration
 * names an address), the alarms that need a person, each pointing at its section of docs/operations.md,
 * and one dashboard, `callgate-<stack>`.
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  /** Every alarm, by a short name such as `function-errors-answer`. */
  readonly alarms: ReadonlyMap<string, Alarm>;

  private readonly alarmList = new Map<string, Alarm>();
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stackName = stack.stackName;
    const service = stack.stackName;
    this.alarms = this.alarmList;
    const thresholds = props.settings.alarms;
    const functions = [...props.functions.entries()];

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key (its key policy cannot
    // be changed to let CloudWatch use it): the notifications would be dropped without a word. A key of
    // our own, which CloudWatch may use, and only for this topic.
    const key = new Key(this, 'AlarmTopicKey', {
      description: `callgate ${this.stackName}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Alarms', {
      displayName: `callgate ${this.stackName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // The topic's policy replaces SNS's default one, so CloudWatch needs its own statement: this
    // account's alarms only (confused deputy).
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.settings.alarmEmail) {
      this.topic.addSubscription(new EmailSubscription(props.settings.alarmEmail));
    }

    // (a) Plivo's webhooks answered with a 5xx, or refused with a 429 by the stage's throttle: counted
    // from the access log, which names the route, so no per-route (billed) API metrics are needed.
    const plivoFailures = new MetricFilter(this, 'PlivoWebhookFailures', {
      logGroup: props.apiAccessLogs,
      metricNamespace: metricsNamespace,
      metricName: plivoWebhookFailuresMetric,
      metricValue: '1',
      filterPattern: FilterPattern.all(
        FilterPattern.any(
          ...plivoRouteKeys.map((key) => FilterPattern.stringValue('$.routeKey', '=', key)),
        ),
        FilterPattern.any(
          FilterPattern.stringValue('$.status', '=', '5*'),
          FilterPattern.stringValue('$.status', '=', '429'),
        ),
      ),
    }).metric({ statistic: 'Sum', period, label: plivoWebhookFailuresMetric });
    this.alarm('plivo-route-5xx', {
      anchor: runbookAnchors.plivoRoute5xx,
      summary: `Plivo's webhooks (${plivoRouteKeys.join(', ')}) answered ${thresholds.plivoRoute5xxPer5Minutes} or more times with a 5xx or 429 in 5 minutes: Plivo retries or falls back, calls may not connect.`,
      metric: plivoFailures,
      threshold: thresholds.plivoRoute5xxPer5Minutes,
    });

    // (b) Any function failing: one alarm each, so the alarm names the function.
    for (const [fn, callgateFunction] of functions) {
      this.alarm(`function-errors-${fn}`, {
        anchor: runbookAnchors.functionErrors,
        summary: `The ${fn} function failed ${thresholds.functionErrorsPer5Minutes} or more invocations in 5 minutes (an uncaught error, a timeout or running out of memory).`,
        metric: callgateFunction.handler.metricErrors({ statistic: 'Sum', period }),
        threshold: thresholds.functionErrorsPer5Minutes,
      });
    }

    // (c) The table refusing reads or writes.
    const tableThrottles = new MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: props.table.metric('ReadThrottleEvents', { statistic: 'Sum', period }),
        writes: props.table.metric('WriteThrottleEvents', { statistic: 'Sum', period }),
      },
      label: 'ThrottleEvents',
      period,
    });
    this.alarm('table-throttling', {
      anchor: runbookAnchors.tableThrottling,
      summary: `The table throttled ${thresholds.tableThrottlesPer5Minutes} or more reads or writes in 5 minutes: requests were retried, then answered 503.`,
      metric: tableThrottles,
      threshold: thresholds.tableThrottlesPer5Minutes,
    });

    // (d) A stream reader falling behind the table's changes.
    const lateness: Partial<Record<FunctionName, string>> = {
      events: 'events reach the bus and the webhook late',
      'permission-expiry': "temporary permissions' ends are watched late",
    };
    for (const reader of props.streamFunctions) {
      this.alarm(`iterator-age-${reader.fn}`, {
        anchor: runbookAnchors.eventsFallingBehind,
        summary: `The ${reader.fn} function is reading table changes more than ${thresholds.iteratorAgeSeconds} s old: ${lateness[reader.fn] ?? 'inbound calls are recorded late'}.`,
        metric: reader.handler.metric('IteratorAge', { statistic: 'Maximum', period }),
        threshold: thresholds.iteratorAgeSeconds * 1000,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // (e) Anything dead-lettered: each queue holds work that was given up.
    for (const deadLetters of props.deadLetters) {
      this.alarm(`dead-letters-${deadLetters.name}`, {
        anchor: runbookAnchors.deadLetters,
        summary: `The ${deadLetters.name} dead-letter queue holds messages: ${deadLetters.holds}.`,
        metric: deadLetters.queue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period,
        }),
        threshold: 1,
      });
    }

    // (f) Plivo's REST API failing callgate's requests.
    this.alarm('plivo-api-errors', {
      anchor: runbookAnchors.plivoApiErrors,
      summary: `Plivo's REST API failed ${thresholds.plivoApiErrorsPer5Minutes} or more requests in 5 minutes: calls and permission requests are answered 502.`,
      metric: countOverEmitters('PlivoApiErrors', service),
      threshold: thresholds.plivoApiErrorsPer5Minutes,
    });

    // (g) Inbound calls turned away at a number's simultaneous-call limit.
    this.alarm('inbound-refused-at-capacity', {
      anchor: runbookAnchors.inboundAtCapacity,
      summary: `${thresholds.capacityRefusalsPer5Minutes} or more inbound calls were turned away in 5 minutes because their number had its simultaneous-call limit up.`,
      metric: countOverEmitters('InboundRefusedAtCapacity', service),
      threshold: thresholds.capacityRefusalsPer5Minutes,
    });

    // (h) Meta paused a business number: its business-initiated calls and permission requests stop.
    this.alarm('number-paused', {
      anchor: runbookAnchors.numberPaused,
      summary: `Meta paused ${thresholds.numberPausesPer5Minutes} or more business numbers in 5 minutes: their business-initiated calls and permission requests are refused number_paused until the pause ends.`,
      metric: countOverEmitters('NumbersPaused', service),
      threshold: thresholds.numberPausesPer5Minutes,
    });

    // (i) The events webhook's receiver falling behind (or refusing), well before its retries end.
    if (props.webhookQueue) {
      this.alarm('webhook-falling-behind', {
        anchor: runbookAnchors.webhookBehind,
        summary: `An event has waited more than ${thresholds.webhookBacklogAgeSeconds} s for the events webhook to take it: the receiver is failing or slow, and after a day of tries its events go to the webhook dead-letter queue.`,
        metric: props.webhookQueue.metricApproximateAgeOfOldestMessage({
          statistic: 'Maximum',
          period,
        }),
        threshold: thresholds.webhookBacklogAgeSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `callgate-${this.stackName}`,
      defaultInterval: Duration.hours(24),
    });
    for (const row of this.widgets(props, plivoFailures)) this.dashboard.addWidgets(...row);
  }

  private alarm(
    name: string,
    options: {
      anchor: RunbookAnchor;
      summary: string;
      metric: IMetric;
      threshold: number;
      comparisonOperator?: ComparisonOperator;
    },
  ): Alarm {
    const alarm = new Alarm(this, `Alarm-${name}`, {
      alarmName: `${this.stackName}-${name}`,
      alarmDescription: `${runbookLink(options.anchor)} ${options.summary}`,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator:
        options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Every metric here is reported only when something happened: no data means healthy.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarmList.set(name, alarm);
    return alarm;
  }

  /** The dashboard's rows, top to bottom: business flow first, then the parts it runs on. */
  private widgets(props: OperationsProps, plivoFailures: IMetric): IWidget[][] {
    const service = this.stackName;
    const functions = [...props.functions.entries()];
    const lambdaGraph = (
      title: string,
      metric: (f: CallgateFunction) => IMetric,
      width = 12,
    ): GraphWidget =>
      new GraphWidget({
        title,
        width,
        height: 6,
        left: functions.map(([, f]) => metric(f)),
      });
    const table = props.table;
    const tableSearch = (metricName: string) =>
      new MathExpression({
        expression: `SEARCH('{AWS/DynamoDB,Operation,TableName} TableName="${table.tableName}" MetricName="${metricName}"', 'Sum', ${periodSeconds})`,
        label: `${metricName} \${PROP('Dim.Operation')}`,
        period,
      });

    return [
      [
        new TextWidget({
          markdown: `# callgate ${this.stackName}\nCounts are summed over 5 minutes. Alarms and what to do: \`${runbookPath}\`. Metrics: namespace \`${metricsNamespace}\` (dimensions service = the stack's name, function, reason or status, country).`,
          width: 24,
          height: 2,
        }),
      ],
      [
        new GraphWidget({
          title: 'Permission funnel',
          width: 12,
          height: 6,
          left: (
            ['PermissionRequested', 'PermissionGranted', 'CallsPlaced', 'CallsAnswered'] as const
          ).map((name) => searchTotal(name, service)),
        }),
        new GraphWidget({
          title: 'Calls placed and refused (by reason)',
          width: 12,
          height: 6,
          left: [searchTotal('CallsPlaced', service)],
          right: [
            searchByLabel('CallsRefused', 'reason', service),
            searchByLabel('PermissionRequestsRefused', 'reason', service),
          ],
        }),
      ],
      [
        new GraphWidget({
          title: 'Missed, rejected, revoked and expired; numbers Meta restricted',
          width: 8,
          height: 6,
          left: (
            ['CallsMissed', 'PermissionRejected', 'PermissionRevoked', 'PermissionExpired'] as const
          ).map((name) => searchTotal(name, service)),
          right: [
            searchTotal('NumbersPaused', service),
            searchTotal('CallButtonsHidden', service),
            searchByLabel('AccountUpdatesIgnored', 'reason', service),
          ],
        }),
        new GraphWidget({
          title:
            'Inbound calls, refusals at capacity, live calls unknown, user IDs ignored (by reason)',
          width: 8,
          height: 6,
          left: [searchTotal('InboundCalls', service)],
          right: [
            searchTotal('InboundRefusedAtCapacity', service),
            searchByLabel('LiveCallsUnknown', 'reason', service),
            searchByLabel('UserIdsIgnored', 'reason', service),
          ],
        }),
        new GraphWidget({
          title: 'Events published and failed; webhook deliveries',
          width: 8,
          height: 6,
          left: [searchTotal('EventsPublished', service), searchTotal('WebhookDelivered', service)],
          right: [searchTotal('EventsFailed', service), searchTotal('WebhookFailed', service)],
        }),
      ],
      [
        new GraphWidget({
          title: 'Plivo: webhook failures, signatures refused, API errors (by status)',
          width: 12,
          height: 6,
          left: [plivoFailures, searchTotal('SignaturesRefused', service)],
          right: [searchByLabel('PlivoApiErrors', 'status', service)],
        }),
        new GraphWidget({
          title: 'Storage retries, unknown outcomes, leases reaped',
          width: 12,
          height: 6,
          left: (['StorageRetries', 'StorageUnknownOutcomes', 'LeasesReaped'] as const).map(
            (name) => searchTotal(name, service),
          ),
        }),
      ],
      [
        lambdaGraph('Duration p50 (ms)', (f) =>
          f.handler.metricDuration({ statistic: 'p50', period, label: f.fn }),
        ),
        lambdaGraph('Duration p99 (ms)', (f) =>
          f.handler.metricDuration({ statistic: 'p99', period, label: f.fn }),
        ),
      ],
      [
        lambdaGraph('Function errors', (f) =>
          f.handler.metricErrors({ statistic: 'Sum', period, label: f.fn }),
        ),
        lambdaGraph('Function throttles', (f) =>
          f.handler.metricThrottles({ statistic: 'Sum', period, label: f.fn }),
        ),
      ],
      [
        new GraphWidget({
          title: 'HTTP API: 5xx and 4xx, API keys refused (by reason)',
          width: 8,
          height: 6,
          left: [
            props.api.metricServerError({ statistic: 'Sum', period, label: '5xx' }),
            props.api.metricClientError({ statistic: 'Sum', period, label: '4xx' }),
            searchByLabel('ApiKeysRefused', 'reason', service),
          ],
          right: [props.api.metricCount({ statistic: 'Sum', period, label: 'requests' })],
        }),
        new GraphWidget({
          title: 'HTTP API: latency (ms)',
          width: 8,
          height: 6,
          left: [
            props.api.metricLatency({ statistic: 'p50', period, label: 'p50' }),
            props.api.metricLatency({ statistic: 'p99', period, label: 'p99' }),
            props.api.metricIntegrationLatency({
              statistic: 'p99',
              period,
              label: 'integration p99',
            }),
          ],
        }),
        new GraphWidget({
          title: 'Stream readers: iterator age (ms)',
          width: 8,
          height: 6,
          left: props.streamFunctions.map((f) =>
            f.handler.metric('IteratorAge', { statistic: 'Maximum', period, label: f.fn }),
          ),
        }),
      ],
      [
        new GraphWidget({
          title: 'Table: throttles and errors',
          width: 12,
          height: 6,
          left: [
            table.metric('ReadThrottleEvents', { statistic: 'Sum', period }),
            table.metric('WriteThrottleEvents', { statistic: 'Sum', period }),
            tableSearch('ThrottledRequests'),
            tableSearch('SystemErrors'),
          ],
          right: [
            table.metricUserErrors({
              statistic: 'Sum',
              period,
              label: 'UserErrors (every table of the account and region)',
            }),
          ],
        }),
        new GraphWidget({
          title: 'Table: consumed capacity',
          width: 12,
          height: 6,
          left: [
            table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period, label: 'RCU' }),
            table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period, label: 'WCU' }),
          ],
        }),
      ],
      [
        new GraphWidget({
          title: 'Dead letters (messages visible)',
          width: 24,
          height: 6,
          left: props.deadLetters.map((d) =>
            d.queue.metricApproximateNumberOfMessagesVisible({
              statistic: 'Maximum',
              period,
              label: d.name,
            }),
          ),
        }),
      ],
      [
        new LogQueryWidget({
          title: 'Memory and cold starts per function (REPORT lines)',
          width: 12,
          height: 8,
          logGroupNames: functions.map(([, f]) => f.logGroup.logGroupName),
          view: LogQueryVisualizationType.TABLE,
          queryLines: [
            'filter @type = "REPORT"',
            'stats max(@maxMemoryUsed / 1000 / 1000) as maxMemoryMB, max(@memorySize / 1000 / 1000) as memoryMB, max(@initDuration) as maxInitMs, pct(@duration, 99) as p99Ms, count(*) as invocations by @log',
            'sort maxMemoryMB desc',
          ],
        }),
        new LogQueryWidget({
          title: "Plivo's webhooks by route and status (access log)",
          width: 12,
          height: 8,
          logGroupNames: [props.apiAccessLogs.logGroupName],
          view: LogQueryVisualizationType.TABLE,
          queryLines: [
            'filter routeKey like "/plivo/"',
            'stats count(*) as requests by routeKey, status',
            'sort routeKey, status',
          ],
        }),
      ],
      [
        new LogQueryWidget({
          title: 'Latest errors',
          width: 24,
          height: 8,
          logGroupNames: functions.map(([, f]) => f.logGroup.logGroupName),
          view: LogQueryVisualizationType.TABLE,
          queryLines: [
            'fields @timestamp, @log, message, error.message',
            'filter level = "ERROR" or @message like /Task timed out|Runtime\\.|Invoke Error/',
            'sort @timestamp desc',
            'limit 50',
          ],
        }),
      ],
    ];
  }
}
