import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PairState, StoredPermission } from '../../../functions/shared/rules/pair.js';
import { permissionAt } from '../../../functions/shared/rules/permission.js';
import {
  expiryToWatch,
  lapseOf,
  lapsingPermissions,
} from '../../../functions/shared/rules/permission-expiry.js';
import { permissionView } from '../../../functions/shared/rules/permission-state.js';
import { exampleNumbers, newUser, statedRules } from '../../support/fixtures.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 11, 1, 10);
const business = exampleNumbers.india;
const user = newUser();

/** A stored pair; built from plain objects, as items come back from DynamoDB. */
const pair = (state: object = {}): PairState =>
  ({ business, user, ...state }) as unknown as PairState;

const temporary = pair({
  permission: 'temporary',
  permissionAt: t0,
  permissionUntil: t0 + 7 * day,
  permissionSource: 'reply',
  version: 1,
});

describe('which pair change sets a look at the permission’s end', () => {
  it('only a temporary permission lapses by itself', () => {
    expect(lapsingPermissions).toEqual(['temporary']);
  });

  it('a new temporary permission, on a new pair or over another decision', () => {
    expect(expiryToWatch(undefined, temporary)).toBe(t0 + 7 * day);
    for (const permission of ['rejected', 'revoked', 'permanent'] as const) {
      const before = pair({ permission, permissionAt: t0 - day, permissionUntil: t0 + 7 * day });
      expect(expiryToWatch(before, { ...temporary, permissionAt: t0 - day }), permission).toBe(
        t0 + 7 * day,
      );
    }
    expect(expiryToWatch(pair({ calls: {} }), temporary)).toBe(t0 + 7 * day);
  });

  it('a renewal: its end moved, or a new decision with the same end (Meta’s own expiry sent again)', () => {
    const renewed = { ...temporary, permissionAt: t0 + day, permissionUntil: t0 + 8 * day };
    expect(expiryToWatch(temporary, renewed)).toBe(t0 + 8 * day);
    expect(expiryToWatch(temporary, { ...temporary, permissionAt: t0 + day })).toBe(t0 + 7 * day);
    expect(expiryToWatch(temporary, { ...temporary, permissionUntil: t0 + 6 * day })).toBe(
      t0 + 6 * day,
    );
  });

  it('nothing for a change that decided nothing about it: a call counted, a request sent, the lapse recorded', () => {
    expect(
      expiryToWatch(temporary, { ...temporary, calls: { c: t0 }, version: 2 }),
    ).toBeUndefined();
    expect(expiryToWatch(temporary, { ...temporary, expiredAt: t0 + 7 * day })).toBeUndefined();
  });

  it('nothing for a permission that does not lapse, none, or a removal', () => {
    for (const permission of ['permanent', 'rejected', 'revoked'] as const) {
      expect(
        expiryToWatch(undefined, pair({ permission, permissionAt: t0, permissionUntil: t0 + day })),
        permission,
      ).toBeUndefined();
    }
    expect(expiryToWatch(undefined, pair({ permissionSource: 'manual' }))).toBeUndefined();
    expect(expiryToWatch(temporary, undefined)).toBeUndefined();
    // A temporary permission always has its end; without one there is nothing to watch.
    expect(
      expiryToWatch(undefined, pair({ permission: 'temporary', permissionAt: t0 })),
    ).toBeUndefined();
  });
});

describe('what the pair says when the look comes', () => {
  const expiresAt = t0 + 7 * day;

  it('lapses at its end exactly, not a millisecond before', () => {
    expect(lapseOf(temporary, expiresAt, expiresAt)).toBe('lapse');
    expect(lapseOf(temporary, expiresAt, expiresAt + 119_000)).toBe('lapse');
    expect(lapseOf(temporary, expiresAt, expiresAt - 1)).toBe('not_due');
  });

  it('a look that comes twice finds its lapse recorded', () => {
    expect(lapseOf({ ...temporary, expiredAt: expiresAt + 5 }, expiresAt, expiresAt + 9)).toBe(
      'already_recorded',
    );
  });

  it('an old look finds a renewed, replaced or cleared permission, or no pair: nothing to record', () => {
    const renewed = { ...temporary, permissionUntil: expiresAt + day };
    expect(lapseOf(renewed, expiresAt, expiresAt)).toBe('superseded');
    // Renewed, then that renewal's lapse recorded: still not the permission this look watched.
    expect(lapseOf({ ...renewed, expiredAt: expiresAt + day }, expiresAt, expiresAt + day)).toBe(
      'superseded',
    );
    for (const permission of ['permanent', 'rejected', 'revoked'] as StoredPermission[]) {
      expect(
        lapseOf(pair({ permission, permissionUntil: expiresAt }), expiresAt, expiresAt),
        permission,
      ).toBe('superseded');
    }
    expect(lapseOf(pair({ permissionSource: 'manual' }), expiresAt, expiresAt)).toBe('superseded');
    expect(lapseOf(undefined, expiresAt, expiresAt)).toBe('superseded');
  });

  it('records a lapse exactly when the state view says expired', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3 * day, max: 3 * day }), (offset) => {
        const now = expiresAt + offset;
        const view = permissionView(temporary, now, statedRules, 'IN');
        const lapses = lapseOf(temporary, expiresAt, now) === 'lapse';
        expect(view.permission.status === 'expired').toBe(lapses);
        expect(permissionAt(temporary, now).kind === 'expired').toBe(lapses);
        if (lapses) expect(view.permission.expiresAt).toBe(new Date(expiresAt).toISOString());
      }),
    );
  });
});
