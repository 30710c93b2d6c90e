/**
 * The README's tour with curl, run as written against a local host that plays the users (`npm start`'s
 * sandbox), with only the host's URL changed: what it reads is what a person following it would see.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../local/host.js';
import { startTestHost } from '../support/local-host.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The sh block that starts by naming the tour's numbers and host. */
const tour = (): string => {
  const block = /```sh\n(B=\+918035737458 [^\n]*H=http:\/\/localhost:3000[\s\S]*?)```/.exec(readme);
  if (!block?.[1]) throw new Error('README has no curl tour starting with B=+918035737458 … H=…');
  return block[1];
};

interface Envelope {
  readonly type: string;
  readonly data: { readonly callId?: string; readonly direction?: string };
}

const run = (script: string): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { timeout: 50_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });

describe.skipIf(process.platform === 'win32')('the README’s curl tour', () => {
  let host: LocalHost;
  beforeAll(async () => {
    host = await startTestHost({ simulate: true });
  });
  afterAll(() => host?.close());

  it('reads the inbound call’s events once they are there', async () => {
    const script = tour().replace('H=http://localhost:3000', `H=${host.url}`);
    // One line per answer: curl prints none after a JSON body.
    const output = await run(`curl() { command curl "$@"; echo; }\n${script}`);
    const arrays = output
      .split('\n')
      .filter((line) => line.startsWith('['))
      .map((line) => JSON.parse(line) as Envelope[]);
    const ended = (events: Envelope[]) =>
      events.find((e) => e.type === 'call.ended' && e.data.direction === 'inbound');
    // Every event the business's systems got, read after the inbound call: its end is among them.
    const all = arrays.filter((events) => events.some((e) => e.type === 'permission.revoked'));
    expect(all.length).toBeGreaterThan(0);
    const inbound = ended(all.at(-1) ?? []);
    expect(inbound).toBeDefined();
    // And read on its own, the call's events.
    const ofCall = arrays.find((events) =>
      events.every((e) => e.data.callId === inbound?.data.callId),
    );
    expect(ofCall?.map((e) => e.type)).toEqual(['call.started', 'call.ended']);
  });
});
