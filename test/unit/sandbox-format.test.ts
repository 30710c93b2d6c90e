import { describe, expect, it } from 'vitest';
import { readableDuration, readableIsoDuration } from '../../local/sandbox/page/format.js';

describe('durations on the sandbox page and timeline', () => {
  it.each([
    [0, '0 s'],
    [1, '1 s'],
    [59, '59 s'],
    [60, '1 min'],
    [200, '3 min 20 s'],
    [3_600, '1 hour'],
    [3_661, '1 hour 1 min'],
    [7_200, '2 hours'],
    [86_400, '1 day'],
    [108_000, '1 day 6 hours'],
    [604_800, '7 days'],
  ])('%i seconds read as %s', (seconds, text) => {
    expect(readableDuration(seconds)).toBe(text);
  });

  it('shows what is not a whole number of seconds as it is', () => {
    expect(readableDuration(1.5)).toBe('1.5');
    expect(readableDuration(-3)).toBe('-3');
  });

  it.each([
    ['PT24H', '24 hours'],
    ['P7D', '7 days'],
    ['P1D', '1 day'],
    ['PT1H30M', '1 hour 30 min'],
    ['PT90S', '90 s'],
  ])('%s reads as %s', (iso, text) => {
    expect(readableIsoDuration(iso)).toBe(text);
  });

  it('shows what is not an ISO duration as it is', () => {
    for (const text of ['P', 'PT', '24 hours', 'P1W']) expect(readableIsoDuration(text)).toBe(text);
  });
});
