// The in-place history reader must read exactly what the general XML reader reads: the whole model compared for
// Pacemaker's corpus, the seeds' CIBs, shapes the in-place reader leaves to the general one, and seeded mutants.

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Random } from "../core/random.js";
import { readCib } from "./cib.js";
import { lrmOf } from "./history-table.js";

const REPO = new URL("../../..", import.meta.url).pathname;
const CORPUS = join(REPO, "..", "shared", "conformance", "pacemaker-scheduler", "public", "xml");
const SEEDS = ["examples/seed000-pgsql-stonith/cib.xml", "examples/seed003-aws-eip/cib.xml"].map((f) =>
  readFileSync(join(REPO, f), "utf8"),
);
const NOW = 1_700_000_000;

/** What each reader makes of the text: the model (histories as lists of objects), or the error. */
function both(xml: string): [unknown, unknown] {
  const read = (inPlace: boolean) => {
    try {
      const input = readCib(xml, NOW, inPlace);
      return {
        ...input,
        nodeStates: input.nodeStates.map(({ history, ...ns }) => ({ ...ns, lrm: lrmOf({ ...ns, history }) })),
      };
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  return [read(true), read(false)];
}

test("Pacemaker's corpus and the seeds' CIBs read alike in place and through the XML reader", (t) => {
  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => f.endsWith(".xml")) : [];
  if (!files.length) t.diagnostic(`corpus not found at ${CORPUS}: the seeds' CIBs only`);
  for (const xml of [...SEEDS, ...files.map((f) => readFileSync(join(CORPUS, f), "utf8"))]) {
    const [inPlace, general] = both(xml);
    assert.deepEqual(inPlace, general);
  }
});

test("a history table survives structuredClone (the scheduler gets copies of its input)", () => {
  const input = readCib(SEEDS[0]!, NOW);
  const copy = structuredClone(input);
  for (let i = 0; i < input.nodeStates.length; i++)
    assert.deepEqual(lrmOf(copy.nodeStates[i]!), lrmOf(input.nodeStates[i]!));
  assert.ok(
    input.nodeStates.some((ns) => (ns.history?.entries ?? 0) > 0),
    "the seed's histories are in tables",
  );
});

const cibWith = (lrm: string) =>
  `<cib crm_feature_set="3.16.1"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources>` +
  `<primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>` +
  `<status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1">` +
  `<lrm_resources>${lrm}</lrm_resources></lrm></node_state></status></cib>`;
const op = (attrs: string) => `<lrm_rsc_op ${attrs}/>`;
const PLAIN =
  'id="r_last_0" operation_key="r_start_0" operation="start" crm_feature_set="3.16.1" ' +
  'transition-key="3:1:0:0a0a" transition-magic="0:0;3:1:0:0a0a" call-id="6" rc-code="0" op-status="0" ' +
  'interval="0" last-rc-change="1700000000" exec-time="10" queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"';

test("tables that grow past what the node before held read alike (a generated status of 3 nodes × 1 500)", () => {
  const rsc = (i: number) => `<primitive id="r${i}" class="ocf" provider="heartbeat" type="Dummy"/>`;
  const op = (i: number, name: string, call: number, rc: number, interval = 0) =>
    `<lrm_rsc_op id="r${i}_${name}_${interval}" operation="${name}" crm_feature_set="3.16.1" ` +
    `transition-key="${call}:1:${rc}:0a0a" call-id="${call}" rc-code="${rc}" op-status="0" interval="${interval}" ` +
    `last-rc-change="1700000000" op-digest="d${i % 7}"/>`;
  const node = (n: number) => {
    let lrm = "";
    for (let i = 0; i < 1500 + n * 700; i++) {
      // The later nodes run more (more records each) and hold more entries than the node before.
      const ops =
        i % (5 - n) === 0 ? op(i, "start", 2 * i, 0) + op(i, "monitor", 2 * i + 1, 0, 10000) : op(i, "monitor", i, 7);
      lrm += `<lrm_resource id="r${i % 1500}" class="ocf" provider="heartbeat" type="Dummy">${ops}</lrm_resource>`;
    }
    return `<node_state id="${n}" uname="n${n}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${n}"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>`;
  };
  const xml =
    `<cib crm_feature_set="3.16.1"><configuration><crm_config/><nodes>` +
    [1, 2, 3].map((n) => `<node id="${n}" uname="n${n}"/>`).join("") +
    `</nodes><resources>${Array.from({ length: 1500 }, (_, i) => rsc(i)).join("")}</resources><constraints/>` +
    `</configuration><status>${[1, 2, 3].map(node).join("")}</status></cib>`;
  const [inPlace, general] = both(xml);
  assert.deepEqual(inPlace, general);
  const input = readCib(xml, NOW);
  assert.deepEqual(
    input.nodeStates.map((ns) => ns.history?.entries),
    [2200, 2900, 3600],
    "every entry is in the node's table",
  );
});

test("shapes the in-place reader leaves to the XML reader are read alike, or refused alike", () => {
  const lrms = [
    `<lrm_resource id="r" class="ocf" provider="heartbeat" type="Dummy">${op(PLAIN)}</lrm_resource>`,
    `<lrm_resource id="r" class="ocf" provider="heartbeat" type="Dummy"/>`,
    `<lrm_resource id="r" class='ocf' type="Dummy">${op(PLAIN)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('call-id="6"', "call-id='6'"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('op-status="0"', 'op-status = "0"'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy"><!-- a comment -->${op(PLAIN)}</lrm_resource >`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("r_last_0", "r&amp;last_0"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(`${PLAIN} exit-reason="it said &quot;no&quot;"`)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(`${PLAIN} migrate_source="n1" migrate_target="n2" on_node="n1"`)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(`${PLAIN} op-restart-digest="aa" op-force-restart=" state "`)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('call-id="6"', 'call-id="-1"'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('rc-code="0"', 'rc-code=""'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('interval="0"', 'interval="1e3"'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('interval="0"', 'interval="99999999999999999999"'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("last-rc-change", "last-run"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("3:1:0:0a0a", "3:-1:7:0a0a"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("3:1:0:0a0a", "x:1:0"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(`${PLAIN} some_other="x" a.b-c_d="y"`)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN)}${op(PLAIN.replace("r_last_0", "r_monitor_10000"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy"><lrm_rsc_op ${PLAIN}></lrm_rsc_op></lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">text${op(PLAIN)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(`${PLAIN} exit-reason="line&#10;break"`)}</lrm_resource>`,
    // Malformed, or a reserved name: both refuse, with the same message.
    `<lrm_resource id="constructor" type="Dummy">${op(PLAIN)}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("r_last_0", "__proto__"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('call-id="6" ', 'call-id="6"'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN)}</lrm_resourcex>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace('op-status="0"', 'op-status="0'))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy">${op(PLAIN.replace("r_last_0", "&bogus;"))}</lrm_resource>`,
    `<lrm_resource id="r" type="Dummy"><lrm_rsc_op/></lrm_resource>`,
  ];
  for (const lrm of lrms) {
    const [inPlace, general] = both(cibWith(lrm));
    assert.deepEqual(inPlace, general, lrm);
  }
});

test("a character reference elsewhere in the CIB leaves the plain histories to the in-place reader", () => {
  const xml = cibWith(
    `<lrm_resource id="r" class="ocf" provider="heartbeat" type="Dummy">${op(PLAIN)}</lrm_resource>`,
  ).replace('<primitive id="r"', '<primitive id="r" description="two&#10;lines"');
  assert.equal(readCib(xml, NOW).nodeStates[0]!.history?.entries, 1);
  const [inPlace, general] = both(xml);
  assert.deepEqual(inPlace, general);
});

test("seeded mutants of the seeds' CIBs read alike (or fail alike)", () => {
  const rnd = new Random(7);
  const pieces = [
    ...['"', "'", "<", ">", "/", "=", " ", "&amp;", "&", "&#38;", "-", "0", "9", '"__proto__"', "constructor"],
    ...["lrm_rsc_op", "call-id", "<!---->"],
  ];
  for (let n = 0; n < Number(process.env.PACELINE_FUZZ_CIBS ?? 1000); n++) {
    let xml = SEEDS[n % SEEDS.length]!;
    const from = xml.indexOf("<lrm_resources>");
    for (let m = rnd.int(1, 3); m > 0; m--) {
      const at = rnd.int(from, xml.length - 1);
      const cut = rnd.int(0, 3);
      xml = xml.slice(0, at) + pieces[rnd.int(0, pieces.length - 1)]! + xml.slice(at + cut);
    }
    const [inPlace, general] = both(xml);
    assert.deepEqual(inPlace, general, `mutant ${n}`);
  }
});
