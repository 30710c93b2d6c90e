import type { Clock } from '../../functions/shared/clock.js';

export type TimelineKind = 'api' | 'plivo-api' | 'webhook' | 'event' | 'clock' | 'user' | 'call';

export interface TimelineEntry {
  readonly id: number;
  /** ISO time on the sandbox clock. */
  readonly at: string;
  readonly kind: TimelineKind;
  readonly summary: string;
  readonly callUuid?: string;
  /** callgate's id of a business-initiated call (`api` entries). */
  readonly callId?: string;
  readonly user?: string;
  readonly business?: string;
  readonly request?: {
    readonly method: string;
    readonly url: string;
    readonly params: Readonly<Record<string, string>>;
  };
  readonly response?: {
    readonly status: number;
    readonly contentType: string;
    readonly body: string;
  };
  readonly detail?: unknown;
}

export type NewTimelineEntry = Omit<TimelineEntry, 'id' | 'at'>;

export interface Timeline {
  add(entry: NewTimelineEntry): TimelineEntry;
  /** Entries after the one with id `after` (all kept without it), oldest first. */
  after(after?: number): readonly TimelineEntry[];
  /** Forgets every entry; ids go on from the last, so a reader's `after` stays valid. */
  clear(): void;
}

/** The sandbox keeps the latest entries only: a long session must not grow without bound. */
const keptEntries = 5_000;

/**
 * What happened in the sandbox, in order: requests to `/v1`, Plivo API requests, webhooks and their
 * answers, events, clock moves.
 */
export const createTimeline = (clock: Clock): Timeline => {
  const entries: TimelineEntry[] = [];
  let lastId = 0;
  return {
    add: (entry) => {
      const kept: TimelineEntry = { id: ++lastId, at: new Date(clock()).toISOString(), ...entry };
      entries.push(kept);
      if (entries.length > keptEntries) entries.splice(0, entries.length - keptEntries);
      return kept;
    },
    after: (after) => (after === undefined ? [...entries] : entries.filter((e) => e.id > after)),
    clear: () => {
      entries.length = 0;
    },
  };
};
