import type { IntentWakeups } from '../functions/shared/scheduling/wakeups.js';

/** The local host's EventBridge Scheduler: wake-ups kept until the sandbox clock reaches them. */
export interface LocalWakeups extends IntentWakeups {
  /** Removes and returns the intents whose wake-up is due at `now`, earliest first. */
  takeDue(now: number): string[];
  /** Wake-ups not yet due: intent id and moment (epoch ms), earliest first. */
  pending(): readonly { readonly intentId: string; readonly at: number }[];
  /** Drops every wake-up. */
  clear(): void;
}

export const createLocalWakeups = (): LocalWakeups => {
  // Keyed like the stack's schedule names: the same intent and moment asked twice is one wake-up.
  const wakeups = new Map<string, { intentId: string; at: number }>();
  const sorted = () => [...wakeups.values()].sort((a, b) => a.at - b.at);
  return {
    wakeAt: async (intentId, at) => {
      wakeups.set(`${intentId}-${Math.ceil(at / 1000)}`, { intentId, at });
    },
    takeDue: (now) => {
      const due = sorted().filter((w) => w.at <= now);
      for (const w of due) wakeups.delete(`${w.intentId}-${Math.ceil(w.at / 1000)}`);
      return [...new Set(due.map((w) => w.intentId))];
    },
    pending: sorted,
    clear: () => wakeups.clear(),
  };
};
