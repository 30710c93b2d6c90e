import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Runs a command from the repo root, collecting what it prints. */
const run = (command: string, args: readonly string[], options: SpawnOptions) => {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options });
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

/** Runs what `npm start` runs, on a free port. */
const start = (env: Record<string, string> = {}) =>
  run(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/main.ts', '--port', '0'],
    { env: { ...process.env, ...env } },
  );

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
    // The wait for Java is said before it starts, not left silent.
    const waiting = stdout.indexOf('Starting DynamoDB Local');
    expect(waiting).toBeGreaterThanOrEqual(0);
    expect(waiting).toBeLessThan(stdout.indexOf('callgate is running'));
    expect(stdout).toContain(`Answer URL:   ${url}/plivo/whatsapp/answer`);
    expect(stdout).toContain(`Webhook URL:  ${url}/plivo/whatsapp/message`);
    expect(stdout).toContain(`Hangup URL:   ${url}/plivo/whatsapp/hangup`);
    expect(stdout).toContain('optional');
    expect(stdout).toContain('docs/plivo-webhooks.md#the-hangup-url');
    expect(stdout).toContain('Plivo: sandbox');
    expect(stdout).toContain('Limits: preset plivo-page (');
    const dynamo = /DynamoDB Local: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(dynamo).toBeDefined();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    // DynamoDB Local went down with it.
    await expect(fetch(dynamo as string)).rejects.toThrow();
  });

  it.skipIf(process.platform === 'win32')(
    'without Java, says what to install, without a stack trace',
    async () => {
      // A PATH with no java on it: the host's own node is started by its full path.
      const run = start({ PATH: mkdtempSync(join(tmpdir(), 'callgate-no-java-')) });
      expect(await run.exited).toBe(1);
      const { stderr } = run.output();
      expect(stderr).toContain('DynamoDB Local runs on Java 17 or later');
      expect(stderr).toContain('install');
      expect(stderr).not.toContain('ENOENT');
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

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

/** `npm start` exactly as a person runs it, in its own process group (its leader: npm). */
const npmStart = () => {
  const npm = process.env.npm_execpath;
  return run(
    npm ? process.execPath : 'npm',
    [...(npm ? [npm] : []), 'start', '--', '--port', '0'],
    {
      env: process.env,
      detached: true,
    },
  );
};

/** The processes of a group, by their command line (Linux's /proc). */
const groupProcesses = (group: number): { pid: number; command: string }[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the command (which may hold spaces) : state, ppid, pgrp, …
        const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
        if (pgrp !== group) return [];
        const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return [{ pid: Number(entry), command }];
      } catch {
        return [];
      }
    });

const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    () => true,
    () => false,
  );

const eventually = async (check: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

/** `npm start` up and answering: its process group, the host's URL and DynamoDB Local's. */
const upAndRunning = async () => {
  const run = npmStart();
  const group = run.child.pid as number;
  const url = await waitForUrl(run, run.child);
  const dynamo = /DynamoDB Local: (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output().stdout)?.[1];
  expect(dynamo).toBeDefined();
  return { group, url, dynamo: dynamo as string };
};

/** The host, DynamoDB Local and every process of the group end. */
const allGone = async ({ group, url, dynamo }: Awaited<ReturnType<typeof upAndRunning>>) => {
  await eventually(async () => !(await answers(`${url}/health`)), 'the host stops');
  await eventually(async () => !(await answers(dynamo)), 'DynamoDB Local stops');
  await eventually(() => groupProcesses(group).length === 0, 'every process of npm start ends');
};

describe.skipIf(process.platform !== 'linux')('stopping npm start', () => {
  it('SIGINT to npm alone ends the host, DynamoDB Local and every process it started', async () => {
    const started = await upAndRunning();
    expect(await answers(`${started.url}/health`)).toBe(true);
    const processes = groupProcesses(started.group);
    expect(processes.some((p) => p.command.includes('DynamoDBLocal'))).toBe(true);

    process.kill(started.group, 'SIGINT');
    await allGone(started);
  });

  it('npm killed outright: the host sees its parent gone and stops, DynamoDB Local with it', async () => {
    const started = await upAndRunning();
    process.kill(started.group, 'SIGKILL');
    await allGone(started);
  });

  it('a host killed outright still takes DynamoDB Local down with it', async () => {
    const started = await upAndRunning();
    const host = groupProcesses(started.group).find((p) => p.command.includes('local/main.ts'));
    expect(host).toBeDefined();

    process.kill(host?.pid as number, 'SIGKILL');
    // npm goes with its child, and the watchdog ends Java.
    await allGone(started);
  });
});
