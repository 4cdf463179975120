/** A TwiML element as the fake reads it: name, attributes, text and child elements. */
export interface TwimlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
  children: TwimlElement[];
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return entities[entity] ?? whole;
  });
}

/**
 * Reads the small XML TwiML is (elements, attributes, text; no namespaces, CDATA or DTDs), enough
 * for the fake to follow `<Response>`. Returns null when it is not a `<Response>` document.
 */
export function readTwiml(xml: string): TwimlElement | null {
  const source = xml.replace(/<\?xml[^>]*\?>/g, '').replace(/<!--[\s\S]*?-->/g, '');
  const root: TwimlElement = { name: '#root', attributes: {}, text: '', children: [] };
  const stack: TwimlElement[] = [root];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(source))) {
    const current = stack[stack.length - 1]!;
    if (match[5] !== undefined) {
      current.text += decode(match[5]);
      continue;
    }
    const [, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      if (current.name !== name) return null;
      current.text = current.text.trim();
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of (attributeText ?? '').matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attributes[attribute[1]!] = decode(attribute[2] ?? attribute[3] ?? '');
    }
    const element: TwimlElement = { name: name!, attributes, text: '', children: [] };
    current.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) return null;
  const response = root.children.find((child) => child.name === 'Response');
  return response ?? null;
}
