/**
 * The permission-reply parser at its edges: fields left empty, replies without a `type`, nesting at
 * the depth limit, what Meta's message around a reply may hold, and the exact reason an unreadable
 * payload is logged with. A reply is never read as a permanent grant unless it unambiguously says so.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';
import {
  accept,
  business,
  invalid,
  messageUuid,
  replyOf,
  temporary,
  unrecognized,
  user,
} from '../../support/permission-replies.js';

const envelope = { From: user, To: business, MessageUUID: messageUuid };

/** A message from the user that is no reply: it keeps the customer-service window open. */
const userMessage = (description: string) => ({
  kind: 'user_message',
  messageId: messageUuid,
  from: user,
  to: business,
  description,
});
const flattened = { type: 'call_permission_reply', ...accept };

const read = (body: Record<string, unknown>) => readInboundMessage(body);
const interactive = (value: unknown) => ({ ...envelope, Interactive: JSON.stringify(value) });

/** `n` objects around the flattened reply, each holding the next as `interactive`. */
const nested = (n: number): unknown => (n === 0 ? flattened : { interactive: nested(n - 1) });

describe('is_permanent: only an unambiguous true grants for good', () => {
  const anyCase = (word: string) =>
    fc
      .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
      .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

  it('property: "false" or "0" in any case, as text or JSON text, is a temporary grant', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyCase('false'), fc.constant('0')),
        fc.boolean(),
        (value, asJsonText) => {
          const reply = { response: 'accept', is_permanent: value };
          const body = asJsonText
            ? interactive({ type: 'call_permission_reply', call_permission_reply: reply })
            : { ...envelope, Interactive: { type: 'call_permission_reply', ...reply } };
          expect(replyOf(body).reply.isPermanent).toBe(false);
        },
      ),
    );
  });

  it('absent, it is a temporary grant with no expiry of its own', () => {
    expect(
      replyOf(interactive({ type: 'call_permission_reply', response: 'accept' })).reply,
    ).toStrictEqual({
      response: 'accept',
      isPermanent: false,
      responseSource: 'user_action',
    });
  });
});

describe('fields left empty are absent', () => {
  it.each([
    ['an empty Interactive (form body)', { Interactive: '' }],
    ['a null Interactive (JSON body)', { Interactive: null }],
    ['an empty Button', { Button: '' }],
    ['a null Button', { Button: null }],
    ['null Interactive and Button', { Interactive: null, Button: null }],
  ])('%s: a text is a text', (_, fields) => {
    expect(read({ ...envelope, ContentType: 'text', Body: 'hello', ...fields })).toEqual(
      userMessage('text'),
    );
  });

  it('an empty Interactive beside a reply in Button: the reply', () => {
    const button = JSON.stringify({ type: 'call_permission_reply', call_permission_reply: accept });
    expect(replyOf({ ...envelope, Interactive: '', Button: button }).reply).toEqual(temporary);
    expect(replyOf({ ...envelope, Interactive: null, Button: button }).reply).toEqual(temporary);
  });

  it('a delivery status is described by its status', () => {
    expect(read({ ...envelope, ContentType: '', Status: 'delivered' })).toEqual({
      kind: 'other',
      messageUuid,
      description: 'status delivered',
    });
  });

  it.each([[{ ContentType: 5 }], [{ Status: '' }], [{ ContentType: '', Status: '' }]])(
    'a user message with %o is described as unknown',
    (fields) => {
      expect(read({ ...envelope, ...fields })).toEqual(userMessage('unknown'));
    },
  );
});

describe('a reply without a type', () => {
  it('an object holding call_permission_reply is the reply, whatever its type says', () => {
    expect(replyOf(interactive({ call_permission_reply: accept })).reply).toEqual(temporary);
    expect(replyOf(interactive({ type: 5, call_permission_reply: accept })).reply).toEqual(
      temporary,
    );
  });

  it("an interactive object holding the reply's fields alone is the reply", () => {
    const fields = {
      response: 'accept',
      expiration_timestamp: 1767866400,
      response_source: 'automatic',
    };
    expect(replyOf(interactive(fields)).reply).toStrictEqual({
      response: 'accept',
      isPermanent: false,
      expirationTimestamp: 1767866400,
      responseSource: 'automatic',
    });
    expect(replyOf({ ...envelope, Interactive: { response: 'REJECT' } }).reply).toStrictEqual({
      response: 'reject',
      isPermanent: false,
      responseSource: 'user_action',
    });
    expect(
      replyOf(interactive({ isPermanent: 'true', Response: 'accept' })).reply.isPermanent,
    ).toBe(true);
    // Inside Meta's message as well: its interactive object.
    const message = { from: user, type: 'interactive', interactive: { response: 'accept' } };
    expect(replyOf(interactive(message)).reply).toEqual(temporary);
  });

  it('without a type, what the reply fields say must be read as they are', () => {
    expect(unrecognized(interactive({ response: 'later' })).reason).toBe(
      'call_permission_reply.response: must be "accept" or "reject"',
    );
    expect(unrecognized(interactive({ response: 'accept', is_permanent: 'yes' })).reason).toBe(
      'call_permission_reply.is_permanent: must be true or false',
    );
  });

  it('a quick-reply Button or a button_reply holding the fields is no reply', () => {
    expect(read(interactive({ type: 'button_reply', response: 'accept' })).kind).toBe(
      'user_message',
    );
    expect(read({ ...envelope, ContentType: 'button', Button: { response: 'accept' } })).toEqual(
      userMessage('button'),
    );
  });

  it.each([
    [{ is_permanent: true }, '(none)'],
    [{ response: 'accept', button_reply: { id: 'yes' } }, '(none)'],
    [{ response: 'accept', title: 'Accept' }, '(none)'],
    [{ type: 5, response: 'accept' }, '(none)'],
    [{ type: '', response: 'accept' }, '(none)'],
    [{ type: 'calendar_reply', calendar_reply: {} }, 'calendarreply'],
  ])('%o without the reply is an interactive message of type %s', (value, type) => {
    expect(unrecognized(interactive(value)).reason).toBe(
      `an interactive message of type "${type}"`,
    );
  });
});

describe("Meta's message around the reply", () => {
  const message = (inner: unknown, fields: object = {}) =>
    interactive({ from: user, type: 'interactive', interactive: inner, ...fields });

  it('its interactive object as JSON text', () => {
    expect(replyOf(message(JSON.stringify(flattened))).reply).toEqual(temporary);
  });

  it('around a button_reply is no permission reply; around an unknown kind it is unrecognized', () => {
    expect(read(message({ type: 'button_reply', button_reply: { id: '1' } })).kind).toBe(
      'user_message',
    );
    expect(unrecognized(message({ type: 'calendar_reply' })).reason).toBe(
      'an interactive message of type "calendarreply"',
    );
  });

  it('the user written another way than Plivo writes it is the same user', () => {
    const reply = replyOf({ ...message(flattened), From: `+91 98123 45678` });
    expect(reply.from).toBe('+91 98123 45678');
  });

  it.each([
    [
      'a user other than From',
      message(flattened, { from: '919800000000' }),
      "From differs from the number in Meta's message",
    ],
    [
      'two spellings of its user',
      message(flattened, { From: '919800000000' }),
      'from and From: sent twice with different values',
    ],
    [
      'a send time that is not a time',
      message(flattened, { timestamp: 'soon' }),
      'message.timestamp: must be a time',
    ],
  ])('%s is unrecognized', (_, body, reason) => {
    expect(unrecognized(body).reason).toBe(reason);
  });

  it("its message id is the dedupe key only in Meta's own webhook, not without a MessageUUID", () => {
    const { MessageUUID: _, ...withoutUuid } = message(flattened, { id: 'wamid.HBgLMTY1MDM4' });
    expect(invalid(withoutUuid)).toBe('MessageUUID: is required');
  });
});

describe("Meta's own webhook", () => {
  const webhook = (metadata: unknown, messageFields: object = {}) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        changes: [
          {
            field: 'messages',
            value: {
              metadata,
              contacts: null,
              messages: [
                {
                  from: user,
                  id: 'wamid.HBgLMTY1MDM4',
                  context: null,
                  type: 'interactive',
                  interactive: flattened,
                  ...messageFields,
                },
              ],
            },
          },
        ],
      },
    ],
  });

  it('null values anywhere are nothing, not an object to search', () => {
    expect(replyOf(webhook({ display_phone_number: business }))).toMatchObject({
      messageId: 'wamid.HBgLMTY1MDM4',
      from: user,
      to: business,
    });
  });

  it.each(['xwamid.HBgLMTY1MDM4', 'wamid.HBgLMTY1MDM4 x', 'wamid.'])(
    "a message id %j is not Meta's",
    (id) => {
      expect(invalid(webhook({ display_phone_number: business }, { id }))).toBe(
        'MessageUUID: is required',
      );
    },
  );

  it('a business number that is not text is not read: To comes from Plivo, or is missing', () => {
    const numeric = webhook({ display_phone_number: Number(business) });
    expect(replyOf({ ...numeric, To: business }).to).toBe(business);
    expect(invalid(numeric)).toBe('To: is required');
  });

  it("a message id that is not Meta's, or none, is no dedupe key", () => {
    expect(invalid(webhook({ display_phone_number: business }, { id: 'x' }))).toBe(
      'MessageUUID: is required',
    );
    expect(invalid(webhook({ display_phone_number: business }, { id: '' }))).toBe(
      'MessageUUID: is required',
    );
  });
});

describe('nesting', () => {
  it('a reply 12 levels deep is read, 13 levels deep is not', () => {
    expect(replyOf(interactive(nested(12))).reply).toEqual(temporary);
    expect(unrecognized(interactive(nested(13))).reason).toBe('nested more than 12 levels deep');
  });

  it('arrays count as levels too', () => {
    const inArrays = (n: number): unknown => (n === 0 ? flattened : [inArrays(n - 1)]);
    expect(replyOf(interactive({ list: inArrays(11) })).reply).toEqual(temporary);
    expect(unrecognized(interactive({ list: inArrays(12) })).reason).toBe(
      'nested more than 12 levels deep',
    );
  });
});

describe('the envelope', () => {
  it.each([
    [{ to: '918035737459' }, 'To and to: sent twice with different values'],
    [
      { messageUuid: '3f1c1f2e-0000-4000-8000-000000000002' },
      'MessageUUID and messageUuid: sent twice with different values',
    ],
  ])('%o beside its other spelling is a request Plivo did not send', (fields, message) => {
    expect(invalid({ ...interactive(flattened), ...fields })).toBe(message);
  });

  it.each([
    [{ From: '' }, 'From: is required'],
    [{ From: Number(user) }, 'From: must be text'],
    [{ To: '' }, 'To: is required'],
  ])('%o is refused', (fields, message) => {
    expect(invalid({ ...interactive(flattened), ...fields })).toBe(message);
  });
});

describe('the reason an unreadable reply is logged with', () => {
  const wrapped = (reply: unknown) =>
    interactive({ type: 'call_permission_reply', call_permission_reply: reply });

  it.each([
    ['a reply that is text', wrapped('accept'), 'call_permission_reply is not an object'],
    ['a reply that is a number', wrapped(5), 'call_permission_reply is not an object'],
    [
      'a field twice with different values',
      wrapped({ response: 'accept', is_permanent: false, isPermanent: true }),
      'is_permanent and isPermanent: sent twice with different values',
    ],
    [
      'two fields wrong',
      wrapped({ response: 'maybe', response_source: 'robot' }),
      'call_permission_reply.response: must be "accept" or "reject"; call_permission_reply.response_source: must be "user_action" or "automatic"',
    ],
    [
      'two different replies',
      {
        ...wrapped(accept),
        Button: JSON.stringify({ type: 'call_permission_reply', response: 'reject' }),
      },
      'two different replies in one message',
    ],
  ])('%s', (_, body, reason) => {
    expect(unrecognized(body).reason).toBe(reason);
  });

  it.each([
    ['is_permanent', { is_permanent: 'yes' }, 'must be true or false'],
    ['expiration_timestamp', { expiration_timestamp: 0 }, 'must be a time'],
    ['expiration_timestamp', { expiration_timestamp: '1767225600.1234567' }, 'must be a time'],
  ])('an unreadable %s: %o', (field, fields, message) => {
    expect(unrecognized(wrapped({ response: 'accept', ...fields })).reason).toBe(
      `call_permission_reply.${field}: ${message}`,
    );
  });

  it('a field twice with the same value is read once', () => {
    expect(
      replyOf(wrapped({ response: 'accept', is_permanent: true, isPermanent: true })).reply,
    ).toMatchObject({ isPermanent: true });
  });
});

describe('expiration_timestamp: seconds, or milliseconds past 10^11', () => {
  const expiry = (value: number) =>
    read(
      interactive({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', expiration_timestamp: value },
      }),
    );

  it('decimal text with up to six decimals is whole seconds', () => {
    expect(expiry('1767225600.25' as unknown as number)).toMatchObject({
      reply: { expirationTimestamp: 1767225600 },
    });
    expect(expiry('1767225600.999999' as unknown as number)).toMatchObject({
      reply: { expirationTimestamp: 1767225600 },
    });
  });

  it('10^11 itself is seconds, past the latest time; one more is milliseconds', () => {
    expect(expiry(1e11)).toMatchObject({
      kind: 'unrecognized',
      reason: 'call_permission_reply.expiration_timestamp: must be epoch seconds or milliseconds',
    });
    expect(expiry(1e11 + 1)).toMatchObject({
      kind: 'permission_reply',
      reply: { expirationTimestamp: 1e8 },
    });
    expect(expiry(99_999_999_999)).toMatchObject({
      kind: 'permission_reply',
      reply: { expirationTimestamp: 99_999_999_999 },
    });
  });
});

describe('the payload an unreadable message is logged with', () => {
  const bad = { type: 'call_permission_reply', call_permission_reply: { response: 'later' } };

  it('Interactive as sent: its text as is, an object as JSON', () => {
    const text = JSON.stringify(bad);
    expect(unrecognized({ ...envelope, Interactive: text }).payload).toBe(text);
    expect(unrecognized({ ...envelope, Interactive: bad }).payload).toBe(text);
    expect(unrecognized({ ...envelope, Interactive: 'not json' }).payload).toBe('not json');
  });

  it('every field that may hold a reply, one space apart; empty ones left out', () => {
    const text = JSON.stringify(bad);
    expect(unrecognized({ ...envelope, Interactive: text, Button: text }).payload).toBe(
      `${text} ${text}`,
    );
    expect(unrecognized({ ...envelope, Interactive: '', Button: text }).payload).toBe(text);
  });

  it('cut to 2,000 characters', () => {
    const long = JSON.stringify({ ...bad, note: 'x'.repeat(3000) });
    expect(unrecognized({ ...envelope, Interactive: long }).payload).toBe(long.slice(0, 2000));
  });

  it('a value JSON cannot print is logged as such, and the message still read', () => {
    const message = unrecognized({
      ...envelope,
      Interactive: { type: 'calendar_reply', count: 1n },
    });
    expect(message).toMatchObject({
      reason: 'an interactive message of type "calendarreply"',
      payload: '(not printable)',
    });
  });
});
