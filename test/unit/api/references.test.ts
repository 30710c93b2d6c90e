import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  maxMetadataBytes,
  maxMetadataKeyCharacters,
  maxMetadataKeys,
  maxReferenceCharacters,
  metadataSchema,
  referenceFields,
  referenceSchema,
} from '../../../functions/shared/api/references.js';

/** A body as the routes read it: strict, the two fields beside the route's own. */
const body = z.strictObject({ ...referenceFields });

/** The 400 message the route answers (http/respond.ts joins the issues as `path: message`). */
const refusal = (input: unknown): string => {
  const result = body.safeParse(input);
  if (result.success) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

/** `count` keys whose JSON (`{"k00":"…",…}`) is exactly `bytes` bytes of UTF-8. */
const metadataOfBytes = (count: number, bytes: number): Record<string, string> => {
  const keys = Array.from({ length: count }, (_, i) => `k${String(i).padStart(2, '0')}`);
  const empty = JSON.stringify(Object.fromEntries(keys.map((k) => [k, ''])));
  const metadata = Object.fromEntries(keys.map((k) => [k, '']));
  metadata[keys[0] as string] = 'x'.repeat(bytes - empty.length);
  return metadata;
};

describe('reference', () => {
  it(`is 1 to ${maxReferenceCharacters} characters, counted as a reader counts them`, () => {
    expect(referenceSchema.parse('T')).toBe('T');
    expect(referenceSchema.parse('x'.repeat(128))).toBe('x'.repeat(128));
    // 128 emoji are 256 UTF-16 units, and one character each.
    expect(referenceSchema.parse('😀'.repeat(128))).toBe('😀'.repeat(128));
    expect(referenceSchema.parse('ticket 42 — Zürich')).toBe('ticket 42 — Zürich');
    expect(refusal({ reference: 'x'.repeat(129) })).toBe(
      'reference: must be 1 to 128 characters without control characters',
    );
    expect(refusal({ reference: '😀'.repeat(129) })).toMatch(/^reference: must be 1 to 128/);
    expect(refusal({ reference: '' })).toMatch(/^reference: must be 1 to 128/);
  });

  it('holds no control character nor a lone surrogate', () => {
    for (const reference of ['a\nb', 'a\tb', '\u0000', 'a\u007f', 'a\u0085', 'a\ud800']) {
      expect(refusal({ reference })).toMatch(/^reference: .*without control characters/);
    }
  });

  it('is a string', () => {
    for (const reference of [42, null, ['T-1'], { id: 'T-1' }]) {
      expect(refusal({ reference })).toBe('reference: must be a string');
    }
  });
});

describe('metadata', () => {
  it(`takes up to ${maxMetadataKeys} keys, and refuses the ${maxMetadataKeys + 1}th`, () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    expect(metadataSchema.parse(ten)).toEqual(ten);
    expect(refusal({ metadata: { ...ten, k10: 'v' } })).toBe('metadata: must have at most 10 keys');
    expect(metadataSchema.parse({})).toEqual({});
  });

  it(`is at most ${maxMetadataBytes} bytes as JSON, measured in UTF-8`, () => {
    const exact = metadataOfBytes(3, 1024);
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(1024);
    expect(metadataSchema.parse(exact)).toEqual(exact);
    const over = metadataOfBytes(3, 1025);
    expect(refusal({ metadata: over })).toBe(
      'metadata: must be at most 1024 bytes as JSON (UTF-8)',
    );
    expect(metadataSchema.parse(metadataOfBytes(10, 1023))).toBeDefined();
    // "é" is one character and two bytes: `{"a":""}` is 8, so 508 fill 1024 bytes and 509 pass them.
    expect(metadataSchema.parse({ a: 'é'.repeat(508) })).toEqual({ a: 'é'.repeat(508) });
    expect(refusal({ metadata: { a: 'é'.repeat(509) } })).toMatch(/at most 1024 bytes/);
  });

  it(`has keys of 1 to ${maxMetadataKeyCharacters} sane characters, a letter or digit first`, () => {
    const longest = `k${'x'.repeat(63)}`;
    expect(
      metadataSchema.parse({ [longest]: 'v', 'crm.id': 'v', 'a_b:c-d': 'v', '9': 'v' }),
    ).toEqual({ [longest]: 'v', 'crm.id': 'v', 'a_b:c-d': 'v', '9': 'v' });
    for (const key of [`${longest}x`, '', '_x', '-x', 'a b', 'a/b', 'é', 'a\nb']) {
      expect(refusal({ metadata: { [key]: 'v' } })).toBe(
        `metadata.${key}: a metadata key is 1 to 64 of A-Z a-z 0-9 _ . : -, starting with a letter or digit`,
      );
    }
  });

  it('refuses a __proto__ key, which would otherwise be dropped without a word', () => {
    expect(refusal(JSON.parse('{"metadata":{"__proto__":"x","ok":"y"}}'))).toMatch(
      /^metadata\.__proto__: a metadata key is/,
    );
    // Other names of Object.prototype are ordinary keys.
    expect(metadataSchema.parse(JSON.parse('{"constructor":"x","toString":"y"}'))).toEqual({
      constructor: 'x',
      toString: 'y',
    });
  });

  it('has string values without control characters', () => {
    expect(metadataSchema.parse({ a: '' })).toEqual({ a: '' });
    expect(refusal({ metadata: { a: 1 } })).toBe('metadata.a: a metadata value must be a string');
    expect(refusal({ metadata: { a: { b: 'c' } } })).toBe(
      'metadata.a: a metadata value must be a string',
    );
    expect(refusal({ metadata: { a: 'x\r\ny' } })).toBe(
      'metadata.a: a metadata value must not contain control characters',
    );
  });

  it('is an object', () => {
    for (const metadata of [null, 'a=b', ['a'], 3]) {
      expect(refusal({ metadata })).toBe(
        'metadata: must be an object of string keys to string values',
      );
    }
  });
});
