// The XML reader: what the CIB reader relies on (attributes, text, located errors, `take`).

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseXml, XmlError } from "./xml.js";

test("attributes, entities, text and CDATA", () => {
  const root = parseXml(
    `<?xml version="1.0"?>\n<a x="1" y = 'two &amp; &#x33;'>\n  <b z="&lt;&gt;"/>t&amp;u<![CDATA[<raw>]]></a>`,
  );
  assert.equal(root.name, "a");
  assert.deepEqual({ ...root.attrs }, { x: "1", y: "two & 3" });
  assert.equal(root.children[0]!.attrs.z, "<>");
  assert.equal(root.text, "t&u<raw>");
  assert.equal(root.children[0]!.line, 3);
});

test("an attribute named like a prototype member is only an attribute", () => {
  const root = parseXml(`<a __proto__="p" constructor="c"/>`);
  assert.equal(root.attrs.__proto__, "p");
  assert.equal(root.attrs.constructor, "c");
  assert.equal(parseXml(`<a/>`).attrs.toString, undefined);
  assert.deepEqual(Object.keys(root.attrs), ["__proto__", "constructor"]);
});

test("errors name the line of the tag", () => {
  const bad: Array<[string, RegExp]> = [
    [`<a>\n<b x=1/>\n</a>`, /^line 2: malformed tag <b>/],
    [`<a>\n\n<b></c></a>`, /^line 3: closing tag <\/c> does not match <b>/],
    [`<a>\n<b x="&bogus;"/></a>`, /^line 2: unknown entity &bogus;/],
    [`<a>\n<b>`, /^line 2: <b> is never closed/],
    [`<a/><b/>`, /more than one root element/],
    [`<!DOCTYPE a><a/>`, /DOCTYPE is not accepted/],
  ];
  for (const [xml, re] of bad)
    assert.throws(
      () => parseXml(xml),
      (e: Error) => e instanceof XmlError && re.test(e.message),
      xml,
    );
});

test("take: elements handed over as they close stay out of the tree, in document order", () => {
  const seen: string[] = [];
  const root = parseXml(`<r><k id="1"><c/></k><x/><k id="2"/></r>`, {
    take: (el, parent) => {
      if (el.name !== "k") return false;
      seen.push(`${parent.name}/${el.attrs.id}:${el.children.length}`);
      return true;
    },
  });
  assert.deepEqual(seen, ["r/1:1", "r/2:0"]);
  assert.deepEqual(
    root.children.map((c) => c.name),
    ["x"],
  );
});

test("repeated names and values are shared, not copied: values still read right", () => {
  const xml = `<r>${Array.from({ length: 50 }, (_, i) => `<op id="o${i}" rc-code="${i % 3}" interval="0" digest="${"d".repeat(i)}"/>`).join("")}</r>`;
  const ops = parseXml(xml).children;
  ops.forEach((op, i) =>
    assert.deepEqual({ ...op.attrs }, { id: `o${i}`, "rc-code": String(i % 3), interval: "0", digest: "d".repeat(i) }),
  );
});
