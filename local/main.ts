import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, configPathFromEnv, readConfigFile } from '../functions/shared/config/load.js';
import { plivoConsoleSettings } from '../functions/shared/routes.js';
import { presetInForce } from '../functions/shared/rules/presets.js';
import { defaultPort } from './defaults.js';
import { ensureTable, startDynamoDbLocal } from './dynamodb.js';
import { sandboxAuthToken, startLocalHost } from './host.js';

/**
 * `npm start`: DynamoDB Local (in memory, or in --data-dir / CALLGATE_DATA_DIR), the table, and every
 * route on http://localhost:$PORT. Sandbox Plivo unless PLIVO_AUTH_ID is set.
 */
const main = async () => {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, port: { type: 'string' } },
    allowPositionals: false,
  });
  const env = process.env;
  const configPath = configPathFromEnv(env);
  const config = readConfigFile(configPath);
  const port = Number(values.port ?? env.PORT ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT ${port} is not a port`);
  const dataOption = values['data-dir'] ?? env.CALLGATE_DATA_DIR;
  // DynamoDB Local runs from its package's folder: hand it an absolute path that exists.
  const dataDir = dataOption ? resolve(dataOption) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });

  // Java takes several seconds to start DynamoDB Local: say so rather than print nothing meanwhile.
  console.log(
    `Starting DynamoDB Local on Java (${dataDir ? `data in ${dataDir}` : 'in memory'}): the host starts once it answers, which takes a few seconds…`,
  );
  const dynamo = await startDynamoDbLocal(dataDir ? { path: dataDir } : {});
  const tableName = env.TABLE_NAME ?? 'callgate';
  await ensureTable(dynamo.endpoint, tableName);

  const plivo = env.PLIVO_AUTH_ID
    ? {
        authId: env.PLIVO_AUTH_ID,
        authToken: env.PLIVO_AUTH_TOKEN ?? '',
        ...(env.PLIVO_API_URL ? { apiUrl: env.PLIVO_API_URL } : {}),
      }
    : undefined;
  if (plivo && !plivo.authToken)
    throw new ConfigError('PLIVO_AUTH_TOKEN must be set with PLIVO_AUTH_ID');

  const webhook = env.CALLGATE_WEBHOOK_URL;
  if (webhook && !/^https?:$/.test(URL.parse(webhook)?.protocol ?? '')) {
    throw new ConfigError(`CALLGATE_WEBHOOK_URL ${webhook} is not an http(s) URL`);
  }

  let host: Awaited<ReturnType<typeof startLocalHost>>;
  try {
    host = await startLocalHost({
      config,
      dynamoEndpoint: dynamo.endpoint,
      tableName,
      port,
      plivo,
      sandboxAuthToken: env.PLIVO_AUTH_TOKEN,
      publicBaseUrl: env.PUBLIC_BASE_URL,
      apiToken: env.API_TOKEN,
      webhookUrl: env.CALLGATE_WEBHOOK_URL,
      webhookSecret: env.CALLGATE_WEBHOOK_SECRET,
      simulate: true,
    });
  } catch (error) {
    await dynamo.stop();
    throw error;
  }

  const preset = presetInForce(config.rules);
  const lines = [
    `callgate is running on ${host.url} (configuration: ${configPath})`,
    `  Limits: preset ${preset.name} (${preset.source}, ${preset.asOf})${preset.overridden.length > 0 ? `, overridden: ${preset.overridden.join(', ')}` : ''}`,
    `  DynamoDB Local: ${dynamo.endpoint} (${dataDir ? `data in ${dataDir}` : 'in memory'}), table ${tableName}`,
    host.sandbox
      ? `  Plivo: sandbox (no PLIVO_AUTH_ID). Webhooks are verified with PLIVO_AUTH_TOKEN${env.PLIVO_AUTH_TOKEN ? '' : ` (default "${sandboxAuthToken}")`}`
      : '  Plivo: live API with PLIVO_AUTH_ID',
    '  Paste into the Plivo console:',
    ...plivoConsoleSettings(host.publicBaseUrl).flatMap((setting) => [
      `    ${`${setting.label}:`.padEnd(13)} ${setting.url}`,
      `                  ${setting.where}`,
    ]),
    `  Health:        ${host.url}/health`,
    ...(host.sandbox
      ? [
          `  Sandbox page:  ${host.url}/_sandbox/ (the sandbox plays Plivo and the WhatsApp users)`,
          `  Sandbox API:   POST ${host.url}/_sandbox/clock {"advanceSeconds": n}`,
          `                 GET  ${host.url}/_sandbox/plivo/requests`,
          `                 GET  ${host.url}/_sandbox/events`,
          `                 GET  ${host.url}/_sandbox/timeline`,
          `                 POST ${host.url}/_sandbox/reset {} (empty table, clock back to now)`,
        ]
      : []),
    ...(env.CALLGATE_WEBHOOK_URL
      ? [`  Events webhook: ${env.CALLGATE_WEBHOOK_URL} (signed with CALLGATE_WEBHOOK_SECRET)`]
      : []),
    'Ctrl-C stops it (and DynamoDB Local).',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await host.close();
    await dynamo.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  // `kill -INT <npm pid>` ends npm and the shell it ran, not this process; nor does a parent that dies.
  // Either way this process is handed to another parent: then it stops too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 500).unref();
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('callgate failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
