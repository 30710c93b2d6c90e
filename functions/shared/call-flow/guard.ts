import type { XmlElement } from '../plivo/xml.js';
import { dialTargetRefusal } from '../rules/forward-guard.js';

/** The forward guard applied to a rendered document: every `<User>` through `dialTargetRefusal`. */

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
    // String(undefined) is 'undefined': no call type is no WhatsApp dial.
    if (
      node.name === 'Dial' &&
      String(node.attributes.callType).trim().toLowerCase() === 'whatsapp'
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
