import { describe, expect, it } from 'vitest';
import type { PairState } from '../../../functions/shared/rules/pair.js';
import {
  bsuidRefusal,
  contactLinkExpiry,
  decisionAfterLink,
  linkExpiry,
  numberShownMs,
} from '../../../functions/shared/rules/user-link.js';

const pair = (fields: Partial<PairState>): PairState => ({
  business: '+918035737458',
  user: '+919812345678',
  ...fields,
});

const granted = pair({
  user: 'US.1349',
  permission: 'temporary',
  permissionAt: 2_000,
  permissionUntil: 9_000,
  permissionSource: 'reply',
  replySentAt: 1_900,
  version: 3,
  windowOpenUntil: 5_000,
});

describe('linking a BSUID’s pair to the number’s', () => {
  it('moves the BSUID’s decision, every attribute of it and nothing else, when the number has none', () => {
    expect(decisionAfterLink(undefined, granted)).toEqual({
      permission: 'temporary',
      permissionAt: 2_000,
      permissionUntil: 9_000,
      permissionSource: 'reply',
      replySentAt: 1_900,
    });
    expect(decisionAfterLink(pair({ calls: { a: 1 } }), granted)).toEqual(
      decisionAfterLink(undefined, granted),
    );
    const revoked = pair({
      user: 'US.1349',
      permission: 'revoked',
      permissionAt: 5,
      revokedReason: 'automatic',
      expiredAt: 4,
    });
    expect(decisionAfterLink(undefined, revoked)).toEqual({
      permission: 'revoked',
      permissionAt: 5,
      revokedReason: 'automatic',
      expiredAt: 4,
    });
  });

  it('keeps the newer decision, by the reply’s send time where known, else when recorded', () => {
    const older = pair({ permission: 'rejected', permissionAt: 2_500, replySentAt: 1_000 });
    expect(decisionAfterLink(older, granted)?.permission).toBe('temporary');
    const newer = pair({ permission: 'rejected', permissionAt: 1_000, replySentAt: 2_000 });
    expect(decisionAfterLink(newer, granted)).toBeUndefined();
    const recordedLater = pair({ permission: 'permanent', permissionAt: 1_950 });
    expect(decisionAfterLink(recordedLater, granted)).toBeUndefined();
    const recordedEarlier = pair({ permission: 'permanent', permissionAt: 1_899 });
    expect(decisionAfterLink(recordedEarlier, granted)?.permission).toBe('temporary');
  });

  it('keeps the number’s decision on a tie', () => {
    expect(
      decisionAfterLink(pair({ permission: 'rejected', permissionAt: 1_900 }), granted),
    ).toBeUndefined();
    expect(
      decisionAfterLink(
        pair({ permission: 'rejected' }),
        pair({ user: 'US.1', permission: 'permanent' }),
      ),
    ).toBeUndefined();
  });

  it('takes nothing from a BSUID’s pair that decided nothing', () => {
    expect(
      decisionAfterLink(undefined, pair({ user: 'US.1', windowOpenUntil: 5 })),
    ).toBeUndefined();
    expect(decisionAfterLink(pair({}), pair({ user: 'US.1', permissionAt: 5 }))).toBeUndefined();
  });

  it('takes the BSUID’s decision over a number’s pair that decided nothing', () => {
    expect(decisionAfterLink(pair({ permissionAt: 9_999 }), granted)?.permission).toBe('temporary');
  });
});

describe('a call or a request to a user', () => {
  it('is refused when the user is known by a BSUID alone, each with its reason', () => {
    expect(bsuidRefusal({}, 'call')).toBe('bsuid_not_dialable');
    expect(bsuidRefusal({}, 'request')).toBe('bsuid_not_messageable');
    expect(bsuidRefusal({ number: '+919812345678' }, 'call')).toBeUndefined();
    expect(bsuidRefusal({ number: '+919812345678' }, 'request')).toBeUndefined();
  });
});

describe('a link’s expiry', () => {
  const now = 1_000_000;
  it('is 30 days after the message, Meta’s window for showing the number', () => {
    expect(numberShownMs).toBe(30 * 24 * 3_600_000);
    expect(linkExpiry(now, now + 7 * 24 * 3_600_000)).toBe(now + numberShownMs);
  });

  it('is never before the number’s pair it points to', () => {
    expect(linkExpiry(now, now + numberShownMs + 1)).toBe(now + numberShownMs + 1);
    expect(linkExpiry(now, now + numberShownMs - 1)).toBe(now + numberShownMs);
  });

  it('is none while the number’s pair has none (a permanent grant)', () => {
    expect(linkExpiry(now, undefined)).toBeUndefined();
  });
});

describe('a link’s expiry after a call or message naming both', () => {
  const now = 1_000_000;
  it('is 30 days after it for a new link', () => {
    expect(contactLinkExpiry(now, undefined)).toBe(now + numberShownMs);
  });

  it('never shortens a link that stood longer, nor gives an end to one that had none', () => {
    expect(contactLinkExpiry(now, { until: now + numberShownMs + 1 })).toBe(
      now + numberShownMs + 1,
    );
    expect(contactLinkExpiry(now, { until: undefined })).toBeUndefined();
  });

  it('lengthens a link that would end sooner to 30 days after the contact', () => {
    expect(contactLinkExpiry(now, { until: now + numberShownMs - 1 })).toBe(now + numberShownMs);
    expect(contactLinkExpiry(now, { until: now - 1 })).toBe(now + numberShownMs);
  });
});
