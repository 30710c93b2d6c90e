import * as z from 'zod';

/**
 * The fields of a call-permission reply, however Plivo or Meta spell them: keys compared without case,
 * `_` or `-` (`is_permanent`, `isPermanent`), values in any case, booleans and times in every spelling
 * seen. Used by plivo/permission-reply.ts, which finds the reply in a webhook's body.
 */

export type Json = Readonly<Record<string, unknown>>;

/** Meta's and Plivo's spellings of one key (`is_permanent`, `isPermanent`) compare equal. */
export const canonical = (text: string): string => text.replace(/[_-]/g, '').toLowerCase();

export const isObject = (value: unknown): value is Json =>
  // Stryker disable next-line ConditionalExpression: null is falsy, and every caller tests the object it got
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Fields {
  readonly fields: ReadonlyMap<string, unknown>;
  /** Each canonical key as it was written, for messages. */
  readonly written: ReadonlyMap<string, string>;
  /** A key written in two spellings with different values (ambiguous): its canonical name and both spellings. */
  readonly conflict?: { readonly name: string; readonly spellings: string };
}

/** An object's fields by canonical key. Maps, not object literals: a key such as `__proto__` stays data. */
export const fieldsOf = (object: Json): Fields => {
  const fields = new Map<string, unknown>();
  const spelling = new Map<string, string>();
  let conflict: Fields['conflict'];
  for (const [key, value] of Object.entries(object)) {
    const name = canonical(key);
    if (fields.has(name) && fields.get(name) !== value) {
      conflict ??= { name, spellings: `${spelling.get(name)} and ${key}` };
    }
    fields.set(name, value);
    spelling.set(name, key);
  }
  return { fields, written: spelling, conflict };
};

export const twice = (conflict: NonNullable<Fields['conflict']>) =>
  `${conflict.spellings}: sent twice with different values`;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } /* Stryker disable next-line BlockStatement: an empty catch returns undefined too */ catch {
    return undefined;
  }
};

/** An object, or the JSON text of one (a form field, or a value Plivo serialised). */
export const asObject = (value: unknown): Json | undefined => {
  const parsed = typeof value === 'string' ? parseJson(value) : value;
  return isObject(parsed) ? parsed : undefined;
};

const enumValue = <const T extends readonly [string, ...string[]]>(values: T, message: string) =>
  z
    .string(message)
    .transform(canonical)
    .pipe(z.enum(values.map(canonical) as [string, ...string[]], message))
    .transform((value) => values.find((v) => canonical(v) === value) as T[number]);

const booleanValue = z.union(
  [
    z.boolean(),
    z.literal([0, 1]).transform((value) => value === 1),
    z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0']))
      .transform((value) => value === 'true' || value === '1'),
  ],
  'must be true or false',
);

/**
 * Epoch seconds, also written as milliseconds (anything past 10^11 seconds, the year 5138, is
 * milliseconds) or as decimal text (`"1767225600.0"`).
 */
const epochSeconds = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\d{1,16}(\.\d{1,6})?$/)
        .transform(Number),
    ],
    'must be a time',
  )
  .pipe(z.number('must be a time').positive('must be a time').finite('must be a time'))
  .transform((value) => Math.floor(value > 1e11 ? value / 1000 : value))
  .pipe(z.number().max(99_999_999_999, 'must be epoch seconds or milliseconds'));

/** The reply's fields by canonical key. */
export const replySchema = z.object({
  response: enumValue(['accept', 'reject'], 'must be "accept" or "reject"'),
  ispermanent: booleanValue.optional(),
  expirationtimestamp: epochSeconds.optional(),
  responsesource: enumValue(
    ['user_action', 'automatic'],
    'must be "user_action" or "automatic"',
  ).optional(),
});

/** Meta's message around a reply (the object holding `interactive`), by canonical key. */
export const metaMessageSchema = z.object({
  from: z.string().min(1).optional(),
  /** The user's business-scoped user ID (BSUID), and its parent's when the business has one. */
  fromuserid: z.string().min(1).optional(),
  fromparentuserid: z.string().min(1).optional(),
  id: z.string().optional(),
  timestamp: epochSeconds.optional(),
});

/** Meta's webhook `value.contacts[]` entry: the user's number (`wa_id`, may be absent) and BSUID. */
export const metaContactSchema = z.object({
  waid: z.string().min(1).optional(),
  userid: z.string().min(1).optional(),
  parentuserid: z.string().min(1).optional(),
});

export const text = z.string('must be text').min(1, 'is required');

/** Plivo's identifiers are UUIDs in any case; `z.guid` checks exactly the 8-4-4-4-12 hex form. */
export const messageUuidSchema = z.guid('must be a UUID');

/** Meta's message id, used as the dedupe key only when Meta's own webhook was forwarded. */
export const metaMessageId = /^wamid\.[A-Za-z0-9+/=_-]{1,512}$/;

export const describe = (
  issues: readonly z.core.$ZodIssue[],
  prefix: string,
  written: ReadonlyMap<string, string>,
): string =>
  issues
    .map((issue) => {
      const path = issue.path.map((key) => written.get(String(key)) ?? String(key));
      return `${[prefix, ...path].join('.')}: ${issue.message}`;
    })
    .join('; ');
