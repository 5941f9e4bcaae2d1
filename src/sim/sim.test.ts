// The simulator in CI: every node runs the daemon's node core; many seeds over 2–5 nodes must keep every invariant
// (one quorate partition, agreeing views, never a resource on two nodes, convergence after healing), and
// deliberately injected bugs must be caught (a simulator that finds nothing proves nothing).
// PACELINE_SIM_SEEDS scales the run (the total of seeds over the safety runs below).

import assert from "node:assert/strict";
import { test } from "node:test";
import { SIM_TIMING, simulate, type SimBug, type SimOptions } from "./cluster-sim.js";

const TOTAL = Number(process.env.PACELINE_SIM_SEEDS ?? 1500);
/** Shares of the total: cluster control carries most of the weight (it runs membership too). */
const share = (f: number) => Math.max(1, Math.round(TOTAL * f));

function runMany(count: number, o: Partial<SimOptions> & { nodes: number }): string[] {
  const failures: string[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const r = simulate({ seed, links: 2, faultMs: 20_000, livenessMs: 30_000, ...o });
    if (!r.ok) {
      const flags = `--nodes ${o.nodes}${o.resources === false ? " --membership" : ""}${o.arbiter ? " --arbiter" : ""}${o.fencing ? " --fencing" : ""}${o.promotable ? " --promotable" : ""}${o.bug ? ` --bug ${o.bug}` : ""}`;
      failures.push(
        `seed ${seed}: ${r.violation} [${r.where}] (replay: npm run sim -- --seed ${seed} ${flags} --trace)`,
      );
    }
  }
  return failures;
}

const caught = (count: number, o: Partial<SimOptions> & { nodes: number; bug: SimBug }) => runMany(count, o);

test(`membership: ${share(0.1)} seeds × 3 nodes and ${share(0.04)} × 5 keep one quorate partition and converge`, () => {
  assert.deepEqual(runMany(share(0.1), { nodes: 3, resources: false }), []);
  assert.deepEqual(runMany(share(0.04), { nodes: 5, resources: false }), []);
});

test(`membership: ${share(0.06)} seeds × 2 nodes + an arbiter, and ${share(0.03)} × 4 nodes + an arbiter`, () => {
  assert.deepEqual(runMany(share(0.06), { nodes: 2, resources: false, arbiter: true }), []);
  assert.deepEqual(runMany(share(0.03), { nodes: 4, resources: false, arbiter: true }), []);
});

test(`cluster control: ${share(0.3)} seeds × 3 nodes never run a resource twice and recover after healing`, () => {
  assert.deepEqual(runMany(share(0.3), { nodes: 3 }), []);
});

test(`cluster control: ${share(0.1)} seeds × 5 nodes never run a resource twice and recover after healing`, () => {
  assert.deepEqual(runMany(share(0.1), { nodes: 5 }), []);
});

test(`with fencing (devices that fail, hang, or power the node off; it reboots): ${share(0.3)} seeds × 3 nodes, not even around a frozen node`, () => {
  assert.deepEqual(runMany(share(0.3), { nodes: 3, fencing: true }), []);
});

test(`a promotable clone under the group: ${share(0.06)} seeds × 3 nodes and ${share(0.03)} with fencing — one copy promoted at most, never demoted or stopped under the group`, () => {
  assert.deepEqual(runMany(share(0.06), { nodes: 3, promotable: true }), []);
  assert.deepEqual(runMany(share(0.03), { nodes: 3, promotable: true, fencing: true }), []);
});

test("seeds that once found a bug, run every time", () => {
  // Found by runs of 3000–4000 seeds, 3 nodes. With --fencing --promotable: a report lost in a short partition (the
  // view unchanged) left a DC waiting for ever (1264, 1486); cleanups queued at a DC that lost the role were lost
  // (1377); a node away during the operator's cleanup kept its failures and the clone banned (784, 1137; 1900 and
  // 2179 failed the same way once the first fix changed their timing). With --promotable: the simulator let a demote
  // take longer than the stop budget it counts a demote in (1153, 1307, 1618: two promoted copies just past it), and
  // did not count a promote finished during a freeze in the frozen-node window as it counts a start (2792); the DC
  // stopped a group's first member with its last while the middle one was down (2428).
  const failures: string[] = [];
  const runs = [
    ...[784, 1137, 1264, 1377, 1486, 1900, 2179].map((seed) => ({ seed, fencing: true })),
    ...[1153, 1307, 1618, 2428, 2792].map((seed) => ({ seed, fencing: false })),
  ];
  for (const { seed, fencing } of runs) {
    const r = simulate({ seed, nodes: 3, links: 2, faultMs: 20_000, livenessMs: 30_000, fencing, promotable: true });
    if (!r.ok) failures.push(`seed ${seed}${fencing ? " --fencing" : ""}: ${r.violation} [${r.where}]`);
  }
  assert.deepEqual(failures, []);
});

test(`${share(0.07)} seeds × 2 nodes + an arbiter with resources and fencing`, () => {
  assert.deepEqual(runMany(share(0.07), { nodes: 2, arbiter: true, fencing: true }), []);
});

test("the simulator catches a node counting a vote it did not hear, and a view acting before the dropped members' lease ran out", () => {
  const phantom = caught(50, { nodes: 3, resources: false, bug: "phantom-vote" });
  assert.ok(phantom.length > 0, "a phantom vote went unnoticed");
  assert.match(phantom[0]!, /two quorate partitions at once/);
  const noHandover = caught(100, { nodes: 3, resources: false, bug: "no-lease-handover" });
  assert.ok(noHandover.length > 0, "a missing lease handover went unnoticed");
});

test("the simulator catches a node that trusts the arbiter's vote longer than the arbiter lends it", () => {
  const overtrust = caught(150, { nodes: 2, resources: false, arbiter: true, bug: "arbiter-overtrust" });
  assert.ok(overtrust.length > 0, "arbiter overtrust went unnoticed");
  assert.match(overtrust[0]!, /two quorate partitions at once/);
});

test("the simulator catches a fence device that claims success without powering the node off", () => {
  const lies = caught(150, { nodes: 3, fencing: true, bug: "fence-claims-success" });
  assert.ok(
    lies.some((f) => /runs on n\d and n\d at once/.test(f)),
    `a lying fence device went unnoticed:\n${lies.join("\n")}`,
  );
});

test("the simulator catches a node that keeps its resources after losing quorum, and one that stops only when its lease has ended", () => {
  const keeps = caught(100, { nodes: 3, bug: "no-stop-on-lost-quorum" });
  assert.ok(
    keeps.some((f) => /runs on n\d and n\d at once/.test(f)),
    `a node keeping resources without quorum went unnoticed:\n${keeps.join("\n")}`,
  );
  // Quick heartbeats: a lost node's last echo is then so recent that only the stop budget covers its stops (at the
  // default pace, a heartbeat's worth of slack hides the bug).
  const noBudget = caught(200, {
    nodes: 3,
    bug: "no-stop-budget",
    timing: { ...SIM_TIMING, intervalMs: 25, warnMs: 200, maxDelayMs: 20 },
  });
  assert.ok(noBudget.length > 0, "stopping only at the lease's end went unnoticed");
});

test("the simulator catches a shell that hands the core, after a stall, what waited with the clock read before it", () => {
  const stale = caught(300, { nodes: 3, bug: "stale-clock-after-stall" });
  assert.ok(
    stale.some((f) => /runs on n\d and n\d at once/.test(f)),
    `acting on late input without looking at the clock went unnoticed:\n${stale.join("\n")}`,
  );
});

test("a replayed seed gives the same run", () => {
  const a = simulate({ seed: 42, nodes: 3, links: 2, faultMs: 10_000, livenessMs: 10_000, trace: true });
  const b = simulate({ seed: 42, nodes: 3, links: 2, faultMs: 10_000, livenessMs: 10_000, trace: true });
  assert.deepEqual(a.trace, b.trace);
  assert.ok(a.trace.some((l) => l.includes("FAULT")));
});
