import type { EventType } from './envelope.js';

/**
 * The events the call intents' dispatcher subscribes to (an EventBridge rule on AWS, the local bus
 * locally): every permission decision and every outcome of a business-initiated call (an intent may
 * wait for it: `calls_in_progress`), which may move the pair's open intent, and every intent that
 * starts waiting, whose wake-up it sets.
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
] as const satisfies readonly EventType[];
