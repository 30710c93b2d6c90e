import type { Rules } from '../config/schema.js';

/**
 * Plivo bounds only the bridged time of a call (`timeLimit`, `time_limit`); ringing, greetings, menus
 * and voicemail come on top (a sequential dial of 20 agents alone may ring for 40 minutes).
 */
export const callSetupAllowanceSeconds = 3600;

/**
 * When a call's concurrency lease lapses if its hangup is lost: never while Plivo could still have the
 * call up, so reaping expired leases can never push a number past its simultaneous-call limit.
 */
export const leaseExpiry = (now: number, rules: Rules): number =>
  now + (rules.maxCallSeconds + callSetupAllowanceSeconds) * 1000;
