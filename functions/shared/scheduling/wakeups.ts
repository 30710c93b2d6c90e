import { createHash } from 'node:crypto';

/**
 * When the dispatcher must look at an intent again (its `dueAt`): EventBridge Scheduler on AWS, the
 * sandbox clock locally. Asking twice for the same intent and moment is one wake-up; a wake-up that
 * comes for a moment the intent no longer waits for finds nothing to do.
 */
export interface IntentWakeups {
  wakeAt(intentId: string, at: number): Promise<void>;
}

/** What a wake-up delivers to the dispatcher. */
export interface IntentWakeup {
  readonly intentId: string;
}

/** A temporary permission whose end is watched: the pair, and the end it had when the watch began. */
export interface PermissionExpiryWakeup {
  readonly business: string;
  readonly user: string;
  /** Epoch ms: the permission's `permissionUntil`. */
  readonly expiresAt: number;
}

/**
 * When the permission-expiry function must look at a pair again: EventBridge Scheduler on AWS, the
 * sandbox clock locally. Named by pair and expiry, so a renewal is a new wake-up and the old one, when
 * it comes, finds the permission renewed; asking twice for the same one is one wake-up.
 */
export interface PermissionExpiryWakeups {
  watch(expiry: PermissionExpiryWakeup): Promise<void>;
}

/** Every permission-expiry schedule's name begins with it: the function may create those alone. */
export const permissionExpiryNamePrefix = 'permission-';

/**
 * A schedule's name: at most 64 of `[0-9A-Za-z_.-]`, so the pair is a digest (a user may be a
 * business-scoped id of up to 131 characters), and the expiry its epoch ms.
 */
export const permissionExpiryName = ({ business, user, expiresAt }: PermissionExpiryWakeup) =>
  `${permissionExpiryNamePrefix}${createHash('sha256').update(`${business}#${user}`).digest('hex').slice(0, 32)}-${expiresAt}`;

const minuteMs = 60_000;

/**
 * When to look: the whole minute at or after the expiry. EventBridge Scheduler invokes a target with
 * 60 second precision, anywhere in the minute of its `at()` (its "Schedule types" page), so a look set
 * at the expiry's own second could come before it; from the next whole minute it never does, and
 * comes at most two minutes after the expiry.
 */
export const permissionExpiryLookAt = (expiresAt: number): number =>
  Math.ceil(expiresAt / minuteMs) * minuteMs;

/**
 * When an intent's wake-up for a moment runs: the whole minute at or after it, for the same reason as
 * a permission's look. One set at the moment's own second could come before it, find the intent not
 * yet due and ask for the same wake-up again, which conflicts with the one still running: the intent
 * would wait for an event that never comes.
 */
export const intentWakeupAt = (at: number): number => Math.ceil(at / minuteMs) * minuteMs;

/** A wake-up's name: by intent and minute, so moments in one minute are one wake-up. */
export const intentWakeupName = (intentId: string, at: number): string =>
  `intent-${intentId}-${intentWakeupAt(at) / 1000}`;

/** The longest a wake-up comes after its moment (docs/intents.md states it). */
export const intentWakeupDelayMs = 2 * minuteMs;

/** The longest a look comes after the expiry it watches (docs/events.md states it). */
export const permissionExpiryLookDelayMs = 2 * minuteMs;
