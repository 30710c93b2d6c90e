import {
  type IntentWakeups,
  type PermissionExpiryWakeup,
  type PermissionExpiryWakeups,
  permissionExpiryLookAt,
  permissionExpiryName,
} from '../functions/shared/scheduling/wakeups.js';

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

/**
 * The local host's EventBridge Scheduler for permission expiries: each look kept until the sandbox
 * clock reaches its moment, the minute after the expiry as on AWS (`permissionExpiryLookAt`).
 */
export interface LocalPermissionExpiries extends PermissionExpiryWakeups {
  /** Removes and returns the looks due at `now`, earliest first. */
  takeDue(now: number): PermissionExpiryWakeup[];
  /** Looks not yet due, with their moment (epoch ms), earliest first. */
  pending(): readonly (PermissionExpiryWakeup & { readonly at: number })[];
  clear(): void;
}

export const createLocalPermissionExpiries = (): LocalPermissionExpiries => {
  // Keyed by the stack's schedule names: the same pair and expiry asked twice is one look.
  const looks = new Map<string, PermissionExpiryWakeup & { at: number }>();
  const sorted = () => [...looks.values()].sort((a, b) => a.at - b.at);
  return {
    watch: async (expiry) => {
      looks.set(permissionExpiryName(expiry), {
        business: expiry.business,
        user: expiry.user,
        expiresAt: expiry.expiresAt,
        at: permissionExpiryLookAt(expiry.expiresAt),
      });
    },
    takeDue: (now) => {
      const due = sorted().filter((look) => look.at <= now);
      for (const look of due) looks.delete(permissionExpiryName(look));
      return due.map(({ business, user, expiresAt }) => ({ business, user, expiresAt }));
    },
    pending: sorted,
    clear: () => looks.clear(),
  };
};
