import { readInboundMessage } from '../../functions/shared/plivo/permission-reply.js';

/** A user's call_permission_reply as the tests of the reply reader send it. */
export const messageUuid = '3f1c1f2e-0000-4000-8000-000000000001';
export const user = '919812345678';
export const business = '918035737458';
/** What Plivo's message webhook posts around a WhatsApp message. */
export const envelope = { From: user, To: business, Type: 'whatsapp', MessageUUID: messageUuid };
/** The message with `value` as its Interactive payload, in a JSON string as a form carries it. */
export const interactive = (value: unknown) => ({
  ...envelope,
  Interactive: JSON.stringify(value),
});
/** Meta's reply fields, and the reply callgate reads from them. */
export const accept = { response: 'accept', is_permanent: false, response_source: 'user_action' };
export const temporary = { response: 'accept', isPermanent: false, responseSource: 'user_action' };

/** The message as read, which must be a permission reply. */
export const replyOf = (body: Record<string, unknown>) => {
  const message = readInboundMessage(body);
  if (message.kind !== 'permission_reply') {
    throw new Error(`expected a permission reply, got ${JSON.stringify(message)}`);
  }
  return message;
};

/** The message as read, which must be reported as unrecognized. */
export const unrecognized = (body: Record<string, unknown>) => {
  const message = readInboundMessage(body);
  if (message.kind !== 'unrecognized') {
    throw new Error(`expected an unrecognized payload, got ${JSON.stringify(message)}`);
  }
  return message;
};

/** What a message Plivo would not send is refused with (the webhook answers it 400). */
export const invalid = (body: Record<string, unknown>): string => {
  const message = readInboundMessage(body);
  if (message.kind !== 'invalid') {
    throw new Error(`expected an invalid reply, got ${JSON.stringify(message)}`);
  }
  return message.message;
};
