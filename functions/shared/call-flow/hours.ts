import type { Hours, Weekday } from '../config/call-flow.js';

/** HH:MM on a 24-hour clock; 24:00 ends a day. */
export const clockTime = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const minutesOf = (time: string): number => {
  const [h = 0, m = 0] = time.split(':').map(Number);
  return h * 60 + m;
};

/** An interval of business hours as minutes since local midnight: [start, end). */
export const intervalMinutes = (interval: string): [start: number, end: number] => {
  const [start = '', end = ''] = interval.split('-');
  return [minutesOf(start), minutesOf(end)];
};

/**
 * Business hours by the wall clock of an IANA time zone. Intl (ICU's time-zone data, shipped with Node)
 * turns an instant into local date and time, DST included, so no date library is needed.
 */

export interface LocalTime {
  /** YYYY-MM-DD */
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
};

/** The local date, weekday and time of `now` (epoch ms) in `timeZone`. */
export const localTime = (now: number, timeZone: string): LocalTime => {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(now)) parts[part.type] = part.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
};

/** Whether the business is open at `now`: not a holiday, and inside one of the day's intervals (end excluded). */
export const isOpen = (hours: Hours, now: number): boolean => {
  const local = localTime(now, hours.timeZone);
  if (hours.holidays.includes(local.date)) return false;
  return (hours.weekly[local.weekday] ?? []).some((interval) => {
    const [start, end] = intervalMinutes(interval);
    return local.minutes >= start && local.minutes < end;
  });
};
