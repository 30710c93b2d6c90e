/** The CLI's readable output: tables padded to their widest cell, an object's fields one a line. */
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../../client/cli/context.js';
import { fields, table } from '../../../../client/cli/output.js';

describe('table', () => {
  it('pads each column to its widest cell, header included, and trims each line', () => {
    expect(
      table(
        [
          { callId: 'a', status: 'ended', outcome: 'answered' },
          { callId: 'bbbbbb', status: 'ringing' },
        ],
        ['callId', 'status', 'outcome'],
      ),
    ).toBe(['callId  status   outcome', 'a       ended    answered', 'bbbbbb  ringing'].join('\n'));
  });

  it('writes objects as JSON and nothing for an absent value', () => {
    expect(table([{ a: { b: 1 }, c: null }], ['a', 'c'])).toBe('a        c\n{"b":1}');
  });
});

describe('fields', () => {
  it('lists nested objects as parent.child, lists as JSON, names aligned', () => {
    expect(fields({ callId: 'c', permission: { status: 'permanent' }, limits: [1, 2] })).toBe(
      ['callId             c', 'permission.status  permanent', 'limits             [1,2]'].join(
        '\n',
      ),
    );
  });
});

describe('exit codes', () => {
  it('is 1 for a refusal, 3 for no answer or a 5xx', () => {
    expect([400, 404, 429, 499, 500, 503, 0].map(exitCodeOf)).toEqual([1, 1, 1, 1, 3, 3, 3]);
  });
});
