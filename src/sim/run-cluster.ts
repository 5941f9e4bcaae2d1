// npm run sim:cluster -- --seeds N [--nodes 3] [--fencing] [--seed S --trace]
//                        [--bug no-stop-on-lost-quorum|no-hold|fence-claims-success]
// Runs the cluster (membership + controller) simulator over many seeds; every failure prints the command that
// replays it with a trace.

import { parseArgs } from "node:util";
import { simulateCluster, type ClusterSimOptions } from "./cluster-sim.js";

const { values } = parseArgs({
  options: {
    seeds: { type: "string", default: process.env.PACELINE_SIM_SEEDS ?? "1000" }, seed: { type: "string" },
    nodes: { type: "string", default: "3" }, trace: { type: "boolean" }, bug: { type: "string" }, "fault-ms": { type: "string", default: "20000" },
    fencing: { type: "boolean" },
  },
});
const nodes = Number(values.nodes);
const bug = values.bug as ClusterSimOptions["bug"];
const seeds = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
let failed = 0;
const converge: number[] = [];
const t0 = performance.now();
for (const seed of seeds) {
  const r = simulateCluster({ seed, nodes, links: 2, faultMs: Number(values["fault-ms"]), livenessMs: 30_000, bug, fencing: values.fencing === true, trace: values.trace === true });
  if (values.trace) console.log(r.trace.join("\n"));
  if (r.ok) { converge.push(r.convergedAfterMs!); continue; }
  failed++;
  console.log(`FAIL seed ${seed} at ${r.atMs} ms: ${r.violation} [${r.where}]\n  replay: npm run sim:cluster -- --seed ${seed} --nodes ${nodes}${values.fencing ? " --fencing" : ""}${bug ? ` --bug ${bug}` : ""} --trace`);
}
converge.sort((a, b) => a - b);
const q = (f: number) => converge[Math.min(converge.length - 1, Math.floor(f * converge.length))] ?? NaN;
console.log(`cluster simulation: ${seeds.length} seeds × ${nodes} nodes, ${((performance.now() - t0) / 1000).toFixed(1)} s; every resource running again after healing: median ${q(0.5)} ms, p95 ${q(0.95)} ms`);
console.log(`simulation: ${seeds.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
