// A small, fast XML reader for Pacemaker CIBs and agent meta-data: elements, attributes, text, comments, CDATA,
// the five predefined entities and numeric character references. No DTDs, no namespaces (CIBs use neither).

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based line of the opening tag, for error messages. */
  line: number;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export class XmlError extends Error {}

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
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      if (src.slice(i).trim() && stack.length) fail("unexpected end of document");
      break;
    }
    if (lt > i && stack.length) stack[stack.length - 1]!.text += decode(src.slice(i, lt));
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
      while (j < src.length && !/[\s/>]/.test(src[j]!)) j++;
      const el: XmlElement = { name: src.slice(i + 1, j), attrs: {}, children: [], text: "", line };
      if (!el.name) fail("empty tag name");
      for (;;) {
        attrRe.lastIndex = j;
        const m = attrRe.exec(src);
        if (!m) break;
        el.attrs[m[1]!] = decode(m[3] ?? m[4] ?? "");
        j = attrRe.lastIndex;
      }
      while (j < src.length && /\s/.test(src[j]!)) j++;
      const selfClosing = src[j] === "/";
      if (selfClosing) j++;
      if (src[j] !== ">") fail(`malformed tag <${el.name}>`);
      if (stack.length) stack[stack.length - 1]!.children.push(el);
      else if (root) fail("more than one root element");
      else root = el;
      if (!selfClosing) stack.push(el);
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
