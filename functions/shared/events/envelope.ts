import type { CallLogOutcome } from '../rules/call-log.js';
import type { DeclineReason, WaitReason } from '../rules/intent.js';
import type { GrantSource, PermissionRequestKind } from '../rules/pair.js';
import type { Origin } from '../rules/references.js';

/**
 * What callgate tells the business's systems: one envelope per fact, the EventBridge `detail` (its
 * `detail-type` is `type`, its `source` is `callgate`). Delivery is at least once: consumers deduplicate
 * on `id`, which every redelivery of the same change repeats.
 */

export const eventSource = 'callgate';

/**
 * Where a fact follows from a `/v1` request, its data names that request's caller (`actor`) and
 * carries what it attached (`reference`, `metadata`): the request's own, or, down a chain, those of
 * the request that started it (an intent's call, the reply that answers a permission request).
 * docs/events.md says which event carries what.
 */
type FromRequest = Origin;

export interface EventData {
  /** The call-permission request was sent to the user: as the template, or free-form (`interactive`). */
  readonly 'permission.requested': FromRequest & { readonly kind: PermissionRequestKind };
  readonly 'permission.granted': FromRequest & {
    readonly permanent: boolean;
    /** ISO time; null for a permanent grant. */
    readonly expiresAt: string | null;
    readonly source: GrantSource;
  };
  /** ISO time until which the rejection stands (no call; a new request is limited by the windows alone). */
  readonly 'permission.rejected': FromRequest & { readonly standsUntil: string };
  readonly 'permission.revoked': FromRequest & {
    readonly reason: 'missed_calls' | 'automatic' | 'manual';
    /** ISO time until which the revocation stands. */
    readonly standsUntil: string;
  };
  /**
   * A temporary permission ran out: Meta sends no webhook for it, callgate watches its end. `expiredAt`
   * is when callgate recorded it, at `expiresAt` or shortly after (docs/events.md states the delay).
   */
  readonly 'permission.expired': {
    readonly grantedAt: string;
    readonly expiresAt: string;
    readonly expiredAt: string;
    readonly source: GrantSource;
  };
  /** An operator set the permission to none (PUT /v1/permissions): no decision stands any more. */
  readonly 'permission.cleared': FromRequest & { readonly source: 'manual' };
  /** Business-initiated: Plivo accepted the agent leg. */
  readonly 'call.placed': FromRequest & {
    readonly callId: string;
    readonly agent: string | null;
    /** Placed by this call intent. */
    readonly intentId?: string;
  };
  /** Business-initiated: the WhatsApp user answered. */
  readonly 'call.answered': FromRequest & { readonly callId: string };
  /** Business-initiated: the WhatsApp user did not answer (no answer, busy or timeout). */
  readonly 'call.missed': FromRequest & {
    readonly callId: string;
    readonly consecutiveMissed: number;
    /** The user has been warned: `consecutiveMissed` reached the warning threshold. */
    readonly warning: boolean;
  };
  /** An inbound call was answered by callgate. */
  readonly 'call.started': { readonly callId: string };
  readonly 'call.ended': FromRequest & {
    readonly callId: string;
    readonly direction: 'inbound' | 'outbound';
    /** Plivo's duration; null until its hangup says (a call callgate's own flow ended). */
    readonly durationSeconds: number | null;
    readonly hangupCause: string | null;
    /** As the call log says it (GET /v1/calls/{callId}). */
    readonly outcome: CallLogOutcome | null;
  };
  /** A call intent waits for the moment `at` (outbound hours, the daily limit, a retry, or now). */
  readonly 'intent.scheduled': IntentEventData & {
    readonly at: string;
    readonly reason: WaitReason;
  };
  /** A call intent waits for the user's permission: the request goes, or went, out (`reason`). */
  readonly 'intent.waiting_permission': IntentEventData & {
    readonly at: string;
    readonly reason: WaitReason;
  };
  /** A call intent's call was placed: Plivo took it (its `call.placed` carries the same `intentId`). */
  readonly 'intent.placed': IntentEventData & { readonly callId: string };
  /** A call intent reached its `notAfter` without placing a call. */
  readonly 'intent.expired': IntentEventData;
  readonly 'intent.declined': IntentEventData & { readonly reason: DeclineReason };
  /** DELETE /v1/call-intents/{intentId}. */
  readonly 'intent.cancelled': IntentEventData;
  /**
   * Meta paused the business number's business-initiated calls and permission requests (an account
   * update): both are refused `number_paused` until `until` (ISO), unless an operator lifts it first.
   */
  readonly 'number.paused': NumberRestrictionData;
  /** An operator lifted the number's pause before its end (DELETE /v1/numbers/{business}/pause). */
  readonly 'number.unpaused': Pick<FromRequest, 'actor'> & {
    readonly reason: string;
    readonly pausedUntil: string;
  };
  /** Meta hid the number's call button from users (low pickup of inbound calls): nothing is refused. */
  readonly 'number.call_button_hidden': NumberRestrictionData;
}

interface NumberRestrictionData {
  /** Meta's reason, as its account update said it. */
  readonly reason: string;
  readonly since: string;
  readonly until: string;
}

/** The events about a business number itself: they name no user. */
export type NumberEventType = 'number.paused' | 'number.unpaused' | 'number.call_button_hidden';

interface IntentEventData extends FromRequest {
  readonly intentId: string;
}

export type EventType = keyof EventData;

export type Envelope = {
  [T in EventType]: {
    readonly id: string;
    readonly type: T;
    /** ISO time of the fact (the decision, the send, the call's moment), not of its publication. */
    readonly time: string;
    /** E.164 business number. */
    readonly business: string;
    readonly data: EventData[T];
  } & (T extends NumberEventType
    ? { readonly user?: undefined }
    : {
        /**
         * E.164 WhatsApp user number; for a user known by a business-scoped user ID alone, that ID
         * (the pair's key).
         */
        readonly user: string;
        /** The user's business-scoped user ID (BSUID), when a message carried it. */
        readonly userId?: string;
      });
}[EventType];
