// The node core in a scripted cluster: three simulated nodes, each running the core the daemon runs, on an ideal
// network (1 ms, no loss) with real membership (interval 100 ms, dead 1 s, stop budget 300 ms), simulated agents
// and fence devices.
// Each test scripts one situation and checks where resources run and what the nodes said.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterSim, type SimOptions } from "../../sim/cluster-sim.js";
import type { AdminCommand } from "../controller/types.js";
import { parseConfigText } from "../../config/doc.js";
import { keepUntilMs, stepNode } from "./node.js";

const RESOURCES = `resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }
      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }
  other: { agent: ocf:heartbeat:Dummy, monitor: 1s }
`;
const DEFAULTS = "defaults: { stickiness: 50, migration-threshold: 1 }\n";
const MANUAL_FENCING = "fencing:\n  devices:\n    by-hand: { agent: manual, targets: [n1, n2, n3] }\n";

/** A scripted cluster, 3 s after its daemons started (unless `startMs` says otherwise). */
function cluster(o: Partial<SimOptions> = {}, startMs = 3000): ClusterSim {
  const c = new ClusterSim({
    seed: 1,
    nodes: 3,
    links: 1,
    faultMs: 0,
    livenessMs: 0,
    ideal: true,
    resources: RESOURCES + DEFAULTS,
    ...o,
  });
  c.advance(startMs);
  return c;
}

const admin = (c: ClusterSim, at: string, command: AdminCommand) => {
  const id = c.request(at, { kind: "admin", command });
  return c.replies.get(id);
};
const said = (c: ClusterSim, re: RegExp) => c.log.some((l) => re.test(l));

test("the DC starts a group in order on its preferred node once every member has probed", () => {
  const c = cluster();
  assert.deepEqual(c.where("vip"), ["n1"]);
  assert.deepEqual(c.where("app"), ["n1"]);
  assert.equal(c.where("other").length, 1);
  const starts = c.log.filter((l) => /^n1: DC: start (vip|app) on n1$/.test(l));
  assert.deepEqual(starts, ["n1: DC: start vip on n1", "n1: DC: start app on n1"]);
  assert.ok(said(c, /no action: I am n1, the DC with quorum; every resource is where it should be/), c.log.join("\n"));
  assert.equal(c.violation, undefined);
});

test("a lost node's resources start elsewhere once it is found lost: its lease, counted from its own heartbeats, has ended by then", () => {
  const c = cluster();
  c.powerOff("n1");
  // n1 is lost after `dead` (1 s); its lease ran from the last heartbeat of it the survivors echoed, so the view
  // without it waits only the clock-drift margin (≈ 40 ms) before acting.
  c.advance(950);
  assert.deepEqual(c.where("vip"), [], "not before n1 is found lost");
  c.advance(250);
  assert.equal(c.where("vip").length, 1, c.log.slice(-10).join("\n"));
  assert.deepEqual(c.where("app"), c.where("vip"));
  assert.ok(
    said(c, /n1 was lost while it ran vip, app: it stops them itself before its quorum lease ends/),
    c.log.join("\n"),
  );
  assert.equal(c.violation, undefined);
});

test("a cut-off node stops its resources itself a stop budget before its lease ends; the majority starts them after that end", () => {
  const c = cluster();
  c.isolate("n1");
  c.advance(200);
  assert.deepEqual(c.where("vip"), ["n1"], "not before its lease runs low");
  // Its last echoed heartbeat went out ≈ 100 ms before the cut: it stops at ≈ 1000 − 300 − 100 ms.
  c.advance(700);
  assert.deepEqual(c.where("vip"), []);
  assert.deepEqual(c.where("app"), []);
  assert.ok(said(c, /^n1: quorum lease ends in 300 ms: stopping every resource here/), c.log.join("\n"));
  assert.ok(!c.log.some((l) => /^n[23]: DC: start/.test(l)), "the majority has not even found n1 lost yet");
  c.advance(600);
  assert.equal(c.where("vip").length, 1, c.log.slice(-10).join("\n"));
  assert.notEqual(c.where("vip")[0], "n1");
  assert.equal(c.violation, undefined);
});

test("a failed monitor with migration-threshold 1 moves the group; standby and online; move and clear", () => {
  const c = cluster();
  c.kill("app", "n1");
  c.advance(1500);
  const at = c.where("vip");
  assert.equal(at.length, 1);
  assert.notEqual(at[0], "n1");
  assert.deepEqual(c.where("app"), at);

  assert.equal(admin(c, "n1", { kind: "move", rsc: "web", node: "n3" })?.ok, true);
  c.advance(500);
  assert.deepEqual(c.where("vip"), ["n3"]);
  admin(c, "n2", { kind: "standby", node: "n3" });
  c.advance(500);
  assert.equal(c.where("vip").length, 1, "a move is a preference: standby wins");
  assert.notEqual(c.where("vip")[0], "n3");
  admin(c, "n2", { kind: "online", node: "n3" });
  c.advance(500);
  assert.deepEqual(c.where("vip"), ["n3"]);
  admin(c, "n1", { kind: "clear", rsc: "web" });
  c.advance(500);
  assert.deepEqual(c.where("vip"), ["n3"], "stickiness keeps it where it is");
});

test("a stop that fails (no fencing): the resource stays blocked where it is and nothing starts elsewhere", () => {
  const c = cluster();
  c.failNext.add("n1/app/stop");
  admin(c, "n1", { kind: "move", rsc: "web", node: "n2" });
  c.advance(2000);
  assert.deepEqual(c.where("app"), ["n1"], "still there: its stop failed");
  assert.deepEqual(c.where("vip"), ["n1"], "a group member before it cannot stop under it");
  assert.equal(c.where("other").length, 1);
  assert.ok(said(c, /^n1: app: stop FAILED here/), c.log.join("\n"));
  assert.ok(!said(c, /start (vip|app) on n2/));
});

test("requests name what exists: an unknown resource or node is refused with a suggestion", () => {
  const c = cluster();
  assert.deepEqual(admin(c, "n2", { kind: "disable", rsc: "wbe" }), {
    ok: false,
    message: "no resource `wbe` — did you mean `web`? (resources: web, other)",
  });
  assert.match(admin(c, "n2", { kind: "standby", node: "n4" })!.message, /^no node `n4`/);
});

test("maintenance mode: nothing is started, stopped or recovered", () => {
  const c = cluster();
  admin(c, "n2", { kind: "maintenance", on: true });
  c.advance(100);
  c.kill("app", "n1");
  c.advance(2000);
  assert.deepEqual(c.where("app"), [], "not recovered");
  assert.deepEqual(c.where("vip"), ["n1"], "not stopped");
  admin(c, "n2", { kind: "maintenance", on: false });
  c.advance(2000);
  assert.equal(c.where("app").length, 1);
});

test("disable stops a resource and keeps it stopped; enable starts it again", () => {
  const c = cluster();
  admin(c, "n3", { kind: "disable", rsc: "other" });
  c.advance(500);
  assert.deepEqual(c.where("other"), []);
  admin(c, "n3", { kind: "enable", rsc: "other" });
  c.advance(500);
  assert.equal(c.where("other").length, 1);
});

test("auto-failback: true sends the group back to its preferred node when it returns; false keeps it where it runs", () => {
  for (const failback of [true, false]) {
    const c = cluster({ resources: `${RESOURCES}properties: { auto-failback: ${failback} }\n` });
    c.powerOff("n1");
    c.advance(6000);
    const away = c.where("vip")[0]!;
    assert.ok(away && away !== "n1", c.describe());
    c.powerOn("n1");
    c.advance(6000);
    assert.deepEqual(c.where("vip"), [failback ? "n1" : away], `auto-failback ${failback}`);
    assert.equal(c.violation, undefined);
  }
});

test("restart of a group stops its members last first, then starts them in order", () => {
  const c = cluster();
  const before = c.log.length;
  admin(c, "n2", { kind: "restart", rsc: "web" });
  c.advance(500);
  const ops = c.log
    .slice(before)
    .filter((l) => /^n1: DC: (stop|start) (vip|app) on n1$/.test(l))
    .map((l) => l.slice(8));
  assert.deepEqual(ops, ["stop app on n1", "stop vip on n1", "start vip on n1", "start app on n1"]);
  assert.deepEqual(c.where("app"), ["n1"]);
});

test("with fencing, a lost node's resources wait for a successful fence, not for time; a failed fence keeps them down and is retried", () => {
  const c = cluster({
    extraYaml:
      "fencing:\n  timeout: 3s\n  devices:\n    power: { agent: fence_sim, targets: [n1, n2, n3], timeout: 1s }\n",
  });
  c.deviceScript.push("fail", "fail", "fail", "fail", "fail", "fail", "fail", "fail");
  c.powerOff("n1");
  c.advance(8000);
  assert.ok(
    c.deviceRuns.length >= 1 && c.deviceRuns.every((r) => r === "n2 runs power on n1"),
    c.deviceRuns.join("\n"),
  );
  assert.deepEqual(c.where("vip"), [], "not started while n1 is unfenced, however long it takes");
  assert.ok(said(c, /n1 is UNCLEAN/));
  assert.ok(said(c, /fencing n1 FAILED/), c.log.join("\n"));
  const runs = c.deviceRuns.length;
  c.deviceScript.length = 0; // the device works again
  c.advance(12_000);
  assert.ok(c.deviceRuns.length > runs, "retried after the pause");
  assert.equal(c.where("vip").length, 1, c.log.slice(-20).join("\n"));
  assert.deepEqual(c.where("app"), c.where("vip"));
  assert.ok(said(c, /n1 fenced by power \(from n2\): vip, app may start elsewhere/), c.log.join("\n"));
  assert.equal(c.violation, undefined);
});

test("a manual fencing level waits for a person: `fence confirm` on any node completes it", () => {
  const c = cluster({ extraYaml: MANUAL_FENCING });
  c.powerOff("n1");
  c.advance(5000);
  assert.ok(
    said(c, /^n2: n1 must be powered off by hand: once it is, run `paceline fence confirm n1` on any node/),
    c.log.join("\n"),
  );
  assert.deepEqual(c.where("vip"), []);
  const id = c.request("n3", { kind: "fence-confirm", target: "n1" });
  assert.equal(c.replies.get(id)?.ok, true);
  c.advance(500);
  assert.equal(c.where("vip").length, 1, c.log.slice(-10).join("\n"));
  assert.ok(said(c, /n1 fenced by manual confirmation by an operator \(from n2\)/), c.log.join("\n"));
});

test("a stop failure with on-fail=fence fences that node, then the group starts on a peer", () => {
  const c = cluster({
    resources:
      RESOURCES.replace(
        "app: { agent: ocf:heartbeat:Dummy, monitor: 1s }",
        "app: { agent: ocf:heartbeat:Dummy, monitor: 1s, ops: { stop: { on-fail: fence } } }",
      ) + DEFAULTS,
    extraYaml: "fencing:\n  devices:\n    power: { agent: fence_sim, targets: [n1, n2, n3], timeout: 1s }\n",
  });
  c.failNext.add("n1/app/stop");
  admin(c, "n2", { kind: "move", rsc: "web", node: "n2" });
  c.advance(100);
  assert.deepEqual(c.deviceRuns, ["n2 runs power on n1"], "the DC (n1) has another member fence it");
  assert.deepEqual(c.where("vip"), ["n1"], "nothing moves before the fence");
  c.advance(5000);
  assert.deepEqual(c.where("vip"), ["n2"], c.log.slice(-15).join("\n"));
  assert.deepEqual(c.where("app"), ["n2"]);
  assert.equal(c.violation, undefined);
});

test("priority-delay: in a two-node split, fencing the node with the more important resources waits, so it shoots first", () => {
  const c = cluster({
    nodes: 2,
    extraYaml:
      "quorum: { two-node: true }\nfencing:\n  priority-delay: 5s\n  devices:\n    power: { agent: fence_sim, targets: [n1, n2] }\n",
    resources:
      "resources:\n  db: { agent: ocf:heartbeat:Dummy, prefer: n2, priority: 10 }\n  web: { agent: ocf:heartbeat:Dummy, prefer: n1 }\n",
  });
  assert.deepEqual(c.where("db"), ["n2"]);
  c.cutBetween("n1", "n2");
  c.advance(4000);
  assert.deepEqual(
    c.deviceRuns,
    ["n2 runs power on n1"],
    "n1 waits 5 s before shooting n2, which runs the more important db",
  );
  assert.ok(said(c, /^n1: DC: fencing n2 waits 5000 ms first/), c.log.join("\n"));
  c.advance(4000);
  assert.deepEqual(c.deviceRuns, ["n2 runs power on n1"], "n1 was powered off before its delay ended");
  assert.equal(c.where("web").length, 1);
  assert.deepEqual(c.where("web"), ["n2"]);
});

test("startup-fencing: a node not seen since the cluster started is fenced (after initial-dead) before anything starts", () => {
  const c = cluster({ extraYaml: "fencing:\n  devices:\n    power: { agent: fence_sim, targets: [n1, n2, n3] }\n" }, 0);
  c.powerOff("n3"); // never comes up
  c.advance(1500);
  assert.deepEqual(c.where("vip"), [], "nothing starts while n3 may run anything");
  assert.deepEqual(c.deviceRuns, [], "n3 still has initial-dead to join");
  c.advance(6000);
  assert.deepEqual(c.deviceRuns, ["n1 runs power on n3"], c.log.join("\n"));
  assert.equal(c.where("vip").length, 1);
  assert.equal(c.where("other").length, 1);
});

test("a node that restarted its daemon quickly keeps what it runs: no move, no bounce", () => {
  const c = cluster();
  const t = c.log.length;
  c.daemonCrash("n1", 300);
  c.advance(6000);
  assert.deepEqual(c.where("vip"), ["n1"], c.log.slice(t).join("\n"));
  assert.ok(!said(c, /start vip on n[23]/));
  assert.equal(c.violation, undefined);
});

test("config push: the DC numbers it; a node that was down catches up and probes what it adds before anything is placed", () => {
  const c = cluster();
  c.shutdown("n3");
  c.advance(1500);
  const yaml = c.configYaml.replace("  other:", "  extra: { agent: ocf:heartbeat:Dummy, monitor: 1s }\n  other:");
  const id = c.request("n2", { kind: "push", parsed: parseConfigText(yaml, "pushed configuration") });
  c.advance(100);
  assert.match(c.replies.get(id)?.message ?? "", /^epoch 1: adds extra; sent to n1, n2/);
  c.advance(1000);
  assert.equal(c.where("extra").length, 1);
  c.powerOn("n3");
  c.advance(4000);
  assert.ok(said(c, /^n3: running cluster configuration epoch 1 \(from n\d\)/), c.log.join("\n"));
  assert.ok(said(c, /^n3: probing extra \(new in this configuration\)/), c.log.join("\n"));
  assert.ok(said(c, /^n1: DC: no action: I am n1, the DC with quorum; every resource is where it should be/));
  const refused = c.request("n3", {
    kind: "push",
    parsed: parseConfigText(yaml.replace("interval: 100ms", "interval: 300ms"), "pushed configuration"),
  });
  c.advance(100);
  assert.match(c.replies.get(refused)?.message ?? "", /refused: heartbeat cannot change while the cluster runs/);
  assert.equal(c.violation, undefined);
});

test("an order to start handled after this node's keep window ended (a late event loop) is not carried out", () => {
  const c = cluster();
  const target = ["n2", "n3"].find((n) => !c.where("other").includes(n))!;
  const core = c.node(target).core!;
  // The order the DC would send, read only once the node's lease is inside its stop budget (no tick in between).
  const late = keepUntilMs(core) + 5;
  const effects = stepNode(core, {
    type: "stream",
    from: "n1",
    msg: { t: "do", viewKey: core.rm.viewKey, id: "late-1", rsc: "other", op: "start" },
    nowMs: late,
    wallSec: 1_700_000_000,
  });
  assert.ok(!effects.some((e) => e.type === "exec" && e.action === "start"), JSON.stringify(effects));
  // The same order inside the window is carried out (the check is the clock, not the message).
  const c2 = cluster();
  const core2 = c2.node(target).core!;
  const onTime = stepNode(core2, {
    type: "stream",
    from: "n1",
    msg: { t: "do", viewKey: core2.rm.viewKey, id: "on-time-1", rsc: "other", op: "start" },
    nowMs: core2.nowMs + 1,
    wallSec: 1_700_000_000,
  });
  assert.ok(
    onTime.some((e) => e.type === "exec" && e.action === "start"),
    JSON.stringify(onTime),
  );
});

test("a node frozen while an order to start was on its way: it refuses the order on resuming, unless its shell hands it a stale clock (an injected bug, which the simulator catches)", () => {
  for (const bug of [undefined, "stale-clock-after-stall" as const]) {
    const c = cluster({ bug });
    const target = ["n2", "n3"].find((n) => !c.where("other").includes(n))!;
    let frozen = false;
    c.onStream = (_from, to, msg) => {
      if (!frozen && to === target && msg.t === "do" && msg.op === "start" && msg.rsc === "other") {
        frozen = true;
        c.pause(target, 3000); // a stall longer than dead: the others act without it
      }
    };
    admin(c, "n1", { kind: "move", rsc: "other", node: target });
    c.advance(2500);
    assert.ok(frozen);
    assert.equal(c.where("other").length, 1, "started again elsewhere while the target is frozen");
    c.advance(2000); // the target resumes, with the order and the heartbeats that waited for it
    if (bug) assert.match(c.violation?.text ?? "", /other runs on n\d and n\d at once/);
    else assert.equal(c.violation, undefined, c.violation?.text);
  }
});

test("config push: a resource whose parameters change while it runs is restarted where it runs, with the new ones", () => {
  const c = cluster({
    resources:
      `resources:\n  app: { agent: ocf:heartbeat:Dummy, params: { state: /tmp/a }, prefer: n1, monitor: 1s }\n` +
      DEFAULTS,
  });
  assert.deepEqual(c.where("app"), ["n1"]);
  const yaml = c.configYaml.replace("state: /tmp/a", "state: /tmp/b");
  const id = c.request("n2", { kind: "push", parsed: parseConfigText(yaml, "pushed configuration") });
  c.advance(3000);
  assert.match(c.replies.get(id)?.message ?? "", /^epoch 1/);
  assert.ok(
    said(c, /^n1: app changed while running here: the DC restarts it with its new definition/),
    c.log.join("\n"),
  );
  assert.ok(said(c, /DC: (restart|stop) app on n1/), c.log.join("\n"));
  assert.deepEqual(c.where("app"), ["n1"], "restarted in place");
  // Once restarted, nothing more happens: the node no longer reports it outdated.
  const after = c.log.length;
  c.advance(3000);
  assert.ok(!c.log.slice(after).some((l) => /DC: (restart|stop|start) app/.test(l)), c.log.slice(after).join("\n"));
  assert.equal(c.violation, undefined);
});
