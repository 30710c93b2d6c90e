import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** An element of a Plivo XML document as the sandbox's Plivo reads it. */
export interface PlivoNode {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly PlivoNode[];
  /** The element's text, its children's excluded (a `<Speak>`'s words, a `<User>`'s address). */
  readonly text: string;
}

export class PlivoXmlError extends Error {
  override name = 'PlivoXmlError';
}

// Order matters in Plivo XML (verbs run one after another), so the parser keeps it.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

const toNode = (item: Ordered): PlivoNode | undefined => {
  const name = Object.keys(item).find((key) => key !== ':@' && key !== '#text');
  if (!name || name.startsWith('?')) return undefined;
  const content = (item[name] ?? []) as Ordered[];
  const text = content
    .filter((child) => '#text' in child)
    .map((child) => String(child['#text']))
    .join('');
  const children = content.map(toNode).filter((child): child is PlivoNode => child !== undefined);
  return { name, attributes: { ...(item[':@'] ?? {}) }, children, text };
};

/** The verbs inside `<Response>`, in order; a document Plivo could not run is a PlivoXmlError. */
export const parsePlivoXml = (document: string): readonly PlivoNode[] => {
  const valid = XMLValidator.validate(document);
  if (valid !== true) throw new PlivoXmlError(`not well-formed XML: ${valid.err.msg}`);
  const roots = (parser.parse(document) as Ordered[])
    .map(toNode)
    .filter((node): node is PlivoNode => node !== undefined);
  const response = roots.length === 1 ? roots[0] : undefined;
  if (response?.name !== 'Response') throw new PlivoXmlError('the root element is not <Response>');
  return response.children;
};
