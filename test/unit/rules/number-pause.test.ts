import { describe, expect, it } from 'vitest';
import {
  isInForce,
  metaPauseMs,
  type NumberRestriction,
  pausedUntil,
  pauseRefusal,
  restrictedNumbers,
  restrictionFromUpdate,
} from '../../../functions/shared/rules/number-pause.js';

const t0 = Date.parse('2026-12-01T10:00:00Z');
const business = '+918035737458';
const pause = (fields: Partial<NumberRestriction> = {}): NumberRestriction => ({
  business,
  restriction: 'calls_paused',
  reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
  since: t0,
  until: t0 + 10_000,
  ...fields,
});

describe("Meta's pause of a business number", () => {
  it('is 7 days long, as Meta pauses on high negative feedback', () => {
    expect(metaPauseMs).toBe(7 * 24 * 3600 * 1000);
  });

  it('takes the end and start the update gives', () => {
    expect(
      restrictionFromUpdate(
        business,
        { restriction: 'calls_paused', reason: 'R', since: t0 - 5, until: t0 + 5 },
        t0,
      ),
    ).toEqual({
      business,
      restriction: 'calls_paused',
      reason: 'R',
      since: t0 - 5,
      until: t0 + 5,
    });
  });

  it("fails closed without an end: Meta's full pause from its start, or from now", () => {
    expect(
      restrictionFromUpdate(
        business,
        { restriction: 'calls_paused', reason: 'R', since: t0 - 5 },
        t0,
      ),
    ).toMatchObject({ since: t0 - 5, until: t0 - 5 + metaPauseMs });
    expect(
      restrictionFromUpdate(business, { restriction: 'call_button_hidden', reason: 'R' }, t0),
    ).toMatchObject({ restriction: 'call_button_hidden', since: t0, until: t0 + metaPauseMs });
  });

  it('stands from its start until just before its end, unless lifted', () => {
    expect(isInForce(undefined, t0)).toBe(false);
    expect(isInForce(pause(), t0 + 9_999)).toBe(true);
    expect(isInForce(pause(), t0 + 10_000)).toBe(false);
    expect(isInForce(pause({ liftedAt: t0 + 1 }), t0 + 2)).toBe(false);
  });

  it('refuses with the reason, the end and whole seconds to it, while it stands', () => {
    expect(pauseRefusal(pause(), t0 + 1)).toEqual({
      code: 'number_paused',
      reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
      pausedUntil: t0 + 10_000,
      retryAfter: 10,
    });
    expect(pauseRefusal(pause(), t0 + 9_001)?.retryAfter).toBe(1);
    expect(pauseRefusal(pause(), t0 + 10_000)).toBeUndefined();
    expect(pauseRefusal(pause({ liftedAt: t0 }), t0 + 1)).toBeUndefined();
    expect(pauseRefusal(undefined, t0)).toBeUndefined();
    // A hidden call button refuses nothing.
    expect(pauseRefusal(pause({ restriction: 'call_button_hidden' }), t0 + 1)).toBeUndefined();
    expect(pausedUntil(pause(), t0 + 1)).toBe(t0 + 10_000);
    expect(pausedUntil(pause(), t0 + 10_000)).toBeUndefined();
  });

  describe('the numbers an update restricts', () => {
    const numbers = [
      { number: '+918035737458', phoneNumberId: '1001' },
      { number: '+18762345678' },
      { number: '+442071838750', phoneNumberId: '1003' },
    ];

    it('is the display number, when configured; none when not', () => {
      expect(restrictedNumbers({ e164: '+18762345678' }, numbers)).toEqual(['+18762345678']);
      expect(restrictedNumbers({ e164: '+14155550100', phoneNumberId: '1001' }, numbers)).toEqual(
        [],
      );
    });

    it("is the number configured with Meta's phone_number_id", () => {
      expect(restrictedNumbers({ phoneNumberId: '1003' }, numbers)).toEqual(['+442071838750']);
    });

    it('is every number configured without an id when the id matches none', () => {
      expect(restrictedNumbers({ phoneNumberId: '999' }, numbers)).toEqual(['+18762345678']);
      expect(
        restrictedNumbers({ phoneNumberId: '999' }, [
          { number: '+918035737458', phoneNumberId: '1001' },
        ]),
      ).toEqual([]);
    });

    it('is every number when the update names none', () => {
      expect(restrictedNumbers({}, numbers)).toEqual(numbers.map((n) => n.number));
    });
  });
});
