import { describe, expect, it } from 'vitest';
import { maskNumbersIn } from '../../functions/shared/log.js';
import {
  isBsuid,
  isParentBsuid,
  maskBsuid,
  maskUser,
  parseUser,
  parseWebhookUser,
  userKey,
  userProblem,
  webhookUserKey,
  webhookUserOf,
} from '../../functions/shared/users.js';
import { leaksIn } from '../support/leaks.js';

describe('a user', () => {
  it('is an E.164 number or a BSUID, each validated by its format', () => {
    expect(parseUser('+919812345678')).toEqual({
      kind: 'number',
      e164: '+919812345678',
      country: 'IN',
    });
    expect(parseUser('US.13491208655302741918')).toEqual({
      kind: 'bsuid',
      id: 'US.13491208655302741918',
    });
    expect(parseUser('US.ENT.11815799212886844830')).toEqual({
      kind: 'bsuid',
      id: 'US.ENT.11815799212886844830',
    });
    expect(parseUser('IN.abcXYZ019')).toEqual({ kind: 'bsuid', id: 'IN.abcXYZ019' });
    expect(parseUser(`IN.${'a'.repeat(128)}`)?.kind).toBe('bsuid');
    for (const bad of [
      `IN.${'a'.repeat(129)}`,
      'IN.',
      'us.134912',
      'U.134912',
      'USA.134912',
      'US.1349-1208',
      'US..1349',
      ' US.134912',
      'US.134912\n',
      'US.ENT.',
      '919812345678',
      '',
      12,
      undefined,
    ]) {
      expect(parseUser(bad), String(bad)).toBeUndefined();
    }
  });

  it('from a webhook may also be Plivo’s digits without +', () => {
    expect(parseWebhookUser('919812345678')).toEqual({
      kind: 'number',
      e164: '+919812345678',
      country: 'IN',
    });
    expect(parseWebhookUser('US.1349')).toEqual({ kind: 'bsuid', id: 'US.1349' });
    expect(parseWebhookUser('US-1349')).toBeUndefined();
  });

  it('tells a parent BSUID', () => {
    expect(isParentBsuid('US.ENT.1181')).toBe(true);
    expect(isParentBsuid('US.1181')).toBe(false);
    expect(isParentBsuid('US.ENTX1181')).toBe(false);
    expect(isParentBsuid('US.ENT.')).toBe(false);
    expect(isBsuid('US.ENT')).toBe(true);
  });

  it('says why a value is no user', () => {
    expect(userProblem('us.1234')).toMatch(/not a business-scoped user ID/);
    expect(userProblem('US.12-34')).toMatch(/not a business-scoped user ID/);
    expect(userProblem('919812345678')).toMatch(
      /^is not an E\.164 number.*or a business-scoped user ID/,
    );
    expect(userProblem(undefined)).toMatch(/^is not an E\.164 number/);
    expect(userProblem('+44770090012')).not.toMatch(/business-scoped/);
  });

  it('is keyed by the number, else the BSUID', () => {
    expect(userKey({ kind: 'number', e164: '+919812345678', country: 'IN' })).toBe('+919812345678');
    expect(userKey({ kind: 'bsuid', id: 'US.1349' })).toBe('US.1349');
  });

  it('is masked in logs, a BSUID to its country and last 4 characters', () => {
    expect(maskBsuid('US.13491208655302741918')).toBe('US.***1918');
    expect(maskBsuid('US.ENT.11815799212886844830')).toBe('US.***4830');
    expect(maskBsuid('US.1234')).toBe('US.***');
    expect(maskUser({ kind: 'bsuid', id: 'IN.abcdef99' })).toBe('IN.***ef99');
    expect(maskUser({ kind: 'number', e164: '+919812345678', country: 'IN' })).toBe('***5678');
    const line = maskNumbersIn(
      'reply from US.13491208655302741918 (parent US.ENT.abcdefgh12) for IN.xyz9abc, e.g. OK.then',
    );
    expect(line).toBe('reply from US.***1918 (parent US.***gh12) for IN.***9abc, e.g. OK.then');
    expect(leaksIn(line, [])).toEqual([]);
    expect(leaksIn('from IN.xyz9abcdef', [])).toEqual(['IN.xyz9abcdef']);
    // Letters alone are a BSUID where one stands alone: a whole value, a path segment.
    expect(maskNumbersIn('US.AbCdEfGhIjKl')).toBe('US.***IjKl');
    expect(maskNumbersIn('IN.ENT.ZyXwVuTs')).toBe('IN.***VuTs');
    expect(maskNumbersIn('/v1/permissions/***7458/US.AbCdEfGh?x=1')).toBe(
      '/v1/permissions/***7458/US.***EfGh?x=1',
    );
    expect(maskNumbersIn('/v1/permissions/***7458/US.AbCdEfGhx%23')).toBe(
      '/v1/permissions/***7458/US.***fGhx%23',
    );
    expect(maskNumbersIn('{"from_user_id":"US.AbCdEfGh"}')).toBe('{"from_user_id":"US.***EfGh"}');
    expect(maskNumbersIn('see US.Army then')).toBe('see US.Army then');
  });

  describe('named by a webhook', () => {
    const bsuid = 'US.13491208655302741918';
    it('is From alone: a number, or a BSUID', () => {
      expect(webhookUserOf('919812345678')).toEqual({ number: '+919812345678' });
      expect(webhookUserOf(bsuid, [undefined, '', null])).toEqual({ userId: bsuid });
      expect(webhookUserOf('us.1234')).toBeUndefined();
      expect(webhookUserOf(undefined, [bsuid])).toBeUndefined();
    });

    it('takes the BSUID beside a number, the same in every field that names it', () => {
      expect(webhookUserOf('+919812345678', [bsuid])).toEqual({
        number: '+919812345678',
        userId: bsuid,
      });
      expect(webhookUserOf('919812345678', [undefined, bsuid])).toEqual({
        number: '+919812345678',
        userId: bsuid,
      });
      expect(webhookUserOf(bsuid, [bsuid, bsuid])).toEqual({ userId: bsuid });
    });

    it('ignores BSUID fields it cannot read without guessing, and says why', () => {
      expect(webhookUserOf('919812345678', ['US.1', 'US.2'])).toEqual({
        number: '+919812345678',
        ignored: 'two_bsuids',
      });
      expect(webhookUserOf(bsuid, ['US.2'])).toEqual({ userId: bsuid, ignored: 'two_bsuids' });
      expect(webhookUserOf('919812345678', [bsuid, 'us.2'])).toEqual({
        number: '+919812345678',
        ignored: 'not_a_bsuid',
      });
      expect(webhookUserOf(bsuid, [42])).toEqual({ userId: bsuid, ignored: 'not_a_bsuid' });
    });

    it('is keyed by the number, else the BSUID', () => {
      expect(webhookUserKey({ number: '+919812345678', userId: bsuid })).toBe('+919812345678');
      expect(webhookUserKey({ userId: bsuid })).toBe(bsuid);
    });
  });
});
