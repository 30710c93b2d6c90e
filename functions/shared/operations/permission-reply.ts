import { configuredNumber } from '../config/numbers.js';
import type { Deps } from '../deps.js';
import { parsePhoneNumber } from '../numbers.js';
import type { AccountUpdateChange } from '../plivo/account-update.js';
import { type InboundMessage, readInboundMessage } from '../plivo/permission-reply.js';
import { windowOpenUntil } from '../rules/customer-service-window.js';
import {
  type CallingRestriction,
  isInForce,
  restrictedNumbers,
  restrictionFromUpdate,
} from '../rules/number-pause.js';
import {
  decisionFromReply,
  type PermissionDecision,
  pairExpiryAfterDecision,
} from '../rules/permission.js';
import { decisionAfterLink } from '../rules/user-link.js';
import { linkUser, reachableNumberOf, userKeyOf, userPairOf } from '../store/items/user-link.js';
import { applyAccountUpdate } from '../store/writes/account-update.js';
import {
  applyPermissionDecision,
  keepWindowOpenForMessage,
  type V2NonceUse,
} from '../store/writes/permission-reply.js';
import { webhookUserOf } from '../users.js';

/** The V2 nonce record the message webhook's middleware uses for a request that changed nothing. */
export { recordV2Nonce, type V2NonceUse } from '../store/writes/permission-reply.js';

/** What the webhook carried when it is no call-permission reply, or none Plivo would send. */
export type NotAPermissionReply = Exclude<
  InboundMessage,
  | { readonly kind: 'permission_reply' | 'account_update' }
  | { readonly kind: 'user_message' | 'user_id_change' | 'unreadable_user_id_change' }
>;

/** What Meta's user_changed_user_id did. */
export interface UserIdChangeOutcome {
  readonly kind: 'user_id_change';
  readonly applied: /** The new BSUID is linked to the user's number. */
    | 'linked'
    /** The previous BSUID is linked to no number: nothing written (`UserIdsIgnored`). */
    | 'previous_unlinked'
    /** Cannot be read without guessing: nothing written (`UserIdsIgnored`). */
    | 'unreadable'
    /** V2-signed, so its body is not: no link is written on its word (`UserIdsIgnored`). */
    | 'v2_signed'
    | 'unknown_business_number';
  readonly reason?: string;
}

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
    /** `From` is neither a number nor a BSUID, or `To` is no number: nothing recorded. */
    | 'invalid_number'
    | 'unknown_business_number';
}

/** What an account update did, change by change. */
export interface AccountUpdateApplied {
  readonly kind: 'account_update';
  readonly applied: readonly {
    readonly business: string;
    readonly restriction: CallingRestriction;
    readonly until: number;
    /** The update gave an end that cannot be read: Meta's full pause was assumed. */
    readonly untilAssumed: boolean;
  }[];
  /** Changes applied before (the same update redelivered). */
  readonly duplicates: number;
  /** Changes that name a number not configured here. */
  readonly unknownNumbers: number;
  /** Changes that name no number that can be read: every number they could be was restricted. */
  readonly numberUnknown: number;
  /** Changes whose restriction had ended before they arrived (a late delivery): nothing written. */
  readonly ended: number;
  readonly otherEvents: readonly string[];
  readonly unreadable: readonly string[];
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
  | UserIdChangeOutcome
  | AccountUpdateApplied
  | { readonly kind: 'replayed_signature' }
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
  if (message.kind === 'user_id_change' || message.kind === 'unreadable_user_id_change') {
    return applyUserIdChange(deps, message, v2Nonce);
  }
  if (message.kind === 'account_update') {
    const outcome = await applyUpdate(deps, message, v2Nonce);
    if (outcome.kind === 'account_update') {
      for (const _ of outcome.unreadable) {
        deps.metrics.count('AccountUpdatesIgnored', { reason: 'unreadable' });
      }
      for (let i = 0; i < outcome.unknownNumbers; i++) {
        deps.metrics.count('AccountUpdatesIgnored', { reason: 'unknown_business_number' });
      }
    }
    return outcome;
  }
  if (message.kind !== 'permission_reply') return message;
  return { ...(await applyReply(deps, message, v2Nonce)), messageId: message.messageId };
};

/**
 * A user's message to a configured business number keeps their customer-service window open, under
 * their one pair: a message naming the number and a BSUID links them first, as a reply naming both does;
 * one from a BSUID alone opens the window of the pair its link points to, else its own.
 */
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
  const user = webhookUserOf(message.from, [message.fromUserId]);
  const business = parsePhoneNumber(message.to);
  if (!user || !business) return outcome('invalid_number');
  if (!configuredNumber(deps.config, business.e164)) return outcome('unknown_business_number');
  if (user.ignored !== undefined) {
    deps.logger.warn('user message: the user is taken from From alone', {
      messageId,
      reason: user.ignored,
    });
    deps.metrics.count('UserIdsIgnored', { business: business.e164, reason: user.ignored });
  }
  const now = deps.clock();
  // V2 signs the URL and nonce, not the body: a link is written on a V3-signed message's word alone.
  const linkable = v2Nonce === undefined || user.number === undefined;
  const pair = await userPairOf(
    deps.db,
    {
      business: business.e164,
      number: user.number,
      userId: linkable ? user.userId : undefined,
      now,
    },
    decisionAfterLink,
  );
  const window = await keepWindowOpenForMessage(deps.db, {
    business: business.e164,
    user: pair.key,
    userId:
      pair.userId === undefined ? undefined : { id: pair.userId, keyed: pair.key === pair.userId },
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

/**
 * Meta's user_changed_user_id: the new BSUID is linked to the user's number, so the permission and
 * window found under the previous one are found under it. The number is the one the change names, else
 * the one the previous BSUID is linked to; a named number takes the previous BSUID's link too. A
 * previous BSUID linked to no number is left as it is: a link between two BSUIDs would be a BSUID
 * standing for a number everywhere a link is followed. Linking twice writes nothing more, so a
 * redelivery needs no dedupe.
 */
const applyUserIdChange = async (
  deps: Deps,
  change: Extract<InboundMessage, { kind: 'user_id_change' | 'unreadable_user_id_change' }>,
  v2Nonce: V2NonceUse | undefined,
): Promise<UserIdChangeOutcome> => {
  const ignored = (applied: 'previous_unlinked' | 'unreadable' | 'v2_signed', reason?: string) => {
    deps.metrics.count('UserIdsIgnored', { reason: `user_id_change_${applied}` });
    return { kind: 'user_id_change' as const, applied, ...(reason ? { reason } : {}) };
  };
  if (change.kind === 'unreadable_user_id_change') return ignored('unreadable', change.reason);
  if (v2Nonce) return ignored('v2_signed');
  const business = parsePhoneNumber(change.to);
  if (!business || !configuredNumber(deps.config, business.e164)) {
    return { kind: 'user_id_change', applied: 'unknown_business_number' };
  }
  const named = change.from === undefined ? undefined : parsePhoneNumber(change.from);
  if (change.from !== undefined && !named) return ignored('unreadable', 'From is no number');
  const now = deps.clock();
  const link = (number: string, userId: string) =>
    linkUser(
      deps.db,
      { business: business.e164, number, userId, now, pairExpiry: 'contact' },
      decisionAfterLink,
    );
  if (named) await link(named.e164, change.previousUserId);
  const number =
    named?.e164 ??
    (await reachableNumberOf(deps.db, business.e164, { id: change.previousUserId }, now));
  if (number === undefined) return ignored('previous_unlinked');
  await link(number, change.userId);
  return { kind: 'user_id_change', applied: 'linked' };
};

/** A lost race with a link moves the write to the number's pair: one more try is all it can take. */
const linkedRetries = 3;

/**
 * A reply names its user by number, by BSUID, or both. With both (V3-signed), the BSUID is linked to
 * the number first (`linkUser`: the number's pair takes what the BSUID's held), so the decision lands
 * on the one pair of that user; with a BSUID alone, on the pair its link points to, else on its own.
 */
const applyReply = async (
  deps: Deps,
  message: Extract<InboundMessage, { kind: 'permission_reply' }>,
  v2Nonce: V2NonceUse | undefined,
): Promise<ReplyOutcome> => {
  const number = message.from === undefined ? undefined : parsePhoneNumber(message.from);
  if (message.from !== undefined && !number) return { kind: 'invalid_number', field: 'From' };
  const business = parsePhoneNumber(message.to);
  if (!business) return { kind: 'invalid_number', field: 'To' };
  if (!configuredNumber(deps.config, business.e164)) {
    return { kind: 'unknown_business_number' };
  }
  const now = deps.clock();
  const decision = decisionFromReply(message.reply, now, deps.config.rules);
  // V2 signs the URL and nonce, not the body: a BSUID beside the number is taken (and linked) on a
  // V3-signed reply's word alone.
  const userId = number && v2Nonce !== undefined ? undefined : message.userId;
  if (number && userId !== undefined) {
    const pairExpiry = pairExpiryAfterDecision(decision, now);
    await linkUser(
      deps.db,
      { business: business.e164, number: number.e164, userId, now, pairExpiry },
      decisionAfterLink,
    );
  }
  for (let attempt = 1; ; attempt++) {
    const user = number?.e164 ?? (await userKeyOf(deps.db, business.e164, userId as string, now));
    const outcome = await applyPermissionDecision(deps.db, {
      business: business.e164,
      user,
      decision,
      now,
      messageUuid: message.messageId,
      sentAt: message.sentAt,
      v2Nonce,
      userId,
    });
    if (outcome === 'applied') return { kind: 'applied', permission: decision.permission };
    if (outcome !== 'linked') return { kind: outcome };
    if (attempt === linkedRetries) throw new Error('A permission reply: the user link kept moving');
  }
};

/** The business number a change names, as far as it can be read. */
const targetOf = (change: AccountUpdateChange) => {
  const parsed = change.number === undefined ? undefined : parsePhoneNumber(change.number);
  // A number written but unreadable says nothing of which number: as if none were named.
  return parsed ? { e164: parsed.e164 } : { phoneNumberId: change.phoneNumberId };
};

/**
 * Meta's account update: each calling restriction it sets is stored for the numbers it names, once per
 * update (a redelivery changes nothing). A change that names no number that can be read fails closed:
 * every configured number it could be is restricted, and an operator lifts what was wrong
 * (DELETE /v1/numbers/{business}/pause).
 */
const applyUpdate = async (
  deps: Deps,
  update: Extract<InboundMessage, { kind: 'account_update' }>,
  v2Nonce: V2NonceUse | undefined,
): Promise<AccountUpdateApplied | { readonly kind: 'replayed_signature' }> => {
  const now = deps.clock();
  const applied: AccountUpdateApplied['applied'][number][] = [];
  let duplicates = 0;
  let unknownNumbers = 0;
  let numberUnknown = 0;
  let ended = 0;
  let nonce = v2Nonce;
  for (const change of update.changes) {
    const target = targetOf(change);
    if (target.e164 === undefined && target.phoneNumberId === undefined) numberUnknown++;
    const numbers = restrictedNumbers(target, deps.config.numbers);
    if (numbers.length === 0) {
      unknownNumbers++;
      continue;
    }
    const restrictions = numbers.map((business) => restrictionFromUpdate(business, change, now));
    // A restriction over before it arrived would announce a pause (and raise its alarm) that no longer stands.
    if (!restrictions.some((restriction) => isInForce(restriction, now))) {
      ended++;
      continue;
    }
    const outcome = await applyAccountUpdate(deps.db, {
      updateId: change.updateId,
      restrictions,
      now,
      v2Nonce: nonce,
    });
    if (outcome.kind === 'replayed_signature') return outcome;
    // The nonce is recorded with the first change written (or found written before).
    nonce = undefined;
    if (outcome.kind === 'duplicate') {
      duplicates++;
      continue;
    }
    for (const restriction of restrictions) {
      if (!outcome.applied.includes(restriction.business)) continue;
      applied.push({
        business: restriction.business,
        restriction: restriction.restriction,
        until: restriction.until,
        untilAssumed: change.until === undefined,
      });
    }
  }
  return {
    kind: 'account_update',
    applied,
    duplicates,
    unknownNumbers,
    numberUnknown,
    ended,
    otherEvents: update.otherEvents,
    unreadable: update.unreadable,
  };
};
