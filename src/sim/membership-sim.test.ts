// The simulator in CI: many seeds over 3 and 5 nodes must keep every invariant, and deliberately injected bugs
// must be caught (a simulator that finds nothing proves nothing). PACELINE_SIM_SEEDS scales the run.

import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateMembership } from "./membership-sim.js";

const SEEDS = Number(process.env.PACELINE_SIM_SEEDS ?? 1500);

type Bug = "quorum-off-by-one" | "no-lease-handover" | "arbiter-overtrust";

function runMany(count: number, nodes: number, bug?: Bug, arbiter = false) {
  const failures: string[] = [];
  for (let seed = 1; seed <= count; seed++) {
    const r = simulateMembership({ seed, nodes, links: 2, faultMs: 20_000, livenessMs: 15_000, arbiter, params: bug ? { injectedBug: bug } : {} });
    if (!r.ok) failures.push(`seed ${seed}: ${r.violation} (replay: npm run sim -- --seed ${seed} --nodes ${nodes}${arbiter ? " --arbiter" : ""}${bug ? ` --bug ${bug}` : ""} --trace)`);
  }
  return failures;
}

test(`membership: ${SEEDS} seeds × 3 nodes keep safety and converge after healing`, () => {
  assert.deepEqual(runMany(SEEDS, 3), []);
});

test(`membership: ${Math.ceil(SEEDS / 3)} seeds × 5 nodes keep safety and converge after healing`, () => {
  assert.deepEqual(runMany(Math.ceil(SEEDS / 3), 5), []);
});

test(`membership: ${Math.ceil(SEEDS / 3)} seeds × 2 nodes + an arbiter, and × 4 nodes + an arbiter, keep safety and converge`, () => {
  assert.deepEqual(runMany(Math.ceil(SEEDS / 3), 2, undefined, true), []);
  assert.deepEqual(runMany(Math.ceil(SEEDS / 6), 4, undefined, true), []);
});

test("the simulator catches a node that trusts the arbiter's vote longer than the arbiter lends it", () => {
  const overtrust = runMany(100, 2, "arbiter-overtrust", true);
  assert.ok(overtrust.length > 0, "arbiter overtrust went unnoticed");
  assert.match(overtrust[0]!, /two quorate partitions at once/);
});

test("the simulator catches a quorum off by one and a missing lease handover", () => {
  const offByOne = runMany(50, 3, "quorum-off-by-one");
  assert.ok(offByOne.length > 0, "quorum off by one went unnoticed");
  assert.match(offByOne[0]!, /two quorate partitions at once/);
  const noHandover = runMany(50, 3, "no-lease-handover");
  assert.ok(noHandover.length > 0, "missing lease handover went unnoticed");
});

test("a replayed seed gives the same run", () => {
  const a = simulateMembership({ seed: 42, nodes: 3, links: 2, faultMs: 10_000, livenessMs: 10_000, trace: true });
  const b = simulateMembership({ seed: 42, nodes: 3, links: 2, faultMs: 10_000, livenessMs: 10_000, trace: true });
  assert.deepEqual(a.trace, b.trace);
  assert.ok(a.trace.some((l) => l.includes("FAULT")));
});
