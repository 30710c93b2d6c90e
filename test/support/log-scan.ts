/**
 * Every end-to-end test file runs with this (vitest.config.ts `setupFiles`, after quiet-logs.ts): all
 * the output the local host writes while the file runs (its JSON log lines on stdout and stderr, and
 * anything it prints) is scanned for a full phone number and for the secrets its hosts use
 * (support/leaks.ts). The file fails at its end, naming the lines, if one gives anything away.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { leaksIn } from './leaks.js';

const scanned = /[/\\]test[/\\]e2e[/\\]/;
const shownPerFile = 10;
const findings: string[] = [];
let active = false;

const scan = (text: string) => {
  if (!active) return;
  const leaks = leaksIn(text);
  if (leaks.length > 0 && findings.length < shownPerFile) {
    findings.push(`${leaks.join(', ')} in: ${text.trim().slice(0, 400)}`);
  }
};

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    scan(String(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const print = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    scan(args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' '));
    print(...args);
  };
}

beforeAll(() => {
  active = scanned.test(expect.getState().testPath ?? '');
});

afterAll(() => {
  active = false;
  if (findings.length > 0) {
    throw new Error(`output holds full numbers or secrets:\n${findings.join('\n')}`);
  }
});
