import { describe, expect, it } from 'vitest';
import { leaksIn } from '../../support/leaks.js';

/** The scan every end-to-end file's output goes through (support/log-scan.ts) must be able to fail. */
describe('the leak scan', () => {
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({ level: 'INFO', timestamp: '2026-12-07T08:43:33.019Z', ...fields });

  it.each([
    ['E.164', '+918035737458'],
    ["Plivo's digits", '918035737458'],
    ['a percent-encoded +', '/v1/permissions/%2B918035737458/abc'],
    ['a lowercase %2b', 'To=%2b918035737458'],
    ['digits after a letter', 'user918035737458'],
    ['grouped digits', '+91 80357 37458'],
    ['a US spelling', '+1 (415) 555-0123'],
    ['JSON text in a string', '{"to":"+919812345678"}'],
    ['a JSON escape', '\\u002b919812345678'],
    ['percent-encoded spaces', '%2B91%2080357%2037458'],
  ])('finds %s', (_, value) => {
    expect(leaksIn(line({ path: value }), [])).not.toEqual([]);
    expect(leaksIn(`plain text ${value}`, [])).not.toEqual([]);
  });

  it('finds a number in a key, a number as a JSON number, and a secret', () => {
    expect(leaksIn(line({ calls: { '+918035737458': 1 } }), [])).not.toEqual([]);
    expect(leaksIn(line({ to: 918035737458 }), [])).not.toEqual([]);
    expect(leaksIn(line({ header: 'Bearer local-secret' }), ['local-secret'])).toEqual([
      '[a secret in use]',
    ]);
  });

  it('leaves masked numbers, ids, times and counts alone', () => {
    expect(
      leaksIn(
        line({
          path: '/v1/permissions/***7458/***5678',
          callId: '12345678-1234-4123-8123-123456789012',
          xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
          function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:Callgate-Answer',
          dueAt: 1767225600000,
          ttl: 1767225600,
          at: '2026-12-02T06:30:00.000+05:30',
          freed: 3,
        }),
        ['local-secret'],
      ),
    ).toEqual([]);
  });
});
