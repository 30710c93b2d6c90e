import { isBsuid } from '../users.js';
import { asObject, canonical, fieldsOf, isObject, type Json } from './reply-fields.js';

/**
 * Meta's `user_changed_user_id` (a system message on the messages webhook, August 2026): a user's
 * business-scoped user ID changed. Meta's system object carries `type: "user_changed_user_id"`,
 * `previous_user_id` and `previous_parent_user_id` beside the new values; it names no number. Plivo
 * documents no forwarding of it, so it is read in every unambiguous shape: Meta's webhook as the body
 * (`entry[].changes[].value.messages[].system`), or a `System` field (an object or its JSON text)
 * beside Plivo's `From`, `To` and `FromUserId`. The new BSUID is the system object's `user_id`, the
 * message's `from_user_id`, Plivo's `FromUserId` or a `From` that is one: each read where given, and
 * all must agree.
 */
export type UserIdChange =
  | {
      readonly kind: 'user_id_change';
      readonly previousUserId: string;
      readonly userId: string;
      /** The user's number, should the payload carry one (Meta says it does not). */
      readonly from?: string;
      /** The business number, as written (unvalidated). */
      readonly to?: string;
    }
  /** A user_changed_user_id that cannot be read without guessing: `reason` says why, for the log. */
  | { readonly kind: 'unreadable_user_id_change'; readonly reason: string };

/** The object of a `System` field or of Meta's message `system`, when its type is user_changed_user_id. */
const changeOf = (value: unknown): ReadonlyMap<string, unknown> | undefined => {
  const object = asObject(value);
  if (!object) return undefined;
  const { fields } = fieldsOf(object);
  const type = fields.get('type');
  return typeof type === 'string' && canonical(type) === 'userchangeduserid' ? fields : undefined;
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

interface Found {
  readonly system: ReadonlyMap<string, unknown>;
  readonly message?: ReadonlyMap<string, unknown>;
  readonly metadata?: ReadonlyMap<string, unknown>;
}

/** Meta's messages holding a user_changed_user_id, in `entry[].changes[].value.messages[]`. */
const inMetaWebhook = (entries: unknown): Found[] =>
  (Array.isArray(entries) ? entries : []).flatMap((entry) => {
    const changes = isObject(entry) ? fieldsOf(entry).fields.get('changes') : undefined;
    return (Array.isArray(changes) ? changes : []).flatMap((change) => {
      const value = isObject(change) ? fieldsOf(change).fields.get('value') : undefined;
      if (!isObject(value)) return [];
      const fields = fieldsOf(value).fields;
      const metadata = fields.get('metadata');
      const messages = fields.get('messages');
      return (Array.isArray(messages) ? messages : []).flatMap((message) => {
        if (!isObject(message)) return [];
        const messageFields = fieldsOf(message).fields;
        const system = changeOf(messageFields.get('system'));
        return system
          ? [
              {
                system,
                message: messageFields,
                ...(isObject(metadata) ? { metadata: fieldsOf(metadata).fields } : {}),
              },
            ]
          : [];
      });
    });
  });

/** Reads a user_changed_user_id from a message webhook's body; undefined when it holds none. */
export const readUserIdChange = (body: Json): UserIdChange | undefined => {
  const { fields: envelope } = fieldsOf(body);
  const plivo = changeOf(envelope.get('system'));
  const found: Found[] = plivo ? [{ system: plivo }] : inMetaWebhook(envelope.get('entry'));
  if (found.length === 0) return undefined;
  const unreadable = (reason: string): UserIdChange => ({
    kind: 'unreadable_user_id_change',
    reason,
  });
  if (found.length > 1) return unreadable('more than one user_changed_user_id in one webhook');
  const [{ system, message, metadata }] = found as [Found];
  const previousUserId = system.get('previoususerid');
  if (!isBsuid(previousUserId)) {
    return unreadable('previous_user_id is not a business-scoped user ID');
  }
  const plivoFrom = text(envelope.get('from'));
  const metaFrom = text(message?.get('from'));
  const candidates = [
    system.get('userid'),
    message?.get('fromuserid'),
    envelope.get('fromuserid'),
    ...[plivoFrom, metaFrom].filter(isBsuid),
  ].filter((id) => id !== undefined && id !== '');
  if (candidates.length === 0) return unreadable('no new business-scoped user ID');
  if (!candidates.every(isBsuid))
    return unreadable('the new user ID is not a business-scoped user ID');
  if (new Set(candidates).size > 1) return unreadable('two different new business-scoped user IDs');
  const userId = candidates[0] as string;
  if (userId === previousUserId) return unreadable('the new user ID is the previous one');
  const numbers = [plivoFrom, metaFrom].filter(
    (from): from is string => from !== undefined && !isBsuid(from),
  );
  if (new Set(numbers.map((from) => from.replace(/\D/g, ''))).size > 1) {
    return unreadable("From differs from the number in Meta's message");
  }
  const to = text(envelope.get('to')) ?? text(metadata?.get('displayphonenumber'));
  return {
    kind: 'user_id_change',
    previousUserId,
    userId,
    ...(numbers[0] === undefined ? {} : { from: numbers[0] }),
    ...(to === undefined ? {} : { to }),
  };
};
