// The controller in the simulator: membership + every node's resource manager and coordinator + simulated agents,
// under seeded faults (crashes, daemon-only crashes with respawn, pauses, partitions, one-way cuts, loss, dying
// resources, slow operations). No resource may run on two nodes (outside a frozen daemon's window), and after
// healing everything must run again. Deliberate bugs must be caught. PACELINE_SIM_SEEDS scales the run.

import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateCluster, type ClusterSimOptions } from "./cluster-sim.js";

const SEEDS = Math.ceil(Number(process.env.PACELINE_SIM_SEEDS ?? 1500) / 3);

function runMany(count: number, nodes: number, bug?: ClusterSimOptions["bug"], fencing = false): string[] {
  const failures: string[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const r = simulateCluster({ seed, nodes, links: 2, faultMs: 20_000, livenessMs: 30_000, bug, fencing });
    if (!r.ok) failures.push(`seed ${seed}: ${r.violation} [${r.where}] (replay: npm run sim:cluster -- --seed ${seed} --nodes ${nodes}${fencing ? " --fencing" : ""}${bug ? ` --bug ${bug}` : ""} --trace)`);
  }
  return failures;
}

test(`cluster control: ${SEEDS} seeds × 3 nodes never run a resource twice and recover after healing`, () => {
  assert.deepEqual(runMany(SEEDS, 3), []);
});

test(`cluster control: ${Math.ceil(SEEDS / 3)} seeds × 5 nodes never run a resource twice and recover after healing`, () => {
  assert.deepEqual(runMany(Math.ceil(SEEDS / 3), 5), []);
});

test(`with fencing (devices that fail, hang, or power the node off; it reboots): ${SEEDS} seeds × 3 nodes never run a resource twice, not even around a frozen node`, () => {
  assert.deepEqual(runMany(SEEDS, 3, undefined, true), []);
});

test("the simulator catches a fence device that claims success without powering the node off", () => {
  const lies = runMany(150, 3, "fence-claims-success", true);
  assert.ok(lies.length > 0, "a lying fence device went unnoticed");
  assert.match(lies[0]!, /runs on n\d and n\d at once/);
});

test("the simulator catches a node that keeps its resources after losing quorum, and survivors that do not wait for the stop margin", () => {
  const keeps = runMany(60, 3, "no-stop-on-lost-quorum");
  assert.ok(keeps.length > 0, "a node keeping resources without quorum went unnoticed");
  assert.match(keeps[0]!, /runs on n\d and n\d at once/);
  const noHold = runMany(400, 3, "no-hold");
  assert.ok(noHold.length > 0, "survivors starting without the stop margin went unnoticed");
});
