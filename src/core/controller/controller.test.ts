import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { ControlCluster } from "../../sim/control-cluster.js";

const CONFIG = `
cluster: t
nodes:
  n1: { links: [10.0.0.1] }
  n2: { links: [10.0.0.2] }
  n3: { links: [10.0.0.3] }
resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }
      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }
  other: { agent: ocf:heartbeat:Dummy, monitor: 1s }
defaults: { stickiness: 50, migration-threshold: 1 }
`;

function cluster(text = CONFIG): ControlCluster {
  const r = loadConfigText(text);
  assert.deepEqual(r.problems.filter((p) => p.severity === "error"), []);
  const c = new ControlCluster(r.config!);
  const names = r.config!.nodes.map((n) => n.name);
  for (const n of names) c.boot(n);
  c.view(1, names, "n1");
  c.advance(500);
  return c;
}

test("the DC starts a group in order on its preferred node once every member has probed", () => {
  const c = cluster();
  assert.deepEqual(c.where("vip"), ["n1"]);
  assert.deepEqual(c.where("app"), ["n1"]);
  assert.equal(c.where("other").length, 1);
  const n1 = c.log.filter((l) => l.startsWith("n1: start "));
  assert.ok(n1.indexOf("n1: start vip on n1") < n1.indexOf("n1: start app on n1"), n1.join("\n"));
  assert.ok(c.log.some((l) => l.includes("no action: I am n1, the DC with quorum; every resource is where it should be")), c.log.join("\n"));
});

test("a lost node's resources start elsewhere only after its lease and stop margin", () => {
  const c = cluster();
  c.crash("n1");
  c.view(2, ["n2", "n3"], "n2");
  c.advance(500);
  assert.deepEqual(c.where("vip"), [], "held while n1 may still run it");
  assert.ok(c.log.some((l) => l.includes("n1 was lost while it may run")));
  c.advance(1000);
  assert.deepEqual(c.where("vip"), c.where("app"));
  assert.equal(c.where("vip").length, 1);
});

test("a cut-off node stops its resources itself when it loses quorum", () => {
  const c = cluster();
  c.isolate("n1", 2);
  assert.deepEqual(c.where("vip"), ["n1"], "a view change takes quorum away for a heartbeat: not yet");
  c.advance(800);
  assert.deepEqual(c.where("vip"), []);
  assert.deepEqual(c.where("app"), []);
  assert.ok(c.log.some((l) => /n1: lost quorum \d+ ms ago: stopping every resource here/.test(l)));
  c.view(3, ["n2", "n3"], "n2");
  c.advance(1500);
  assert.equal(c.where("vip").length, 1);
});

test("a failed monitor with migration-threshold 1 moves the group; standby and online; move and clear", () => {
  const c = cluster();
  c.kill("app", "n1");
  c.advance(300);
  const at = c.where("vip");
  assert.equal(at.length, 1);
  assert.notEqual(at[0], "n1");
  assert.deepEqual(c.where("app"), at);

  c.admin("n1", { kind: "move", rsc: "web", node: "n3" });
  c.advance(300);
  assert.deepEqual(c.where("vip"), ["n3"]);
  c.admin("n1", { kind: "standby", node: "n3" });
  c.advance(300);
  assert.equal(c.where("vip").length, 1, "a move is a preference: standby wins");
  assert.notEqual(c.where("vip")[0], "n3");
  c.admin("n2", { kind: "online", node: "n3" });
  c.advance(300);
  assert.deepEqual(c.where("vip"), ["n3"]);
  c.admin("n1", { kind: "clear", rsc: "web" });
  c.advance(300);
  assert.deepEqual(c.where("vip"), ["n3"], "stickiness keeps it where it is");
});

test("a stop that fails (no fencing): the resource stays blocked where it is and nothing starts elsewhere", () => {
  const c = cluster();
  c.failing.set("n1/app/stop", 1);
  c.admin("n1", { kind: "move", rsc: "web", node: "n2" });
  c.advance(1000);
  assert.deepEqual(c.where("app"), ["n1"], "still there: its stop failed");
  assert.deepEqual(c.where("vip"), ["n1"], "a group member before it cannot stop under it");
  assert.deepEqual(c.where("other").length, 1);
  assert.ok(c.log.some((l) => l.includes("n1: app: stop FAILED here")), c.log.join("\n"));
  assert.ok(c.log.some((l) => /no action: .*blocked/.test(l)) || !c.log.some((l) => l.includes("start app on n2")), c.log.join("\n"));
  assert.ok(!c.log.some((l) => l.includes("start vip on n2") || l.includes("start app on n2")));
});

test("maintenance mode: nothing is started, stopped or recovered", () => {
  const c = cluster();
  c.admin("n2", { kind: "maintenance", on: true });
  c.kill("app", "n1");
  c.advance(1000);
  assert.deepEqual(c.where("app"), [], "not recovered");
  assert.deepEqual(c.where("vip"), ["n1"], "not stopped");
  c.admin("n2", { kind: "maintenance", on: false });
  c.advance(1000);
  assert.equal(c.where("app").length, 1);
});

test("disable stops a resource and keeps it stopped; enable starts it again", () => {
  const c = cluster();
  c.admin("n3", { kind: "disable", rsc: "other" });
  c.advance(500);
  assert.deepEqual(c.where("other"), []);
  c.admin("n3", { kind: "enable", rsc: "other" });
  c.advance(500);
  assert.equal(c.where("other").length, 1);
});

test("auto-failback: true sends the group back to its preferred node when it returns; false keeps it where it runs", () => {
  for (const [failback, expected] of [[true, "n1"], [false, "n2 or n3"]] as const) {
    const c = cluster(CONFIG.replace("defaults: { stickiness: 50, migration-threshold: 1 }", `properties: { auto-failback: ${failback} }`));
    c.crash("n1");
    c.view(2, ["n2", "n3"], "n2");
    c.advance(2000);
    const away = c.where("vip")[0]!;
    assert.notEqual(away, "n1");
    const n1 = c.nodes.get("n1")!;
    n1.up = true;
    c.boot("n1");
    c.view(3, ["n1", "n2", "n3"], "n1");
    c.advance(1500);
    assert.deepEqual(c.where("vip"), [failback ? "n1" : away], `auto-failback ${failback}: expected ${expected}`);
  }
});

test("restart of a group stops its members last first, then starts them in order", () => {
  const c = cluster();
  const before = c.log.length;
  c.admin("n2", { kind: "restart", rsc: "web" });
  c.advance(500);
  const ops = c.log.slice(before).filter((l) => /^n1: (stop|start) (vip|app) on n1$/.test(l)).map((l) => l.slice(4));
  assert.deepEqual(ops, ["stop app on n1", "stop vip on n1", "start vip on n1", "start app on n1"]);
  assert.deepEqual(c.where("app"), ["n1"]);
});

test("with fencing, a lost node's resources wait for a successful fence, not for time; a failed fence keeps them down and is retried", () => {
  const c = cluster(`${CONFIG}
fencing:
  devices:
    by-hand: { agent: manual, targets: [n1, n2, n3] }
`);
  c.crash("n1");
  c.view(2, ["n2", "n3"], "n2");
  c.advance(5000);
  assert.deepEqual(c.fenceRequests, ["n2 fences n1"]);
  assert.deepEqual(c.where("vip"), [], "not started while n1 is unfenced, however long it takes");
  assert.ok(c.log.some((l) => l.includes("n1 is UNCLEAN")));
  c.fenceResult("n1", false, "n2");
  c.advance(5000);
  assert.deepEqual(c.where("vip"), []);
  c.advance(6000);
  assert.deepEqual(c.fenceRequests, ["n2 fences n1", "n2 fences n1"], "retried after the pause");
  c.fenceResult("n1", true, "by-hand (from n2)");
  c.advance(500);
  assert.equal(c.where("vip").length, 1);
  assert.deepEqual(c.where("app"), c.where("vip"));
  assert.ok(c.log.some((l) => l.includes("n1 fenced by by-hand (from n2): vip, app may start elsewhere")), c.log.join("\n"));
});

test("a stop failure with on-fail=fence fences that node, then the group starts on a peer", () => {
  const c = cluster(`${CONFIG.replace("app: { agent: ocf:heartbeat:Dummy, monitor: 1s }", "app: { agent: ocf:heartbeat:Dummy, monitor: 1s, ops: { stop: { on-fail: fence } } }")}
fencing:
  devices:
    by-hand: { agent: manual, targets: [n1, n2, n3] }
`);
  c.failing.set("n1/app/stop", 1);
  c.admin("n2", { kind: "move", rsc: "web", node: "n2" });
  c.advance(1000);
  assert.deepEqual(c.fenceRequests, ["n2 fences n1"], "the DC (n1) has another member fence it");
  assert.deepEqual(c.where("vip"), ["n1"], "nothing moves before the fence");
  c.crash("n1"); // the fence device powers it off
  c.fenceResult("n1", true, "by-hand");
  c.view(3, ["n2", "n3"], "n2");
  c.advance(1000);
  assert.deepEqual(c.where("vip"), ["n2"], c.log.slice(-15).join("\n"));
  assert.deepEqual(c.where("app"), ["n2"]);
});

test("priority-delay: in a two-node split, fencing the node with the more important resources waits, so it shoots first", () => {
  const c = cluster(`cluster: t
nodes:
  n1: { links: [10.0.0.1] }
  n2: { links: [10.0.0.2] }
quorum: { two-node: true }
resources:
  db: { agent: ocf:heartbeat:Dummy, prefer: n2, priority: 10 }
  web: { agent: ocf:heartbeat:Dummy, prefer: n1 }
fencing:
  priority-delay: 5s
  devices:
    power: { agent: manual, targets: [n1, n2] }
`);
  assert.deepEqual(c.where("db"), ["n2"]);
  c.view(2, ["n1"], "n1");
  c.view(3, ["n2"], "n2");
  assert.deepEqual(c.fenceRequests.filter((r) => /fences n[12]/.test(r)).sort(), ["n1 fences n2 after 5000 ms", "n2 fences n1"]);
});

test("startup-fencing: a node not seen since the cluster started is fenced (after initial-dead) before anything starts", () => {
  const r = loadConfigText(`${CONFIG}
fencing:
  devices:
    by-hand: { agent: manual, targets: [n1, n2, n3] }
`);
  const c = new ControlCluster(r.config!);
  c.boot("n1");
  c.boot("n2");
  c.crash("n3"); // never comes up
  c.view(1, ["n1", "n2"], "n1");
  c.advance(5000);
  assert.deepEqual(c.where("vip"), [], "nothing starts while n3 may run anything");
  assert.deepEqual(c.fenceRequests, [], "n3 still has initial-dead to join");
  c.advance(16_000);
  assert.deepEqual(c.fenceRequests, ["n1 fences n3"]);
  c.fenceResult("n3", true, "by-hand");
  c.advance(500);
  assert.equal(c.where("vip").length, 1);
  assert.equal(c.where("other").length, 1);
});
