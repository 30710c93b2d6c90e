import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { numberField } from '../../../functions/shared/api/contract.js';

describe('the shared fields of the business API', () => {
  it('a number field tells a missing value from one that is not a string', () => {
    const schema = z.strictObject({ to: numberField('the user number') });
    const message = (body: unknown) => schema.safeParse(body).error?.issues[0]?.message;
    expect(message({})).toBe('is required: the user number');
    expect(message({ to: 919812345678 })).toBe(
      'must be a string: the user number in E.164, such as "+919812345678"',
    );
    expect(message({ to: null })).toMatch(/^must be a string/);
    expect(message({ to: '+919812345678' })).toBeUndefined();
  });
});
