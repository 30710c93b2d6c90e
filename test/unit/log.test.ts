import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, redactingReplacer } from '../../functions/shared/log.js';

const captured = (run: () => void): string => {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.join('');
};

describe('logs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('mask phone numbers to their last 4 digits and drop credentials at any depth', () => {
    const output = captured(() => {
      const logger = createLogger();
      logger.info('call from +918035737458 to 919412341234', {
        event: {
          body: 'From=919412341234&To=918035737458',
          headers: { authorization: 'Bearer abc', 'x-plivo-signature-v3': 'sig' },
          nested: [{ authToken: 'tok-123', user: '+14155550123' }],
        },
      });
      logger.error('failed', { error: new Error('no permission for +919412341234') });
    });
    expect(output).toContain('***7458');
    expect(output).toContain('***1234');
    for (const secret of [
      '8035737458',
      '9412341234',
      '4155550123',
      'Bearer abc',
      'tok-123',
      '"sig"',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('[redacted]');
    expect(output).toContain('no permission for ***1234');
  });

  it('keep an error’s stack, its numbers masked like its message', () => {
    const output = captured(() => {
      createLogger().error('failed', { error: new Error('no permission for +919412341234') });
    });
    const line = JSON.parse(output) as { error: { name: string; message: string; stack: string } };
    expect(line.error.name).toBe('Error');
    expect(line.error.stack).toMatch(/^Error: no permission for \*\*\*1234\n\s+at /);
    expect(line.error.stack).toContain('log.test.ts');
    expect(output).not.toContain('9412341234');
  });

  it('leaves times, ids and short numbers alone', () => {
    expect(redactingReplacer('timestamp', '2026-11-26T01:04:48.014Z')).toBe(
      '2026-11-26T01:04:48.014Z',
    );
    expect(redactingReplacer('status', 403)).toBe(403);
    expect(redactingReplacer('callId', 'c0a8-42')).toBe('c0a8-42');
    expect(redactingReplacer('callId', '12345678-1234-4123-8123-123456789012')).toBe(
      '12345678-1234-4123-8123-123456789012',
    );
    expect(redactingReplacer('body', 'From=919412341234&To=+918035737458')).toBe(
      'From=***1234&To=***7458',
    );
  });
});
