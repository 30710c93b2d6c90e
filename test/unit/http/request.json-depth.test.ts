import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/shared/http/errors.js';
import { maxJsonDepth, parseRequest } from '../../../functions/shared/http/request.js';
import { toPayloadV2Event } from '../../../local/event.js';

const jsonEvent = (text: string) =>
  toPayloadV2Event(
    {
      method: 'POST',
      url: new URL('http://localhost:3000/v1/calls'),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(text, 'utf8'),
      sourceIp: '127.0.0.1',
    },
    'POST /v1/calls',
    {},
    new Date(0),
  );

/** A body whose deepest value sits `depth` objects or arrays down (the body itself is level 1). */
const nestedBody = (depth: number, open = '{"a":', close = '}') =>
  `{"x":${open.repeat(depth - 1)}1${close.repeat(depth - 1)}}`;

const refusalOf = (text: string): HttpError | undefined => {
  try {
    parseRequest(jsonEvent(text));
    return undefined;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
};

describe('JSON nesting bound', () => {
  it(`takes ${maxJsonDepth} levels and refuses ${maxJsonDepth + 1}, objects and arrays alike`, () => {
    for (const [open, close] of [
      ['{"a":', '}'],
      ['[', ']'],
    ] as const) {
      expect(refusalOf(nestedBody(maxJsonDepth, open, close))).toBeUndefined();
      const refusal = refusalOf(nestedBody(maxJsonDepth + 1, open, close));
      expect(refusal?.status).toBe(400);
      expect(refusal?.code).toBe('invalid_request');
    }
  });

  it('refuses 5,000 levels with 400 instead of overflowing the stack', () => {
    expect(refusalOf(nestedBody(5000))?.status).toBe(400);
    expect(refusalOf(nestedBody(5000, '[', ']'))?.status).toBe(400);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ x: `${'{['.repeat(100)} \\" "${'['.repeat(100)}` });
    expect(refusalOf(text)).toBeUndefined();
    expect(parseRequest(jsonEvent(text)).body).toEqual(JSON.parse(text));
  });
});
