/**
 * Plivo XML, built by hand: the SDK's builder (`plivo.Response`) rejects `callType` on `<Dial>`, which
 * WhatsApp calls need, and importing it loads the whole ~1 MB SDK into every cold start.
 */
export type XmlAttributeValue = string | number | boolean | undefined;

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, XmlAttributeValue>>;
  readonly children: readonly (XmlElement | string)[];
}

/** Plivo refuses an XML document over 100 KB. */
export const maxPlivoXmlBytes = 100 * 1024;

export const element = (
  name: string,
  attributes: Readonly<Record<string, XmlAttributeValue>> = {},
  children: readonly (XmlElement | string)[] = [],
): XmlElement => ({ name, attributes, children });

// Characters XML 1.0 does not allow at all, even escaped; the rule cannot see this is an allow-list.
// biome-ignore lint/suspicious/noControlCharactersInRegex: listing the allowed control characters
const forbidden = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export const escapeText = (text: string): string =>
  text.replace(forbidden, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const escapeAttribute = (text: string): string =>
  escapeText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const render = (node: XmlElement | string): string => {
  if (typeof node === 'string') return escapeText(node);
  const attributes = Object.entries(node.attributes)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeAttribute(String(value))}"`)
    .join('');
  if (node.children.length === 0) return `<${node.name}${attributes}/>`;
  return `<${node.name}${attributes}>${node.children.map(render).join('')}</${node.name}>`;
};

export class PlivoXmlTooLarge extends Error {
  override name = 'PlivoXmlTooLarge';
}

/** A whole answer or action document: `<Response>` around the given elements. */
export const renderPlivoXml = (elements: readonly XmlElement[]): string => {
  const document = `<?xml version="1.0" encoding="utf-8"?>${render(element('Response', {}, elements))}`;
  const bytes = Buffer.byteLength(document, 'utf8');
  if (bytes > maxPlivoXmlBytes) {
    throw new PlivoXmlTooLarge(
      `Plivo XML of ${bytes} bytes is over Plivo's ${maxPlivoXmlBytes} byte limit`,
    );
  }
  return document;
};
