import { describe, expect, it } from 'vitest';
import { keyPrefixes, keys } from '../../../functions/shared/store/keys.js';

// The keys are the stored format: a deployed table holds items under them, so changing one is a data
// migration. Every other test reads them from keys.ts; this one states them.
describe('the key of each item kind', () => {
  const business = '+918035737458';
  const user = '+14155550100';

  it.each([
    ['pair', keys.pair(business, user), `PAIR#${business}#${user}`, 'STATE'],
    ['lease shard', keys.leaseShard(business, 3), `LINE#${business}`, 'SHARD#3'],
    ['call', keys.call('c-1'), 'CALL#c-1', 'CALL'],
    ['refused call', keys.refusedCall('c-1'), 'REFUSED#c-1', 'CALL'],
    ['cps ticket', keys.cpsTicket(), 'CPS', 'TICKET'],
    ['cps slot', keys.cpsSlot(7), 'CPS#7', 'SLOT'],
    ['idempotency', keys.idempotency('client#k'), 'IDEMPOTENCY#client#k', 'REQUEST'],
    ['message', keys.message('m-1'), 'MESSAGE#m-1', 'MESSAGE'],
    ['intent', keys.intent('i-1'), 'INTENT#i-1', 'INTENT'],
    [
      'active intent',
      keys.activeIntent(business, user),
      `ACTIVEINTENT#${business}#${user}`,
      'INTENT',
    ],
    ['nonce', keys.v2Nonce('n-1'), 'NONCE#n-1', 'V2'],
    [
      'number pause',
      keys.numberRestriction(business, 'calls_paused'),
      `NUMBER#${business}`,
      'PAUSE',
    ],
    [
      'hidden call button',
      keys.numberRestriction(business, 'call_button_hidden'),
      `NUMBER#${business}`,
      'CALL_BUTTON',
    ],
    [
      'intent waiting on the pause',
      keys.pauseWait(business, 'i-1'),
      `PAUSEWAIT#${business}`,
      'INTENT#i-1',
    ],
  ])('%s', (_kind, key, pk, sk) => {
    expect(key).toEqual({ pk, sk });
  });

  it('starts with its kind prefix, and no prefix starts another', () => {
    const prefixes = Object.values(keyPrefixes);
    for (const prefix of prefixes) {
      expect(prefixes.filter((other) => other !== prefix && other.startsWith(prefix))).toEqual([]);
    }
    expect(keys.pair(business, user).pk.startsWith(keyPrefixes.pair)).toBe(true);
    expect(keys.leaseShard(business, 0).pk.startsWith(keyPrefixes.leaseShard)).toBe(true);
    expect(keys.call('c').pk.startsWith(keyPrefixes.call)).toBe(true);
    expect(keys.refusedCall('c').pk.startsWith(keyPrefixes.refusedCall)).toBe(true);
    expect(keys.cpsSlot(0).pk.startsWith(keyPrefixes.cpsSlot)).toBe(true);
    expect(keys.idempotency('k').pk.startsWith(keyPrefixes.idempotency)).toBe(true);
    expect(keys.message('m').pk.startsWith(keyPrefixes.message)).toBe(true);
    expect(keys.intent('i').pk.startsWith(keyPrefixes.intent)).toBe(true);
    expect(keys.activeIntent(business, user).pk.startsWith(keyPrefixes.activeIntent)).toBe(true);
    expect(keys.v2Nonce('n').pk.startsWith(keyPrefixes.v2Nonce)).toBe(true);
    expect(
      keys.numberRestriction(business, 'calls_paused').pk.startsWith(keyPrefixes.numberRestriction),
    ).toBe(true);
    expect(keys.pauseWait(business, 'i').pk.startsWith(keyPrefixes.pauseWait)).toBe(true);
  });
});
