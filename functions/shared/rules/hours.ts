export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/**
 * Open intervals by weekday in one time zone, with holidays: when calls are taken or may be placed.
 * `config/call-flow.ts` validates them (an IANA zone, HH:MM-HH:MM intervals, calendar dates).
 */
export interface WeeklyHours {
  /** IANA time zone the hours are in, e.g. Asia/Kolkata. */
  readonly timeZone: string;
  /** Open intervals (`HH:MM-HH:MM`, local time) per weekday; a day left out is closed. */
  readonly weekly: Readonly<Partial<Record<Weekday, readonly string[]>>>;
  /** Local dates (YYYY-MM-DD) closed all day. */
  readonly holidays: readonly string[];
}

/** HH:MM on a 24-hour clock; 24:00 ends a day. */
export const clockTime = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

const minutesOf = (time: string): number => {
  const [h = 0, m = 0] = time.split(':').map(Number);
  return h * 60 + m;
};

/** An interval of business hours as minutes since local midnight: [start, end). */
export const intervalMinutes = (interval: string): [start: number, end: number] => {
  // Stryker disable next-line StringLiteral: split always gives a start, and the schema an end
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
export const isOpen = (hours: WeeklyHours, now: number): boolean => {
  const local = localTime(now, hours.timeZone);
  if (hours.holidays.includes(local.date)) return false;
  // Stryker disable next-line ArrayDeclaration: an interval that is not HH:MM-HH:MM reads as NaN minutes, never open
  return (hours.weekly[local.weekday] ?? []).some((interval) => {
    const [start, end] = intervalMinutes(interval);
    return local.minutes >= start && local.minutes < end;
  });
};

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
/** Offsets stay within UTC−12 and UTC+14, so a local date's instants lie within 14 hours of it read as UTC. */
const offsetReach = 14 * hour;
/** How far ahead `nextOpening` looks before taking the hours as never open. */
const openingHorizonDays = 400;

/** How far the wall clock of `timeZone` is ahead of UTC at `instant`, in ms. */
const offsetAt = (instant: number, timeZone: string): number => {
  const start = Math.floor(instant / minute) * minute;
  const local = localTime(start, timeZone);
  return Date.parse(`${local.date}T00:00:00Z`) + local.minutes * minute - start;
};

/** The first minute after `from` with another offset than at `from`; the offset changes once before `to`. */
const offsetChange = (from: number, to: number, timeZone: string): number => {
  const before = offsetAt(from, timeZone);
  let [low, high] = [Math.floor(from / minute), Math.floor(to / minute)];
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(middle * minute, timeZone) === before) low = middle;
    else high = middle;
  }
  return high * minute;
};

/**
 * The instants a local date's intervals may open: each start under each offset the date has (a repeated
 * hour holds two), and the clock change, which ends a skipped hour and begins a repeated one.
 */
const openingCandidates = (midnight: number, starts: number[], timeZone: string): number[] => {
  const [from, to] = [midnight - offsetReach, midnight + day + offsetReach];
  const [before, after] = [offsetAt(from, timeZone), offsetAt(to, timeZone)];
  // Stryker disable next-line ArrayDeclaration: what is not a number is never after now
  const candidates: number[] = [];
  // Stryker disable next-line ConditionalExpression: without a change the search ends at `to`, which no date shows
  if (before !== after) {
    const change = offsetChange(from, to, timeZone);
    // A change the clock shows on a neighbouring date is that date's candidate, so dates open in order.
    const shown = change + after;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a later date comes after this one, which offered the change; at 00:00 the 00:00 start is the same instant
    if (shown >= midnight && shown < midnight + day) candidates.push(change);
  }
  for (const start of starts) {
    for (const offset of new Set([before, after])) {
      const instant = midnight + start * minute - offset;
      // A start inside a skipped hour holds under neither offset: the clock change stands in for it.
      // Stryker disable next-line ConditionalExpression: under the other offset a start shows off by the change: not open, or later than under its own
      if (offsetAt(instant, timeZone) === offset) candidates.push(instant);
    }
  }
  return candidates;
};

/**
 * The first instant from `now` (epoch ms) at which the hours are open: `now` itself when open, else the
 * next opening within 400 days; undefined when none.
 */
export const nextOpening = (hours: WeeklyHours, now: number): number | undefined => {
  if (isOpen(hours, now)) return now;
  const today = Date.parse(`${localTime(now, hours.timeZone).date}T00:00:00Z`);
  for (let days = 0; days <= openingHorizonDays; days++) {
    const midnight = today + days * day;
    // The local date and weekday, as UTC reads this midnight.
    const { date, weekday } = localTime(midnight, 'UTC');
    const starts = (hours.weekly[weekday] ?? []).map((interval) => intervalMinutes(interval)[0]);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: isOpen below closes such a date too; this saves the work
    if (starts.length === 0 || hours.holidays.includes(date)) continue;
    const openings = openingCandidates(midnight, starts, hours.timeZone).filter(
      // Stryker disable next-line EqualityOperator: open at now returned above, so now itself never passes isOpen
      (instant) => instant > now && isOpen(hours, instant),
    );
    if (openings.length > 0) return Math.min(...openings);
  }
  return undefined;
};
