import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, parseDurationMs } from "./duration.js";
import { loadConfigText } from "./load.js";
import { formatProblem } from "./problems.js";

const errorsOf = (text: string) =>
  loadConfigText(text, "c.yaml")
    .problems.filter((p) => p.severity === "error")
    .map(formatProblem);

test("durations parse in human units and print back", () => {
  assert.equal(parseDurationMs("500ms"), 500);
  assert.equal(parseDurationMs("10s"), 10_000);
  assert.equal(parseDurationMs("2m"), 120_000);
  assert.equal(parseDurationMs("1.5s"), 1500);
  assert.equal(parseDurationMs(30), 30_000);
  assert.equal(parseDurationMs("ten seconds"), undefined);
  assert.equal(formatDuration(120_000), "2m");
  assert.equal(formatDuration(1500), "1500ms");
});

test("a small config loads with defaults", () => {
  const r = loadConfigText(`
resources:
  web:
    agent: ocf:heartbeat:Dummy
    monitor: 10s
  app:
    members:
      ip: { agent: "IPaddr::10.0.0.1/24/eth0" }
      svc: { exec: { command: "sleep 1000" }, migration-threshold: 3 }
defaults: { failure-timeout: 10m, final-action: { script: /bin/true } }
`);
  assert.deepEqual(r.problems, []);
  const [web, app] = r.config!.resources;
  assert.ok(web?.kind === "primitive" && app?.kind === "group");
  assert.equal(web.ops.find((o) => o.name === "monitor")?.intervalMs, 10_000);
  assert.deepEqual(app.members[0]!.agent, { class: "heartbeat", type: "IPaddr" });
  assert.deepEqual(app.members[0]!.args, ["10.0.0.1/24/eth0"]);
  assert.equal(app.members[1]!.meta.migrationThreshold, 3);
  assert.equal(app.members[1]!.meta.failureTimeoutMs, 600_000);
  assert.deepEqual(app.members[1]!.meta.finalAction, { kind: "script", path: "/bin/true" });
  assert.equal(app.members[1]!.group, "app");
});

test("every problem is reported with line, column, path and a hint", () => {
  const errors = errorsOf(`resources:
  web:
    agent: ocf:heartbeat:Dummy
    ops:
      monitor: { intervall: 10s, timeout: soon }
  db:
    agnet: lsb:postgresql
monitors:
  m1: { type: process, recover: wbe }
`);
  assert.ok(
    errors.some(
      (e) =>
        e ===
        "c.yaml:5:18: error: resources.web.ops.monitor.intervall: unknown key `intervall` — did you mean `interval`?",
    ),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((e) =>
      e.startsWith("c.yaml:5:43: error: resources.web.ops.monitor.timeout: `soon` is not valid: write a duration"),
    ),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((e) =>
      e.includes("c.yaml:7:5: error: resources.db.agnet: unknown key `agnet` — did you mean `agent`?"),
    ),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((e) => e.includes("monitors.m1.recover: no resource or group `wbe` — did you mean `web`?")),
    errors.join("\n"),
  );
  assert.ok(
    errors.some((e) => e.includes("monitors.m1: a process monitor needs `name`")),
    errors.join("\n"),
  );
});

test("syntax errors and wrong shapes are errors, not crashes", () => {
  assert.match(errorsOf("resources: [\n")[0]!, /^c\.yaml:\d+:\d+: error: YAML syntax/);
  assert.match(errorsOf("")[0]!, /empty or not a mapping/);
  assert.match(errorsOf("resources: 5")[0]!, /resources: expected a mapping/);
  assert.match(errorsOf("resources:\n  x: { agent: ocf:Dummy }")[0]!, /needs a provider and a type/);
  assert.match(errorsOf("resources:\n  x: { agent: exec }")[0]!, /needs `command`/);
  assert.match(errorsOf("resources:\n  x: { exec: { start: /a } }")[0]!, /needs a matching `stop`/);
  assert.match(errorsOf("resources:\n  g: { members: {} }")[0]!, /at least one member/);
  assert.match(
    errorsOf("resources:\n  a: { exec: { command: x } }\n  g: { members: { a: { exec: { command: y } } } }")[0]!,
    /used twice/,
  );
});

test("cluster-only on-fail values are accepted with a warning on one server", () => {
  const r = loadConfigText("resources:\n  x:\n    exec: { command: sleep 9 }\n    ops: { stop: { on-fail: fence } }\n");
  assert.ok(r.config);
  assert.match(
    formatProblem(r.problems[0]!),
    /warning: resources\.x\.ops\.stop\.on-fail: on-fail=fence needs a cluster/,
  );
});

test("cluster settings: nodes with links, heartbeat profiles and timings, quorum, ping — with plain errors", () => {
  const ok = loadConfigText(
    `
cluster: shop
heartbeat: { profile: fast, dead: 500ms }
quorum: { two-node: true }
ping: { targets: [192.0.2.1] }
nodes:
  a: { links: [10.0.0.1, 192.168.9.1] }
  b: { links: [10.0.0.2, 192.168.9.2], votes: 1 }
`,
    "c.yaml",
  ).config!;
  assert.deepEqual(
    ok.nodes.map((n) => [n.name, n.links]),
    [
      ["a", ["10.0.0.1", "192.168.9.1"]],
      ["b", ["10.0.0.2", "192.168.9.2"]],
    ],
  );
  assert.equal(ok.heartbeat.intervalMs, 50, "from the fast profile");
  assert.equal(ok.heartbeat.deadMs, 500, "overridden");
  const tight = loadConfigText(
    `cluster: shop\nheartbeat: { profile: fast, stop-margin: 250ms }\nnodes:\n  a: { links: [10.0.0.1] }\n  b: { links: [10.0.0.2] }\n`,
    "c.yaml",
  );
  assert.match(
    tight.problems.map(formatProblem).join("\n"),
    /heartbeat\.stop-margin: stop-margin \(250ms\) must be less than dead − interval − 2 × max-delay \(350ms − 50ms − 2 × 50ms = 200ms\)/,
  );
  assert.deepEqual(ok.quorum, { twoNode: true, waitForAll: true, noQuorumPolicy: "stop", arbiter: undefined });
  assert.deepEqual(ok.ping, {
    targets: ["192.0.2.1"],
    intervalMs: 2000,
    timeoutMs: 1000,
    multiplier: 1000,
    attribute: "pingd",
    preferConnected: true,
  });
  const errs = errorsOf(`
heartbeat: { interval: 1s, dead: 1500ms }
quorum: { two-node: true }
ping: { targets: [], attribute: "no spaces" }
nodes:
  a: { links: [10.0.0.1, 192.168.9.1] }
  b: { links: [10.0.0.2] }
  c: { links: [10.0.0.3, 192.168.9.3] }
`);
  assert.ok(
    errs.some((e) => /heartbeat\.dead: dead \(1500ms\) must be more than twice the interval \(1s\)/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errs.some((e) => /quorum\.two-node: two-node needs exactly two nodes \(there are 3\)/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errs.some((e) => /ping\.targets: list at least one address/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errs.some((e) => /ping\.attribute: an attribute name is/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errs.some((e) => /nodes: every node needs the same number of links/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errorsOf(
      "quorum: { two-node: true, arbiter: 10.0.0.9 }\nnodes:\n  a: { links: [10.0.0.1] }\n  b: { links: [10.0.0.2] }\n",
    ).some((e) => /quorum\.arbiter: an arbiter replaces two-node/.test(e)),
  );
});

test("fencing: devices, host maps and levels load; an inline password is refused with where to put it", () => {
  const base = `nodes:\n  a: { links: [10.0.0.1] }\n  b: { links: [10.0.0.2] }\nfencing:\n  devices:\n`;
  const c = loadConfigText(
    `${base}    ipmi-b: { agent: fence_ipmilan, params: { ip: 10.0.0.102, lanplus: 1 }, password-env: IPMI_PW, targets: [b] }\n    virsh: { agent: fence_virsh, host-map: { a: vm-a, b: vm-b }, timeout: 30s }\n`,
    "c.yaml",
  ).config!;
  assert.equal(c.fencing.enabled, true);
  assert.deepEqual(
    c.fencing.levels,
    { a: [["virsh"]], b: [["ipmi-b"], ["virsh"]] },
    "default levels: every device that can fence the node, in order",
  );
  assert.deepEqual(c.fencing.devices[0], {
    name: "ipmi-b",
    agent: "fence_ipmilan",
    params: { ip: "10.0.0.102", lanplus: "1" },
    password: { env: "IPMI_PW" },
    targets: { b: "" },
    timeoutMs: 20_000,
    delayMs: 0,
    delayMaxMs: 0,
  });
  assert.deepEqual(c.fencing.devices[1]!.targets, { a: "vm-a", b: "vm-b" });
  const errs = errorsOf(`${base}    ipmi: { agent: fence_ipmilan, params: { password: hunter2 }, targets: [b, zz] }\n`);
  assert.ok(
    errs.some((e) =>
      /fencing\.devices\.ipmi\.params\.password: keep passwords out of cluster\.yaml: use password-file/.test(e),
    ),
    errs.join("\n"),
  );
  assert.ok(
    errs.some((e) => /fencing\.devices\.ipmi\.targets: zz is not a node of this cluster/.test(e)),
    errs.join("\n"),
  );
  assert.ok(
    errs.every((e) => !e.includes("hunter2")),
    "the password is never echoed",
  );
});
