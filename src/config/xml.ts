// A small, fast XML reader for Pacemaker CIBs and agent meta-data: elements, attributes, text, comments, CDATA,
// the five predefined entities and numeric character references. No DTDs, no namespaces (CIBs use neither): a
// DOCTYPE or another entity is refused, not expanded nor taken literally. Bounded: size, nesting depth, and
// attributes kept in null-prototype objects (an attribute named __proto__ is just an attribute).

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based line of the opening tag, for error messages. */
  line: number;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
/** A CIB with its status for 32 nodes × 10 000 resources is about 170 MB; a bound still keeps a runaway input from
 * exhausting memory. */
export const XML_MAX_BYTES = 256 * 1024 * 1024;
export const XML_MAX_DEPTH = 100;

export class XmlError extends Error {}

/** Text with its references replaced; `fail` says what is wrong with one (quoted, shortened). */
function decode(s: string, fail: (msg: string) => never): string {
  if (!s.includes("&")) return s;
  // (A bare '&' is kept as it is: some agents' meta-data has one.)
  return s.replace(/&([^;&\s<]{1,32});/g, (m, e: string) => {
    if (/^#x[0-9a-fA-F]{1,8}$|^#\d{1,10}$/.test(e)) {
      const cp = e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp < 0x20 && cp !== 9 && cp !== 10 && cp !== 13))
        return fail(`${m} is not a character XML allows`);
      return String.fromCodePoint(cp);
    }
    const named = Object.hasOwn(ENTITIES, e) ? ENTITIES[e] : undefined;
    return named ?? fail(`unknown entity ${m.slice(0, 40)} (only &lt; &gt; &amp; &quot; &apos;: DTDs are not read)`);
  });
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;
const endsName = (c: number) => isSpace(c) || c === 47 /* / */ || c === 62; /* > */
function onlySpace(src: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(src.charCodeAt(k))) return false;
  return true;
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const advanceTo = (j: number) => {
    for (let k = i; k < j; k++) if (src.charCodeAt(k) === 10) line++;
    i = j;
  };
  const fail = (msg: string): never => {
    throw new XmlError(`line ${line}: ${msg}`);
  };
  const attrRe = /\s*([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/y;
  if (src.length > XML_MAX_BYTES) fail(`the document is larger than ${XML_MAX_BYTES / 1024 / 1024} MiB`);
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      if (src.slice(i).trim() && stack.length) fail("unexpected end of document");
      break;
    }
    // Text between tags (mostly indentation: skipped without copying it).
    if (lt > i && stack.length && !onlySpace(src, i, lt))
      stack[stack.length - 1]!.text += decode(src.slice(i, lt), fail);
    advanceTo(lt);
    if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      advanceTo(end + 3);
    } else if (src.startsWith("<![CDATA[", i)) {
      const end = src.indexOf("]]>", i + 9);
      if (end < 0) fail("unterminated CDATA section");
      if (stack.length) stack[stack.length - 1]!.text += src.slice(i + 9, end);
      advanceTo(end + 3);
    } else if (src.startsWith("<!DOCTYPE", i)) {
      fail("a DOCTYPE is not accepted (a CIB has none; its entities would not be read)");
    } else if (src.startsWith("<?", i) || src.startsWith("<!", i)) {
      const end = src.indexOf(">", i);
      if (end < 0) fail("unterminated declaration");
      advanceTo(end + 1);
    } else if (src[i + 1] === "/") {
      const end = src.indexOf(">", i);
      if (end < 0) fail("unterminated closing tag");
      const name = src.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`closing tag </${name}> does not match <${open?.name ?? "nothing"}>`);
      advanceTo(end + 1);
    } else {
      let j = i + 1;
      while (j < src.length && !endsName(src.charCodeAt(j))) j++;
      const el: XmlElement = {
        name: src.slice(i + 1, j),
        attrs: Object.create(null) as Record<string, string>,
        children: [],
        text: "",
        line,
      };
      if (!el.name) fail("empty tag name");
      for (;;) {
        attrRe.lastIndex = j;
        const m = attrRe.exec(src);
        if (!m) break;
        el.attrs[m[1]!] = decode(m[3] ?? m[4] ?? "", fail);
        j = attrRe.lastIndex;
      }
      while (j < src.length && isSpace(src.charCodeAt(j))) j++;
      const selfClosing = src[j] === "/";
      if (selfClosing) j++;
      if (src[j] !== ">") fail(`malformed tag <${el.name}>`);
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) fail("more than one root element");
      else root = el;
      if (!selfClosing) stack.push(el);
      if (stack.length > XML_MAX_DEPTH) fail(`elements nested deeper than ${XML_MAX_DEPTH}`);
      advanceTo(j + 1);
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) throw new XmlError("no root element");
  return root;
}

export const childrenNamed = (el: XmlElement | undefined, name: string): XmlElement[] =>
  el?.children.filter((c) => c.name === name) ?? [];
export const childNamed = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
