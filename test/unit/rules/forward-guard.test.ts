/**
 * The PSTN/WhatsApp guard at its edges: a forward that reaches a phone or a WhatsApp user is refused
 * however it is padded or split, and a scheme or a digit run counts only where a gateway reads one, so
 * the SIP users and endpoints agents really are still ring.
 */
import { describe, expect, it } from 'vitest';
import {
  assertNoForbiddenForward,
  ForbiddenForward,
} from '../../../functions/shared/call-flow/guard.js';
import { element, type XmlElement } from '../../../functions/shared/plivo/xml.js';
import { dialTargetRefusal } from '../../../functions/shared/rules/forward-guard.js';

const dial = (attributes: Record<string, string>, ...children: XmlElement[]) =>
  element('Dial', attributes, children);
const user = (...children: (XmlElement | string)[]) => element('User', {}, children);
const sipUser = user('sip:alice@pbx.example.com');

const refusalOf = (elements: XmlElement[]): ForbiddenForward | undefined => {
  try {
    assertNoForbiddenForward(elements);
    return undefined;
  } catch (error) {
    if (error instanceof ForbiddenForward) return error;
    throw error;
  }
};

describe('a WhatsApp call is never forwarded to another WhatsApp user', () => {
  it.each(['whatsapp', 'WhatsApp', 'WHATSAPP', ' whatsapp', 'whatsapp\n'])(
    '<Dial callType=%j> is refused, whoever it rings',
    (callType) => {
      const refusal = refusalOf([dial({ callType }, sipUser)]);
      expect(refusal?.message).toBe('refusing to dial a WhatsApp user from a WhatsApp call');
      expect(refusal?.name).toBe('ForbiddenForward');
    },
  );

  it('refused inside any other element too', () => {
    const nested = element('GetDigits', {}, [dial({ callType: 'whatsapp' }, sipUser)]);
    expect(refusalOf([element('Speak', {}, ['Hello']), nested])).toBeInstanceOf(ForbiddenForward);
  });

  it.each<Record<string, string>>([{}, { callType: 'sip' }, { callType: 'whatsapp-business' }])(
    'a <Dial> with %o rings its SIP user',
    (attributes) => {
      expect(refusalOf([dial(attributes, sipUser)])).toBeUndefined();
    },
  );

  it('only <Dial> dials: the attribute on another element forwards nothing', () => {
    expect(
      refusalOf([element('Speak', { callType: 'whatsapp' }, ['Please hold']), dial({}, sipUser)]),
    ).toBeUndefined();
  });
});

describe('padded targets are read as a gateway trims them', () => {
  it.each([
    [' whatsapp:+14155550100', /WhatsApp user/],
    ['\twa:14155550100 ', /WhatsApp user/],
    [' tel:+14155550100', /phone number/],
    ['  +1 415 555 0100  ', /phone number/],
    [' sip:+14155550100@gw.example.com', /phone number/],
    ['\nsip:whatsapp:+14155550100@gw.example.com', /WhatsApp user/],
  ])('refuses %j', (target, refusal) => {
    expect(dialTargetRefusal(target)).toMatch(refusal);
    expect(refusalOf([dial({}, user(target))])?.message).toMatch(refusal);
  });
});

describe('a <User> is read as the whole of its text', () => {
  it.each([
    ['split in pieces', user('+9198', '1234', '5678')],
    ['inside a nested element', user(element('Span', {}, ['tel:', '+919812345678']))],
  ])('a phone number %s is refused', (_, node) => {
    expect(refusalOf([dial({}, node)])?.message).toMatch(/^refusing to render <User>: .*phone/);
  });
});

describe('a scheme counts only at the start, a digit run only as the whole user', () => {
  it.each([
    // `wa:` and `tel:` ending a host name, before its port.
    'sip:alice@kiwa:5060',
    'sip:alice@hotel:5060',
    // A name with digits in it is not a phone number.
    'sip:room1234567@pbx.example.com',
    'sip:1234567room@pbx.example.com',
    // The host is where the call goes, not what it dials.
    'sip:desk-7@192.168.10.12:5060',
    'sip:@192.168.10.12',
    // Parameters that only look like user=phone.
    'sip:alice;username=phone@gw.example.com',
    'sip:alice;xuser=phone@gw.example.com',
    'sip:alice;user=telephone@gw.example.com',
    // A `%` that starts no encoding is dialed as written.
    'sip:desk%7@pbx.example.com',
    'desksip:1234567',
  ])('allows %s', (target) => {
    expect(dialTargetRefusal(target)).toBeUndefined();
  });

  it.each([
    ['sip:1234567', /phone number/],
    ['sip:+1234567', /phone number/],
    ['sip:123456', undefined],
    ['sip:alice; user = phone@gw.example.com', /phone number/],
  ])('%s: seven digits or more, without a host, are what is dialed', (target, refusal) => {
    if (refusal) expect(dialTargetRefusal(target)).toMatch(refusal);
    else expect(dialTargetRefusal(target)).toBeUndefined();
  });
});
