import type { EventType } from './envelope.js';

/**
 * The events the call intents' dispatcher subscribes to (an EventBridge rule on AWS, the local bus
 * locally): every permission decision and every outcome of a business-initiated call (an intent may
 * wait for it: `calls_in_progress`), which may move the pair's open intent, every intent that
 * starts waiting, whose wake-up it sets, and an operator's lift of a number's pause, which wakes the
 * intents waiting on it.
 */
export const intentDispatcherEventTypes = [
  'permission.granted',
  'permission.rejected',
  'permission.revoked',
  'permission.cleared',
  'call.answered',
  'call.missed',
  'intent.scheduled',
  'intent.waiting_permission',
  'number.unpaused',
] as const satisfies readonly EventType[];
