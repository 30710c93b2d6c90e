import type { Rules } from '../config/schema.js';

/**
 * What callgate knows about one (business number, user number) pair: the pair item's attributes.
 * Times are epoch ms.
 */
export interface PairState {
  readonly business: string;
  readonly user: string;
  /** The last permission decision; absent when the user never answered a request nor called. */
  readonly permission?: 'temporary' | 'permanent' | 'rejected' | 'revoked';
  /** When that decision was made. */
  readonly permissionAt?: number;
  /** temporary: when it expires; rejected/revoked: when the refusal stops standing; permanent: absent. */
  readonly permissionUntil?: number;
  readonly permissionSource?: 'reply' | 'inbound_call';
  /** `automatic`: Meta revoked it (a `reject` reply with `response_source: automatic`). */
  readonly revokedReason?: 'missed_calls' | 'user' | 'automatic';
  /**
   * Permission-request times, oldest first, in fixed slots `request0 … request{n-1}` (n =
   * requestSlotCount): a new request shifts them down, so one conditional write can check both windows.
   */
  readonly [slot: `request${number}`]: number | undefined;
  /** Id of the newest permission request: a failed send undoes exactly its own reservation. */
  readonly lastRequestId?: string;
  /**
   * Business-initiated calls of the last 24 h: call id → placement time. A map, not a list, so a call
   * Plivo refused can be removed by its id without rewriting the others.
   */
  readonly calls?: Readonly<Record<string, number>>;
  /** Consecutive business-initiated calls the user did not answer. */
  readonly missed?: number;
  /** When the user was warned after `missedCalls.warnAt` misses in a row. */
  readonly warnedAt?: number;
  /** Bumped by every write that changes the permission or the calls: optimistic concurrency. */
  readonly version?: number;
}

/** Slots needed to check every request window with one condition. */
export const requestSlotCount = (rules: Rules): number =>
  Math.max(rules.permissionRequests.per24Hours, rules.permissionRequests.per7Days);

export const requestSlotNames = (rules: Rules): string[] =>
  Array.from({ length: requestSlotCount(rules) }, (_, i) => `request${i}`);

export type PermissionStatus =
  | { readonly kind: 'none' }
  | { readonly kind: 'temporary'; readonly expiresAt: number }
  | { readonly kind: 'permanent' }
  | { readonly kind: 'expired'; readonly expiredAt: number }
  | { readonly kind: 'rejected'; readonly until: number }
  | {
      readonly kind: 'revoked';
      readonly until: number;
      readonly reason?: 'missed_calls' | 'user' | 'automatic';
    };

/** The permission as it stands at `now`: a temporary grant past its expiry is expired, a refusal past its stand is none. */
export const permissionAt = (pair: PairState | undefined, now: number): PermissionStatus => {
  if (!pair?.permission) return { kind: 'none' };
  const until = pair.permissionUntil;
  switch (pair.permission) {
    case 'permanent':
      return { kind: 'permanent' };
    case 'temporary':
      return until !== undefined && until > now
        ? { kind: 'temporary', expiresAt: until }
        : { kind: 'expired', expiredAt: until ?? pair.permissionAt ?? 0 };
    case 'rejected':
      return until !== undefined && until > now ? { kind: 'rejected', until } : { kind: 'none' };
    case 'revoked':
      return until !== undefined && until > now
        ? {
            kind: 'revoked',
            until,
            ...(pair.revokedReason ? { reason: pair.revokedReason } : {}),
          }
        : { kind: 'none' };
  }
};

export const isPermissionActive = (status: PermissionStatus): boolean =>
  status.kind === 'temporary' || status.kind === 'permanent';
