import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hoursSchema, weeklyHoursSchema } from '../../../functions/shared/config/call-flow.js';
import {
  isOpen,
  localTime,
  nextOpening,
  type Weekday,
  weekdays,
} from '../../../functions/shared/rules/hours.js';

const hours = (raw: Record<string, unknown>) =>
  hoursSchema.parse({ closed: { hangup: true }, ...raw });

describe('business hours', () => {
  const kolkata = hours({
    timeZone: 'Asia/Kolkata',
    weekly: { mon: ['09:30-13:00', '14:00-18:30'], sat: ['10:00-24:00'] },
    holidays: ['2026-01-26'],
  });

  it('opens inside an interval, closes at its end, at lunch and on days without hours', () => {
    const at = (iso: string) => isOpen(kolkata, Date.parse(iso));
    expect(at('2026-03-02T09:30:00+05:30')).toBe(true); // Monday, first minute
    expect(at('2026-03-02T09:29:59+05:30')).toBe(false);
    expect(at('2026-03-02T12:59:00+05:30')).toBe(true);
    expect(at('2026-03-02T13:00:00+05:30')).toBe(false); // end excluded: lunch
    expect(at('2026-03-02T18:29:00+05:30')).toBe(true);
    expect(at('2026-03-02T18:30:00+05:30')).toBe(false);
    expect(at('2026-03-03T11:00:00+05:30')).toBe(false); // Tuesday: no hours
    expect(at('2026-03-07T23:59:00+05:30')).toBe(true); // Saturday until 24:00
    expect(at('2026-03-08T00:00:00+05:30')).toBe(false); // Sunday
  });

  it('a holiday is closed all day by the local date, not the UTC one', () => {
    // Monday 26 Jan 2026 (Republic Day); 00:30 IST is still 25 Jan in UTC.
    expect(localTime(Date.parse('2026-01-25T19:00:00Z'), 'Asia/Kolkata').date).toBe('2026-01-26');
    expect(isOpen(kolkata, Date.parse('2026-01-26T10:00:00+05:30'))).toBe(false);
    expect(isOpen(kolkata, Date.parse('2026-01-19T10:00:00+05:30'))).toBe(true); // the Monday before
  });

  describe('across daylight-saving changes (America/New_York)', () => {
    const newYork = hours({
      timeZone: 'America/New_York',
      weekly: { sat: ['09:00-17:00'], sun: ['09:00-17:00'] },
    });

    it('spring forward (Sun 8 Mar 2026): 13:30 UTC is 09:30 EDT, open', () => {
      // With the winter offset (UTC−5) it would read 08:30 and be closed.
      expect(localTime(Date.parse('2026-03-08T13:30:00Z'), 'America/New_York')).toEqual({
        date: '2026-03-08',
        weekday: 'sun',
        minutes: 9 * 60 + 30,
      });
      expect(isOpen(newYork, Date.parse('2026-03-08T13:30:00Z'))).toBe(true);
      // The day before, the same UTC time is 08:30 EST: closed.
      expect(isOpen(newYork, Date.parse('2026-03-07T13:30:00Z'))).toBe(false);
      // 16:59 EDT open, 17:00 EDT closed.
      expect(isOpen(newYork, Date.parse('2026-03-08T20:59:00Z'))).toBe(true);
      expect(isOpen(newYork, Date.parse('2026-03-08T21:00:00Z'))).toBe(false);
    });

    it('fall back (Sun 1 Nov 2026): 13:30 UTC is 08:30 EST, closed; 14:00 UTC opens', () => {
      expect(isOpen(newYork, Date.parse('2026-11-01T13:30:00Z'))).toBe(false);
      expect(isOpen(newYork, Date.parse('2026-11-01T14:00:00Z'))).toBe(true);
      expect(isOpen(newYork, Date.parse('2026-10-31T13:30:00Z'))).toBe(true); // Sat, still EDT
    });
  });

  it('takes the weekday of the zone, across the date line', () => {
    const instant = Date.parse('2026-03-01T20:00:00Z'); // Sunday in UTC
    expect(localTime(instant, 'Pacific/Auckland').weekday).toBe('mon');
    expect(localTime(instant, 'Pacific/Honolulu').weekday).toBe('sun');
  });

  it('the schema refuses unknown zones, reversed intervals and impossible dates', () => {
    const bad = (raw: Record<string, unknown>) =>
      hoursSchema.safeParse({ closed: { hangup: true }, timeZone: 'UTC', weekly: {}, ...raw })
        .success;
    expect(bad({ timeZone: 'Europe/Atlantis' })).toBe(false);
    expect(bad({ weekly: { mon: ['18:00-09:00'] } })).toBe(false);
    expect(bad({ weekly: { mon: ['09:00-24:30'] } })).toBe(false);
    expect(bad({ weekly: { funday: ['09:00-10:00'] } })).toBe(false);
    expect(bad({ holidays: ['2026-02-30'] })).toBe(false);
    expect(bad({ weekly: { mon: ['00:00-24:00'] }, holidays: ['2026-02-28'] })).toBe(true);
  });
});

describe('next opening', () => {
  const weeklyHours = (raw: Record<string, unknown>) => weeklyHoursSchema.parse(raw);
  const everyDay = (intervals: string[]) =>
    Object.fromEntries(weekdays.map((weekday) => [weekday, intervals]));
  const kolkata = weeklyHours({
    timeZone: 'Asia/Kolkata',
    weekly: Object.fromEntries(
      weekdays.slice(0, 5).map((weekday) => [weekday, ['09:30-13:00', '14:00-18:30']]),
    ),
    holidays: ['2026-01-26'],
  });
  const next = (hours: ReturnType<typeof weeklyHours>, iso: string) => {
    const opening = nextOpening(hours, Date.parse(iso));
    return opening === undefined ? undefined : new Date(opening).toISOString();
  };

  it('is now when open now, else the next start that day, after lunch, or the next day', () => {
    const now = Date.parse('2026-03-02T10:00:12+05:30'); // Monday
    expect(nextOpening(kolkata, now)).toBe(now);
    expect(next(kolkata, '2026-03-02T08:00:00+05:30')).toBe('2026-03-02T04:00:00.000Z'); // 09:30 IST
    expect(next(kolkata, '2026-03-02T09:29:59+05:30')).toBe('2026-03-02T04:00:00.000Z');
    expect(next(kolkata, '2026-03-02T13:00:00+05:30')).toBe('2026-03-02T08:30:00.000Z'); // 14:00 IST
    expect(next(kolkata, '2026-03-02T18:30:00+05:30')).toBe('2026-03-03T04:00:00.000Z');
    expect(next(kolkata, '2026-03-02T23:59:00+05:30')).toBe('2026-03-03T04:00:00.000Z');
  });

  it('skips the weekend and holidays', () => {
    expect(next(kolkata, '2026-03-06T19:00:00+05:30')).toBe('2026-03-09T04:00:00.000Z'); // Fri → Mon
    expect(next(kolkata, '2026-03-07T12:00:00+05:30')).toBe('2026-03-09T04:00:00.000Z'); // Sat → Mon
    // Monday 26 Jan is a holiday: Friday evening waits for Tuesday.
    expect(next(kolkata, '2026-01-23T19:00:00+05:30')).toBe('2026-01-27T04:00:00.000Z');
  });

  describe('across daylight-saving changes (America/New_York)', () => {
    const newYork = weeklyHours({
      timeZone: 'America/New_York',
      weekly: everyDay(['09:00-17:00']),
    });

    it('09:00 is 14:00 UTC before spring forward (Sun 8 Mar 2026) and 13:00 UTC after', () => {
      expect(next(newYork, '2026-03-06T18:00:00-05:00')).toBe('2026-03-07T14:00:00.000Z');
      expect(next(newYork, '2026-03-07T18:00:00-05:00')).toBe('2026-03-08T13:00:00.000Z');
    });

    it('09:00 is 13:00 UTC before fall back (Sun 1 Nov 2026) and 14:00 UTC after', () => {
      expect(next(newYork, '2026-10-30T18:00:00-04:00')).toBe('2026-10-31T13:00:00.000Z');
      expect(next(newYork, '2026-10-31T18:00:00-04:00')).toBe('2026-11-01T14:00:00.000Z');
    });

    it('a start in the skipped hour opens when the clock jumps to 03:00 EDT', () => {
      const early = (intervals: string[]) =>
        weeklyHours({ timeZone: 'America/New_York', weekly: { sun: intervals } });
      expect(next(early(['02:30-04:00']), '2026-03-07T12:00:00-05:00')).toBe(
        '2026-03-08T07:00:00.000Z',
      );
      // Hours wholly inside the skipped hour do not open that day.
      expect(next(early(['02:00-02:30']), '2026-03-07T12:00:00-05:00')).toBe(
        '2026-03-15T06:00:00.000Z',
      );
    });

    it('the repeated hour opens again after fall back', () => {
      const early = (intervals: string[]) =>
        weeklyHours({ timeZone: 'America/New_York', weekly: { sun: intervals } });
      // 01:45 EDT, after the first 01:00-01:30: the second one starts at 01:00 EST.
      expect(next(early(['01:00-01:30']), '2026-11-01T05:45:00Z')).toBe('2026-11-01T06:00:00.000Z');
      expect(next(early(['00:30-01:30']), '2026-11-01T05:45:00Z')).toBe('2026-11-01T06:00:00.000Z');
    });
  });

  it('is undefined for hours that never open', () => {
    expect(next(weeklyHours({ timeZone: 'UTC', weekly: {} }), '2026-03-02T10:00:00Z')).toBe(
      undefined,
    );
    expect(
      next(weeklyHours({ timeZone: 'UTC', weekly: { mon: [] } }), '2026-03-02T10:00:00Z'),
    ).toBe(undefined);
  });

  describe('property: the result is open and the minute before it is not', () => {
    const zones = [
      'UTC',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'America/New_York',
      'Europe/London',
      'America/Santiago',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
    ];
    /** Near the 2026 clock changes, where the offset guess matters most. */
    const clockChanges: [zone: string, iso: string][] = [
      ['America/New_York', '2026-03-08T07:00:00Z'],
      ['America/New_York', '2026-11-01T06:00:00Z'],
      ['Europe/London', '2026-03-29T01:00:00Z'],
      ['Europe/London', '2026-10-25T01:00:00Z'],
      ['America/Santiago', '2026-04-05T03:00:00Z'],
      ['America/Santiago', '2026-09-06T04:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
      ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
      ['Pacific/Chatham', '2026-04-04T14:00:00Z'],
    ];
    const clock = (minutes: number) =>
      `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    const interval = fc
      .integer({ min: 0, max: 1439 })
      .chain((start) =>
        fc.integer({ min: start + 1, max: 1440 }).map((end) => `${clock(start)}-${clock(end)}`),
      );
    const weekly = fc.dictionary(
      fc.constantFrom<Weekday>(...weekdays),
      fc.array(interval, { maxLength: 3 }),
    );
    const moment = fc.oneof(
      fc
        .tuple(fc.constantFrom(...zones), fc.integer({ min: 0, max: 2 * 365 * 24 * 60 * 60 }))
        .map(
          ([zone, seconds]) => [zone, Date.parse('2026-01-01T00:00:00Z') + seconds * 1000] as const,
        ),
      fc
        .tuple(fc.constantFrom(...clockChanges), fc.integer({ min: -2 * 86_400, max: 2 * 86_400 }))
        .map(([[zone, iso], seconds]) => [zone, Date.parse(iso) + seconds * 1000] as const),
    );
    const holidays = fc.array(
      fc
        .integer({ min: 0, max: 800 })
        .map((day) =>
          new Date(Date.parse('2026-01-01T00:00:00Z') + day * 86_400_000)
            .toISOString()
            .slice(0, 10),
        ),
      { maxLength: 20 },
    );

    it('for random hours, zones and instants', () => {
      fc.assert(
        fc.property(moment, weekly, holidays, ([timeZone, now], weekly, holidays) => {
          const hours = weeklyHours({ timeZone, weekly, holidays });
          const opening = nextOpening(hours, now);
          if (Object.values(weekly).every((intervals) => intervals.length === 0)) {
            expect(opening).toBeUndefined();
            return;
          }
          expect(opening).toBeDefined();
          if (opening === undefined) return;
          expect(opening).toBeGreaterThanOrEqual(now);
          expect(isOpen(hours, opening)).toBe(true);
          if (opening === now) return;
          expect(isOpen(hours, opening - 60_000)).toBe(false);
          // Within a day, no minute before the opening is open either.
          if (opening - now <= 86_400_000) {
            for (
              let minute = Math.floor(now / 60_000) * 60_000;
              minute < opening;
              minute += 60_000
            ) {
              expect(isOpen(hours, minute)).toBe(false);
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});
