import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, maskNumbersIn, redactingReplacer } from '../../functions/shared/log.js';
import { leaksIn } from '../support/leaks.js';

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

  it.each([
    [
      'a percent-encoded + in a path',
      '/v1/permissions/%2B918035737458/%2b919812345678',
      '/v1/permissions/***7458/***5678',
    ],
    [
      'digits after a letter or a percent escape',
      'user918035737458 %3A919812345678',
      'user***7458 %3A***5678',
    ],
    ['a query string', '?to=%2B919812345678&from=918035737458', '?to=***5678&from=***7458'],
    ['JSON text', '{"to":"+919812345678","from":918035737458}', '{"to":"***5678","from":***7458}'],
    ['grouped digits', 'to +91 98123 45678, +1 (415) 555-0123', 'to ***5678, ***0123'],
    ['form spaces', 'To=%2B91%2098123%2045678&From=91+98123+45678', 'To=***5678&From=***5678'],
    ['digits past 15', '+9198123456780000', '***0000'],
    ['the business number, as Plivo writes it', 'To=918035737458', 'To=***7458'],
  ])('mask %s', (_, text, masked) => {
    expect(maskNumbersIn(text)).toBe(masked);
    expect(leaksIn(maskNumbersIn(text), [])).toEqual([]);
  });

  it('keep ids, trace ids, ARNs and times whose digits run long', () => {
    const kept = [
      'c0a81234-5678-4123-8123-123456789012',
      '1-5759e988-bd862e3fe1be46a994272793',
      'arn:aws:lambda:eu-west-1:123456789012:function:Callgate-Answer',
      '2026-11-26T01:04:48.014Z',
      '2026-11-26T06:34:48+05:30',
      '2026-11-26',
    ];
    for (const text of kept) expect(maskNumbersIn(text)).toBe(text);
    expect(maskNumbersIn(`${kept[0]} for +918035737458`)).toBe(`${kept[0]} for ***7458`);
  });

  it('mask a number logged as a JSON number and numbers used as keys, not times', () => {
    const output = captured(() =>
      createLogger().info('body', {
        to: 918035737458,
        at: 1767225600000,
        ttl: 1767225600,
        calls: { '+919812345678': 1, '%2B918035737458': 2 },
      }),
    );
    const line = JSON.parse(output) as Record<string, unknown>;
    expect(line.to).toBe('***7458');
    expect(line.at).toBe(1767225600000);
    expect(line.ttl).toBe(1767225600);
    expect(line.calls).toEqual({ '***5678': 1, '***7458': 2 });
    expect(leaksIn(output, [])).toEqual([]);
  });
});
