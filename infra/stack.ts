import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  ApiDestination,
  Authorization,
  Connection,
  EventBus,
  HttpMethod as EventsHttpMethod,
  Rule,
  RuleTargetInput,
} from 'aws-cdk-lib/aws-events';
import {
  ApiDestination as ApiDestinationTarget,
  LambdaFunction,
} from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config } from '../functions/shared/config/schema.js';
import { eventSource } from '../functions/shared/events/envelope.js';
import { intentDispatcherEventTypes } from '../functions/shared/events/subscriptions.js';
import {
  type FunctionName,
  plivoConsoleSettings,
  type Route,
  routes,
} from '../functions/shared/routes.js';
import { tableDefinition } from '../functions/shared/store/table.js';
import { CallgateFunction } from './function-construct.js';
import { type DeadLetters, Operations } from './operations.js';

/**
 * Stage throttling sized from the configuration: every number may ring at its simultaneous-call limit at
 * once (one answer request each), so API Gateway must never refuse Plivo before callgate's own limits
 * apply; capped at API Gateway's default account burst, which still bounds a flood's cost.
 */
export const stageThrottle = (config: Config) => {
  const burstLimit = Math.min(
    5000,
    Math.max(500, config.numbers.length * config.rules.simultaneousCallsPerNumber),
  );
  return { burstLimit, rateLimit: burstLimit };
};

export interface CallgateStackProps extends StackProps {
  readonly config: Config;
  /**
   * The public base URL Plivo calls (a custom domain), without a trailing slash. Plivo signs the URL
   * it called, so handlers must know it. Default: the API's own execute-api endpoint.
   */
  readonly publicBaseUrl?: string;
  /**
   * Serve the API at `publicBaseUrl`'s host: the stack creates the API Gateway custom domain with this
   * ACM certificate (in the stack's region) and maps it to the API, and with a hosted zone also the
   * DNS alias record. Without it the operator sets the domain up.
   */
  readonly customDomain?: {
    readonly certificateArn: string;
    readonly hostedZone?: { readonly id: string; readonly name: string };
  };
  /** Where functions/ and package-lock.json live; defaults to the repo root. */
  readonly projectRoot?: string;
}

/** The functions the route table needs, once each, in route table order. */
export const routedFunctions = (table: readonly Route[] = routes): FunctionName[] => [
  ...new Set(table.map((route) => route.fn)),
];

/** A construct id from a function name, e.g. `message-webhook` → `MessageWebhook`. */
const functionId = (fn: FunctionName): string =>
  fn
    .split('-')
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/**
 * callgate on AWS: the HTTP API serving exactly the route table, one Lambda per function, one
 * DynamoDB table and the Plivo credentials in Secrets Manager.
 */
export class CallgateStack extends Stack {
  readonly table: Table;
  readonly plivoSecret: Secret;
  readonly api: HttpApi;
  readonly functions: ReadonlyMap<FunctionName, CallgateFunction>;
  /** Stream records the lease-changes function could not apply after its retries. */
  readonly leaseChangeDeadLetters: Queue;
  /** Where callgate's events go (`source: callgate`): the business subscribes with rules. */
  readonly eventBus: EventBus;
  /** Stream records the events function could not turn into events, or put, after its retries. */
  readonly eventDeadLetters: Queue;
  /** Events the configured webhook did not take after EventBridge's retries. */
  readonly webhookDeadLetters?: Queue;
  /** Moves call intents on: invoked by the bus's events and by its own wake-ups. */
  readonly intentDispatcher: CallgateFunction;
  /** The intents' one-time wake-up schedules, which the dispatcher alone creates. */
  readonly intentWakeups: ScheduleGroup;
  /** What EventBridge Scheduler runs the wake-ups as: it may invoke the dispatcher and dead-letter, nothing else. */
  readonly wakeupRole: Role;
  /** Wake-ups EventBridge Scheduler could not deliver to the dispatcher after its retries. */
  readonly wakeupDeadLetters: Queue;
  /** Intent events the rule could not deliver to the dispatcher after EventBridge's retries. */
  readonly intentEventDeadLetters: Queue;
  /** Dispatcher runs, from an event or a wake-up, that still failed after Lambda's retries. */
  readonly dispatcherDeadLetters: Queue;
  /** The API's access log: one JSON line per request, Plivo's webhooks included. */
  readonly apiAccessLogs: LogGroup;
  /** The functions that read the table's stream, in the order their mappings were added. */
  readonly streamFunctions: readonly CallgateFunction[];
  /** The alarm topic, the alarms and the dashboard (docs/operations.md). */
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: CallgateStackProps) {
    super(scope, id, {
      description: 'callgate: WhatsApp Business Calling on Plivo',
      ...props,
    });

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Inbound calls are recorded from their committed lease (functions/lease-changes).
      stream: StreamViewType[tableDefinition.streamView],
      // Permissions and their history must survive a `cdk destroy` or a replaced stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.plivoSecret = new Secret(this, 'PlivoCredentials', {
      description:
        'Plivo credentials for callgate, JSON {"authId":"<Plivo Auth ID>","authToken":"<Plivo Auth Token>"}; set with aws secretsmanager put-secret-value.',
      // A placeholder until the operator stores the real pair: signatures fail closed meanwhile.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ authId: 'REPLACE_WITH_PLIVO_AUTH_ID' }),
        generateStringKey: 'authToken',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.plivoSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Plivo auth tokens are issued and rotated in the Plivo console, not by AWS; the operator puts the new token here with put-secret-value. A rotation Lambda cannot mint Plivo tokens.',
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'callgate: Plivo webhooks and the business API',
      // Our own $default stage below, with access logs and throttling.
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: props.config.operations.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.apiAccessLogs = accessLogs;
    const defaultStage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: stageThrottle(props.config),
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const publicBaseUrl = props.publicBaseUrl ?? this.api.apiEndpoint;
    if (props.customDomain && props.publicBaseUrl) {
      this.addCustomDomain(new URL(props.publicBaseUrl).host, props.customDomain, defaultStage);
    }
    const functions = new Map<FunctionName, CallgateFunction>();
    const callgateFunction = (fn: FunctionName) => {
      const created = new CallgateFunction(this, functionId(fn), {
        fn,
        config: props.config,
        projectRoot: props.projectRoot,
        environment: {
          PUBLIC_BASE_URL: publicBaseUrl,
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      })
        .bindTable(this.table)
        .bindPlivoSecret(this.plivoSecret);
      functions.set(fn, created);
      return created;
    };
    for (const fn of routedFunctions()) callgateFunction(fn);

    const leaseChanges = callgateFunction('lease-changes');
    this.leaseChangeDeadLetters = this.deadLetterQueue(
      'LeaseChangeDeadLetters',
      'the lease-changes event source mapping',
    );
    leaseChanges.handler.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // A record that keeps failing is split off from the rest, retried, then sent to the dead
        // letters with its position: its lease lapses on its own, the call was answered regardless.
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        maxRecordAge: Duration.hours(1),
        onFailure: new SqsDlq(this.leaseChangeDeadLetters),
        filters: [
          FilterCriteria.filter({
            dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('LINE#') } } },
          }),
        ],
      }),
    );

    this.eventBus = new EventBus(this, 'EventBus', {
      description:
        'callgate events: permissions, calls and call intents, derived from the table stream',
    });
    const events = new CallgateFunction(this, 'Events', {
      fn: 'events',
      config: props.config,
      projectRoot: props.projectRoot,
      environment: {
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    functions.set('events', events);
    this.eventBus.grantPutEventsTo(events.role);
    this.eventDeadLetters = this.deadLetterQueue(
      'EventDeadLetters',
      'the events event source mapping',
    );
    events.handler.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        // Up to 100 changes per invocation, put 10 per PutEvents request. No batching window: it would
        // hold every event back by its length to save invocations, and under load the batches fill
        // without one (Lambda polls each shard four times a second).
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(0),
        // One batch per shard at a time: an item's events reach the bus in the order it changed.
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        // Bounded: a record that still fails goes to the dead letters with its position, readable
        // from the stream for its 24 hours.
        retryAttempts: 10,
        maxRecordAge: Duration.hours(6),
        onFailure: new SqsDlq(this.eventDeadLetters),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: {
              Keys: {
                pk: {
                  S: [
                    ...FilterRule.beginsWith('PAIR#'),
                    ...FilterRule.beginsWith('CALL#'),
                    ...FilterRule.beginsWith('INTENT#'),
                  ],
                },
              },
            },
          }),
        ],
      }),
    );
    const webhook = props.config.events.webhook;
    if (webhook) this.webhookDeadLetters = this.eventWebhook(webhook);
    this.streamFunctions = [leaseChanges, events];

    const dispatcher = callgateFunction('intent-dispatcher');
    this.intentDispatcher = dispatcher;
    this.intentWakeups = new ScheduleGroup(this, 'IntentWakeups', {
      // Its schedules invoke this stack's dispatcher alone, so without the stack they could only fail;
      // and its name is fixed at synth, so a retained group would stop the stack being created again.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.wakeupDeadLetters = this.deadLetterQueue('WakeupDeadLetters', 'the intent wake-ups');
    this.wakeupRole = new Role(this, 'WakeupRole', {
      // Only schedules of this account may use it (confused deputy).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'callgate intent wake-ups: invoke the intent dispatcher, dead-letter what fails',
    });
    // Statements in the role's own policy, not the role: the dispatcher's environment names the role,
    // so the role itself cannot name the dispatcher.
    this.wakeupRole.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [dispatcher.handler.functionArn],
      }),
    );
    // Scheduler dead-letters with the schedule's role.
    this.wakeupRole.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.wakeupDeadLetters.queueArn],
      }),
    );
    dispatcher
      .addEnvironment('SCHEDULE_GROUP_NAME', this.intentWakeups.scheduleGroupName)
      .addEnvironment('SCHEDULER_ROLE_ARN', this.wakeupRole.roleArn)
      .addEnvironment('WAKEUP_DEAD_LETTER_ARN', this.wakeupDeadLetters.queueArn);
    // Schedules are named by intent and moment, so only the group can be fixed here. No update or
    // delete: a wake-up is never changed, and each deletes itself once it ran.
    dispatcher.role.addToPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [
          this.formatArn({
            service: 'scheduler',
            resource: 'schedule',
            resourceName: `${this.intentWakeups.scheduleGroupName}/*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    dispatcher.role.addToPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.wakeupRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    Validations.of(dispatcher.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.intentWakeups.scheduleGroupName}/*]`,
      reason:
        "scheduler:CreateSchedule on schedule/<the stack's schedule group>/*: each wake-up is a new schedule named by its intent at run time, so the group is the narrowest resource that can be named.",
    });

    this.intentEventDeadLetters = this.deadLetterQueue(
      'IntentEventDeadLetters',
      'the intent dispatcher rule',
    );
    new Rule(this, 'IntentDispatcherRule', {
      eventBus: this.eventBus,
      description: 'The events that move call intents on, to the intent dispatcher',
      eventPattern: { source: [eventSource], detailType: [...intentDispatcherEventTypes] },
      targets: [
        // These retries cover handing the event over (throttling, a missing permission); once
        // accepted, the dispatcher's own retries below apply.
        new LambdaFunction(dispatcher.handler, {
          retryAttempts: 10,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.intentEventDeadLetters,
        }),
      ],
    });
    this.dispatcherDeadLetters = this.deadLetterQueue(
      'DispatcherDeadLetters',
      "the intent dispatcher's asynchronous invocations",
    );
    // The rule and the wake-ups both invoke asynchronously: a run that keeps failing is kept, with its
    // event, in one queue whichever invoked it.
    dispatcher.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.dispatcherDeadLetters),
    });
    this.functions = functions;

    const iamAuthorizer = new HttpIamAuthorizer();
    const noAuthorizer = new HttpNoneAuthorizer();
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of routes) {
      const target = functions.get(route.fn);
      if (!target) throw new Error(`No function for ${route.fn}`);
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(
          `${functionId(route.fn)}Integration`,
          target.handler,
        );
        integrations.set(route.fn, integration);
      }
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth === 'iam' ? iamAuthorizer : noAuthorizer,
      });
      if (!httpRoute) throw new Error(`No route created for ${route.method} ${route.path}`);
      if (route.auth === 'plivo-signature') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Plivo webhook: Plivo cannot sign AWS (SigV4) requests or present tokens; the handler verifies the Plivo HMAC signature (X-Plivo-Signature-V3/V2) with the account token and answers 403 otherwise.',
        });
      } else if (route.auth === 'none') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Liveness probe: returns a fixed status, reads no data and calls nothing, so it is public on purpose.',
        });
      }
    }

    const deadLetters: DeadLetters[] = [
      {
        name: 'lease-changes',
        queue: this.leaseChangeDeadLetters,
        holds:
          'lease shard changes the lease-changes function could not apply (an inbound call not recorded)',
      },
      {
        name: 'events',
        queue: this.eventDeadLetters,
        holds: 'table changes the events function could not turn into events or put on the bus',
      },
      ...(this.webhookDeadLetters
        ? [
            {
              name: 'webhook',
              queue: this.webhookDeadLetters,
              holds: "events the configured webhook did not take after EventBridge's retries",
            },
          ]
        : []),
      {
        name: 'intent-events',
        queue: this.intentEventDeadLetters,
        holds: 'intent events the bus rule could not deliver to the intent dispatcher',
      },
      {
        name: 'wakeups',
        queue: this.wakeupDeadLetters,
        holds: 'intent wake-ups EventBridge Scheduler could not deliver to the intent dispatcher',
      },
      {
        name: 'dispatcher',
        queue: this.dispatcherDeadLetters,
        holds: "intent dispatcher runs that still failed after Lambda's retries",
      },
    ];
    this.operations = new Operations(this, 'Operations', {
      functions,
      table: this.table,
      api: this.api,
      apiAccessLogs: accessLogs,
      deadLetters,
      streamFunctions: this.streamFunctions,
      settings: props.config.operations,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: publicBaseUrl,
      description: 'Base URL of the callgate API (IAM-signed business API under /v1).',
    });
    new CfnOutput(this, 'BusinessApiArn', {
      value: this.formatArn({
        service: 'execute-api',
        resource: this.api.apiId,
        resourceName: '*/*/v1/*',
      }),
      description:
        'Resource of the execute-api:Invoke permission your systems need to call the /v1 business API.',
    });
    for (const setting of plivoConsoleSettings(publicBaseUrl)) {
      new CfnOutput(this, setting.output, {
        value: setting.url,
        description: `Plivo console: ${setting.where}.`,
      });
    }
    new CfnOutput(this, 'PlivoSecretArn', {
      value: this.plivoSecret.secretArn,
      description:
        'Put the Plivo credentials here: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string \'{"authId":"<Auth ID>","authToken":"<Auth Token>"}\'',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.topic.topicArn,
      description:
        'Every alarm notifies this SNS topic (docs/operations.md): subscribe your e-mail, chat or paging to it.',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.operations.dashboard.dashboardName,
      description: 'The CloudWatch dashboard (docs/operations.md).',
    });
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'The DynamoDB table (retained when the stack is deleted).',
    });
  }

  /** An encrypted queue kept 14 days, itself the dead-letter destination of `of`. */
  private deadLetterQueue(id: string, of: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination of ${of}.`,
    });
    return queue;
  }

  /**
   * The configured webhook: every callgate event's envelope POSTed to one HTTPS URL by an EventBridge
   * API destination, which rate-limits, retries for a day, then dead-letters. Its secret header value
   * is read from Secrets Manager at deploy time into the connection (EventBridge keeps its own copy).
   */
  private eventWebhook(webhook: NonNullable<Config['events']['webhook']>): Queue {
    const connection = new Connection(this, 'WebhookConnection', {
      description: 'callgate events webhook',
      authorization: Authorization.apiKey(
        webhook.authHeader,
        SecretValue.secretsManager(
          webhook.secret,
          webhook.secretField ? { jsonField: webhook.secretField } : {},
        ),
      ),
    });
    const destination = new ApiDestination(this, 'Webhook', {
      connection,
      endpoint: webhook.url,
      httpMethod: EventsHttpMethod.POST,
      rateLimitPerSecond: webhook.invocationsPerSecond,
      description: 'callgate events webhook',
    });
    const deadLetters = this.deadLetterQueue('WebhookDeadLetters', 'the events webhook rule');
    new Rule(this, 'WebhookRule', {
      eventBus: this.eventBus,
      description: 'Every callgate event to the configured webhook',
      eventPattern: { source: [eventSource] },
      targets: [
        new ApiDestinationTarget(destination, {
          // The envelope itself, as the local host's webhook receives it.
          event: RuleTargetInput.fromEventPath('$.detail'),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: deadLetters,
        }),
      ],
    });
    return deadLetters;
  }
  /** The API Gateway custom domain at `host`, mapped to the stack's stage, and its DNS record if asked. */
  private addCustomDomain(
    host: string,
    domain: NonNullable<CallgateStackProps['customDomain']>,
    stage: HttpStage,
  ): void {
    const domainName = new DomainName(this, 'CustomDomain', {
      domainName: host,
      securityPolicy: SecurityPolicy.TLS_1_2,
      certificate: Certificate.fromCertificateArn(
        this,
        'CustomDomainCertificate',
        domain.certificateArn,
      ),
    });
    new ApiMapping(this, 'CustomDomainMapping', { api: this.api, domainName, stage });
    if (domain.hostedZone) {
      new ARecord(this, 'CustomDomainRecord', {
        zone: HostedZone.fromHostedZoneAttributes(this, 'CustomDomainZone', {
          hostedZoneId: domain.hostedZone.id,
          zoneName: domain.hostedZone.name,
        }),
        recordName: host,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(
            domainName.regionalDomainName,
            domainName.regionalHostedZoneId,
          ),
        ),
      });
      return;
    }
    new CfnOutput(this, 'CustomDomainTarget', {
      value: domainName.regionalDomainName,
      description: `Point DNS for ${host} here: a CNAME, or a Route 53 alias record.`,
    });
  }
}
