// A small, fast XML reader for Pacemaker CIBs and agent meta-data: elements, attributes, text, comments, CDATA,
// the five predefined entities and numeric character references. No DTDs, no namespaces (CIBs use neither): a
// DOCTYPE or another entity is refused, not expanded nor taken literally. Bounded: size and nesting depth.
// Attributes are kept in objects whose prototype chain holds nothing (an attribute named __proto__ or constructor
// is just an attribute) yet that V8 keeps in its fast, shared-shape form: a status section of 32 nodes × 10 000
// resources has ~700 000 elements.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based line of the opening tag, for error messages. */
  readonly line: number;
}

/** Attribute holders: no Object.prototype behind them, so no inherited names and no __proto__ setter. */
const Attrs = function (this: Record<string, string>) {} as unknown as new () => Record<string, string>;
Attrs.prototype = Object.create(null) as object;

/** Line numbers are counted only when asked for (an error message): counting them on every tag costs a pass. */
class LineIndex {
  private starts: Int32Array | undefined;
  constructor(private readonly src: string) {}
  lineOf(offset: number): number {
    if (!this.starts) {
      const at: number[] = [0];
      for (let i = this.src.indexOf("\n"); i >= 0; i = this.src.indexOf("\n", i + 1)) at.push(i + 1);
      this.starts = Int32Array.from(at);
    }
    let lo = 0,
      hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** Shared by every element without children until it gets one (most elements of a status section are leaves). */
const NO_CHILDREN: XmlElement[] = [];

class Element implements XmlElement {
  attrs = new Attrs();
  children: XmlElement[] = NO_CHILDREN;
  text = "";
  constructor(
    readonly name: string,
    private readonly offset: number,
    private readonly lines: LineIndex,
  ) {}
  get line(): number {
    return this.lines.lineOf(this.offset);
  }
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
/** Characters that end a tag or attribute name. */
const endsName = (c: number) => isSpace(c) || c === 47 /* / */ || c === 62 /* > */ || c === 61; /* = */
function onlySpace(src: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(src.charCodeAt(k))) return false;
  return true;
}

export interface ParseOptions {
  /**
   * Called as each element closes, with its parent: returning true takes the element out of the tree (the caller
   * keeps what it needs of it). Large repeated parts of a document then never stay in memory as elements.
   */
  take?: (el: XmlElement, parent: XmlElement) => boolean;
  /**
   * Reads the elements named `element` inside `parent` by itself: called at each one's '<' with where the next '&'
   * is (-1: none), it returns the offset just past the element, which then stays out of the tree — or -1 to leave
   * it to this reader (a shape it does not read).
   */
  direct?: { element: string; parent: string; read: (at: number, nextAmp: number, parent: XmlElement) => number };
}

export function parseXml(src: string, options: ParseOptions = {}): XmlElement {
  const take = options.take;
  const direct = options.direct;
  const lines = new LineIndex(src);
  let i = 0;
  const stack: Element[] = [];
  let root: Element | undefined;
  const fail = (msg: string, at = i): never => {
    throw new XmlError(`line ${lines.lineOf(at)}: ${msg}`);
  };
  if (src.length > XML_MAX_BYTES) fail(`the document is larger than ${XML_MAX_BYTES / 1024 / 1024} MiB`);
  const n = src.length;
  // Names and short values repeat across a document (every history entry has the same attributes): a small cache
  // hands out one string for each instead of a new copy (V8 must also look up every new property name).
  const cache: string[] = new Array<string>(4096).fill("");
  const intern = (at: number, end: number): string => {
    const len = end - at;
    if (len === 0) return "";
    const h =
      (len * 31 + src.charCodeAt(at) * 7 + src.charCodeAt(end - 1) * 3 + src.charCodeAt((at + end) >> 1)) & 4095;
    const hit = cache[h]!;
    if (hit.length === len) {
      let k = 0;
      while (k < len && hit.charCodeAt(k) === src.charCodeAt(at + k)) k++;
      if (k === len) return hit;
    }
    return (cache[h] = src.slice(at, end));
  };
  // Attribute names already met: a name found in this cache where the text has `name=` needs no scan character by
  // character (names are checked when first met; values never enter this cache, so "a b" cannot pass for a name).
  const names: string[] = new Array<string>(1024).fill("");
  const knownName = (at: number, end: number): string | undefined => {
    const len = end - at;
    const hit =
      names[
        (len * 31 + src.charCodeAt(at) * 7 + src.charCodeAt(end - 1) * 3 + src.charCodeAt((at + end) >> 1)) & 1023
      ]!;
    return hit.length === len && src.startsWith(hit, at) ? hit : undefined;
  };
  const rememberName = (name: string): void => {
    const len = name.length;
    names[(len * 31 + name.charCodeAt(0) * 7 + name.charCodeAt(len - 1) * 3 + name.charCodeAt(len >> 1)) & 1023] = name;
  };
  // Where the next '&' is: values without one need no decoding (most documents have none at all).
  let nextAmp = src.indexOf("&");
  // Children join their parent as they close (in document order still), so that `take` sees them whole.
  const attach = (el: Element, parent: Element) => {
    if (take?.(el, parent)) return;
    // (A first child gets an array of one: an empty array grown by a push reserves room for seventeen.)
    if (parent.children === NO_CHILDREN) parent.children = [el];
    else parent.children.push(el);
  };
  while (i < n) {
    const lt = src.indexOf("<", i);
    if (lt < 0) {
      if (stack.length && !onlySpace(src, i, n)) fail("unexpected end of document");
      break;
    }
    // Text between tags (mostly indentation: skipped without copying it).
    if (lt > i && stack.length && !onlySpace(src, i, lt))
      stack[stack.length - 1]!.text += decode(src.slice(i, lt), (m) => fail(m, i));
    i = lt;
    const next = src.charCodeAt(i + 1);
    if (next === 33 /* ! */ || next === 63 /* ? */) {
      if (src.startsWith("<!--", i)) {
        const end = src.indexOf("-->", i + 4);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
      } else if (src.startsWith("<![CDATA[", i)) {
        const end = src.indexOf("]]>", i + 9);
        if (end < 0) fail("unterminated CDATA section");
        if (stack.length) stack[stack.length - 1]!.text += src.slice(i + 9, end);
        i = end + 3;
      } else if (src.startsWith("<!DOCTYPE", i)) {
        fail("a DOCTYPE is not accepted (a CIB has none; its entities would not be read)");
      } else {
        const end = src.indexOf(">", i);
        if (end < 0) fail("unterminated declaration");
        i = end + 1;
      }
    } else if (next === 47 /* / */) {
      const end = src.indexOf(">", i);
      if (end < 0) fail("unterminated closing tag");
      const open = stack.pop();
      // Compared in place: no string is made for a matching closing tag.
      let nameEnd = end;
      while (nameEnd > i + 2 && isSpace(src.charCodeAt(nameEnd - 1))) nameEnd--;
      if (!open || nameEnd - (i + 2) !== open.name.length || !src.startsWith(open.name, i + 2))
        fail(`closing tag </${src.slice(i + 2, end).trim()}> does not match <${open?.name ?? "nothing"}>`);
      if (stack.length) attach(open!, stack[stack.length - 1]!);
      i = end + 1;
    } else {
      const tagAt = i;
      let j = i + 1;
      while (j < n && !endsName(src.charCodeAt(j))) j++;
      if (j === i + 1) fail("empty tag name");
      const name = intern(i + 1, j);
      if (direct && name === direct.element && stack.length && stack[stack.length - 1]!.name === direct.parent) {
        if (nextAmp >= 0 && nextAmp < tagAt) nextAmp = src.indexOf("&", tagAt);
        const end = direct.read(tagAt, nextAmp, stack[stack.length - 1]!);
        if (end >= 0) {
          i = end;
          continue;
        }
      }
      const el = new Element(name, tagAt, lines);
      // Attributes: name = "value" | 'value', separated by white space.
      for (;;) {
        const before = j;
        while (j < n && isSpace(src.charCodeAt(j))) j++;
        const c = src.charCodeAt(j);
        if (c === 47 /* / */ || c === 62 /* > */ || j >= n) break;
        if (j === before) fail(`malformed tag <${el.name}>`, tagAt);
        const eq = src.indexOf("=", j);
        let name = eq > j ? knownName(j, eq) : undefined;
        if (name !== undefined) j = eq;
        else {
          const nameAt = j;
          while (j < n && !endsName(src.charCodeAt(j))) j++;
          name = intern(nameAt, j);
          if (name) rememberName(name);
        }
        while (j < n && isSpace(src.charCodeAt(j))) j++;
        if (!name || src.charCodeAt(j) !== 61 /* = */) fail(`malformed tag <${el.name}>`, tagAt);
        j++;
        while (j < n && isSpace(src.charCodeAt(j))) j++;
        const q = src.charCodeAt(j);
        if (q !== 34 && q !== 39) fail(`malformed tag <${el.name}>`, tagAt);
        const close = src.indexOf(q === 34 ? '"' : "'", j + 1);
        if (close < 0) fail(`malformed tag <${el.name}>`, tagAt);
        if (nextAmp >= 0 && nextAmp < j) nextAmp = src.indexOf("&", j);
        el.attrs[name] =
          nextAmp >= 0 && nextAmp < close
            ? decode(src.slice(j + 1, close), (m) => fail(m, tagAt))
            : close - j <= 9
              ? intern(j + 1, close)
              : src.slice(j + 1, close);
        j = close + 1;
      }
      const selfClosing = src.charCodeAt(j) === 47;
      if (selfClosing) j++;
      if (src.charCodeAt(j) !== 62) fail(`malformed tag <${el.name}>`, tagAt);
      if (!stack.length) {
        if (root) fail("more than one root element", tagAt);
        root = el;
      }
      if (!selfClosing) stack.push(el);
      else if (stack.length) attach(el, stack[stack.length - 1]!);
      if (stack.length > XML_MAX_DEPTH) fail(`elements nested deeper than ${XML_MAX_DEPTH}`, tagAt);
      i = j + 1;
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
