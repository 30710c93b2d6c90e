/**
 * A user with a username replies with a business-scoped user ID (BSUID), with or without their number.
 * Plivo does not document how it forwards one: every unambiguous place is read, and two that disagree
 * are unrecognized rather than guessed at.
 */
import { describe, expect, it } from 'vitest';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';
import {
  accept,
  business,
  messageUuid,
  replyOf,
  unrecognized,
  user,
} from '../../support/permission-replies.js';

const bsuid = 'US.13491208655302741918';
const parent = 'US.ENT.11815799212886844830';
const reply = JSON.stringify({ type: 'call_permission_reply', call_permission_reply: accept });
const plivo = (fields: Record<string, unknown>) => ({
  To: business,
  MessageUUID: messageUuid,
  Interactive: reply,
  ...fields,
});

const metaWebhook = (message: Record<string, unknown>, contacts?: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      changes: [
        {
          field: 'messages',
          value: {
            metadata: { display_phone_number: business },
            ...(contacts ? { contacts } : {}),
            messages: [
              {
                id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
                type: 'interactive',
                interactive: { type: 'call_permission_reply', call_permission_reply: accept },
                ...message,
              },
            ],
          },
        },
      ],
    },
  ],
});

describe('a reply from a user with a username', () => {
  it.each([
    ['From is the BSUID', plivo({ From: bsuid })],
    ['FromUserId alone', plivo({ FromUserId: bsuid })],
    ['from_user_id alone', plivo({ from_user_id: bsuid })],
    ['From is the BSUID and FromUserId the same', plivo({ From: bsuid, FromUserId: bsuid })],
    ["Meta's message with from_user_id and no from", metaWebhook({ from_user_id: bsuid })],
    [
      "Meta's contacts[].user_id alone",
      metaWebhook({}, [{ profile: { username: 'kerry' }, user_id: bsuid }]),
    ],
    [
      "Meta's message inside Plivo's Interactive",
      plivo({
        From: bsuid,
        Interactive: JSON.stringify({
          from_user_id: bsuid,
          interactive: { type: 'call_permission_reply', call_permission_reply: accept },
        }),
      }),
    ],
  ])('is read with its BSUID and no number: %s', (_, body) => {
    const message = replyOf(body);
    expect(message.userId).toBe(bsuid);
    expect(message.from).toBeUndefined();
    expect(message.to).toBe(business);
  });

  it.each([
    ['From and FromUserId', plivo({ From: user, FromUserId: bsuid })],
    ["Meta's from and from_user_id", metaWebhook({ from: user, from_user_id: bsuid })],
    ["Meta's contact: wa_id and user_id", metaWebhook({}, [{ wa_id: user, user_id: bsuid }])],
    [
      "Meta's from_user_id, the contact's wa_id",
      metaWebhook({ from_user_id: bsuid }, [{ wa_id: `+${user}`, user_id: bsuid }]),
    ],
    [
      'the sender’s contact among several',
      metaWebhook({ from: user }, [
        { wa_id: '14155550123', user_id: 'US.999' },
        { wa_id: user, user_id: bsuid },
      ]),
    ],
    [
      'the sender’s contact among several, by BSUID',
      metaWebhook({ from_user_id: bsuid }, [
        { wa_id: '14155550123', user_id: 'US.999' },
        { wa_id: user, user_id: bsuid },
      ]),
    ],
  ])('is read with both, so they can be linked: %s', (_, body) => {
    const message = replyOf(body);
    expect(message.userId).toBe(bsuid);
    expect(message.from?.replace('+', '')).toBe(user);
  });

  it('keeps a parent BSUID for the log, from any of its places', () => {
    expect(replyOf(plivo({ From: bsuid, FromParentUserId: parent })).parentUserId).toBe(parent);
    expect(
      replyOf(metaWebhook({ from_user_id: bsuid, from_parent_user_id: parent })).parentUserId,
    ).toBe(parent);
    expect(
      replyOf(metaWebhook({}, [{ user_id: bsuid, parent_user_id: parent }])).parentUserId,
    ).toBe(parent);
    expect(replyOf(plivo({ From: bsuid, FromParentUserId: 'nope' })).parentUserId).toBeUndefined();
    expect(replyOf(plivo({ From: bsuid })).parentUserId).toBeUndefined();
  });

  it('of a user without one carries no BSUID', () => {
    const message = replyOf(plivo({ From: user }));
    expect(message.from).toBe(user);
    expect(message).not.toHaveProperty('userId');
  });

  it('with contacts that name someone else reads no one from them', () => {
    const message = replyOf(
      metaWebhook({ from: user }, [
        { wa_id: '14155550123', user_id: 'US.999' },
        { wa_id: '14155550124', user_id: 'US.998' },
      ]),
    );
    expect(message.from).toBe(user);
    expect(message).not.toHaveProperty('userId');
  });

  it.each([
    ['two BSUIDs', plivo({ From: bsuid, FromUserId: 'US.1' }), /two different business-scoped/],
    [
      "Meta's BSUID differs from Plivo's",
      metaWebhook({ from_user_id: 'US.1' }, [{ user_id: bsuid }]),
      /two different/,
    ],
    [
      'a FromUserId that is no BSUID',
      plivo({ From: user, FromUserId: 'us.1' }),
      /FromUserId is not/,
    ],
    [
      "Meta's from_user_id that is no BSUID",
      metaWebhook({ from: user, from_user_id: 'x' }),
      /from_user_id is not/,
    ],
    [
      'a contact user_id that is no BSUID',
      metaWebhook({ from: user }, [{ user_id: '1.2' }]),
      /user_id is not/,
    ],
    [
      'a number that differs',
      metaWebhook({ from: user }, [{ wa_id: '14155550123' }]),
      /From differs/,
    ],
  ])('is unrecognized when its places disagree: %s', (_, body, reason) => {
    expect(unrecognized(body).reason).toMatch(reason);
  });

  it('with neither a number nor a BSUID is one Plivo would not send', () => {
    expect(readInboundMessage(plivo({}))).toEqual({
      kind: 'invalid',
      message: 'From: is required',
    });
    expect(readInboundMessage(plivo({ From: '' }))).toEqual({
      kind: 'invalid',
      message: 'From: is required',
    });
    expect(readInboundMessage(plivo({ From: 7 }))).toEqual({
      kind: 'invalid',
      message: 'From: must be text',
    });
  });

  describe("a user's other message", () => {
    const text = { To: business, MessageUUID: messageUuid, ContentType: 'text', Body: 'hi' };
    it('may come from a BSUID alone', () => {
      expect(readInboundMessage({ ...text, From: bsuid })).toEqual({
        kind: 'user_message',
        messageId: messageUuid.toLowerCase(),
        from: bsuid,
        to: business,
        description: 'text',
      });
    });

    it.each([
      ['FromUserId', { FromUserId: bsuid }, bsuid],
      ['from_user_id', { from_user_id: bsuid }, bsuid],
      ['a value that is no BSUID, read by the operation', { FromUserId: 42 }, 42],
    ])('carries the BSUID beside a number as sent: %s', (_, fields, fromUserId) => {
      expect(readInboundMessage({ ...text, From: user, ...fields })).toMatchObject({
        kind: 'user_message',
        from: user,
        fromUserId,
      });
    });

    it('without a BSUID field, has none', () => {
      expect(readInboundMessage({ ...text, From: user })).not.toHaveProperty('fromUserId');
    });
  });
});
