import { describe, expect, it } from 'vitest';
import { eventsOfChange } from '../../../functions/shared/events/derive.js';
import type { NumberRestriction } from '../../../functions/shared/rules/number-pause.js';
import { restrictionItem } from '../../../functions/shared/store/items/number-restriction.js';
import { business, change, iso, t0 } from './derive.fixtures.js';

const restriction = (fields: Partial<NumberRestriction> = {}) =>
  restrictionItem({
    business,
    restriction: 'calls_paused',
    reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
    since: t0,
    until: t0 + 7 * 24 * 3600 * 1000,
    ...fields,
  });
const events = (old: object | undefined, now: object | undefined) =>
  eventsOfChange(change(restriction().pk, old, now));

describe("the events of a number's restriction", () => {
  it('a new pause is number.paused, for the number and no user, at its start', () => {
    expect(events(undefined, restriction())).toEqual([
      {
        id: 'c1-0',
        type: 'number.paused',
        time: iso(t0),
        business,
        data: {
          reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
          since: iso(t0),
          until: iso(t0 + 7 * 24 * 3600 * 1000),
        },
      },
    ]);
  });

  it('a pause imposed again later is a new number.paused; the same one rewritten is none', () => {
    expect(events(restriction(), restriction({ since: t0 + 1 })).map((e) => e.type)).toEqual([
      'number.paused',
    ]);
    expect(events(restriction(), restriction())).toEqual([]);
  });

  it('a pause first seen already lifted (its first image is the lift) is number.unpaused alone', () => {
    const lifted = restriction({ liftedAt: t0 + 60_000 });
    expect(events(undefined, lifted).map((e) => e.type)).toEqual(['number.unpaused']);
  });

  it("an operator's lift is number.unpaused at the lift, once", () => {
    const lifted = restriction({ liftedAt: t0 + 60_000 });
    expect(events(restriction(), lifted)).toEqual([
      {
        id: 'c1-0',
        type: 'number.unpaused',
        time: iso(t0 + 60_000),
        business,
        data: { reason: 'operator', pausedUntil: iso(t0 + 7 * 24 * 3600 * 1000) },
      },
    ]);
    expect(events(lifted, lifted)).toEqual([]);
  });

  it('a hidden call button is number.call_button_hidden; its removal by TTL is none', () => {
    const hidden = restriction({ restriction: 'call_button_hidden', reason: 'LOW_PICKUP' });
    expect(events(undefined, hidden).map((e) => [e.type, e.data])).toEqual([
      [
        'number.call_button_hidden',
        { reason: 'LOW_PICKUP', since: iso(t0), until: iso(t0 + 7 * 24 * 3600 * 1000) },
      ],
    ]);
    expect(events(hidden, undefined)).toEqual([]);
  });
});
