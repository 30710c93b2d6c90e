import type { XmlElement } from '../plivo/xml.js';

/**
 * A WhatsApp call may only be forwarded to SIP URIs or Plivo endpoints (Plivo: "Calls cannot be forwarded
 * to PSTN numbers"; "WhatsApp-to-WhatsApp call forwarding is not supported"). Used by the configuration
 * schema (at load) and by the renderer (on every document), so neither relies on the other.
 */

const phoneLike = /^\+?[\d\s().-]{7,}$/;
const whatsAppLike = /^(whatsapp|wa):/i;

/** Why `target` must not be dialed from a WhatsApp call, or undefined when it may be. */
export const dialTargetRefusal = (target: string): string | undefined => {
  const value = target.trim();
  if (whatsAppLike.test(value)) {
    return 'a WhatsApp call can never be forwarded to another WhatsApp user';
  }
  if (/^tel:/i.test(value) || phoneLike.test(value)) {
    return 'a WhatsApp call can never be forwarded to a phone number (PSTN); dial a SIP URI or a Plivo endpoint';
  }
  const sipUser = /^sips?:([^@]*)@/i.exec(value)?.[1];
  if (sipUser !== undefined) {
    // A SIP URI whose user part is a full phone number reaches PSTN through a carrier gateway;
    // short extensions (sip:1001@pbx) stay allowed.
    if (whatsAppLike.test(sipUser)) {
      return 'a WhatsApp call can never be forwarded to another WhatsApp user';
    }
    if (/^\+?\d{7,15}$/.test(sipUser)) {
      return 'a SIP URI whose user is a phone number reaches PSTN; a WhatsApp call can never be forwarded there';
    }
  }
  return undefined;
};

export class ForbiddenForward extends Error {
  override name = 'ForbiddenForward';
}

const textOf = (node: XmlElement): string =>
  node.children.map((child) => (typeof child === 'string' ? child : textOf(child))).join('');

/**
 * Throws unless the document is safe to return for an inbound WhatsApp call: no `<Number>` at all, no
 * `<User>` that is a phone number or WhatsApp user, no `<Dial callType="whatsapp">`.
 */
export const assertNoForbiddenForward = (elements: readonly XmlElement[]): void => {
  for (const node of elements) {
    if (node.name === 'Number') {
      throw new ForbiddenForward('refusing to render <Number>: a WhatsApp call never reaches PSTN');
    }
    if (
      node.name === 'Dial' &&
      String(node.attributes.callType ?? '').toLowerCase() === 'whatsapp'
    ) {
      throw new ForbiddenForward('refusing to dial a WhatsApp user from a WhatsApp call');
    }
    if (node.name === 'User') {
      const refusal = dialTargetRefusal(textOf(node));
      if (refusal) throw new ForbiddenForward(`refusing to render <User>: ${refusal}`);
    }
    assertNoForbiddenForward(node.children.filter((c): c is XmlElement => typeof c !== 'string'));
  }
};
