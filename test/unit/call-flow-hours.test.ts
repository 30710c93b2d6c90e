import { describe, expect, it } from 'vitest';
import { isOpen, localTime } from '../../functions/shared/call-flow/hours.js';
import { hoursSchema } from '../../functions/shared/config/call-flow.js';

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
