import { describe, expect, it } from 'vitest';
import { originOf, referencesOf } from '../../../functions/shared/rules/references.js';

const metadata = { contact: 'c-19' };

describe('referencesOf and originOf', () => {
  it('keep what an item holds and leave out what it does not, keys included', () => {
    const item = { reference: 'T-1', metadata, actor: 'key:crm', callId: 'x' };
    expect(referencesOf(item)).toEqual({ reference: 'T-1', metadata });
    expect(originOf(item)).toEqual({ actor: 'key:crm', reference: 'T-1', metadata });
    expect(Object.keys(referencesOf({}))).toEqual([]);
    expect(Object.keys(originOf({}))).toEqual([]);
    expect(Object.keys(originOf({ actor: undefined, reference: undefined }))).toEqual([]);
    expect(originOf({ metadata })).toEqual({ metadata });
    expect(originOf({ reference: 'T-2' })).toEqual({ reference: 'T-2' });
    expect(originOf({ actor: 'local' })).toEqual({ actor: 'local' });
  });
});
