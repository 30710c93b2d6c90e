import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config } from '../functions/shared/config/schema.js';
import {
  type FunctionName,
  plivoConsoleSettings,
  type Route,
  routes,
} from '../functions/shared/routes.js';
import { usesApiKeys } from '../functions/shared/rules/api-keys.js';
import { EventDelivery } from './event-delivery.js';
import { CallgateFunction } from './function-construct.js';
import { functionId } from './functions.js';
import { type CustomDomain, HttpRoutes } from './http-routes.js';
import { IntentScheduling } from './intent-scheduling.js';
import { Operations } from './operations.js';
import { PermissionExpiries } from './permission-expiry.js';
import { Storage } from './storage.js';
import { StreamReaders } from './stream-readers.js';

export interface CallgateStackProps extends StackProps {
  readonly config: Config;
  /**
   * The public base URL Plivo calls (a custom domain), without a trailing slash. Plivo signs the URL
   * it called, so handlers must know it. Default: the API's own execute-api endpoint.
   */
  readonly publicBaseUrl?: string;
  /** The custom domain of `publicBaseUrl` for the stack to create (infra/http-routes.ts). */
  readonly customDomain?: CustomDomain;
  /** Where functions/ and package-lock.json live; defaults to the repo root. */
  readonly projectRoot?: string;
  /** How many of the listings' indexes the table has: all unless an upgrade adds them one by one. */
  readonly tableIndexes?: number;
}

/** The functions the route table needs, once each, in route table order. */
export const routedFunctions = (table: readonly Route[] = routes): FunctionName[] => [
  ...new Set(table.map((route) => route.fn)),
];

/**
 * callgate on AWS: one Lambda per function, composed with the stack's parts, each in its own file:
 * storage (the table, the Plivo credentials), the HTTP routes, the stream readers, event delivery,
 * intent scheduling, permission expiries and operations (alarms, dashboard, topic).
 *
 * The parts other than Operations build their resources in the stack's own scope, not under a
 * construct of their own: a resource's path decides its CloudFormation logical id and its generated
 * name (the bus's, the schedule group's), and a changed one replaces the resource on upgrade (a new,
 * empty table; a new bus without the business's rules). test/infra/logical-ids.test.ts pins them.
 */
export class CallgateStack extends Stack {
  readonly table: Table;
  readonly plivoSecret: Secret;
  /** The key the listings' cursors are signed with. */
  readonly cursorSecret: Secret;
  /** Every event of the bus, for a replay; absent when `events.archiveRetentionDays` is 0. */
  readonly eventArchive?: Archive;
  readonly api: HttpApi;
  readonly functions: ReadonlyMap<FunctionName, CallgateFunction>;
  /** Stream records the lease-changes function could not apply after its retries. */
  readonly leaseChangeDeadLetters: Queue;
  /** Where callgate's events go (`source: callgate`): the business subscribes with rules. */
  readonly eventBus: EventBus;
  /** Stream records the events function could not turn into events, or put, after its retries. */
  readonly eventDeadLetters: Queue;
  /** The envelopes on their way to the configured webhook. */
  readonly webhookQueue?: Queue;
  /** Events the configured webhook did not take after a day of tries. */
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
  /** Records a temporary permission's end: invoked by the table's stream and by its own looks. */
  readonly permissionExpiry: CallgateFunction;
  /** The looks at permissions' ends, which the permission-expiry function alone creates. */
  readonly permissionExpiryLooks: ScheduleGroup;
  /** What EventBridge Scheduler runs those looks as: it may invoke that function and dead-letter, nothing else. */
  readonly permissionExpiryLookRole: Role;
  /** Pair changes whose permission's end the permission-expiry function could not watch after its retries. */
  readonly expiryWatchDeadLetters: Queue;
  /** Looks EventBridge Scheduler could not deliver to the permission-expiry function after its retries. */
  readonly permissionExpiryLookDeadLetters: Queue;
  /** Looks the permission-expiry function still failed after Lambda's asynchronous retries. */
  readonly permissionExpiryDeadLetters: Queue;
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

    const storage = new Storage(this, props.tableIndexes);
    this.table = storage.table;
    this.plivoSecret = storage.plivoSecret;
    this.cursorSecret = storage.cursorSecret;
    const http = new HttpRoutes(this, props);
    this.api = http.api;
    this.apiAccessLogs = http.accessLogs;
    const publicBaseUrl = http.publicBaseUrl;

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
        .bindPlivoSecret(this.plivoSecret)
        .bindCursorSecret(storage.cursorSecret);
      functions.set(fn, created);
      return created;
    };
    for (const fn of routedFunctions()) callgateFunction(fn);
    const leaseChanges = callgateFunction('lease-changes');

    const delivery = new EventDelivery(this, {
      config: props.config,
      projectRoot: props.projectRoot,
    });
    this.eventBus = delivery.eventBus;
    if (delivery.archive) this.eventArchive = delivery.archive;
    this.webhookQueue = delivery.webhookQueue;
    this.webhookDeadLetters = delivery.webhookDeadLetters;
    if (delivery.webhookFunction) functions.set('event-webhook', delivery.webhookFunction);
    // No table or Plivo access: it reads the stream through its mapping and puts to the bus alone.
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

    this.permissionExpiry = callgateFunction('permission-expiry');
    const expiries = new PermissionExpiries(this, this.permissionExpiry);
    this.permissionExpiryLooks = expiries.scheduleGroup;
    this.permissionExpiryLookRole = expiries.lookRole;
    this.permissionExpiryLookDeadLetters = expiries.lookDeadLetters;
    this.permissionExpiryDeadLetters = expiries.lapseDeadLetters;

    const readers = new StreamReaders(this, {
      table: this.table,
      leaseChanges,
      events,
      permissionExpiry: this.permissionExpiry,
    });
    this.leaseChangeDeadLetters = readers.leaseChangeDeadLetters;
    this.eventDeadLetters = readers.eventDeadLetters;
    this.expiryWatchDeadLetters = readers.expiryWatchDeadLetters;
    this.streamFunctions = readers.functions;

    this.intentDispatcher = callgateFunction('intent-dispatcher');
    const scheduling = new IntentScheduling(this, {
      dispatcher: this.intentDispatcher,
      eventBus: this.eventBus,
    });
    this.intentWakeups = scheduling.intentWakeups;
    this.wakeupRole = scheduling.wakeupRole;
    this.wakeupDeadLetters = scheduling.wakeupDeadLetters;
    this.intentEventDeadLetters = scheduling.intentEventDeadLetters;
    this.dispatcherDeadLetters = scheduling.dispatcherDeadLetters;
    // Only when a route group takes API keys: otherwise nothing would call it.
    if (usesApiKeys(props.config.api)) callgateFunction('api-key-authorizer');
    this.functions = functions;

    http.serve(functions);

    this.operations = new Operations(this, 'Operations', {
      functions,
      table: this.table,
      api: this.api,
      apiAccessLogs: this.apiAccessLogs,
      deadLetters: [
        ...readers.deadLetters,
        ...delivery.deadLetters,
        ...scheduling.deadLetters,
        ...expiries.deadLetters,
      ],
      webhookQueue: this.webhookQueue,
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
    if (this.eventArchive) {
      new CfnOutput(this, 'EventArchiveName', {
        value: this.eventArchive.archiveName,
        description:
          'The archive of every event: replay a time range with aws events start-replay (docs/events.md).',
      });
      new CfnOutput(this, 'EventArchiveArn', { value: this.eventArchive.archiveArn });
    }
  }
}
