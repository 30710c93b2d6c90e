import { secondsUntil } from './window.js';

/**
 * Meta's restrictions on a business number's calling, from its account_update webhooks (Plivo documents
 * none: docs/plivo-webhooks.md#account-updates):
 * - `calls_paused`: business-initiated calls and permission requests are paused, for 7 days on high
 *   negative feedback (since 2026-01-27). Refuses both while it lasts.
 * - `call_button_hidden`: the call button is hidden from users on a low pickup rate of inbound calls
 *   (since 2025-09-05). Recorded and shown; it refuses nothing callgate does.
 */
export type CallingRestriction = 'calls_paused' | 'call_button_hidden';

/** How long Meta pauses a number on high negative feedback: the end assumed when an update gives none. */
export const metaPauseMs = 7 * 24 * 3600 * 1000;

/** A restriction as stored (one item per business number and restriction). Times in epoch ms. */
export interface NumberRestriction {
  readonly business: string;
  readonly restriction: CallingRestriction;
  /** Meta's reason, as the update said it (its restriction type or event). */
  readonly reason: string;
  readonly since: number;
  readonly until: number;
  /** When an operator lifted it before its end (DELETE /v1/numbers/{business}/pause). */
  readonly liftedAt?: number;
  /** The actor of that lift (http/actor.ts), which `number.unpaused` names. */
  readonly liftedBy?: string;
}

/** What one account update says about one number, as read from the webhook. */
export interface RestrictionUpdate {
  readonly restriction: CallingRestriction;
  readonly reason: string;
  /** When Meta imposed it (epoch ms), where the payload says. */
  readonly since?: number | undefined;
  /** Its end (epoch ms); undefined when the payload gave none or one that cannot be read. */
  readonly until?: number | undefined;
}

/**
 * The restriction to store. An end that is absent or unreadable fails closed: Meta's full pause from
 * when it was imposed (or from now), which an operator may lift earlier.
 */
export const restrictionFromUpdate = (
  business: string,
  update: RestrictionUpdate,
  now: number,
): NumberRestriction => {
  const since = update.since ?? now;
  return {
    business,
    restriction: update.restriction,
    reason: update.reason,
    since,
    until: update.until ?? since + metaPauseMs,
  };
};

/**
 * The number's pause as a caller already read it (none standing: `standing` undefined), so that the
 * placement or request it makes does not read it again.
 */
export interface PauseRead {
  readonly standing: NumberRestriction | undefined;
}

/** Whether the restriction stands at `now`: from its start until its end, unless lifted. */
export const isInForce = (restriction: NumberRestriction | undefined, now: number): boolean =>
  restriction !== undefined && restriction.liftedAt === undefined && now < restriction.until;

export interface PauseRefusal {
  readonly code: 'number_paused';
  /** Meta's reason for the pause. */
  readonly reason: string;
  /** When the pause ends (epoch ms). */
  readonly pausedUntil: number;
  /** Seconds until then, rounded up. */
  readonly retryAfter: number;
}

/** The one refusal of a paused number: business-initiated calls and permission requests alike. */
export const pauseRefusal = (
  pause: NumberRestriction | undefined,
  now: number,
): PauseRefusal | undefined =>
  pause && pause.restriction === 'calls_paused' && isInForce(pause, now)
    ? {
        code: 'number_paused',
        reason: pause.reason,
        pausedUntil: pause.until,
        retryAfter: secondsUntil(pause.until, now),
      }
    : undefined;

/** Until when a call intent waits for its number's pause to end; undefined when none stands. */
export const pausedUntil = (
  pause: NumberRestriction | undefined,
  now: number,
): number | undefined => pauseRefusal(pause, now)?.pausedUntil;

/** How an update names its business number, as far as it could be read. */
export interface NumberTarget {
  /** The display number, E.164, when the payload had one that parses. */
  readonly e164?: string | undefined;
  /** Meta's phone_number_id, when the payload had one. */
  readonly phoneNumberId?: string | undefined;
}

export interface ConfiguredNumber {
  readonly number: string;
  readonly phoneNumberId?: string | undefined;
}

/**
 * The configured numbers an update restricts. A display number names one (none when it is not
 * configured). A phone_number_id names the number configured with it; matching none, it may still be a
 * number configured without an id. An update that names no number at all cannot tell which: it fails
 * closed and restricts every number it could be.
 */
export const restrictedNumbers = (
  target: NumberTarget,
  numbers: readonly ConfiguredNumber[],
): readonly string[] => {
  if (target.e164 !== undefined) {
    return numbers.filter((n) => n.number === target.e164).map((n) => n.number);
  }
  if (target.phoneNumberId !== undefined) {
    const named = numbers.filter((n) => n.phoneNumberId === target.phoneNumberId);
    const candidates = named.length > 0 ? named : numbers.filter((n) => !n.phoneNumberId);
    return candidates.map((n) => n.number);
  }
  return numbers.map((n) => n.number);
};
