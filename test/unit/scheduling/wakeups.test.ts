import { describe, expect, it } from 'vitest';
import {
  intentWakeupAt,
  intentWakeupDelayMs,
  intentWakeupName,
} from '../../../functions/shared/scheduling/wakeups.js';

const minute = Date.UTC(2030, 5, 1, 10, 1);
const intentId = '0b6f3c1e-2a4d-4f5e-9c8b-7a6d5e4f3c2b';
// EventBridge Scheduler runs a one-time schedule anywhere in the minute of its at() time.
const latestRun = (at: number) => intentWakeupAt(at) + 59_999;

describe("an intent's wake-up", () => {
  it('runs at the whole minute at or after its moment, never before it', () => {
    expect(intentWakeupAt(minute)).toBe(minute);
    expect(intentWakeupAt(minute + 1)).toBe(minute + 60_000);
    expect(intentWakeupAt(minute + 59_999)).toBe(minute + 60_000);
    expect(intentWakeupAt(minute - 1)).toBe(minute);
  });

  it('comes within the stated delay of its moment', () => {
    for (const at of [minute, minute + 1, minute + 30_500, minute + 59_999]) {
      expect(intentWakeupAt(at)).toBeGreaterThanOrEqual(at);
      expect(latestRun(at) - at).toBeLessThan(intentWakeupDelayMs);
    }
    expect(latestRun(minute + 1) - (minute + 1)).toBeGreaterThan(intentWakeupDelayMs - 1_000);
  });

  it('is named by intent and minute: moments of one minute are one wake-up, of another another', () => {
    expect(intentWakeupName(intentId, minute + 1)).toBe(`intent-${intentId}-${minute / 1000 + 60}`);
    expect(intentWakeupName(intentId, minute + 59_000)).toBe(
      intentWakeupName(intentId, minute + 1),
    );
    expect(intentWakeupName(intentId, minute + 60_001)).not.toBe(
      intentWakeupName(intentId, minute + 1),
    );
    expect(intentWakeupName(intentId, minute + 1).length).toBeLessThanOrEqual(64);
  });
});
