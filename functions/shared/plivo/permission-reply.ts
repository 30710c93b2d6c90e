import * as z from 'zod';
import type { CallPermissionReply } from '../rules/permission.js';

/**
 * Recognises Meta's call_permission_reply in a Plivo message webhook. Plivo does not document where it
 * forwards it (docs/plivo-webhooks.md), so it is looked for in a field `Interactive` or `interactive`, holding the
 * object or its JSON text, in a form or JSON body; the object may also be Meta's whole message
 * (`{ type: 'interactive', interactive: { … } }`). Every other message is `other`.
 */

export type InboundMessage =
  | {
      readonly kind: 'permission_reply';
      readonly messageUuid?: string;
      /** The user number, as Plivo wrote it (unvalidated). */
      readonly from: string;
      /** The business number, as Plivo wrote it (unvalidated). */
      readonly to: string;
      readonly reply: CallPermissionReply;
    }
  /** A call-permission reply callgate cannot read: `message` says what is wrong (for a 400). */
  | { readonly kind: 'invalid'; readonly message: string }
  | {
      readonly kind: 'other';
      readonly messageUuid?: string;
      /** For the log: Plivo's ContentType (text, media, button…) or a delivery status. */
      readonly description: string;
    };

const booleanLike = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((value) => value === 'true'),
]);

const epochSeconds = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^\d{1,12}$/, 'must be epoch seconds')
      .transform(Number),
  ])
  .pipe(
    z
      .number()
      .int('must be whole epoch seconds')
      .positive()
      // Epoch milliseconds would be read as a date thousands of years ahead.
      .max(99_999_999_999, 'must be epoch seconds, not milliseconds'),
  );

const replySchema = z.object({
  response: z.enum(['accept', 'reject'], 'must be "accept" or "reject"'),
  is_permanent: booleanLike.optional(),
  expiration_timestamp: epochSeconds.optional(),
  response_source: z
    .enum(['user_action', 'automatic'], 'must be "user_action" or "automatic"')
    .optional(),
});

const envelopeSchema = z.object({
  From: z.string('is required').min(1, 'is required'),
  To: z.string('is required').min(1, 'is required'),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const describe = (issues: readonly z.core.$ZodIssue[], prefix?: string): string =>
  issues
    .map((issue) => {
      const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.');
      return `${path || 'body'}: ${issue.message}`;
    })
    .join('; ');

const invalid = (message: string): InboundMessage => ({ kind: 'invalid', message });

/** A call_permission_reply that has no reply object in it: the only way `findReply` fails. */
const missingReply = Symbol('missing call_permission_reply');

/** The call_permission_reply object inside an interactive object, if it is one. */
const findReply = (interactive: Record<string, unknown>): unknown => {
  if (interactive.type === 'call_permission_reply' || 'call_permission_reply' in interactive) {
    return 'call_permission_reply' in interactive
      ? interactive.call_permission_reply
      : missingReply;
  }
  // Meta's whole message object: `{ type: 'interactive', interactive: {…} }`.
  return isObject(interactive.interactive) ? findReply(interactive.interactive) : undefined;
};

const interactiveField = (body: Readonly<Record<string, unknown>>): unknown =>
  body.Interactive ?? body.interactive;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Reads a message webhook's body; never throws for what Plivo or a caller may send. */
export const readInboundMessage = (body: Readonly<Record<string, unknown>>): InboundMessage => {
  const messageUuid = optionalString(body.MessageUUID);
  const withUuid = messageUuid ? { messageUuid } : {};
  const other = (): InboundMessage => ({
    kind: 'other',
    ...withUuid,
    description:
      optionalString(body.ContentType) ??
      (optionalString(body.Status) ? `status ${String(body.Status)}` : 'unknown'),
  });
  const raw = interactiveField(body);
  if (raw === undefined || raw === '') return other();
  const interactive = typeof raw === 'string' ? parseJson(raw) : raw;
  if (interactive === undefined) return invalid('Interactive is not valid JSON');
  if (!isObject(interactive)) return invalid('Interactive must be a JSON object');
  const reply = findReply(interactive);
  if (reply === missingReply) {
    return invalid('Interactive.call_permission_reply is missing from a call_permission_reply');
  }
  // Another interactive message (a button or list reply): not about call permission.
  if (reply === undefined) return other();
  const parsedReply = replySchema.safeParse(reply);
  if (!parsedReply.success) {
    return invalid(describe(parsedReply.error.issues, 'Interactive.call_permission_reply'));
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return invalid(describe(envelope.error.issues));
  const { response, is_permanent, expiration_timestamp, response_source } = parsedReply.data;
  return {
    kind: 'permission_reply',
    ...withUuid,
    from: envelope.data.From,
    to: envelope.data.To,
    reply: {
      response,
      isPermanent: is_permanent ?? false,
      ...(expiration_timestamp === undefined ? {} : { expirationTimestamp: expiration_timestamp }),
      responseSource: response_source ?? 'user_action',
    },
  };
};
