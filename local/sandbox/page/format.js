// Durations as a person reads them, for the sandbox page and the timeline the host writes: one module,
// served to the browser as it is and imported by the host (format.d.ts gives it its types).

const units = [
  { seconds: 86_400, one: 'day', many: 'days' },
  { seconds: 3_600, one: 'hour', many: 'hours' },
  { seconds: 60, one: 'min', many: 'min' },
  { seconds: 1, one: 's', many: 's' },
];

const part = (count, unit) => `${count} ${count === 1 ? unit.one : unit.many}`;

/**
 * Whole seconds as their largest unit and the next one when it is not zero: `3 min 20 s`, `1 hour`,
 * `7 days`, `1 day 6 hours`. Anything that is not a whole number of seconds from 0 is shown as it is.
 */
export const readableDuration = (seconds) => {
  if (!Number.isSafeInteger(seconds) || seconds < 0) return String(seconds);
  if (seconds === 0) return '0 s';
  const counts = units.map((unit, i) => {
    const above = i === 0 ? Number.POSITIVE_INFINITY : units[i - 1].seconds;
    return Math.floor((seconds % above) / unit.seconds);
  });
  const first = counts.findIndex((count) => count > 0);
  const shown = [part(counts[first], units[first])];
  if (counts[first + 1] > 0) shown.push(part(counts[first + 1], units[first + 1]));
  return shown.join(' ');
};

const isoPattern = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * An ISO 8601 duration in the units it is written in: `PT24H` is `24 hours` (Meta's rolling day), `P7D`
 * `7 days`, `PT1H30M` `1 hour 30 min`. Anything else is shown as it is.
 */
export const readableIsoDuration = (iso) => {
  const match = typeof iso === 'string' ? isoPattern.exec(iso) : null;
  if (!match || iso === 'P' || iso.endsWith('T')) return String(iso);
  const shown = match
    .slice(1)
    .map((count, i) => (count === undefined ? null : part(Number(count), units[i])))
    .filter((text) => text !== null);
  return shown.join(' ');
};
