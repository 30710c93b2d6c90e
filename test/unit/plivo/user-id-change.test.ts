import { describe, expect, it } from 'vitest';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';
import { readUserIdChange } from '../../../functions/shared/plivo/user-id-change.js';

const business = '918035737458';
const previous = 'US.13491208655302741918';
const next = 'US.99491208655302741918';
const system = (fields: Record<string, unknown> = {}) => ({
  type: 'user_changed_user_id',
  previous_user_id: previous,
  previous_parent_user_id: 'US.ENT.11815799212886844830',
  ...fields,
});

const metaWebhook = (message: Record<string, unknown>) => ({
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
            messages: [{ id: 'wamid.X', timestamp: '1739321024', type: 'system', ...message }],
          },
        },
      ],
    },
  ],
});

describe("Meta's user_changed_user_id", () => {
  it.each([
    [
      "Meta's webhook, the new ID in system.user_id",
      metaWebhook({ system: system({ user_id: next }) }),
    ],
    [
      "Meta's webhook, the new ID as the message's from_user_id",
      metaWebhook({ from_user_id: next, system: system() }),
    ],
    ['a System field beside FromUserId', { To: business, FromUserId: next, System: system() }],
    [
      'a System field of JSON text beside a BSUID From',
      { To: business, From: next, System: JSON.stringify(system()) },
    ],
    [
      'keys in any case',
      { to: business, from_user_id: next, system: system({ Type: 'USER_CHANGED_USER_ID' }) },
    ],
  ])('is read from %s', (_, body) => {
    expect(readUserIdChange(body)).toEqual({
      kind: 'user_id_change',
      previousUserId: previous,
      userId: next,
      to: business,
    });
    expect(readInboundMessage(body)).toMatchObject({ kind: 'user_id_change' });
  });

  it('carries a number should the payload name one', () => {
    expect(
      readUserIdChange({ To: business, From: '919812345678', FromUserId: next, System: system() }),
    ).toMatchObject({ from: '919812345678', userId: next });
  });

  it.each([
    [
      'no previous BSUID',
      { To: business, FromUserId: next, System: system({ previous_user_id: 'x' }) },
      'previous_user_id is not a business-scoped user ID',
    ],
    ['no new BSUID', { To: business, System: system() }, 'no new business-scoped user ID'],
    [
      'a new ID that is none',
      { To: business, FromUserId: 'us.1', System: system() },
      'the new user ID is not a business-scoped user ID',
    ],
    [
      'two new IDs',
      { To: business, From: 'US.1', FromUserId: next, System: system() },
      'two different new business-scoped user IDs',
    ],
    [
      'the same ID',
      { To: business, FromUserId: previous, System: system() },
      'the new user ID is the previous one',
    ],
    [
      'two numbers',
      metaWebhook({ from: '919812345678', system: system({ user_id: next }) }),
      undefined,
    ],
  ])('with %s cannot be read', (_, body, reason) => {
    const read = readUserIdChange(body);
    if (reason === undefined) {
      expect(read).toMatchObject({ kind: 'user_id_change', from: '919812345678' });
      return;
    }
    expect(read).toEqual({ kind: 'unreadable_user_id_change', reason });
  });

  it('two in one webhook, or numbers that differ, cannot be read', () => {
    const body = metaWebhook({ system: system({ user_id: next }) });
    const entry = body.entry[0] as { changes: unknown[] };
    entry.changes.push(entry.changes[0]);
    expect(readUserIdChange(body)).toMatchObject({ kind: 'unreadable_user_id_change' });
    expect(
      readUserIdChange({
        ...metaWebhook({ from: '919812345678', system: system({ user_id: next }) }),
        From: '919812345679',
      }),
    ).toEqual({
      kind: 'unreadable_user_id_change',
      reason: "From differs from the number in Meta's message",
    });
  });

  it('is none for another system message or none at all', () => {
    expect(
      readUserIdChange(metaWebhook({ system: { type: 'user_changed_number' } })),
    ).toBeUndefined();
    expect(readUserIdChange({ To: business, System: 'not json' })).toBeUndefined();
    expect(readUserIdChange({ To: business })).toBeUndefined();
  });
});
