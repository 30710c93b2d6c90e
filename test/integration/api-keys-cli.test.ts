import { Command, CommanderError } from 'commander';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { registerKeysCommands } from '../../client/cli/commands/keys.js';
import { authorizeApiKey } from '../../functions/shared/operations/api-keys.js';
import type { Db } from '../../functions/shared/store/client.js';
import { createTestDb, scanTable } from '../support/dynamo.js';

const now = Date.parse('2026-12-08T03:00:00.000Z');

describe('callgate keys, against DynamoDB Local', () => {
  let db: Db;
  let endpoint: string;
  beforeAll(async () => {
    db = await createTestDb();
    endpoint = inject('dynamoEndpoint');
  });

  /** Runs `callgate keys …` in-process: what it printed, or the error it stopped with. */
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const printed: string[] = [];
    const errors: string[] = [];
    const program = new Command('callgate').exitOverride().configureOutput({
      writeOut: (text) => printed.push(text),
      writeErr: (text) => errors.push(text),
    });
    registerKeysCommands(program, { out: (text) => printed.push(text), now: () => now, env });
    try {
      await program.parseAsync(['keys', ...args], { from: 'user' });
      return { out: printed.join(''), error: undefined };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      return { out: printed.join(''), error: errors.join('') };
    }
  };
  const at = () => ['--table', db.tableName, '--endpoint', endpoint];

  it('creates a key that works, printed once and stored as its hash', async () => {
    const { out, error } = await run([
      ...at(),
      'create',
      '--name',
      'hubspot',
      '--scopes',
      'calls:write, permissions:read',
      '--json',
    ]);
    expect(error).toBeUndefined();
    const created = JSON.parse(out);
    expect(created).toEqual({
      keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'hubspot',
      scopes: ['calls:write', 'permissions:read'],
      createdAt: '2026-12-08T03:00:00.000Z',
      apiKey: expect.stringMatching(/^cg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/),
    });
    expect(JSON.stringify(await scanTable(db))).not.toContain(created.apiKey.slice(20));
    expect(await authorizeApiKey(db, `Bearer ${created.apiKey}`, now)).toMatchObject({
      kind: 'authorized',
      name: 'hubspot',
    });
  });

  it('prints the key once in words too, and takes the table from CALLGATE_TABLE_NAME', async () => {
    const { out } = await run(
      ['--endpoint', endpoint, 'create', '--name', 'zendesk', '--scopes', 'intents:read'],
      { CALLGATE_TABLE_NAME: db.tableName },
    );
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Created key zendesk \([0-9a-f]{16}\): intents:read$/);
    expect(lines[1]).toMatch(/^cg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(lines[2]).toContain('only time the key is shown');
  });

  it('lists the keys without keys or hashes, as a table or JSON', async () => {
    const listed = JSON.parse((await run([...at(), 'list', '--json'])).out);
    expect(listed.map((key: { name: string }) => key.name).sort()).toEqual(['hubspot', 'zendesk']);
    const text = (await run([...at(), 'list'])).out;
    expect(text.split('\n')[0]).toMatch(/^KEY ID\s+NAME\s+SCOPES\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(text).toContain('calls:write permissions:read');
    for (const output of [JSON.stringify(listed), text]) {
      expect(output).not.toMatch(/cg_[0-9a-f]{16}_/);
      expect(output).not.toContain('hash');
    }
  });

  it('revokes a key, again without change, and refuses an unknown one', async () => {
    const { out } = await run([
      ...at(),
      'create',
      '--name',
      'old-dialer',
      '--scopes',
      'calls:write',
      '--json',
    ]);
    const { keyId, apiKey } = JSON.parse(out);
    const first = await run([...at(), 'revoke', keyId]);
    expect(first.out).toBe(`Revoked key old-dialer (${keyId}) at 2026-12-08T03:00:00.000Z\n`);
    expect(JSON.parse((await run([...at(), 'revoke', keyId, '--json'])).out).revokedAt).toBe(
      '2026-12-08T03:00:00.000Z',
    );
    expect(await authorizeApiKey(db, `Bearer ${apiKey}`, now)).toMatchObject({
      kind: 'refused',
      reason: 'revoked',
    });
    expect((await run([...at(), 'revoke', 'f'.repeat(16)])).error).toContain(
      `No API key ${'f'.repeat(16)}`,
    );
  });

  it('refuses a bad name, a bad scope and a missing table before writing anything', async () => {
    const before = (await scanTable(db)).length;
    expect(
      (await run([...at(), 'create', '--name', 'my crm', '--scopes', 'calls:write'])).error,
    ).toContain('--name: a key name is 1 to 64 letters');
    expect(
      (await run([...at(), 'create', '--name', 'crm', '--scopes', 'calls:delete'])).error,
    ).toContain('--scopes: a scope is one of calls:write');
    expect((await run([...at(), 'create', '--name', 'crm', '--scopes', ','])).error).toContain(
      '--scopes: a key needs at least one scope',
    );
    expect((await run(['list'])).error).toContain('Name the table: --table <name>');
    expect((await run([...at(), 'create', '--name', 'crm'])).error).toContain(
      "'--scopes <scopes>'",
    );
    expect((await scanTable(db)).length).toBe(before);
  });
});
