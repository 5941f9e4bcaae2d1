// npm run sim -- --seeds N [--nodes 3] [--links 2] [--arbiter] [--seed S --trace]
//                [--bug quorum-off-by-one|no-lease-handover|arbiter-overtrust]
// Runs the membership simulator over many seeds; every failure prints its seed and the command that replays it.

import { parseArgs } from "node:util";
import { simulateMembership } from "./membership-sim.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: process.env.PACELINE_SIM_SEEDS ?? "1000" },
    seed: { type: "string" }, nodes: { type: "string", default: "3" }, links: { type: "string", default: "2" },
    "fault-ms": { type: "string", default: "20000" }, trace: { type: "boolean" }, bug: { type: "string" }, arbiter: { type: "boolean" },
  },
});
const nodes = Number(values.nodes), links = Number(values.links), faultMs = Number(values["fault-ms"]);
const bug = values.bug as "quorum-off-by-one" | "no-lease-handover" | "arbiter-overtrust" | undefined;
const arbiter = values.arbiter === true;
const seeds = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
let failed = 0;
const converge: number[] = [];
const t0 = performance.now();
for (const seed of seeds) {
  const r = simulateMembership({ seed, nodes, links, faultMs, livenessMs: 15_000, arbiter, trace: values.trace === true, params: bug ? { injectedBug: bug } : {} });
  if (values.trace) console.log(r.trace.join("\n"));
  if (r.ok) { converge.push(r.convergedAfterMs!); continue; }
  failed++;
  console.log(`FAIL seed ${seed} at ${r.atMs} ms: ${r.violation}\n  replay: npm run sim -- --seed ${seed} --nodes ${nodes} --links ${links}${arbiter ? " --arbiter" : ""}${bug ? ` --bug ${bug}` : ""} --trace`);
}
converge.sort((a, b) => a - b);
const q = (f: number) => converge[Math.min(converge.length - 1, Math.floor(f * converge.length))] ?? NaN;
console.log(`membership simulation: ${seeds.length} seeds × ${nodes} nodes${arbiter ? " + arbiter" : ""} × ${links} links, ${((performance.now() - t0) / 1000).toFixed(1)} s; convergence after healing: median ${q(0.5)} ms, p95 ${q(0.95)} ms`);
console.log(`simulation: ${seeds.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
