import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Runs what `npm start` runs, on a free port, and collects what it prints. */
const start = (env: Record<string, string> = {}) => {
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'infra/local/main.ts', '--port', '0'],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => ({ stdout, stderr }) };
};

const waitForUrl = async (run: ReturnType<typeof start>, child: ChildProcess): Promise<string> => {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const match = /callgate is running on (http:\/\/localhost:\d+)/.exec(run.output().stdout);
    if (match?.[1]) return match[1];
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`npm start did not come up:\n${run.output().stdout}\n${run.output().stderr}`);
};

describe('npm start', () => {
  it('serves /health with DynamoDB Local and the sandbox, prints the Plivo URLs, and stops on SIGINT', async () => {
    const run = start();
    const url = await waitForUrl(run, run.child);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const { stdout } = run.output();
    expect(stdout).toContain(`Answer URL:   ${url}/plivo/whatsapp/answer`);
    expect(stdout).toContain(`Webhook URL:  ${url}/plivo/whatsapp/message`);
    expect(stdout).toContain('Plivo: sandbox');
    const dynamo = /DynamoDB Local: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(dynamo).toBeDefined();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    // DynamoDB Local went down with it.
    await expect(fetch(dynamo as string)).rejects.toThrow();
  });

  it('refuses to start with an invalid configuration, naming the entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callgate-start-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        account: { callsPerSecond: 0 },
        numbers: [],
      }),
    );
    const run = start({ CALLGATE_CONFIG: file });
    expect(await run.exited).toBe(1);
    const { stderr } = run.output();
    expect(stderr).toContain('account.callsPerSecond');
    expect(stderr).toContain('numbers');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
