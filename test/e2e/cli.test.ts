/**
 * The `callgate` CLI as a child process against a local host started here: each command an operator
 * runs by hand, its --json output parsed, its tables read, and its exit codes (0 done, 1 refused,
 * 2 usage, 3 unavailable).
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../functions/shared/config/load.js';
import type { LocalHost } from '../../local/host.js';
import { exampleNumbers, newUser } from '../support/fixtures.js';
import { startTestHost } from '../support/local-host.js';
import { jsonAnswer, startLoopback } from '../support/loopback.js';
import { alwaysOpenExampleConfig, inboundAnswerForm, plivoXml } from '../support/plivo-forms.js';

const repo = resolve(import.meta.dirname, '../..');
const business = exampleNumbers.india;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as `npx callgate` runs it: the package's bin, a launcher of the TypeScript through tsx. */
const callgate = (args: readonly string[], extraEnv: Record<string, string> = {}): Promise<Run> =>
  new Promise((done) => {
    const env = { ...process.env };
    for (const name of ['CALLGATE_API_KEY', 'CALLGATE_URL', 'AWS_REGION', 'PLIVO_AUTH_TOKEN']) {
      delete env[name];
    }
    Object.assign(env, extraEnv);
    execFile(
      process.execPath,
      [join(repo, 'client/cli/callgate.js'), ...args],
      { cwd: repo, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });

const json = <T = Record<string, unknown>>(run: Run): T => JSON.parse(run.stdout) as T;

describe('the callgate CLI against a local host', () => {
  let host: LocalHost;
  const on = (...args: string[]) => callgate(['--url', host.url, ...args]);
  beforeAll(async () => {
    host = await startTestHost({ config: alwaysOpenExampleConfig() });
  });
  afterAll(() => host.close());

  it('requests permission, corrects it, places a call and reads it back', async () => {
    const user = newUser();
    const requested = await on(
      '--json',
      'permissions',
      'request',
      '--from',
      business,
      '--to',
      user,
    );
    expect(requested.code).toBe(0);
    expect(json(requested)).toMatchObject({ from: business, to: user, sent: 'template' });

    const corrected = await on('permissions', 'correct', business, user, 'permanent');
    expect(corrected).toMatchObject({ code: 0, stderr: '' });
    expect(corrected.stdout).toMatch(/^permission\.status\s+permanent$/m);
    expect(corrected.stdout).toMatch(/^start_call\s+true\s/m);

    const state = await on('--json', 'permissions', 'get', business, user);
    expect(json(state)).toMatchObject({ business, user, permission: { status: 'permanent' } });

    const placed = await on('--json', 'calls', 'place', '--from', business, '--to', user);
    expect(placed.code).toBe(0);
    const { callId } = json<{ callId: string }>(placed);
    expect(json(placed)).toMatchObject({ from: business, to: user, status: 'placing' });

    const read = await on('calls', 'get', callId);
    expect(read.code).toBe(0);
    expect(read.stdout).toMatch(new RegExp(`^callId\\s+${callId}$`, 'm'));
    expect(read.stdout).toMatch(/^direction\s+outbound$/m);
  });

  it('creates an intent that waits for permission, reads it and cancels it', async () => {
    const user = newUser();
    const created = await on('--json', 'intents', 'create', '--from', business, '--to', user);
    expect(created.code).toBe(0);
    const intent = json<{ intentId: string; status: string }>(created);
    expect(intent.status).toBe('waiting_permission');
    const read = await on('--json', 'intents', 'get', intent.intentId);
    expect(json(read)).toMatchObject({ intentId: intent.intentId, from: business, to: user });
    const cancelled = await on('intents', 'cancel', intent.intentId);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/^status\s+cancelled$/m);
  });

  it('exits 1 with the refusal: as JSON with --json, on stderr otherwise', async () => {
    const user = newUser();
    const refused = await on('--json', 'calls', 'place', '--from', business, '--to', user);
    expect(refused.code).toBe(1);
    expect(json(refused)).toMatchObject({ error: 'no_permission', requestPermissionAfter: 0 });
    const missing = await on('intents', 'get', randomUUID());
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^refused: 404 not_found: No call intent with this id$/m);
  });

  it('plays Plivo: an inbound answer signed with the V3 signature gets the flow as XML', async () => {
    const form = inboundAnswerForm(randomUUID(), newUser(), business);
    const fields = Object.entries(form).flatMap(([name, value]) => ['--field', `${name}=${value}`]);
    const sent = await on('--json', 'plivo', 'send', 'answer', ...fields);
    expect(sent.code).toBe(0);
    const answer = json<{ status: number; contentType: string; body: string }>(sent);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/xml/);
    expect(plivoXml.parse(answer.body).Response.Speak['#text']).toMatch(/thank you for calling/);

    const forged = await on('plivo', 'send', 'answer', '--auth-token', 'not-the-token', ...fields);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/^403 /);
  });

  it('prints the events the host kept, one JSON object a line', async () => {
    await host.settled();
    const tail = await on('--json', 'events', 'tail', '--from-start', '--once');
    expect(tail.code).toBe(0);
    const events = tail.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; type: string });
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['permission.requested', 'permission.granted', 'call.placed']),
    );
    const [, second] = events;
    const after = await on(
      '--json',
      'events',
      'tail',
      '--after',
      events[0]?.id ?? '',
      '--count',
      '1',
    );
    expect(JSON.parse(after.stdout)).toEqual(second);
  });

  it('answers health, and exits 3 when nothing answers', async () => {
    const health = await on('--json', 'health');
    expect(json(health)).toMatchObject({ status: 'ok', businessNumbers: 3 });
    const down = await callgate(['--url', 'http://127.0.0.1:9', 'health']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^unavailable: no answer from http:\/\/127\.0\.0\.1:9/);
  });
});

describe('the callgate CLI without a host', () => {
  it('validates a configuration file with the loader the deploy uses', async () => {
    const good = await callgate(['config', 'validate', exampleConfigPath]);
    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(good.stdout).toMatch(/: valid, 3 business numbers, preset plivo-page$/m);
    const file = join(mkdtempSync(join(tmpdir(), 'callgate-cli-')), 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({ account: { callsPerSecond: 0 }, numbers: [{ numbr: 1 }] }),
    );
    const bad = await callgate(['config', 'validate', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Invalid configuration in ${file}:`);
    expect(bad.stderr).toContain('numbers[0].numbr: unknown key "numbr"; did you mean "number"?');
    expect(bad.stderr).toMatch(/^ {2}account\.callsPerSecond: /m);
    const asJson = await callgate(['--json', 'config', 'validate', file]);
    expect(json(asJson)).toMatchObject({ valid: false, file });
  });

  it('tails a queue a bus rule fills on AWS: each event printed, then deleted', async () => {
    const envelope = (id: string) => ({
      id,
      type: 'number.unpaused',
      time: '2026-12-08T03:00:00.000Z',
      business,
      data: { liftedBy: 'operator' },
    });
    // The EventBridge event a rule puts on the queue: its detail is the envelope.
    const message = (id: string) => {
      const body = JSON.stringify({ 'detail-type': 'number.unpaused', detail: envelope(id) });
      return {
        MessageId: `m-${id}`,
        ReceiptHandle: `handle-${id}`,
        Body: body,
        MD5OfBody: createHash('md5').update(body).digest('hex'),
      };
    };
    const sqs = await startLoopback((request) =>
      String(request.headers['x-amz-target']).endsWith('.ReceiveMessage')
        ? jsonAnswer(200, { Messages: [message('e1'), message('e2'), message('e3')] })
        : jsonAnswer(200, { Successful: [], Failed: [] }),
    );
    try {
      // The SDK sends to the queue URL's host: here the loopback standing in for SQS.
      const queueUrl = `${sqs.url}/123456789012/callgate-tail`;
      const env = {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
      };
      const args = ['--json', '--region', 'eu-west-1', 'events', 'tail', '--queue', queueUrl];
      const tail = await callgate([...args, '--count', '2'], env);
      expect(tail).toMatchObject({ code: 0 });
      expect(tail.stderr).toMatch(
        /^waiting for the events of http:\/\/127\.0\.0\.1:\d+\/123456789012\/callgate-tail \(Ctrl-C stops\)…\n$/,
      );
      expect(
        tail.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual([envelope('e1'), envelope('e2')]);
      const [receive, remove] = sqs.requests;
      expect(receive?.headers['x-amz-target']).toBe('AmazonSQS.ReceiveMessage');
      expect(receive?.json()).toMatchObject({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 });
      expect(String(receive?.headers.authorization)).toContain('Credential=AKIDEXAMPLE/');
      expect(remove?.headers['x-amz-target']).toBe('AmazonSQS.DeleteMessageBatch');
      expect(remove?.json()).toEqual({
        QueueUrl: queueUrl,
        Entries: [
          { Id: '0', ReceiptHandle: 'handle-e1' },
          { Id: '1', ReceiptHandle: 'handle-e2' },
        ],
      });
      const noRegion = await callgate(['events', 'tail', '--queue', queueUrl], env);
      expect(noRegion.code).toBe(2);
      expect(noRegion.stderr).toContain('--queue needs --region');
    } finally {
      await sqs.close();
    }
  });

  it('exits 2 on a command line it cannot run', async () => {
    const missing = await callgate(['calls', 'place', '--from', business]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--to <user>' not specified");
    expect((await callgate(['calls', 'ring'])).code).toBe(2);
    expect((await callgate(['--sigv4', 'health'])).stderr).toContain('--sigv4 needs --region');
    expect((await callgate(['calls', 'list', '--business', business, '--limit', 'x'])).code).toBe(
      2,
    );
    expect((await callgate(['--help'])).code).toBe(0);
  });
});
