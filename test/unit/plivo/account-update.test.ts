import { describe, expect, it } from 'vitest';
import {
  callingRestriction,
  readAccountUpdate,
  timeOf,
} from '../../../functions/shared/plivo/account-update.js';
import { readInboundMessage } from '../../../functions/shared/plivo/permission-reply.js';

const until = '2026-12-08T10:00:00.000Z';
const untilMs = Date.parse(until);
const value = {
  phone_number: '918035737458',
  event: 'ACCOUNT_RESTRICTION',
  restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING', expiration: until }],
};
const change = { field: 'account_update', value };
const webhook = {
  object: 'whatsapp_business_account',
  entry: [{ id: '1', time: 1764583200, changes: [change] }],
};
const paused = {
  restriction: 'calls_paused',
  reason: 'RESTRICTED_BIZ_INITIATED_CALLING',
  until: untilMs,
  number: '918035737458',
};
const uuid = '6A7B8C9D-0000-4000-8000-000000000001';

describe("Meta's account_update, in every shape Plivo may forward it", () => {
  it.each([
    ["Meta's whole webhook", webhook],
    [
      'its entry as JSON text (a form)',
      { object: webhook.object, entry: JSON.stringify(webhook.entry) },
    ],
    ['one change', change],
    ['one change as JSON text in a field', { Payload: JSON.stringify(change) }],
    ['the value beside Type', { Type: 'account_update', Value: JSON.stringify(value) }],
    ['the value beside event_type, as an object', { event_type: 'ACCOUNT_UPDATE', value }],
    ['the value flattened beside Field', { Field: 'account_update', ...value }],
    [
      'the value flattened, restriction_info as JSON text',
      {
        Field: 'account_update',
        PhoneNumber: '918035737458',
        Event: 'ACCOUNT_RESTRICTION',
        RestrictionInfo: JSON.stringify(value.restriction_info),
      },
    ],
    ['the webhook inside a field of the envelope', { Data: { body: webhook } }],
  ])('reads %s', (_shape, body) => {
    const update = readAccountUpdate(body);
    expect(update?.changes).toMatchObject([paused]);
    expect(update?.unreadable).toEqual([]);
  });

  it("takes the entry's time as the start, and ids the change by its content", () => {
    const [first] = readAccountUpdate(webhook)?.changes ?? [];
    expect(first?.since).toBe(1764583200 * 1000);
    expect(first?.updateId).toMatch(/^account_update#[\w-]{32}#0$/);
    expect(readAccountUpdate(structuredClone(webhook))?.changes[0]?.updateId).toBe(first?.updateId);
    const later = { ...webhook, entry: [{ ...webhook.entry[0], time: 1764583201 }] };
    expect(readAccountUpdate(later)?.changes[0]?.updateId).not.toBe(first?.updateId);
  });

  it('ids one value forwarded for two numbers (Plivo names each in To) as two changes', () => {
    const { phone_number: _, ...unnamed } = value;
    const noNumber = {
      ...webhook,
      entry: [{ id: '1', time: 1764583200, changes: [{ ...change, value: unnamed }] }],
    };
    const idFor = (to: string) => readAccountUpdate({ To: to, ...noNumber })?.changes[0]?.updateId;
    expect(idFor('918035737458')).not.toBe(idFor('18765550123'));
    expect(idFor('918035737458')).toBe(idFor('918035737458'));
  });

  it("ids the change by Plivo's MessageUUID when there is one", () => {
    const update = readAccountUpdate({ MessageUUID: uuid, ...webhook });
    expect(update?.changes[0]?.updateId).toBe(`${uuid.toLowerCase()}#0#0`);
  });

  it("reads the number from metadata, Meta's phone_number_id, or Plivo's To", () => {
    const withMetadata = {
      field: 'account_update',
      value: {
        metadata: { display_phone_number: '18762345678', phone_number_id: 106540352242922 },
        event: 'CALLING_PAUSED',
      },
    };
    expect(readAccountUpdate(withMetadata)?.changes).toMatchObject([
      { number: '18762345678', phoneNumberId: '106540352242922', reason: 'CALLING_PAUSED' },
    ]);
    const { phone_number: _number, ...unnamed } = value;
    expect(
      readAccountUpdate({ To: '918035737458', field: 'account_update', value: unnamed })?.changes,
    ).toMatchObject([{ number: '918035737458', phoneNumberId: undefined }]);
    expect(readAccountUpdate({ field: 'account_update', value: unnamed })?.changes).toMatchObject([
      { number: undefined, phoneNumberId: undefined },
    ]);
  });

  it('marks an end it cannot read, and leaves an absent one absent', () => {
    const unreadableEnd = {
      field: 'account_update',
      value: {
        ...value,
        restriction_info: [{ restriction_type: 'BIZ_CALLING', expiration: 'soon' }],
      },
    };
    expect(readAccountUpdate(unreadableEnd)?.changes).toMatchObject([
      { until: undefined, untilUnreadable: true },
    ]);
    const noEnd = {
      field: 'account_update',
      value: { ...value, restriction_info: [{ restriction_type: 'BIZ_CALLING' }] },
    };
    expect(readAccountUpdate(noEnd)?.changes[0]).not.toHaveProperty('untilUnreadable');
  });

  it('reads a hidden call button, and each calling restriction of one update', () => {
    const both = {
      field: 'account_update',
      value: {
        ...value,
        restriction_info: [
          { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: until },
          { restriction_type: 'CALL_BUTTON_HIDDEN', expiration: 1765188000 },
          { restriction_type: 'RESTRICTED_BIZ_INITIATED_CALLING', expiration: until },
        ],
      },
    };
    expect(readAccountUpdate(both)?.changes).toMatchObject([
      { restriction: 'call_button_hidden', until: 1765188000 * 1000 },
      { restriction: 'calls_paused', until: untilMs },
    ]);
  });

  it('says an update about something else sets nothing, and one it cannot read is unreadable', () => {
    expect(
      readAccountUpdate({ field: 'account_update', value: { event: 'PARTNER_APP_INSTALLED' } }),
    ).toEqual({ changes: [], otherEvents: ['PARTNER_APP_INSTALLED'], unreadable: [] });
    expect(
      readAccountUpdate({ entry: [{ changes: [{ field: 'account_update', value: 'x' }] }] }),
    ).toEqual({
      changes: [],
      otherEvents: [],
      unreadable: ['account_update: its value is not an object'],
    });
    expect(
      readAccountUpdate({
        field: 'account_update',
        value: { event: 'ACCOUNT_RESTRICTION', restriction_info: ['x'] },
      })?.unreadable,
    ).toEqual(['account_update ACCOUNT_RESTRICTION: restriction_info unreadable']);
  });

  it('finds none in a message, a reply or a status', () => {
    expect(
      readAccountUpdate({ From: '1', To: '2', ContentType: 'text', Body: 'hi' }),
    ).toBeUndefined();
    expect(
      readAccountUpdate({ entry: [{ changes: [{ field: 'messages', value: { messages: [] } }] }] }),
    ).toBeUndefined();
    expect(readAccountUpdate({ Interactive: '{"type":"call_permission_reply"}' })).toBeUndefined();
  });

  it('is its own kind of inbound message', () => {
    expect(readInboundMessage(webhook)).toMatchObject({
      kind: 'account_update',
      changes: [paused],
    });
  });
});

describe('what an update says', () => {
  it.each([
    ['RESTRICTED_BIZ_INITIATED_CALLING', 'calls_paused'],
    ['calling_paused', 'calls_paused'],
    ['BUSINESS_INITIATED_CALLS_PAUSED', 'calls_paused'],
    ['CALL_BUTTON_HIDDEN', 'call_button_hidden'],
    ['callIconHidden', 'call_button_hidden'],
    ['CALLING_ICON_HIDDEN', 'call_button_hidden'],
    ['RESTRICTED_BIZ_INITIATED_MESSAGING', undefined],
    ['ACCOUNT_RESTRICTION', undefined],
  ])('%s → %s', (name, restriction) => {
    expect(callingRestriction(name)).toBe(restriction);
  });

  it.each([
    [1765188000, 1765188000000],
    ['1765188000', 1765188000000],
    ['1765188000.5', 1765188000500],
    [1765188000123, 1765188000123],
    ['2026-12-08T10:00:00Z', untilMs],
    ['2026-12-08T15:30:00+05:30', untilMs],
    ['soon', undefined],
    ['2026-13-45T99:00:00Z', undefined],
    [0, undefined],
    [-5, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [undefined, undefined],
    [{}, undefined],
  ])('the time %s is %s', (value, ms) => {
    expect(timeOf(value)).toBe(ms);
  });
});
