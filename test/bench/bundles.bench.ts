import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import {
  exampleConfigPath,
  parseConfig,
  readConfigFile,
} from '../../functions/shared/config/load.js';
import { functionNames } from '../../functions/shared/routes.js';
import {
  CallgateFunction,
  functionBundling,
  functionEnvironment,
  projectRoot,
} from '../../infra/function-construct.js';
import { type Bench, type BenchRow, round } from './support.js';

/**
 * Cold import of every function's deployed bundle, as overhead above a bare `node -e` started in the
 * same rounds. Each round starts one fresh process per bundle (and one bare) in shuffled order, so
 * drift of the machine falls on all bundles alike; a repeat is `rounds` rounds, and the spread of
 * the repeats' medians shows how far a figure can be trusted.
 */
const repeats = 3;
const rounds = 10;
const outDir = join(projectRoot, 'bench-results', 'bundles');

/** Imports only what every function needs at least: the DynamoDB document client, constructed. */
const floorSource = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => doc;
`;
const plivoSource = `import * as plivo from 'plivo';
export const handler = async () => typeof plivo;
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
}

/** The bundle CDK's own bundling writes for `construct` (one function per app, so one asset). */
const synthBundle = (name: string, define: (stack: Stack) => void): Bundle => {
  const outdir = join(outDir, `cdk-${name}`);
  const app = new App({ outdir });
  define(new Stack(app, 'Bench'));
  app.synth();
  const assets = readdirSync(outdir).filter((entry) => entry.startsWith('asset.'));
  if (assets.length !== 1) throw new Error(`${name}: expected one asset, found ${assets.length}`);
  const file = join(outdir, assets[0] as string, 'index.mjs');
  return { name, file, bytes: statSync(file).size };
};

const config = readConfigFile(exampleConfigPath);
/** event-webhook exists only where the configuration names a webhook, so its bundle gets one. */
const configWithWebhook = parseConfig(
  {
    ...JSON.parse(readFileSync(exampleConfigPath, 'utf8')),
    events: {
      webhook: {
        url: 'https://crm.example.invalid/hooks/callgate',
        secret: 'callgate/webhook',
        signingSecretField: 'signingSecret',
      },
    },
  },
  'the bench',
);

/** A reference bundle: `source` built with the functions' own bundling options unless told otherwise. */
const referenceBundle = (
  name: string,
  source: string,
  bundling: BundlingOptions = functionBundling(config),
): Bundle => {
  const entry = join(outDir, `${name}.ts`);
  writeFileSync(entry, source);
  return synthBundle(name, (stack) => {
    new NodejsFunction(stack, 'Handler', {
      entry,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      bundling,
    });
  });
};

/** What Lambda sets (fake credentials: importing must not need real ones) plus the deployed variables. */
const childEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  TABLE_NAME: 'bench',
  EVENT_BUS_NAME: 'bench',
  SCHEDULE_GROUP_NAME: 'bench',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/bench',
  WAKEUP_DEAD_LETTER_ARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
  POWERTOOLS_SERVICE_NAME: 'bench',
  PUBLIC_BASE_URL: 'https://example.invalid',
  PLIVO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  // Lambda's Node 22 emits no such warning; the bench's Node 20 would, and pay for it.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  ...functionEnvironment,
};

/** What a child reports once its import is done: resident memory and CPU time (all threads) so far. */
const report =
  'process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, cpu: process.cpuUsage() }))';

interface Run {
  /** Wall time of the process, start to exit. */
  readonly ms: number;
  readonly cpuMs: number;
  /** Not maxRSS, which Linux carries over from the (large) benchmark process. */
  readonly rssMiB: number;
}

const runNode = (script: string): Run => {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: childEnv });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node -e ${script} failed: ${result.stderr}`);
  const { rss, cpu } = JSON.parse(result.stdout) as { rss: number; cpu: NodeJS.CpuUsage };
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB: rss / 2 ** 20 };
};

const importScript = (file: string): string =>
  `import(${JSON.stringify(pathToFileURL(file).href)}).then(() => ${report})`;

const shuffled = <T>(items: readonly T[]): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
};

const median = (samples: readonly number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2
    ? (sorted[Math.floor(mid)] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const spread = (values: readonly number[], digits = 1, unit = ''): string =>
  `${round(Math.min(...values), digits)}–${round(Math.max(...values), digits)}${unit}`;

export const bench: Bench = {
  name: 'bundles',
  async run() {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const floor = referenceBundle('floor', floorSource);
    // The same client with the SDK's whole default credential chain: the floor as the SDK ships it.
    const sdkFloor = referenceBundle('floor-sdk-chain', floorSource, {
      ...functionBundling(config),
      esbuildArgs: {},
    });
    const plivo = referenceBundle('plivo', plivoSource);
    const functions = functionNames.map((fn) =>
      synthBundle(fn, (stack) => {
        new CallgateFunction(stack, 'Function', {
          fn,
          config: fn === 'event-webhook' ? configWithWebhook : config,
        });
      }),
    );
    const bundles = [...functions, floor, sdkFloor, plivo];
    const bare = 'bare';
    const scripts = new Map<string, string>([
      [bare, report],
      ...bundles.map((b): [string, string] => [b.name, importScript(b.file)]),
    ]);

    // Untimed: fills the file cache and fails fast on a bundle that does not import.
    for (const script of scripts.values()) runNode(script);

    // Per bundle, one value per repeat: the median over its rounds of (bundle − bare of that round).
    const wall = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
    const cpu = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
    const rss = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
    const bareMs: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const roundResults: Array<Map<string, Run>> = [];
      for (let r = 0; r < rounds; r++) {
        const results = new Map<string, Run>();
        for (const name of shuffled([...scripts.keys()])) {
          results.set(name, runNode(scripts.get(name) as string));
        }
        roundResults.push(results);
      }
      const baseOf = (results: Map<string, Run>) => results.get(bare) as Run;
      bareMs.push(median(roundResults.map((results) => baseOf(results).ms)));
      for (const b of bundles) {
        const above = (figure: keyof Run) =>
          median(
            roundResults.map(
              (results) => (results.get(b.name) as Run)[figure] - baseOf(results)[figure],
            ),
          );
        wall.get(b.name)?.push(above('ms'));
        cpu.get(b.name)?.push(above('cpuMs'));
        rss.get(b.name)?.push(above('rssMiB'));
      }
    }

    const nodeOptions = functionEnvironment.NODE_OPTIONS;
    const group = `Cold import above bare node (${repeats} repeats × ${rounds} interleaved rounds, ${nodeOptions ? `NODE_OPTIONS=${nodeOptions}` : 'no NODE_OPTIONS'} as deployed)`;
    const floorMs = wall.get(floor.name) as number[];
    const sdkFloorMs = wall.get(sdkFloor.name) as number[];
    const row = (operation: string, b: Bundle): BenchRow => {
      const ms = wall.get(b.name) as number[];
      return {
        group,
        operation,
        figures: {
          'bundle KiB': round(b.bytes / 1024, 1),
          'overhead ms': round(median(ms), 1),
          'spread ms': spread(ms),
          'vs floor': `${round(median(ms) / median(floorMs), 2)}×`,
          'vs floor, by repeat': spread(
            ms.map((v, i) => v / (floorMs[i] as number)),
            2,
            '×',
          ),
          'vs SDK-chain floor': `${round(median(ms) / median(sdkFloorMs), 2)}×`,
          'CPU ms': round(median(cpu.get(b.name) as number[]), 1),
          'RSS MiB': round(median(rss.get(b.name) as number[]), 1),
        },
      };
    };
    return [
      ...functions.map((b) => row(b.name, b)),
      row('floor: DynamoDB document client, bundled as the functions are', floor),
      row("floor with the SDK's default credential chain", sdkFloor),
      row('reference: `plivo` package root', plivo),
      {
        group,
        operation: 'bare `node -e`, start to exit',
        figures: { 'wall ms': round(median(bareMs), 1), 'wall spread ms': spread(bareMs) },
      },
    ];
  },
};
