import type { CallPermissionReply } from '../rules/permission.js';
import { isBsuid } from '../users.js';
import { type AccountUpdate, readAccountUpdate } from './account-update.js';
import {
  asObject,
  canonical,
  describe,
  fieldsOf,
  isObject,
  type Json,
  messageUuidSchema,
  metaContactSchema,
  metaMessageId,
  metaMessageSchema,
  replySchema,
  text,
  twice,
} from './reply-fields.js';
import { readUserIdChange, type UserIdChange } from './user-id-change.js';

/**
 * Recognises Meta's call_permission_reply in a Plivo message webhook. Plivo does not document how it
 * forwards it (docs/plivo-webhooks.md lists the shapes), so every unambiguous shape is read as the same
 * reply: in a field `Interactive` or `Button` (an object or its JSON text), as Meta's interactive object,
 * flattened into it, or inside Meta's whole message; or the body as Meta's own webhook
 * (`entry[].changes[].value.messages[]`). Keys are matched whatever their case and underscores
 * (`is_permanent`, `isPermanent`), and so are the enum values (`ACCEPT`). What looks like a reply, or
 * an interactive message of an unknown kind, but cannot be read without guessing is `unrecognized`:
 * the webhook answers it 200 (Plivo would retry a 4xx forever) and logs it. `invalid` is kept for what
 * Plivo never sends (a reply without `From`, `To` or `MessageUUID`). A user with a username may be
 * named by their business-scoped user ID alone (`userOf`): a reply then has a `userId` and no `from`.
 */

export type InboundMessage =
  | {
      readonly kind: 'permission_reply';
      /** The dedupe key: Plivo's MessageUUID, or Meta's message id when Meta's own webhook was forwarded. */
      readonly messageId: string;
      /**
       * The user number, as Plivo or Meta wrote it (unvalidated); absent when Meta left it out (a user
       * with a username), and then `userId` is there.
       */
      readonly from?: string;
      /** The user's business-scoped user ID (a BSUID by format), where the payload carries it. */
      readonly userId?: string;
      /** The parent BSUID (`CC.ENT.…`) shared by the business's portfolios, where carried: for the log. */
      readonly parentUserId?: string;
      /** The business number, as Plivo or Meta wrote it (unvalidated). */
      readonly to: string;
      /** When the user sent it (epoch ms): Meta's message `timestamp`, when the payload carries it. */
      readonly sentAt?: number;
      readonly reply: CallPermissionReply;
    }
  | {
      readonly kind: 'unrecognized';
      readonly messageUuid?: string;
      /** What could not be read, for the log. */
      readonly reason: string;
      /** The interactive payload as sent, cut short, for the log (which masks numbers). */
      readonly payload: string;
    }
  /**
   * A message the user sent to the business number that is no call-permission reply (text, media, a
   * button…): it keeps the customer-service window open. Plivo's own fields only, each given once;
   * a delivery status (`Status`) is never one.
   */
  | {
      readonly kind: 'user_message';
      /** Plivo's MessageUUID, lowercased: the dedupe key. */
      readonly messageId: string;
      /** The user, as Plivo wrote it (unvalidated): a number, or a BSUID for a user with a username. */
      readonly from: string;
      /** A BSUID beside `From` (`FromUserId`, any case or underscores), as sent: Plivo documents none. */
      readonly fromUserId?: unknown;
      /** The business number, as Plivo wrote it (unvalidated). */
      readonly to: string;
      /** For the log: Plivo's ContentType. */
      readonly description: string;
    }
  /** Meta's account_update (plivo/account-update.ts): a number's calling paused, or its call button hidden. */
  | ({ readonly kind: 'account_update' } & AccountUpdate)
  /** Meta's user_changed_user_id (plivo/user-id-change.ts): the user's BSUID changed. */
  | UserIdChange
  /** A reply Plivo would not send: `message` says what is wrong (for a 400). */
  | { readonly kind: 'invalid'; readonly message: string }
  | {
      readonly kind: 'other';
      readonly messageUuid?: string;
      /** For the log: Plivo's ContentType (text, media, button…) or a delivery status. */
      readonly description: string;
    };

/** Interactive types Meta documents that are not about call permission. */
const otherInteractiveTypes = new Set(['buttonreply', 'listreply', 'nfmreply']);

/** The reply's own fields: an interactive object holding these alone (so no `type`) is the reply. */
const replyFields = new Set(Object.keys(replySchema.shape));

const isTypelessReply = (fields: ReadonlyMap<string, unknown>): boolean =>
  fields.has('response') && [...fields.keys()].every((name) => replyFields.has(name));

/** Nothing Plivo or Meta nests goes deeper (Meta's webhook reaches the reply at 9). */
const maxDepth = 12;

interface Candidate {
  readonly reply: unknown;
  /** Meta's message around the reply, when the payload has it. */
  readonly message?: Json;
  /** Meta's webhook `value.metadata` (the business number), when the body is Meta's webhook. */
  readonly metadata?: Json;
  /** Meta's webhook `value.contacts` (the user's number and BSUID), when the body is Meta's webhook. */
  readonly contacts?: readonly unknown[];
}

interface Found {
  readonly candidates: Candidate[];
  /** The `type` of each interactive object seen that holds no reply. */
  readonly interactiveTypes: string[];
  problem?: string;
}

/**
 * Walks a payload for replies: an object with a `call_permission_reply` key holds one; an object whose
 * `type` is call_permission_reply without that key is one (flattened), and so is an interactive object
 * with no `type` that holds the reply's fields and nothing else. `interactive` marks the object holding
 * it as Meta's message.
 */
const search = (
  node: unknown,
  depth: number,
  context: Omit<Candidate, 'reply'>,
  found: Found,
  interactive: boolean,
): void => {
  if (depth > maxDepth) {
    found.problem ??= `nested more than ${maxDepth} levels deep`;
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) search(item, depth + 1, context, found, false);
    return;
  }
  const object = interactive ? asObject(node) : isObject(node) ? node : undefined;
  if (!object) return;
  const { fields, conflict } = fieldsOf(object);
  if (conflict) found.problem ??= twice(conflict);
  const type =
    typeof fields.get('type') === 'string' ? canonical(fields.get('type') as string) : '';
  const held = fields.get('callpermissionreply');
  if (
    held !== undefined ||
    type === 'callpermissionreply' ||
    (interactive && isTypelessReply(fields))
  ) {
    found.candidates.push({ ...context, reply: held ?? object });
    return;
  }
  const inner = {
    ...context,
    ...(fields.has('interactive') ? { message: object } : {}),
    ...(isObject(fields.get('metadata')) ? { metadata: fields.get('metadata') as Json } : {}),
    ...(Array.isArray(fields.get('contacts'))
      ? { contacts: fields.get('contacts') as readonly unknown[] }
      : {}),
  };
  if (interactive && !fields.has('interactive')) found.interactiveTypes.push(type);
  for (const [name, value] of fields) {
    search(value, depth + 1, inner, found, name === 'interactive');
  }
};

/** What the payload said, cut short: the logger masks the numbers in it. */
const payloadText = (sources: readonly unknown[]): string => {
  try {
    return sources
      .map((source) => (typeof source === 'string' ? source : JSON.stringify(source)))
      .join(' ')
      .slice(0, 2000);
  } catch {
    return '(not printable)';
  }
};

const digitsOf = (number: string): string => number.replace(/\D/g, '');

type PermissionReply = Extract<InboundMessage, { kind: 'permission_reply' }>;

/** One candidate read: a reply, a request Plivo would not send, or a payload that cannot be read. */
type CandidateRead =
  | PermissionReply
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'unreadable'; readonly reason: string };

/**
 * A number from Plivo's field (`From`, `To`) or, when the body is Meta's own webhook, from Meta's; when
 * both are sent they must name the same number.
 */
const numberOf = (
  field: 'From' | 'To',
  plivo: unknown,
  meta: string | undefined,
): string | Exclude<CandidateRead, PermissionReply> => {
  if (plivo === undefined) {
    return meta ?? { kind: 'invalid', message: `${field}: is required` };
  }
  const checked = text.safeParse(plivo);
  if (!checked.success) {
    // Stryker disable next-line OptionalChaining: a failed parse has an issue
    return { kind: 'invalid', message: `${field}: ${checked.error.issues[0]?.message}` };
  }
  return meta !== undefined && digitsOf(meta) !== digitsOf(checked.data)
    ? { kind: 'unreadable', reason: `${field} differs from the number in Meta's message` }
    : checked.data;
};

type MetaMessage = ReturnType<typeof metaMessageSchema.parse>;
type MetaContact = ReturnType<typeof metaContactSchema.parse>;

/**
 * The user's entry of Meta's `contacts`: the only one, or the one naming the message's sender. An
 * entry that cannot be read says nothing.
 */
const contactOf = (
  contacts: readonly unknown[] | undefined,
  message: MetaMessage,
): MetaContact | undefined => {
  const read = (contacts ?? []).flatMap((contact) => {
    const parsed = metaContactSchema.safeParse(
      Object.fromEntries(fieldsOf(isObject(contact) ? contact : {}).fields),
    );
    return parsed.success ? [parsed.data] : [];
  });
  if (read.length === 1) return read[0];
  return read.find(
    (contact) =>
      (contact.userid !== undefined && contact.userid === message.fromuserid) ||
      (contact.waid !== undefined &&
        message.from !== undefined &&
        digitsOf(contact.waid) === digitsOf(message.from)),
  );
};

/** The values given, each once, or the reason two of them disagree. */
const agreed = (
  values: readonly (string | undefined)[],
  same: (a: string, b: string) => boolean,
): string | undefined | { readonly differs: true } => {
  const given = values.filter((value): value is string => value !== undefined);
  const [first] = given;
  return given.every((value) => same(value, first as string)) ? first : { differs: true };
};

/**
 * Who replied: the user number from Plivo's `From`, Meta's message `from` or the contact's `wa_id`, and
 * the BSUID from a `From` that is one, Plivo's `FromUserId`, Meta's `from_user_id` or the contact's
 * `user_id`. Each read where given; two that disagree cannot be read without guessing. A user needs one
 * of the two.
 */
const userOf = (
  envelope: ReadonlyMap<string, unknown>,
  message: MetaMessage,
  contact: MetaContact | undefined,
):
  | { readonly from?: string; readonly userId?: string; readonly parentUserId?: string }
  | Exclude<CandidateRead, PermissionReply> => {
  const plivo = envelope.get('from');
  if (plivo !== undefined) {
    const checked = text.safeParse(plivo);
    // Stryker disable next-line OptionalChaining: a failed parse has an issue
    if (!checked.success)
      return { kind: 'invalid', message: `From: ${checked.error.issues[0]?.message}` };
  }
  const plivoFrom = typeof plivo === 'string' && plivo !== '' ? plivo : undefined;
  const plivoUserId = envelope.get('fromuserid');
  if (plivoUserId !== undefined && !isBsuid(plivoUserId)) {
    return { kind: 'unreadable', reason: 'FromUserId is not a business-scoped user ID' };
  }
  const ids = [plivoFrom, plivoUserId, message.fromuserid, contact?.userid].filter(
    (id): id is string => id !== undefined && isBsuid(id),
  );
  for (const [name, id] of [
    ['from_user_id', message.fromuserid],
    ['user_id', contact?.userid],
  ] as const) {
    if (id !== undefined && !isBsuid(id)) {
      return { kind: 'unreadable', reason: `${name} is not a business-scoped user ID` };
    }
  }
  const userId = agreed(ids, (a, b) => a === b);
  if (typeof userId === 'object') {
    return { kind: 'unreadable', reason: 'two different business-scoped user IDs in one reply' };
  }
  const number = agreed(
    [
      plivoFrom !== undefined && isBsuid(plivoFrom) ? undefined : plivoFrom,
      message.from,
      contact?.waid,
    ],
    (a, b) => digitsOf(a) === digitsOf(b),
  );
  if (typeof number === 'object') {
    return { kind: 'unreadable', reason: "From differs from the number in Meta's message" };
  }
  if (number === undefined && userId === undefined) {
    return { kind: 'invalid', message: 'From: is required' };
  }
  const parent = [
    envelope.get('fromparentuserid'),
    message.fromparentuserid,
    contact?.parentuserid,
  ].find((id): id is string => isBsuid(id));
  return {
    ...(number === undefined ? {} : { from: number }),
    ...(userId === undefined ? {} : { userId }),
    ...(parent === undefined ? {} : { parentUserId: parent }),
  };
};

/** One candidate as a reply with its envelope: Plivo's fields, checked against Meta's where both are sent. */
const readCandidate = (
  candidate: Candidate,
  envelope: ReadonlyMap<string, unknown>,
): CandidateRead => {
  const replyObject = asObject(candidate.reply);
  if (!replyObject) return { kind: 'unreadable', reason: 'call_permission_reply is not an object' };
  const reply = fieldsOf(replyObject);
  if (reply.conflict) return { kind: 'unreadable', reason: twice(reply.conflict) };
  const parsed = replySchema.safeParse(Object.fromEntries(reply.fields));
  if (!parsed.success) {
    return {
      kind: 'unreadable',
      reason: describe(parsed.error.issues, 'call_permission_reply', reply.written),
    };
  }
  const message = fieldsOf(candidate.message ?? {});
  const meta = metaMessageSchema.safeParse(Object.fromEntries(message.fields));
  if (!meta.success) {
    return { kind: 'unreadable', reason: describe(meta.error.issues, 'message', message.written) };
  }
  const business = fieldsOf(candidate.metadata ?? {}).fields.get('displayphonenumber');
  const user = userOf(envelope, meta.data, contactOf(candidate.contacts, meta.data));
  if ('kind' in user) return user;
  const to = numberOf(
    'To',
    envelope.get('to'),
    typeof business === 'string' ? business : undefined,
  );
  if (typeof to !== 'string') return to;

  const uuid = envelope.get('messageuuid');
  let messageId: string;
  if (uuid !== undefined) {
    const checked = messageUuidSchema.safeParse(uuid);
    if (!checked.success) return { kind: 'invalid', message: 'MessageUUID: must be a UUID' };
    // One dedupe key per message, whichever case the UUID was written in.
    messageId = checked.data.toLowerCase();
  } else if (candidate.metadata && meta.data.id && metaMessageId.test(meta.data.id)) {
    messageId = meta.data.id;
  } else {
    return { kind: 'invalid', message: 'MessageUUID: is required' };
  }

  const { response, ispermanent, expirationtimestamp, responsesource } = parsed.data;
  return {
    kind: 'permission_reply',
    messageId,
    ...user,
    to,
    ...(meta.data.timestamp === undefined ? {} : { sentAt: meta.data.timestamp * 1000 }),
    reply: {
      response,
      isPermanent: ispermanent ?? false,
      ...(expirationtimestamp === undefined ? {} : { expirationTimestamp: expirationtimestamp }),
      responseSource: responsesource ?? 'user_action',
    },
  };
};

/** Plivo's own fields of a reply: two spellings of one of them is a request Plivo did not send. */
const envelopeFields = new Set(['from', 'to', 'messageuuid']);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** A field left empty: absent, `null` (a JSON body) or `''` (a form body). */
const isEmpty = (value: unknown): boolean => value === undefined || value === null || value === '';

/** A message from the user in Plivo's fields, or undefined: a status, or a field missing or malformed. */
const userMessage = (envelope: ReadonlyMap<string, unknown>): InboundMessage | undefined => {
  if (!isEmpty(envelope.get('status'))) return undefined;
  const from = text.safeParse(envelope.get('from'));
  const to = text.safeParse(envelope.get('to'));
  const uuid = messageUuidSchema.safeParse(envelope.get('messageuuid'));
  if (!from.success || !to.success || !uuid.success) return undefined;
  const fromUserId = envelope.get('fromuserid');
  return {
    kind: 'user_message',
    messageId: uuid.data.toLowerCase(),
    from: from.data,
    ...(fromUserId === undefined ? {} : { fromUserId }),
    to: to.data,
    description: optionalString(envelope.get('contenttype')) ?? 'unknown',
  };
};

/** Reads a message webhook's body; never throws for what Plivo or a caller may send. */
export const readInboundMessage = (body: Json): InboundMessage => {
  const update = readAccountUpdate(body);
  if (update) return { kind: 'account_update', ...update };
  const userIdChange = readUserIdChange(body);
  if (userIdChange) return userIdChange;
  const { fields: envelope, conflict } = fieldsOf(body);
  const uuid = messageUuidSchema.safeParse(envelope.get('messageuuid'));
  const withUuid = uuid.success ? { messageUuid: uuid.data } : {};
  const other = (): InboundMessage => ({
    kind: 'other',
    ...withUuid,
    description:
      optionalString(envelope.get('contenttype')) ??
      (optionalString(envelope.get('status'))
        ? `status ${String(envelope.get('status'))}`
        : 'unknown'),
  });

  const interactive = envelope.get('interactive');
  const button = envelope.get('button');
  const metaWebhook = Array.isArray(envelope.get('entry')) ? envelope.get('entry') : undefined;
  const sources = [interactive, button, metaWebhook].filter((source) => !isEmpty(source));
  const unrecognized = (reason: string): InboundMessage => ({
    kind: 'unrecognized',
    ...withUuid,
    reason,
    payload: payloadText(sources),
  });

  const found: Found = { candidates: [], interactiveTypes: [] };
  if (!isEmpty(interactive)) {
    if (!asObject(interactive)) return unrecognized('Interactive is not a JSON object');
    search(interactive, 0, {}, found, true);
  }
  // A Button that is no JSON object, and a body without Meta's `entry`, hold no reply.
  search(asObject(button), 0, {}, found, false);
  // Stryker disable next-line BooleanLiteral: `entry` is an array, whose items are searched alike either way
  search(metaWebhook, 0, {}, found, false);
  if (found.problem !== undefined) return unrecognized(found.problem);

  if (found.candidates.length === 0) {
    const unknownType = found.interactiveTypes.find((type) => !otherInteractiveTypes.has(type));
    if (unknownType !== undefined) {
      return unrecognized(`an interactive message of type "${unknownType || '(none)'}"`);
    }
    return (!conflict && metaWebhook === undefined && userMessage(envelope)) || other();
  }
  if (conflict) {
    return envelopeFields.has(conflict.name)
      ? { kind: 'invalid', message: twice(conflict) }
      : unrecognized(twice(conflict));
  }
  const reads = found.candidates.map((candidate) => readCandidate(candidate, envelope));
  const invalid = reads.find((read) => read.kind === 'invalid');
  if (invalid) return invalid;
  const unreadable = reads.find((read) => read.kind === 'unreadable');
  if (unreadable) return unrecognized(unreadable.reason);
  // Stryker disable next-line MethodExpression,ConditionalExpression: what is left is replies: the other reads returned above
  const replies = reads.filter((read): read is PermissionReply => read.kind === 'permission_reply');
  const [first, ...more] = replies;
  // Stryker disable next-line ConditionalExpression,StringLiteral: there is a candidate, so a reply; the check narrows the type
  if (!first) return unrecognized('no reply could be read');
  const same = (reply: PermissionReply) => JSON.stringify(reply) === JSON.stringify(first);
  return more.every(same) ? first : unrecognized('two different replies in one message');
};
