import { createHash } from 'node:crypto';
import type { CallingRestriction, RestrictionUpdate } from '../rules/number-pause.js';
import {
  asObject,
  canonical,
  fieldsOf,
  isObject,
  type Json,
  messageUuidSchema,
} from './reply-fields.js';

/**
 * Recognises Meta's account_update webhook in a Plivo message webhook. Plivo documents no account
 * update (docs/plivo-webhooks.md#account-updates lists the shapes), so each shape it may forward is read
 * alike: Meta's whole webhook (`entry[].changes[]` with `field: "account_update"`), one change
 * (`field` and `value`), its `value` alone or flattened into Plivo's fields beside `field`/`type`/
 * `event_type: "account_update"`, or any of those as the JSON text (or object) of one field. Keys match
 * whatever their case and underscores. Only updates about calling restrict anything: a restriction
 * type or event that names a call button or icon hides it, any other that names calling pauses calls.
 */

/** One calling restriction an update sets, and how it names its business number. */
export interface AccountUpdateChange extends RestrictionUpdate {
  /** The dedupe key: Plivo's MessageUUID, or a digest of Meta's change (which carries no id). */
  readonly updateId: string;
  /** The display number as written (unvalidated), where the payload has one. */
  readonly number?: string | undefined;
  readonly phoneNumberId?: string | undefined;
  /** The end was given but could not be read (the store assumes Meta's full pause). */
  readonly untilUnreadable?: boolean;
}

export interface AccountUpdate {
  /** The calling restrictions the update sets: none when it is about something else. */
  readonly changes: readonly AccountUpdateChange[];
  /** Meta's events seen that set no calling restriction, for the log. */
  readonly otherEvents: readonly string[];
  /** Updates that are about calling but cannot be read, for the log (cut short). */
  readonly unreadable: readonly string[];
}

const accountUpdate = 'accountupdate';

/** Nothing Plivo or Meta nests goes deeper (Meta's webhook reaches a restriction at 7). */
const maxDepth = 10;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** Epoch seconds or milliseconds (as number or digits), or an ISO 8601 time, in epoch ms. */
export const timeOf = (value: unknown): number | undefined => {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,16}(\.\d{1,6})?$/.test(value.trim())
        ? Number(value)
        : undefined;
  if (number !== undefined) {
    if (!Number.isFinite(number) || number <= 0) return undefined;
    // Anything past 10^11 seconds (the year 5138) is milliseconds.
    return Math.floor(number > 1e11 ? number : number * 1000);
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) return undefined;
  const parsed = Date.parse(value.trim());
  return Number.isNaN(parsed) ? undefined : parsed;
};

/** What a restriction type or event says about calling, if anything. */
export const callingRestriction = (name: string): CallingRestriction | undefined => {
  const key = canonical(name);
  if (/call(ing)?(button|icon)/.test(key)) return 'call_button_hidden';
  return key.includes('call') ? 'calls_paused' : undefined;
};

interface Candidate {
  /** The account update's value: Meta's `value`, or the fields around a flattened one. */
  readonly value: Json;
  /** Meta's entry time, where the webhook has it. */
  readonly entryTime?: unknown;
  /** Why the value cannot be read, when it cannot. */
  readonly problem?: string;
}

const isAccountUpdateName = (value: unknown): boolean =>
  typeof value === 'string' && canonical(value) === accountUpdate;

/** The value's fields that hold Meta's restrictions: an array, one object, or the JSON text of either. */
const restrictionsOf = (fields: ReadonlyMap<string, unknown>): unknown[] => {
  const held = fields.get('restrictioninfo') ?? fields.get('restrictions');
  const parsed = typeof held === 'string' ? parseJson(held) : held;
  if (Array.isArray(parsed)) return parsed;
  return parsed === undefined ? [] : [parsed];
};

const parseJson = (source: string): unknown => {
  try {
    return JSON.parse(source);
  } catch {
    return source;
  }
};

const search = (node: unknown, depth: number, found: Candidate[]): void => {
  if (depth > maxDepth) return;
  if (Array.isArray(node)) {
    for (const item of node) search(item, depth + 1, found);
    return;
  }
  const object = depth === 0 ? (isObject(node) ? node : undefined) : asObject(node);
  if (!object) return;
  const { fields } = fieldsOf(object);
  const held = fields.get('entry');
  // A form carries Meta's `entry` as JSON text.
  const entries = typeof held === 'string' ? parseJson(held) : held;
  if (Array.isArray(entries)) {
    for (const entry of entries) {
      const entryFields = isObject(entry) ? fieldsOf(entry).fields : undefined;
      const changes = entryFields?.get('changes');
      if (!Array.isArray(changes)) continue;
      for (const change of changes) {
        const changeFields = isObject(change) ? fieldsOf(change).fields : undefined;
        if (!changeFields || !isAccountUpdateName(changeFields.get('field'))) continue;
        const value = asObject(changeFields.get('value'));
        found.push(
          value
            ? { value, entryTime: entryFields?.get('time') }
            : { value: {}, problem: 'its value is not an object' },
        );
      }
    }
    return;
  }
  const named = ['field', 'type', 'eventtype'].some((name) =>
    isAccountUpdateName(fields.get(name)),
  );
  if (named) {
    // One change with its value, or the value's fields flattened beside the name.
    found.push({ value: asObject(fields.get('value')) ?? object });
    return;
  }
  for (const [name, value] of fields) {
    if (name === 'value' || typeof value === 'object' || typeof value === 'string') {
      search(value, depth + 1, found);
    }
  }
};

interface Read {
  readonly changes: AccountUpdateChange[];
  readonly otherEvents: string[];
  readonly unreadable: string[];
}

const digest = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 32);

/**
 * What tells one change from another when no MessageUUID does: Meta's entry time and value, and the
 * number Plivo forwarded it for, since one value that names no number may reach each number alike.
 */
const changeIdentity = (candidate: Candidate, plivoTo: string | undefined): unknown[] =>
  plivoTo === undefined
    ? [candidate.entryTime, candidate.value]
    : [candidate.entryTime, candidate.value, plivoTo];

/** Meta's number fields, in the value or its `metadata`. */
const numberFields = (fields: ReadonlyMap<string, unknown>) => {
  const metadata = isObject(fields.get('metadata'))
    ? fieldsOf(fields.get('metadata') as Json).fields
    : new Map<string, unknown>();
  const pick = (...names: string[]) =>
    names.map((name) => fields.get(name) ?? metadata.get(name)).find((v) => v !== undefined);
  const number = pick('phonenumber', 'displayphonenumber');
  const id = pick('phonenumberid');
  return {
    number: typeof number === 'number' ? String(number) : text(number),
    phoneNumberId: typeof id === 'number' ? String(id) : text(id),
  };
};

const readCandidate = (
  candidate: Candidate,
  envelope: ReadonlyMap<string, unknown>,
  messageUuid: string | undefined,
  index: number,
  read: Read,
): void => {
  if (candidate.problem !== undefined) {
    read.unreadable.push(`account_update: ${candidate.problem}`);
    return;
  }
  const { fields } = fieldsOf(candidate.value);
  const event = text(fields.get('event')) ?? '';
  const restrictions = restrictionsOf(fields);
  const named: { restriction: CallingRestriction; reason: string; expiration: unknown }[] = [];
  for (const item of restrictions) {
    const itemFields = isObject(item) ? fieldsOf(item).fields : undefined;
    const type = text(itemFields?.get('restrictiontype'));
    const restriction = type === undefined ? undefined : callingRestriction(type);
    if (restriction && type) {
      named.push({ restriction, reason: type, expiration: itemFields?.get('expiration') });
    }
  }
  const eventRestriction = callingRestriction(event);
  if (named.length === 0 && eventRestriction) {
    named.push({
      restriction: eventRestriction,
      reason: text(fields.get('reason')) ?? event,
      expiration:
        fields.get('expiration') ??
        fields.get('expirationtimestamp') ??
        fields.get('until') ??
        fields.get('endtime'),
    });
  }
  if (named.length === 0) {
    if (restrictions.some((item) => !isObject(item))) {
      read.unreadable.push(`account_update ${event || '(no event)'}: restriction_info unreadable`);
    } else {
      read.otherEvents.push(event || '(no event)');
    }
    return;
  }
  const { number, phoneNumberId } = numberFields(fields);
  const plivoTo = text(envelope.get('to'));
  const since =
    timeOf(candidate.entryTime) ?? timeOf(fields.get('timestamp')) ?? timeOf(fields.get('time'));
  named.forEach((restriction, position) => {
    const until = timeOf(restriction.expiration);
    read.changes.push({
      updateId:
        messageUuid === undefined
          ? `account_update#${digest(changeIdentity(candidate, plivoTo))}#${position}`
          : `${messageUuid}#${index}#${position}`,
      restriction: restriction.restriction,
      reason: restriction.reason.slice(0, 200),
      since,
      until,
      ...(restriction.expiration !== undefined && until === undefined
        ? { untilUnreadable: true }
        : {}),
      number: number ?? plivoTo,
      phoneNumberId,
    });
  });
};

/** The account update a message webhook carries, or undefined when it carries none. */
export const readAccountUpdate = (body: Json): AccountUpdate | undefined => {
  const found: Candidate[] = [];
  search(body, 0, found);
  if (found.length === 0) return undefined;
  const { fields: envelope } = fieldsOf(body);
  const uuid = messageUuidSchema.safeParse(envelope.get('messageuuid'));
  const messageUuid = uuid.success ? uuid.data.toLowerCase() : undefined;
  const read: Read = { changes: [], otherEvents: [], unreadable: [] };
  found.forEach((candidate, index) => {
    readCandidate(candidate, envelope, messageUuid, index, read);
  });
  return read;
};
