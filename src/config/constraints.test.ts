// cluster.yaml's clones, promotable clones and constraints: how they load, how mistakes read, and what the
// scheduler makes of them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { schedule } from "../core/scheduler/index.js";
import { loadConfigText } from "./load.js";
import { lowerConfig } from "./lower.js";
import { formatProblem } from "./problems.js";
import { parseRule, ruleText } from "./rule-text.js";

const errorsOf = (text: string) =>
  loadConfigText(text, "c.yaml")
    .problems.filter((p) => p.severity === "error")
    .map(formatProblem);

const NODES = `nodes:
  n1: { links: [10.0.0.1] }
  n2: { links: [10.0.0.2] }
  n3: { links: [10.0.0.3] }
`;

const SEED_LIKE = `${NODES}
resources:
  data: { agent: ocf:pacemaker:Stateful, promotable: { promoted-max: 1 } }
  ping: { agent: ocf:pacemaker:ping, clone: { interleave: true } }
  web:
    members:
      vip: { agent: ocf:heartbeat:Dummy }
      app: { agent: ocf:heartbeat:Dummy }
location:
  - { rsc: web, rules: ["-INFINITY: not_defined pingd or pingd lte 0", "pingd: defined pingd"] }
  - { rsc: data, role: promoted, node: n3, score: 20 }
colocate: ["web with promoted data"]
order: ["promote data then start web", { first: ping, then: web, kind: Optional }]
`;

test("rules read as the crm shell writes them, and print back the same", () => {
  for (const text of [
    "-INFINITY: not_defined pingd or pingd lte 0",
    "pingd: defined pingd",
    "100: #uname eq node1",
    "$role=Promoted 50: site eq a and rack number:gt 2",
    "INFINITY: date in_range start=2026-01-01 end=2026-06-30",
    "10: date date_spec hours=9-17 weekdays=1-5",
    "INFINITY: disk number:gte param:size",
    "100: rack eq meta:rack",
  ]) {
    const r = parseRule(text, "r");
    assert.ok(typeof r !== "string", `${text}: ${String(r)}`);
    assert.equal(ruleText(r), text.replace("number:gt", "number:gt"));
  }
  assert.match(String(parseRule("10: a eq b or c eq d and e eq f", "r")), /not both/);
  assert.match(String(parseRule("10: pingd less 5", "r")), /not a comparison/);
  assert.match(String(parseRule('10: name eq "unclosed', "r")), /unclosed quote/);
});

test("clones, a promotable clone and constraints load into the scheduler's terms", () => {
  const r = loadConfigText(SEED_LIKE, "c.yaml");
  assert.deepEqual(r.problems.filter((p) => p.severity === "error").map(formatProblem), []);
  const c = r.config!;
  const data = c.resources.find((x) => x.id === "data")!;
  assert.deepEqual(data.clone, {
    id: "data-clone",
    max: 3,
    perNode: 1,
    interleave: false,
    ordered: false,
    globallyUnique: false,
    notify: false,
    promotable: { max: 1, perNode: 1 },
  });
  // Constraints name the resource; the scheduler's constraint names its clone.
  assert.deepEqual(
    c.constraints.colocations.map((x) => [x.rsc, x.withRsc, x.withRscRole, x.score]),
    [["web", "data-clone", "Promoted", 1_000_000]],
  );
  assert.deepEqual(
    c.constraints.orders.map((x) => [x.first, x.firstAction, x.then, x.thenAction, x.kind]),
    [
      ["data-clone", "promote", "web", "start", "Mandatory"],
      ["ping-clone", "start", "web", "start", "Optional"],
    ],
  );
  const loc = c.constraints.locations.find((x) => x.rsc === "data-clone")!;
  assert.equal(loc.role, "Promoted");
  const input = lowerConfig(c, ["n1", "n2", "n3"]);
  assert.deepEqual(
    input.resources.map((x) => `${x.kind}:${x.id}`),
    ["clone:data-clone", "clone:ping-clone", "group:web"],
  );
});

test("the scheduler promotes where the score is highest and puts the group beside it", () => {
  const c = loadConfigText(SEED_LIKE, "c.yaml").config!;
  const input = lowerConfig(c, ["n1", "n2", "n3"]);
  for (const ns of input.nodeStates) {
    ns.transient.pingd = ns.id === "n3" ? "0" : "100";
    ns.transient["master-data"] = "5";
  }
  const placed = schedule(input).transition.placed.map((p) => `${p.rsc}@${p.node}:${p.role}`);
  // n3 has the role=promoted preference but no router: the group may not run there, so neither may promotion.
  const promoted = placed.filter((p) => p.endsWith(":Promoted"));
  assert.equal(promoted.length, 1, placed.join(" "));
  const at = promoted[0]!.split("@")[1]!.split(":")[0];
  assert.notEqual(at, "n3");
  assert.ok(placed.includes(`vip@${at}:Started`) && placed.includes(`app@${at}:Started`), placed.join(" "));
});

test("location rules compare node attributes with the resource's own parameters and meta attributes; a pattern's groups name attributes, and !pattern selects the rest", () => {
  const text = `nodes:
  n1: { links: [10.0.0.1], attributes: { disk-a: 100, disk-b: 900, rack: 2 } }
  n2: { links: [10.0.0.2], attributes: { disk-a: 500, disk-b: 100, rack: 1 } }
  n3: { links: [10.0.0.3], attributes: { disk-a: 100, disk-b: 100, rack: 1 } }
resources:
  db-a: { agent: ocf:heartbeat:Dummy, params: { fake: "400" } }
  db-b: { agent: ocf:heartbeat:Dummy, params: { fake: "400" } }
  web: { agent: ocf:heartbeat:Dummy }
  tool: { agent: ocf:heartbeat:Dummy, meta: { rack: "2" } }
location:
  - { rsc-pattern: "^db-(.*)$", rules: ["INFINITY: disk-%1 number:gte param:fake"] }
  - { rsc-pattern: "!^(db-|tool)", node: n3, score: INFINITY }
  - { rsc: tool, rules: ["INFINITY: rack eq meta:rack"] }
`;
  const r = loadConfigText(text, "c.yaml");
  assert.deepEqual(r.problems.filter((p) => p.severity === "error").map(formatProblem), []);
  const placed = schedule(lowerConfig(r.config!, ["n1", "n2", "n3"])).transition.placed.map(
    (p) => `${p.rsc}@${p.node}`,
  );
  // db-a: only n2's disk-a (500) holds its 400; db-b: only n1's disk-b; web is the one the inverted pattern names;
  // tool: the rack of its meta attribute.
  assert.deepEqual(placed.sort(), ["db-a@n2", "db-b@n1", "tool@n1", "web@n3"]);
});

test("constraint mistakes are located and say what to write", () => {
  const errs = errorsOf(`${NODES}
resources:
  data: { agent: ocf:pacemaker:Stateful, promotable: true, clone: true }
  web: { agent: ocf:heartbeat:Dummy }
  db: { agent: ocf:heartbeat:Dummy }
location:
  - { rsc: wbe, node: n1 }
  - { rsc: web, node: n9, score: 10 }
  - { rsc: web, rules: ["-INFINITY: pingd less 0"] }
  - { rsc: web }
colocate: ["web with promoted db", "web next to db"]
order: ["promote db then web", "web then web", { first: web, then: db, kind: Sometimes }]
`);
  const want = [
    /resources\.data\.promotable.*not both/,
    /location\[0\]\.rsc.*no resource `wbe`.*did you mean `web`/,
    /location\[1\]\.node.*no node `n9`/,
    /location\[2\]\.rules\[0\].*not a comparison/,
    /location\[3\].*either `node`.*or `rules`/,
    /colocate\[0\]\.with-role.*needs a promotable resource/,
    /colocate\[1\].*write "A with B"/,
    /order\[0\]\.first-action.*promote needs a promotable resource/,
    /order\[1\].*ordered after itself/,
    /order\[2\]\.kind/,
  ];
  for (const re of want)
    assert.ok(
      errs.some((e) => re.test(e)),
      `${re}\nin:\n${errs.join("\n")}`,
    );
});
