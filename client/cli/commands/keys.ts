import type { Command } from 'commander';
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../../functions/shared/operations/api-keys.js';
import { keyNameSchema, keyScopesSchema } from '../../../functions/shared/rules/api-keys.js';
import { createDb, type Db } from '../../../functions/shared/store/client.js';
import type { ApiKeyRecord } from '../../../functions/shared/store/items/api-key.js';

/** Where the commands write and what time they take: the terminal by default, a test's own otherwise. */
export interface KeysIo {
  readonly out: (text: string) => void;
  readonly now: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const terminal: KeysIo = {
  out: (text) => process.stdout.write(text),
  now: Date.now,
  env: process.env,
};

interface TableOptions {
  readonly table?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly json?: boolean;
}

const iso = (millis: number | undefined): string =>
  millis === undefined ? '' : new Date(millis).toISOString();

/** A key as `--json` prints it: times as ISO strings. */
const keyJson = (key: ApiKeyRecord) => ({
  keyId: key.keyId,
  name: key.name,
  scopes: key.scopes,
  createdAt: iso(key.createdAt),
  ...(key.lastUsedAt === undefined ? {} : { lastUsedAt: iso(key.lastUsedAt) }),
  ...(key.revokedAt === undefined ? {} : { revokedAt: iso(key.revokedAt) }),
});

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
};

/**
 * `callgate keys create | list | revoke`: API keys in the table itself, through the same operations
 * the API-key authorizer's items are written and read by. The table is the stack's `TableName` output
 * (`--table` or CALLGATE_TABLE_NAME, with the usual AWS credentials and region); locally, the table
 * `npm start` prints and `--endpoint` its DynamoDB Local URL.
 */
export const registerKeysCommands = (program: Command, io: KeysIo = terminal): Command => {
  const keys = program
    .command('keys')
    .description('create, list and revoke the API keys of the route groups api.auth gives keys')
    .option(
      '--table <name>',
      "the DynamoDB table: the stack's TableName output (CALLGATE_TABLE_NAME)",
    )
    .option(
      '--endpoint <url>',
      'a DynamoDB endpoint, such as the DynamoDB Local URL npm start prints',
    )
    .option('--region <region>', 'the AWS region (else the usual AWS configuration)')
    .option('--json', 'print JSON for scripts');

  const dbOf = (command: Command): { db: Db; json: boolean } => {
    const options = command.optsWithGlobals<TableOptions>();
    const tableName = options.table ?? io.env.CALLGATE_TABLE_NAME;
    if (!tableName) {
      command.error(
        "Name the table: --table <name> (the stack's TableName output) or CALLGATE_TABLE_NAME",
      );
    }
    return {
      db: createDb({ tableName, endpoint: options.endpoint, region: options.region }),
      json: options.json === true,
    };
  };

  keys
    .command('create')
    .description('create a key: it is printed once, the table keeps only its hash')
    .requiredOption('--name <name>', 'who holds it, shown in logs and on events (key:<name>)')
    .requiredOption(
      '--scopes <scopes>',
      'what it may do, comma- or space-separated: calls:write, calls:read, permissions:read, permissions:write, intents:write, intents:read, numbers:write',
    )
    .action(async (options: { name: string; scopes: string }, command: Command) => {
      const name = keyNameSchema.safeParse(options.name);
      if (!name.success) command.error(`--name: ${name.error.issues[0]?.message}`);
      const scopes = keyScopesSchema.safeParse(options.scopes.split(/[\s,]+/).filter(Boolean));
      if (!scopes.success) command.error(`--scopes: ${scopes.error.issues[0]?.message}`);
      const { db, json } = dbOf(command);
      const created = await createApiKey(db, { name: name.data, scopes: scopes.data }, io.now());
      if (json) {
        io.out(`${JSON.stringify({ ...keyJson(created.view), apiKey: created.apiKey })}\n`);
        return;
      }
      io.out(
        `Created key ${created.view.name} (${created.view.keyId}): ${created.view.scopes.join(' ')}\n` +
          `${created.apiKey}\n` +
          'This is the only time the key is shown: give it to its system now (Authorization: Bearer <key>).\n',
      );
    });

  keys
    .command('list')
    .description(
      'every key: name, scopes, created, last used (to 10 minutes), revoked; never a key',
    )
    .action(async (_options: unknown, command: Command) => {
      const { db, json } = dbOf(command);
      const listed = await listApiKeys(db);
      if (json) {
        io.out(`${JSON.stringify(listed.map(keyJson))}\n`);
        return;
      }
      io.out(
        table(
          ['KEY ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
          listed.map((key) => [
            key.keyId,
            key.name,
            key.scopes.join(' '),
            iso(key.createdAt),
            iso(key.lastUsedAt),
            iso(key.revokedAt),
          ]),
        ),
      );
    });

  keys
    .command('revoke')
    .description('revoke a key: refused from the next uncached request on (within 60 s on AWS)')
    .argument('<keyId>', 'the key id (list shows it; the 16 hex digits after cg_)')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const { db, json } = dbOf(command);
      const outcome = await revokeApiKey(db, keyId, io.now());
      if (outcome.kind === 'unknown_key') command.error(`No API key ${keyId}`);
      if (json) {
        io.out(`${JSON.stringify(keyJson(outcome.view))}\n`);
        return;
      }
      io.out(
        `Revoked key ${outcome.view.name} (${outcome.view.keyId}) at ${iso(outcome.view.revokedAt)}\n`,
      );
    });

  return keys;
};
