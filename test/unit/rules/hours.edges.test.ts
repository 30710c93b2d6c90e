/**
 * The next opening of business hours where the clock change is hardest to place: zones far from UTC,
 * whose change falls late in the UTC day or early in it, a change shown at local midnight, and the
 * 400 days `nextOpening` looks ahead. Each expectation is checked against a minute-by-minute scan too.
 */
import { describe, expect, it } from 'vitest';
import { weeklyHoursSchema } from '../../../functions/shared/config/call-flow.js';
import type { WeeklyHours } from '../../../functions/shared/rules/hours.js';
import { isOpen, nextOpening } from '../../../functions/shared/rules/hours.js';

const minute = 60_000;
const day = 24 * 60 * minute;

const hours = (raw: Record<string, unknown>): WeeklyHours => weeklyHoursSchema.parse(raw);

/** The first open minute from `now`, scanning minute by minute: slow, obviously right. */
const scanned = (open: WeeklyHours, now: number, days: number): number | undefined => {
  if (isOpen(open, now)) return now;
  for (let at = Math.ceil(now / minute) * minute; at < now + days * day; at += minute) {
    if (isOpen(open, at)) return at;
  }
  return undefined;
};

const next = (open: WeeklyHours, now: string, expected: string) => {
  const from = Date.parse(now);
  const opening = nextOpening(open, from);
  expect(opening === undefined ? undefined : new Date(opening).toISOString()).toBe(expected);
  expect(opening).toBe(scanned(open, from, 3));
};

describe('clock changes far from UTC', () => {
  it('America/Adak (UTC−10 → −9) springs forward at 12:00 UTC: 09:00 HDT that day is 18:00 UTC', () => {
    const adak = hours({
      timeZone: 'America/Adak',
      weekly: { sat: ['09:00-17:00'], sun: ['09:00-17:00'] },
    });
    // Saturday 7 March 2026, 18:00 HST.
    next(adak, '2026-03-08T04:00:00Z', '2026-03-08T18:00:00.000Z');
  });

  it('Pacific/Auckland (UTC+12 → +13) springs forward on the UTC date before: the night opens before the change', () => {
    const auckland = hours({
      timeZone: 'Pacific/Auckland',
      weekly: { sat: ['20:00-21:00'], sun: ['00:30-01:00', '02:30-04:00'] },
    });
    // Saturday 26 September 2026, 22:00 NZST; the clock jumps at Sunday 02:00 NZST (14:00 UTC).
    next(auckland, '2026-09-26T10:00:00Z', '2026-09-26T12:30:00.000Z');
    // After the 00:30 interval: the skipped 02:30 start opens with the jump, at 03:00 NZDT.
    next(auckland, '2026-09-26T13:00:00Z', '2026-09-26T14:00:00.000Z');
  });

  it('Atlantic/Azores (UTC+0 → −1) falls back to midnight: the first 00:00, not the repeated one', () => {
    const azores = hours({
      timeZone: 'Atlantic/Azores',
      weekly: { sat: ['20:00-21:00'], sun: ['00:00-00:30'] },
    });
    // Saturday 24 October 2026, 22:00 local; the clock goes back from 01:00 to 00:00 on Sunday.
    next(azores, '2026-10-24T22:00:00Z', '2026-10-25T00:00:00.000Z');
    // Between the two: the repeated 00:00 opens again, at the change.
    next(azores, '2026-10-25T00:45:00Z', '2026-10-25T01:00:00.000Z');
  });
});

describe('how far ahead', () => {
  const dates = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => new Date(from + i * day).toISOString().slice(0, 10));
  const now = Date.parse('2026-01-01T12:00:00Z');
  const daily = (holidays: string[]) =>
    hours({
      timeZone: 'UTC',
      weekly: Object.fromEntries(
        ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, ['09:00-10:00']]),
      ),
      holidays,
    });

  it('an opening 400 days ahead is found, one 401 days ahead is not', () => {
    expect(nextOpening(daily(dates(now, 400)), now)).toBe(Date.parse('2027-02-05T09:00:00Z'));
    expect(nextOpening(daily(dates(now, 401)), now)).toBeUndefined();
  });
});
