import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { parseConfig } from '../functions/shared/config/load.js';
import type { Config } from '../functions/shared/config/schema.js';
import type { FunctionName } from '../functions/shared/routes.js';
import { functionAccess, functionSizing } from './functions.js';

/** The repo root: bundling reads entries, package-lock.json and tsconfig from here. */
export const projectRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The Lambda entry of a route table function: functions/<fn>/index.ts. */
export const functionEntry = (fn: FunctionName, root = projectRoot): string =>
  join(root, 'functions', fn, 'index.ts');

/**
 * esbuild emits ESM, but CommonJS dependencies (the Plivo SDK among them) still call `require`:
 * give the module one, the usual fix for ESM bundles on Lambda.
 */
const requireShim =
  "import { createRequire as __callgateCreateRequire } from 'node:module'; const require = __callgateCreateRequire(import.meta.url);";

/**
 * The configuration as a JS string literal: the handlers read the global `__CALLGATE_CONFIG__`, so a
 * deployed function never reads a config file at run time. Validated here, at synth, whatever the
 * caller passed: functions/shared/lambda-deps.ts trusts it without validating it again.
 */
export const configDefine = (config: Config): string =>
  JSON.stringify(JSON.stringify(parseConfig(config, 'the configuration to bundle')));

/**
 * esbuild settings of every function; the bundle benchmark (test/bench/bundles.bench.ts) builds its
 * reference bundles with the same, so it measures what is deployed.
 */
export const functionBundling = (config: Config, root = projectRoot): BundlingOptions => ({
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  banner: requireShim,
  // A map without the sources, never read at run time (no --enable-source-maps, see
  // functionEnvironment): it stays beside index.mjs in the asset so a logged `index.mjs:1:<column>`
  // can be looked up, and costs nothing at a cold start.
  sourceMap: true,
  sourcesContent: false,
  // The AWS SDK bundled (tree-shaken, one file) imports in about half the time of the runtime's own
  // copy loaded file by file (see npm run bench), and pins the version the tests ran against.
  externalModules: [],
  // Lambda's credentials are in the environment: only that link of the SDK's default chain is bundled.
  esbuildArgs: {
    '--alias:@aws-sdk/credential-provider-node': join(
      root,
      'functions',
      'shared',
      'lambda-credentials.ts',
    ),
    // middy's streamed responses, which no function uses (functions/shared/lambda-stream-web.ts).
    '--alias:node:stream/web': join(root, 'functions', 'shared', 'lambda-stream-web.ts'),
  },
  define: { __CALLGATE_CONFIG__: configDefine(config) },
});

/**
 * The environment every function starts with, before its own variables. No NODE_OPTIONS: with
 * `--enable-source-maps` Node reads and decodes the bundle's source map at every cold start, about
 * 30 ms and 18 MiB for the answer function (25 ms even without the sources in the map), for nicer
 * stack traces only.
 */
export const functionEnvironment: Readonly<Record<string, string>> = {};

export interface CallgateFunctionProps {
  /** The route table's `fn`: names the folder under functions/ and the access in infra/functions.ts. */
  readonly fn: FunctionName;
  /** Injected into the bundle at build time. */
  readonly config: Config;
  readonly environment?: Readonly<Record<string, string>>;
  /** Defaults to the repo root; tests may point it elsewhere. */
  readonly projectRoot?: string;
}

/**
 * One callgate Lambda with the defaults every function shares: nodejs22.x on arm64, active tracing,
 * a minified ESM bundle with source maps built locally (no Docker), its own log group with the
 * configured retention, memory, timeout and reserved concurrency from infra/functions.ts, and a role that starts empty: log writing, table actions and the Plivo secret are
 * granted one by one, so each function holds only what its code uses.
 */
export class CallgateFunction extends Construct {
  readonly fn: FunctionName;
  readonly handler: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: CallgateFunctionProps) {
    super(scope, id);
    this.fn = props.fn;
    const root = props.projectRoot ?? projectRoot;
    const sizing = functionSizing[props.fn];

    this.logGroup = new LogGroup(this, 'Logs', {
      // The configuration's operations.logRetentionDays (a month by default): every value it allows
      // is one of CloudWatch Logs' retention periods.
      retention: props.config.operations.logRetentionDays as RetentionDays,
      // Logs expire anyway; deleting the stack should not leave orphaned groups.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `callgate ${props.fn}: only the actions its code uses`,
    });
    this.logGroup.grantWrite(this.role);

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: functionEntry(props.fn, root),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: join(root, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      // Sized per function in infra/functions.ts, which says why.
      memorySize: sizing.memoryMB,
      timeout: Duration.seconds(sizing.timeoutSeconds),
      reservedConcurrentExecutions: sizing.reservedConcurrency?.(props.config),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...functionEnvironment,
        // The `service` dimension of every count and the X-Ray service: the stack, so stacks sharing
        // an account keep their metrics apart (infra/operations.ts reads them by it).
        POWERTOOLS_SERVICE_NAME: Stack.of(this).stackName,
        ...props.environment,
      },
      bundling: functionBundling(props.config, root),
    });

    // X-Ray's write actions have no resource-level permissions, so tracing needs `Resource: *`.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is chosen deliberately: it is a supported Lambda runtime and the one the dependencies (middy 6, Powertools) are tested on; moving to a newer runtime is a tested upgrade, not an automatic one.',
    });
  }

  addEnvironment(key: string, value: string): this {
    this.handler.addEnvironment(key, value);
    return this;
  }

  /**
   * TABLE_NAME plus exactly the table actions infra/functions.ts lists for this function, on this
   * table only, on the partitions it names where it names some, and Query on the indexes of the
   * listings it serves (no Scan, no wildcard).
   */
  bindTable(table: ITable): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    const access = functionAccess[this.fn];
    const { partitionKeys } = access;
    const actions = [...access.tableActions];
    if (actions.length > 0) {
      this.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions,
          resources: [table.tableArn],
          ...(partitionKeys
            ? {
                conditions: {
                  'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...partitionKeys] },
                },
              }
            : {}),
        }),
      );
    }
    if (access.listings?.length) {
      this.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:Query'],
          resources: access.listings.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    }
    return this;
  }

  /** The listings' cursor key, only for the functions that serve a listing. */
  bindCursorSecret(secret: ISecret): this {
    if (!functionAccess[this.fn].listings?.length) return this;
    this.addEnvironment('CURSOR_SECRET_ARN', secret.secretArn);
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
    return this;
  }

  /**
   * The ARN of the Plivo credentials and the right to read that one secret, only for functions that
   * verify signatures or call Plivo. The token itself never goes into the environment.
   */
  bindPlivoSecret(secret: ISecret): this {
    if (!functionAccess[this.fn].plivoSecret) return this;
    this.addEnvironment('PLIVO_SECRET_ARN', secret.secretArn);
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
    return this;
  }
}
