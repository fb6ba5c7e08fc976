/**
 * Xml: the little XML the S3 API needs, both ways. Responses are built from a
 * plain tree (`xml('ListBucketResult', {...})`) with S3's namespace; request
 * bodies (DeleteObjects, CompleteMultipartUpload, CreateBucket) are parsed into
 * a tree of elements. A full XML library is not needed: S3 documents are flat,
 * attribute-free (except xmlns) and never use DTDs.
 */
import { s3Error } from './S3Error.js';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A response node: text, a nested object, or a list of repeated siblings. */
export type XmlValue = string | number | boolean | XmlObject | readonly XmlValue[] | undefined;
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

/**
 * Escapes text content. Control characters are written as character references
 * because keys may legally contain them and a raw one would break the parser.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

function render(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value as readonly XmlValue[]) render(name, item, out);
    return;
  }
  if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [child, childValue] of Object.entries(value as XmlObject)) render(child, childValue, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/** Serialises one root element with the S3 namespace and an XML declaration. */
export function xml(root: string, body: XmlObject, namespaced = true): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  out.push(namespaced ? `<${root} xmlns="${S3_NAMESPACE}">` : `<${root}>`);
  for (const [name, value] of Object.entries(body)) render(name, value, out);
  out.push(`</${root}>`);
  return out.join('');
}

/** A namespaced root element holding only text (GetBucketLocation's answer). */
export function xmlText(root: string, text: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NAMESPACE}">${escapeXml(text)}</${root}>`;
}

/** A parsed request element; `text` is the decoded character data directly inside it. */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (whole, ref: string) => {
    switch (ref) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
      default: {
        const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
    }
  });
}

/** Strips a namespace prefix (`s3:Key` → `Key`), as S3 matches local names. */
function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/** Parses a request body; any structural problem is S3's `MalformedXML`. */
export function parseXml(source: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const fail = (): never => { throw s3Error('MalformedXML'); };
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > i) {
      const raw = source.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(raw);
      else if (raw.trim() !== '') fail();
    }
    if (lt === -1) break;
    if (source.startsWith('<?', lt)) {
      const end = source.indexOf('?>', lt);
      if (end === -1) fail();
      i = end + 2;
    } else if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt);
      if (end === -1) fail();
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', lt)) {
      const end = source.indexOf(']]>', lt);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) return fail();
      top.text += source.slice(lt + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', lt)) {
      return fail(); // DTDs are never valid in S3 requests.
    } else {
      const gt = source.indexOf('>', lt);
      if (gt === -1) return fail();
      const tag = source.slice(lt + 1, gt);
      i = gt + 1;
      if (tag.startsWith('/')) {
        const open = stack.pop();
        if (!open || open.name !== localName(tag.slice(1).trim())) fail();
        continue;
      }
      const selfClosing = tag.endsWith('/');
      const match = /^([A-Za-z_][\w.:-]*)/.exec(tag);
      if (!match?.[1]) return fail();
      const element: XmlElement = { name: localName(match[1]), children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail();
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (!root || stack.length > 0) return fail();
  return root;
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((c) => c.name === name)?.text;
}
