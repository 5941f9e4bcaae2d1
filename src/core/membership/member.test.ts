import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterSim, type SimOptions } from "../../sim/cluster-sim.js";
import type { MemberState } from "./types.js";
/** Membership only: the simulator's nodes run the node core with no resources. */
const membership = (o: Omit<SimOptions, "faultMs" | "livenessMs">) =>
  new ClusterSim({ faultMs: 0, livenessMs: 0, resources: false, ...o });
const st = (n: ClusterSim["nodes"][0]): MemberState => n.core!.member;

import { attrProblem, dcOf, heard, initMember, isQuorate, linkState, quorumVotes, settleMs, step } from "./member.js";

test("three healthy nodes agree on one view, elect n1 as DC, and see every link up", () => {
  const sim = membership({ seed: 7, nodes: 3, links: 2 });
  sim.runUntil(6000);
  const views = sim.nodes.map((n) => `${st(n).view.id}/${st(n).view.leader}:${st(n).view.members.join(",")}`);
  assert.equal(new Set(views).size, 1, views.join(" | "));
  assert.deepEqual(st(sim.nodes[0]!).view.members, ["n1", "n2", "n3"]);
  for (const n of sim.nodes) {
    const now = sim.clock(n);
    assert.equal(isQuorate(sim.mp, st(n), now), true);
    assert.equal(dcOf(sim.mp, st(n), now), "n1");
    for (const peer of Object.values(st(n).peers)) {
      assert.equal(heard(sim.mp, peer, now), true);
      assert.deepEqual(
        [0, 1].map((l) => linkState(sim.mp, peer, l, now)),
        ["up", "up"],
      );
    }
  }
});

test("quorum is a majority of votes; two-node clusters keep quorum alone", () => {
  const sim = membership({ seed: 1, nodes: 5, links: 1 });
  assert.equal(quorumVotes(sim.mp), 3);
  const two = membership({ seed: 1, nodes: 2, links: 1, extraYaml: "quorum: { two-node: true }\n" });
  assert.equal(quorumVotes(two.mp), 1);
});

test("a node that stops hearing its peers loses quorum when its lease runs out, before others act without it", () => {
  const sim = membership({ seed: 3, nodes: 3, links: 1 });
  sim.runUntil(6000);
  const n3 = sim.nodes[2]!;
  // Its clock jumps past the lease with nothing heard: no longer quorate.
  assert.equal(isQuorate(sim.mp, st(n3), sim.clock(n3)), true);
  assert.equal(isQuorate(sim.mp, st(n3), sim.clock(n3) + sim.mp.deadMs + 1), false);
  // A view that drops a member waits out the lease plus the longest delay (with clock drift) before acting.
  assert.ok(settleMs(sim.mp) > sim.mp.deadMs + sim.mp.maxDelayMs);
});

test("a peer whose configuration names unknown nodes is ignored with one plain warning, never followed", () => {
  const p = membership({ seed: 1, nodes: 3, links: 1 }).mp;
  const s = initMember(p, "n2", 1, 0);
  const view = { id: 9, leader: "n1", leaderInc: 1, members: ["n1", "n2", "n4"] };
  const logs: string[] = [];
  for (let t = 10; t < 50; t += 10) {
    const out = step(p, s, {
      type: "recv",
      nowMs: t,
      link: 0,
      msg: { t: "propose", from: "n1", inc: 1, view },
    }).outputs;
    for (const o of out) if (o.type === "log") logs.push(o.text);
    assert.ok(!out.some((o) => o.type === "send" && o.msg.t === "ack"), "no promise to a view with a stranger");
  }
  step(p, s, {
    type: "recv",
    nowMs: 60,
    link: 0,
    msg: { t: "commit", from: "n1", inc: 1, view, settleLeftMs: 0, echo: [] },
  });
  assert.notEqual(s.view.id, 9);
  assert.deepEqual(
    logs.filter((l) => l.includes("not in my configuration")),
    ["ignoring n1: it names node(s) n4 that are not in my configuration; the nodes' configurations differ"],
  );
});

test("a clean shutdown is acted on at once: the survivors drop the node without waiting out `dead` or its lease", () => {
  const sim = membership({ seed: 11, nodes: 3, links: 2 });
  sim.runUntil(6000);
  const [n1, n2, n3] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
  assert.equal(isQuorate(sim.mp, st(n3), sim.clock(n3)), true);
  const t0 = sim.now;
  const leaving = st(n3);
  sim.shutdown("n3");
  assert.equal(
    isQuorate(sim.mp, leaving, sim.clock(n3)),
    false,
    "the leaving node stops counting itself quorate first",
  );
  // Well within `dead`: the goodbye arrives, n1 proposes a view without n3, and it acts with no lease handover.
  sim.runUntil(t0 + sim.mp.deadMs / 2);
  for (const n of [n1, n2]) {
    assert.deepEqual(st(n).view.members, ["n1", "n2"]);
    assert.equal(dcOf(sim.mp, st(n), sim.clock(n)), "n1", `${n.name} acts at once`);
  }
  assert.equal(sim.violation, undefined);
});

test("a goodbye one member missed reaches it with the leader's proposal: the new view still acts at once", () => {
  const sim = membership({ seed: 12, nodes: 3, links: 2 });
  sim.runUntil(6000);
  const [n1, n2] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
  const t0 = sim.now;
  const from = sim.log.length;
  // n2 never hears n3's goodbye (nor anything else of it); n1 does, and proposes a view without n3.
  sim.cutBetween("n3", "n2");
  sim.shutdown("n3");
  sim.runUntil(t0 + sim.mp.deadMs / 2);
  for (const n of [n1, n2]) {
    assert.deepEqual(st(n).view.members, ["n1", "n2"]);
    assert.equal(dcOf(sim.mp, st(n), sim.clock(n)), "n1", `${n.name} acts at once: nobody waits out n3's lease`);
  }
  const n2log = sim.log.slice(from).filter((l) => l.startsWith("n2: "));
  assert.ok(n2log.includes("n2: n3 left the cluster (clean shutdown, as n1 heard it)"), n2log.join("\n"));
  assert.equal(sim.violation, undefined);
});

test("node attributes reach every peer with the next heartbeat, are bounded, and are forgotten when a node restarts", () => {
  const sim = membership({ seed: 5, nodes: 3, links: 1 });
  sim.runUntil(6000);
  const [n1, n2] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
  const out = step(sim.mp, st(n2), { type: "attr", nowMs: sim.clock(n2), name: "pingd", value: "1000" }).outputs;
  assert.ok(
    out.some((o) => o.type === "send" && o.msg.t === "hb" && o.msg.attrs.pingd === "1000"),
    "sent at once, not at the next interval",
  );
  assert.ok(out.some((o) => o.type === "log" && o.text === "attribute pingd = 1000"));
  sim.runUntil(sim.now + 2 * sim.mp.intervalMs);
  assert.deepEqual(st(n1).peers.n2!.attrs, { pingd: "1000" });
  assert.equal(attrProblem({}, "x", "v".repeat(257)), "a value has at most 256 characters");
  const refusedLogs = step(sim.mp, st(n2), { type: "attr", nowMs: sim.clock(n2), name: "x", value: "v".repeat(257) })
    .outputs.filter((o) => o.type === "log")
    .map((o) => (o as { text: string }).text);
  assert.deepEqual(
    refusedLogs,
    ["attribute x not set: a value has at most 256 characters"],
    "a refused value is not reported as set",
  );
  const full = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`a${i}`, "1"]));
  assert.equal(attrProblem(full, "another", "1"), "a node has at most 32 attributes");
  assert.equal(attrProblem(full, "a1", "2"), undefined, "changing an existing one is fine");
  // A restarted n2 starts with no attributes: peers drop the old ones on hearing the new incarnation.
  step(sim.mp, st(n1), {
    type: "recv",
    nowMs: sim.clock(n1),
    link: 0,
    msg: {
      t: "hb",
      from: "n2",
      inc: 99,
      seq: 1,
      view: { id: 0, leader: "n2", leaderInc: 99, members: ["n2"] },
      hears: [],
      settled: false,
      attrs: {},
      echo: [],
    },
  });
  assert.deepEqual(st(n1).peers.n2!.attrs, {});
});

test("two nodes and an arbiter: when the nodes lose each other, exactly one keeps quorum, and the arbiter decides which", () => {
  const sim = membership({ seed: 21, nodes: 2, links: 2, arbiter: true });
  assert.equal(quorumVotes(sim.mp), 2, "2 node votes + 1 arbiter vote: 2 needed");
  sim.runUntil(6000);
  const [n1, n2] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
  assert.ok(isQuorate(sim.mp, st(n1), sim.clock(n1)) && isQuorate(sim.mp, st(n2), sim.clock(n2)));
  sim.cutBetween("n1", "n2");
  sim.runUntil(sim.now + 4 * sim.mp.deadMs);
  const quorate = [n1, n2].filter((n) => isQuorate(sim.mp, st(n), sim.clock(n)));
  assert.equal(quorate.length, 1, "one side, not both, not neither");
  assert.deepEqual(st(quorate[0]!).view.members, [quorate[0]!.name]);
  // The loser cannot get the vote while the winner keeps renewing it.
  const loser = [n1, n2].find((n) => n !== quorate[0])!;
  sim.runUntil(sim.now + 10 * sim.mp.deadMs);
  assert.equal(isQuorate(sim.mp, st(loser), sim.clock(loser)), false);
  assert.equal(sim.violation, undefined);
  // Cut off from its peer and the arbiter, the winner lets go of quorum too.
  sim.cutBetween(quorate[0]!.name, "arbiter");
  sim.runUntil(sim.now + 3 * sim.mp.deadMs);
  assert.equal(isQuorate(sim.mp, st(quorate[0]!), sim.clock(quorate[0]!)), false);
  assert.equal(sim.violation, undefined);
});
