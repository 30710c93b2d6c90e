/**
 * Plivo does not document how it forwards Meta's call_permission_reply (docs/plivo-webhooks.md): every
 * unambiguous shape it might take is read as the same reply, and what cannot be read is reported as
 * unrecognized (answered 200 and logged) rather than guessed at.
 */
import { describe, expect, it } from 'vitest';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';
import {
  accept,
  business,
  envelope,
  interactive,
  messageUuid,
  replyOf,
  temporary,
  unrecognized,
  user,
} from '../../support/permission-replies.js';

const read = (body: Record<string, unknown>) => readInboundMessage(body);

describe('every unambiguous shape of the same reply', () => {
  it.each([
    [
      'the documented shape',
      interactive({ type: 'call_permission_reply', call_permission_reply: accept }),
    ],
    [
      'the reply flattened into Interactive',
      interactive({ type: 'call_permission_reply', ...accept }),
    ],
    [
      'camelCase keys',
      interactive({
        type: 'call_permission_reply',
        callPermissionReply: {
          response: 'accept',
          isPermanent: false,
          responseSource: 'user_action',
        },
      }),
    ],
    [
      'enum values in upper case',
      interactive({
        type: 'CALL_PERMISSION_REPLY',
        call_permission_reply: { response: 'ACCEPT', response_source: 'USER_ACTION' },
      }),
    ],
    [
      'booleans as text, in any case',
      interactive({
        type: 'call_permission_reply',
        call_permission_reply: { ...accept, is_permanent: 'False' },
      }),
    ],
    [
      'the reply object as JSON text inside the JSON text',
      interactive({ type: 'call_permission_reply', call_permission_reply: JSON.stringify(accept) }),
    ],
    [
      'lowercase envelope fields',
      {
        from: user,
        to: business,
        MessageUUID: messageUuid,
        interactive: { type: 'call_permission_reply', call_permission_reply: accept },
      },
    ],
    [
      'the reply inside a Button field',
      {
        ...envelope,
        ContentType: 'button',
        Button: JSON.stringify({ type: 'call_permission_reply', call_permission_reply: accept }),
      },
    ],
    [
      "Meta's whole message inside Interactive",
      interactive({
        from: user,
        type: 'interactive',
        interactive: { type: 'call_permission_reply', call_permission_reply: accept },
      }),
    ],
    [
      'a MessageUUID in upper case',
      {
        ...interactive({ type: 'call_permission_reply', ...accept }),
        MessageUUID: messageUuid.toUpperCase(),
      },
    ],
  ])('%s', (_, body) => {
    const message = replyOf(body);
    expect(message.from).toBe(user);
    expect(message.to).toBe(business);
    expect(message.messageId.toLowerCase()).toBe(messageUuid);
    expect(message.reply).toEqual(temporary);
  });

  it("Meta's raw webhook JSON: numbers, message id and send time from Meta's own fields", () => {
    const message = replyOf({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: business, phone_number_id: '106540352242922' },
                contacts: [{ profile: { name: 'Kerry' }, wa_id: user }],
                messages: [
                  {
                    from: user,
                    id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                    timestamp: '1767225600',
                    type: 'interactive',
                    interactive: {
                      type: 'call_permission_reply',
                      call_permission_reply: {
                        response: 'accept',
                        is_permanent: true,
                        response_source: 'user_action',
                      },
                    },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(message).toEqual({
      kind: 'permission_reply',
      messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      from: user,
      to: business,
      sentAt: 1_767_225_600_000,
      reply: { response: 'accept', isPermanent: true, responseSource: 'user_action' },
    });
  });

  it("the send time of Meta's whole message, in seconds, milliseconds or decimal text", () => {
    for (const timestamp of ['1767225600', 1767225600, 1767225600000, '1767225600.0']) {
      const message = replyOf(
        interactive({
          timestamp,
          type: 'interactive',
          interactive: { type: 'call_permission_reply', call_permission_reply: accept },
        }),
      );
      expect(message.sentAt).toBe(1_767_225_600_000);
    }
    expect(replyOf(interactive({ type: 'call_permission_reply', ...accept }))).not.toHaveProperty(
      'sentAt',
    );
  });

  it('expiration_timestamp in seconds, milliseconds or decimal text', () => {
    for (const value of [
      1767225600,
      '1767225600',
      1767225600000,
      '1767225600.0',
      '1767225600000',
    ]) {
      const message = replyOf(
        interactive({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'accept', expiration_timestamp: value },
        }),
      );
      expect(message.reply.expirationTimestamp).toBe(1767225600);
    }
    const camel = replyOf(
      interactive({
        type: 'call_permission_reply',
        response: 'accept',
        expirationTimestamp: 1767225600,
      }),
    );
    expect(camel.reply.expirationTimestamp).toBe(1767225600);
  });

  it('is_permanent: only an unambiguous true grants for good; "false" in any form stays false', () => {
    const permanent = (value: unknown) =>
      replyOf(
        interactive({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'accept', is_permanent: value },
        }),
      ).reply.isPermanent;
    for (const value of [true, 'true', 'True', 'TRUE', 1, '1']) expect(permanent(value)).toBe(true);
    for (const value of [false, 'false', 'False', 'FALSE', 0, '0']) {
      expect(permanent(value)).toBe(false);
    }
    for (const value of ['yes', 'no', '', 2, null, {}, []]) {
      unrecognized(
        interactive({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'accept', is_permanent: value },
        }),
      );
    }
  });
});

describe('what cannot be read is unrecognized (answered 200, logged), never guessed', () => {
  it.each([
    ['Interactive that is not JSON', { ...envelope, Interactive: '{"type": call_permission' }],
    ['Interactive that is not an object', { ...envelope, Interactive: '[1,2]' }],
    ['an unknown interactive type', interactive({ type: 'calendar_reply', calendar_reply: {} })],
    [
      'an unknown response',
      interactive({ type: 'call_permission_reply', call_permission_reply: { response: 'maybe' } }),
    ],
    [
      'an unknown response_source',
      interactive({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'reject', response_source: 'robot' },
      }),
    ],
    [
      'a call_permission_reply type without its fields',
      interactive({ type: 'call_permission_reply' }),
    ],
    [
      'the same field twice with different values',
      interactive({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', is_permanent: false, isPermanent: true },
      }),
    ],
    [
      'two different replies in one body',
      {
        ...interactive({ type: 'call_permission_reply', call_permission_reply: accept }),
        Button: JSON.stringify({
          type: 'call_permission_reply',
          call_permission_reply: { response: 'reject' },
        }),
      },
    ],
    [
      'a reply whose user differs from the envelope',
      interactive({
        from: '919800000000',
        type: 'interactive',
        interactive: { type: 'call_permission_reply', call_permission_reply: accept },
      }),
    ],
    [
      'an expiration_timestamp that is not a time',
      interactive({
        type: 'call_permission_reply',
        call_permission_reply: { response: 'accept', expiration_timestamp: 'soon' },
      }),
    ],
    [
      'nested deeper than any shape Plivo or Meta uses',
      {
        ...envelope,
        Interactive: `${'{"interactive":'.repeat(3000)}{"type":"call_permission_reply"}${'}'.repeat(3000)}`,
      },
    ],
  ])('%s', (_, body) => {
    const message = unrecognized(body);
    expect(message).toMatchObject({ messageUuid, reason: expect.any(String) });
  });

  it('names the reason, and keeps the payload (numbers are masked by the logger)', () => {
    const message = unrecognized(
      interactive({ type: 'call_permission_reply', call_permission_reply: { response: 'later' } }),
    );
    if (message.kind !== 'unrecognized') return;
    expect(message.reason).toContain('response');
    expect(message.payload).toContain('later');
  });

  it('the same reply found twice, identical, is not ambiguous', () => {
    const same = { type: 'call_permission_reply', call_permission_reply: accept };
    expect(replyOf({ ...interactive(same), Button: JSON.stringify(same) }).reply).toEqual(
      temporary,
    );
  });
});

describe('other messages are not permission replies', () => {
  it.each([
    ['a text', { ...envelope, ContentType: 'text', Body: 'hello' }, 'user_message'],
    ['a delivery status', { ...envelope, Status: 'delivered' }, 'other'],
    [
      'a quick-reply button',
      { ...envelope, ContentType: 'button', Button: '{"payload":"yes","text":"Yes"}' },
      'user_message',
    ],
    [
      'a button whose text is not JSON',
      { ...envelope, ContentType: 'button', Button: 'Yes' },
      'user_message',
    ],
    [
      'a button_reply',
      interactive({ type: 'button_reply', button_reply: { id: '1', title: 'Yes' } }),
      'user_message',
    ],
    [
      'a list_reply',
      interactive({ type: 'list_reply', list_reply: { id: '1', title: 'Yes' } }),
      'user_message',
    ],
    [
      "Meta's raw webhook with a status only",
      {
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ value: { statuses: [{ id: 'wamid.x', status: 'read' }] } }] }],
      },
      'other',
    ],
  ])('%s: %s', (_, body, kind) => {
    expect(read(body).kind).toBe(kind);
  });
});

describe('a reply Plivo would never send is a 400', () => {
  const reply = { type: 'call_permission_reply', call_permission_reply: accept };
  it.each([
    ['without From', { ...interactive(reply), From: undefined }, 'From'],
    ['without To', { ...interactive(reply), To: undefined }, 'To'],
    ['without MessageUUID', { ...interactive(reply), MessageUUID: undefined }, 'MessageUUID'],
    [
      'with a MessageUUID that is not a UUID',
      { ...interactive(reply), MessageUUID: 'abc' },
      'MessageUUID',
    ],
    [
      'with a MessageUUID with something folded into it',
      { ...interactive(reply), MessageUUID: `${messageUuid}To` },
      'MessageUUID',
    ],
    ['with From and from that differ', { ...interactive(reply), from: '919800000000' }, 'From'],
  ])('%s', (_, body, field) => {
    const message = read(JSON.parse(JSON.stringify(body)));
    expect(message.kind).toBe('invalid');
    if (message.kind === 'invalid') expect(message.message).toContain(field);
  });
});
