import { configuredNumber } from '../config/schema.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import type { InboundMessage } from '../plivo/permission-reply.js';
import { decisionFromReply, type PermissionDecision } from '../rules/permission.js';
import { applyPermissionDecision } from '../store/permission-reply.js';

export type PermissionReplyOutcome =
  | { readonly kind: 'applied'; readonly permission: PermissionDecision['permission'] }
  /** Plivo redelivered a reply already applied (same MessageUUID): nothing changed. */
  | { readonly kind: 'duplicate' }
  /** A V2 signature's nonce used before: a captured signature carrying a forged body. */
  | { readonly kind: 'replayed_signature' }
  | { readonly kind: 'invalid_number'; readonly field: 'From' | 'To' }
  | { readonly kind: 'unknown_business_number' };

/**
 * A user's call-permission reply (`From`) to a business number (`To`): the rules turn it into a
 * decision that replaces the pair's permission, applied once per message (and per V2 nonce).
 */
export const applyPermissionReply = async (
  deps: Deps,
  message: Extract<InboundMessage, { kind: 'permission_reply' }>,
  v2Nonce: string | undefined,
): Promise<PermissionReplyOutcome> => {
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
    messageUuid: message.messageUuid,
    v2Nonce,
  });
  return outcome === 'applied'
    ? { kind: 'applied', permission: decision.permission }
    : { kind: outcome };
};
