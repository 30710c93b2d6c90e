import { describe, expect, it } from 'vitest';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';
import { envelope, invalid } from '../../support/permission-replies.js';

const reply = (fields: Record<string, unknown>) => ({
  type: 'call_permission_reply',
  call_permission_reply: fields,
});

/** Why an unreadable interactive payload is unrecognized (the webhook answers it 200 and logs it). */
const unrecognized = (body: Record<string, unknown>): string => {
  const message = readInboundMessage(body);
  if (message.kind !== 'unrecognized') {
    throw new Error(`expected an unrecognized payload, got ${message.kind}`);
  }
  return message.reason;
};

describe('recognising a call_permission_reply', () => {
  it.each([
    ['Interactive as a JSON string (form body)', 'Interactive', true],
    ['interactive as a JSON string', 'interactive', true],
    ['Interactive as an object (JSON body)', 'Interactive', false],
    ['interactive as an object (JSON body)', 'interactive', false],
  ])('%s', (_, field, asString) => {
    const interactive = reply({ response: 'accept', is_permanent: false });
    const message = readInboundMessage({
      ...envelope,
      ContentType: 'unknown',
      [field]: asString ? JSON.stringify(interactive) : interactive,
    });
    expect(message).toEqual({
      kind: 'permission_reply',
      messageId: envelope.MessageUUID,
      from: envelope.From,
      to: envelope.To,
      reply: { response: 'accept', isPermanent: false, responseSource: 'user_action' },
    });
  });

  it("Meta's whole message object around it", () => {
    const message = readInboundMessage({
      ...envelope,
      Interactive: JSON.stringify({
        from: envelope.From,
        type: 'interactive',
        interactive: reply({ response: 'reject', response_source: 'automatic' }),
      }),
    });
    expect(message).toMatchObject({
      kind: 'permission_reply',
      reply: { response: 'reject', responseSource: 'automatic' },
    });
  });

  it('reads is_permanent and expiration_timestamp (epoch seconds, number or digits)', () => {
    const read = (fields: Record<string, unknown>) => {
      const message = readInboundMessage({
        ...envelope,
        Interactive: JSON.stringify(reply(fields)),
      });
      if (message.kind !== 'permission_reply') throw new Error('not a reply');
      return message.reply;
    };
    expect(read({ response: 'accept', is_permanent: true })).toMatchObject({ isPermanent: true });
    expect(read({ response: 'accept', is_permanent: 'true' })).toMatchObject({ isPermanent: true });
    expect(read({ response: 'accept', expiration_timestamp: 1767225600 })).toMatchObject({
      expirationTimestamp: 1767225600,
    });
    expect(read({ response: 'accept', expiration_timestamp: '1767225600' })).toMatchObject({
      expirationTimestamp: 1767225600,
    });
  });

  it('a reply without MessageUUID is refused: it could not be applied once only', () => {
    const { MessageUUID: _, ...withoutUuid } = envelope;
    expect(
      invalid({ ...withoutUuid, Interactive: JSON.stringify(reply({ response: 'accept' })) }),
    ).toBe('MessageUUID: is required');
  });
});

describe('other messages', () => {
  it.each([
    ['a text', { ...envelope, ContentType: 'text', Body: 'hello' }, 'text'],
    ['a media message', { ...envelope, ContentType: 'media', MediaUrl0: 'https://x' }, 'media'],
    ['a button reply', { ...envelope, ContentType: 'button', ButtonText: 'Yes' }, 'button'],
    [
      'another interactive reply',
      {
        ...envelope,
        Interactive: JSON.stringify({ type: 'button_reply', button_reply: { id: '1' } }),
      },
      'unknown',
    ],
  ])('%s is a user message, no permission reply', (_, body, description) => {
    expect(readInboundMessage(body)).toEqual({
      kind: 'user_message',
      messageId: envelope.MessageUUID.toLowerCase(),
      from: envelope.From,
      to: envelope.To,
      description,
    });
  });

  it('a delivery status is no user message', () => {
    expect(readInboundMessage({ ...envelope, Status: 'delivered' })).toEqual({
      kind: 'other',
      messageUuid: envelope.MessageUUID,
      description: 'status delivered',
    });
  });

  it.each([
    ['without From', { To: envelope.To, MessageUUID: envelope.MessageUUID }],
    ['without To', { From: envelope.From, MessageUUID: envelope.MessageUUID }],
    ['without MessageUUID', { From: envelope.From, To: envelope.To }],
    ['with a MessageUUID that is no UUID', { ...envelope, MessageUUID: 'm-1' }],
    ['with From twice', { ...envelope, from: '919812345679' }],
    ['in Meta’s own webhook', { ...envelope, object: 'whatsapp_business_account', entry: [] }],
  ])('a text %s is no user message: nothing to keep the window open by', (_, body) => {
    expect(readInboundMessage({ ...body, ContentType: 'text' }).kind).toBe('other');
  });
});

describe('unreadable interactive payloads are unrecognized, with the reason', () => {
  it('Interactive that is not JSON', () => {
    expect(unrecognized({ ...envelope, Interactive: '{"type": call_permission' })).toBe(
      'Interactive is not a JSON object',
    );
  });

  it('Interactive that is not an object', () => {
    expect(unrecognized({ ...envelope, Interactive: '[1,2]' })).toBe(
      'Interactive is not a JSON object',
    );
  });

  it('an unknown response', () => {
    expect(
      unrecognized({ ...envelope, Interactive: JSON.stringify(reply({ response: 'maybe' })) }),
    ).toBe('call_permission_reply.response: must be "accept" or "reject"');
  });

  it('an unknown response_source', () => {
    expect(
      unrecognized({
        ...envelope,
        Interactive: JSON.stringify(reply({ response: 'reject', response_source: 'robot' })),
      }),
    ).toBe('call_permission_reply.response_source: must be "user_action" or "automatic"');
  });

  it('an expiration_timestamp past any time in milliseconds', () => {
    expect(
      unrecognized({
        ...envelope,
        Interactive: JSON.stringify(
          reply({ response: 'accept', expiration_timestamp: 1767225600000000 }),
        ),
      }),
    ).toContain('must be epoch seconds or milliseconds');
  });

  it('a call_permission_reply type without its fields', () => {
    expect(
      unrecognized({ ...envelope, Interactive: JSON.stringify({ type: 'call_permission_reply' }) }),
    ).toContain('response');
  });
});

describe('replies Plivo would not send are a clear 400', () => {
  it('a reply without From', () => {
    const { From: _, ...withoutFrom } = envelope;
    expect(
      invalid({ ...withoutFrom, Interactive: JSON.stringify(reply({ response: 'accept' })) }),
    ).toBe('From: is required');
  });
});
