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
