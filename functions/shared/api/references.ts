import * as z from 'zod';

/**
 * What the business's systems may attach to `POST /v1/calls`, `/v1/call-intents` and
 * `/v1/permission-requests`: a reference of their own (a ticket or contact id) and a few string values.
 * Both are stored with the call, intent or request and carried onto its events and views, so each is
 * bounded here, before anything is read or written.
 */

export const maxReferenceCharacters = 128;
export const maxMetadataKeys = 10;
export const maxMetadataKeyCharacters = 64;
/** Measured as the UTF-8 bytes of the metadata's JSON, as it is stored and sent on. */
export const maxMetadataBytes = 1024;

/** Control characters would break the log lines and CSV exports they reach; a lone surrogate is no UTF-8. */
const printable = /^[^\p{Cc}\p{Cs}]*$/u;

/** Characters as a reader counts them: an emoji is one, not two. */
const characters = (text: string) => [...text].length;

export const referenceSchema = z
  .string({ error: 'must be a string' })
  .refine(
    (text) =>
      characters(text) >= 1 && characters(text) <= maxReferenceCharacters && printable.test(text),
    `must be 1 to ${maxReferenceCharacters} characters without control characters`,
  );

const keyMessage = `a metadata key is 1 to ${maxMetadataKeyCharacters} of A-Z a-z 0-9 _ . : -, starting with a letter or digit`;

const metadataKeySchema = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,${maxMetadataKeyCharacters - 1}}$`), keyMessage);

/** zod's record drops a `__proto__` key without a word; it is refused like any key that breaks the rule. */
const noPrototypeKey = z
  .unknown()
  .refine(
    (value) => typeof value !== 'object' || value === null || !Object.hasOwn(value, '__proto__'),
    { message: keyMessage, path: ['__proto__'] },
  );

const metadataValueSchema = z
  .string({ error: 'a metadata value must be a string' })
  .regex(printable, 'a metadata value must not contain control characters');

export const metadataSchema = noPrototypeKey.pipe(
  z
    .record(metadataKeySchema, metadataValueSchema, {
      error: (issue) =>
        issue.code === 'invalid_key'
          ? keyMessage
          : 'must be an object of string keys to string values',
    })
    .refine(
      (metadata) => Object.keys(metadata).length <= maxMetadataKeys,
      `must have at most ${maxMetadataKeys} keys`,
    )
    .refine(
      (metadata) => Buffer.byteLength(JSON.stringify(metadata), 'utf8') <= maxMetadataBytes,
      `must be at most ${maxMetadataBytes} bytes as JSON (UTF-8)`,
    ),
);

/** The optional fields a request body adds (spread into its strict object). */
export const referenceFields = {
  reference: referenceSchema.optional(),
  metadata: metadataSchema.optional(),
};

/** The same fields as a call or intent shows them back (checked when written, so plain here). */
export const referenceViewFields = {
  reference: z
    .string()
    .optional()
    .meta({ description: 'The reference the request that made it attached.' }),
  metadata: z
    .record(z.string(), z.string())
    .optional()
    .meta({ description: 'The metadata the request that made it attached.' }),
};
