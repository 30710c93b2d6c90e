import type { IntentState, IntentStatus } from './intent.js';
import { type References, referencesOf } from './references.js';

/** A call intent as the business API shows it (POST, GET and DELETE /v1/call-intents). */
export interface IntentView extends References {
  readonly intentId: string;
  readonly status: IntentStatus;
  readonly from: string;
  readonly to: string;
  readonly agent?: string;
  readonly createdAt: string;
  readonly notAfter: string;
  /** scheduled / waiting_permission: the moment the intent is next looked at. */
  readonly scheduledAt?: string;
  /** Why it waits (scheduled, waiting_permission) or why it was declined. */
  readonly reason?: string;
  /** placed: the call (GET /v1/calls/{callId}). */
  readonly callId?: string;
  readonly endedAt?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const intentView = (intent: IntentState): IntentView => {
  const waiting = intent.status === 'scheduled' || intent.status === 'waiting_permission';
  const reason = waiting
    ? intent.waitReason
    : intent.status === 'declined'
      ? intent.reason
      : undefined;
  return {
    intentId: intent.intentId,
    status: intent.status,
    from: intent.business,
    to: intent.user,
    ...(intent.agent === undefined ? {} : { agent: intent.agent }),
    createdAt: iso(intent.createdAt),
    notAfter: iso(intent.notAfter),
    ...(waiting && intent.dueAt !== undefined ? { scheduledAt: iso(intent.dueAt) } : {}),
    ...(reason === undefined ? {} : { reason }),
    ...(intent.callId === undefined ? {} : { callId: intent.callId }),
    ...(intent.endedAt === undefined ? {} : { endedAt: iso(intent.endedAt) }),
    ...referencesOf(intent),
  };
};
