import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import { type InboundMessage, readInboundMessage } from '../plivo/permission-reply.js';
import { windowOpenUntil } from '../rules/customer-service-window.js';
import { decisionFromReply, type PermissionDecision } from '../rules/permission.js';
import {
  applyPermissionDecision,
  keepWindowOpenForMessage,
  type V2NonceUse,
} from '../store/writes/permission-reply.js';

/** The V2 nonce record the message webhook's middleware uses for a request that changed nothing. */
export { recordV2Nonce, type V2NonceUse } from '../store/writes/permission-reply.js';

/** What the webhook carried when it is no call-permission reply, or none Plivo would send. */
export type NotAPermissionReply = Exclude<
  InboundMessage,
  { readonly kind: 'permission_reply' } | { readonly kind: 'user_message' }
>;

type UserMessage = Extract<InboundMessage, { readonly kind: 'user_message' }>;

/** A user's other message, and what it did to the customer-service window. */
export interface UserMessageOutcome {
  readonly kind: 'user_message';
  readonly messageId: string;
  readonly description: string;
  readonly window: /** Now open until 24 h from this message. */
    | 'opened'
    /** Open longer already (or a permanent grant stands): unchanged. */
    | 'kept'
    /** This message was seen before: Plivo redelivered it, or it was replayed. */
    | 'duplicate'
    /** `From` or `To` is no phone number: nothing recorded. */
    | 'invalid_number'
    | 'unknown_business_number';
}

type ReplyOutcome =
  | { readonly kind: 'applied'; readonly permission: PermissionDecision['permission'] }
  /** A reply already applied (same message id): Plivo redelivered it, or it was replayed. */
  | { readonly kind: 'duplicate' }
  /** Sent no later than the reply behind the pair's decision: a late delivery or a replay. */
  | { readonly kind: 'stale' }
  /** A V2 signature's nonce used before: a captured signature carrying a forged body. */
  | { readonly kind: 'replayed_signature' }
  | { readonly kind: 'invalid_number'; readonly field: 'From' | 'To' }
  | { readonly kind: 'unknown_business_number' };

export type PermissionReplyOutcome =
  | NotAPermissionReply
  | UserMessageOutcome
  | (ReplyOutcome & { /** The reply's dedupe key, for the log. */ readonly messageId: string });

/**
 * A user's call-permission reply (`From`) to a business number (`To`): the rules turn it into a
 * decision that replaces the pair's permission unless a reply sent later decided already; applied once
 * per message, and with the V2 nonce of its signature in the same write.
 */
export const applyPermissionReply = async (
  deps: Deps,
  body: Parameters<typeof readInboundMessage>[0],
  v2Nonce: V2NonceUse | undefined,
): Promise<PermissionReplyOutcome> => {
  const message = readInboundMessage(body);
  if (message.kind === 'user_message') return keepWindowOpen(deps, message, v2Nonce);
  if (message.kind !== 'permission_reply') return message;
  return { ...(await applyReply(deps, message, v2Nonce)), messageId: message.messageId };
};

/** A user's message to a configured business number keeps their customer-service window open. */
const keepWindowOpen = async (
  deps: Deps,
  message: UserMessage,
  v2Nonce: V2NonceUse | undefined,
): Promise<
  UserMessageOutcome | { readonly kind: 'replayed_signature'; readonly messageId: string }
> => {
  const { messageId, description } = message;
  const outcome = (window: UserMessageOutcome['window']): UserMessageOutcome => ({
    kind: 'user_message',
    messageId,
    description,
    window,
  });
  const user = parsePhoneNumber(message.from);
  const business = parsePhoneNumber(message.to);
  if (!user || !business) return outcome('invalid_number');
  if (!configuredNumber(deps.config, business.e164)) return outcome('unknown_business_number');
  const now = deps.clock();
  const window = await keepWindowOpenForMessage(deps.db, {
    business: business.e164,
    user: user.e164,
    // Plivo's fields carry no send time: the window runs from the message's arrival.
    until: windowOpenUntil(now),
    now,
    messageId,
    v2Nonce,
  });
  return window === 'replayed_signature'
    ? { kind: 'replayed_signature', messageId }
    : outcome(window);
};

const applyReply = async (
  deps: Deps,
  message: Extract<InboundMessage, { kind: 'permission_reply' }>,
  v2Nonce: V2NonceUse | undefined,
): Promise<ReplyOutcome> => {
  const user = parsePhoneNumber(message.from);
  if (!user) return { kind: 'invalid_number', field: 'From' };
  const business = parsePhoneNumber(message.to);
  if (!business) return { kind: 'invalid_number', field: 'To' };
  if (!configuredNumber(deps.config, business.e164)) {
    return { kind: 'unknown_business_number' };
  }
  const now = deps.clock();
  const decision = decisionFromReply(message.reply, now, deps.config.rules);
  const outcome = await applyPermissionDecision(deps.db, {
    business: business.e164,
    user: user.e164,
    decision,
    now,
    messageUuid: message.messageId,
    sentAt: message.sentAt,
    v2Nonce,
  });
  return outcome === 'applied'
    ? { kind: 'applied', permission: decision.permission }
    : { kind: outcome };
};
