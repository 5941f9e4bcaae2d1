// Bad CIBs get a located, specific error, never an internal one (issue: `paceline simulate --cib` on mutated CIBs
// ended in "thens.map is not a function", "Cannot read properties of undefined", "Invalid code point", "Maximum call
// stack size exceeded", and a DTD entity taken literally as a resource id). The known cases, then seeded mutants of
// the seeds' CIBs through the whole `simulate` path (read, then schedule). PACELINE_FUZZ_CIBS scales the mutants.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Random } from "../core/random.js";
import { schedule } from "../core/scheduler/index.js";
import { readCib } from "./cib.js";

const REPO = new URL("../../..", import.meta.url).pathname;
const SEEDS = ["examples/seed000-pgsql-stonith/cib.xml", "examples/seed003-aws-eip/cib.xml"].map((f) =>
  readFileSync(`${REPO}/${f}`, "utf8"),
);
const MUTANTS = Number(process.env.PACELINE_FUZZ_CIBS ?? 1000);
/** What a JavaScript engine says when the code, not the input, is wrong. */
const INTERNAL =
  /is not a function|Cannot read properties|is not iterable|Maximum call stack|Invalid code point|undefined/;

function outcome(xml: string): string {
  try {
    schedule(readCib(xml, 1_700_000_000));
    return "ok";
  } catch (e) {
    const err = e as Error;
    if (err instanceof TypeError || err instanceof RangeError || INTERNAL.test(err.message))
      return `INTERNAL ${err.name}: ${err.message}`;
    return `error: ${err.message}`;
  }
}

const cib = (resources: string, constraints = "") =>
  `<cib><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status/></cib>`;
const prim = (id: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"/>`;

test("the known crashers get a plain error that says where", () => {
  const cases: Array<[string, RegExp]> = [
    [
      cib(prim("a"), `<rsc_order id="o" first="a" then="__proto__"/>`),
      /line 1: <rsc_order then="__proto__">: the name __proto__ is reserved/,
    ],
    [
      cib(prim("a"), `<rsc_colocation id="c" rsc="a" with-rsc="constructor" score="INFINITY"/>`),
      /the name constructor is reserved/,
    ],
    [cib(`<group id="g"/>`), /line 1: group g has no primitive/],
    [
      cib(`<group id="g"><group id="h">${prim("a")}</group></group>`),
      /group g holds a group or a clone: a group holds primitives only/,
    ],
    [cib(`<primitive id="a&#x110000;" class="ocf" type="Dummy"/>`), /&#x110000; is not a character XML allows/],
    [`<!DOCTYPE cib [<!ENTITY e "x">]>` + cib(prim("a")), /a DOCTYPE is not accepted/],
    [cib(`<primitive id="&e;" class="ocf" type="Dummy"/>`), /unknown entity &e; \(only &lt; .* DTDs are not read\)/],
    [`${"<a>".repeat(5000)}${"</a>".repeat(5000)}`, /elements nested deeper than 100/],
  ];
  for (const [xml, want] of cases) assert.match(outcome(xml), want);
});

test(`${MUTANTS} seeded mutants of the seeds' CIBs: no internal error`, () => {
  const rng = new Random(2026);
  const snippets = [
    `__proto__`,
    `constructor`,
    `&#x110000;`,
    `&e;`,
    `<group id="gz"/>`,
    `<group id="gy"><group id="gx"/></group>`,
    `<!DOCTYPE x [<!ENTITY e "v">]>`,
    `${"<b>".repeat(300)}`,
    `"`,
    `<`,
    `INFINITY`,
    `-INFINITY`,
    `score="abc"`,
    `interval="-5s"`,
    `<rsc_order id="oz" first="nope" then="nope2"/>`,
    `<clone id="cz"/>`,
  ];
  const internal: string[] = [];
  const counts = { ok: 0, error: 0 };
  for (let k = 0; k < MUTANTS; k++) {
    let xml = SEEDS[k % SEEDS.length]!;
    for (let m = rng.int(1, 3); m > 0; m--) {
      const at = rng.int(0, xml.length - 1);
      const roll = rng.int(0, 5); // mostly attribute values: the document stays well formed and reaches the scheduler
      if (roll === 0) xml = xml.slice(0, at) + xml.slice(at + rng.int(1, 200));
      else if (roll === 1) xml = xml.slice(0, at) + snippets[rng.int(0, snippets.length - 1)] + xml.slice(at);
      else if (roll === 2) xml = xml.slice(0, at) + xml.slice(rng.int(0, xml.length - 1)).slice(0, 300) + xml.slice(at);
      else {
        // an attribute value replaced
        const q = xml.indexOf('="', at);
        if (q > 0)
          xml = xml.slice(0, q + 2) + snippets[rng.int(0, snippets.length - 1)] + xml.slice(xml.indexOf('"', q + 2));
      }
    }
    const r = outcome(xml);
    if (r.startsWith("INTERNAL")) internal.push(`mutant ${k}: ${r}`);
    else counts[r === "ok" ? "ok" : "error"]++;
  }
  console.log(
    `# CIB mutants: ${counts.ok} scheduled, ${counts.error} refused with a plain error, ${internal.length} internal errors`,
  );
  assert.deepEqual(internal.slice(0, 10), [], `${internal.length} internal errors`);
});
