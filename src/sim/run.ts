// npm run sim -- --seeds N [--nodes 3] [--links 2] [--membership] [--arbiter] [--fencing] [--promotable] [--bug B]
//                [--seed S --trace] [--fault-ms MS]
// Runs the simulator (every node running the daemon's node core) over many seeds; every failure prints the command
// that replays it with a trace. --membership runs no resources (membership and quorum only).

import { parseArgs } from "node:util";
import { simulate, SIM_BUGS, type SimBug } from "./cluster-sim.js";

const OPTIONS = {
  seeds: { type: "string", default: process.env.PACELINE_SIM_SEEDS ?? "1000" },
  seed: { type: "string" },
  nodes: { type: "string", default: "3" },
  links: { type: "string", default: "2" },
  trace: { type: "boolean" },
  bug: { type: "string" },
  "fault-ms": { type: "string", default: "20000" },
  fencing: { type: "boolean" },
  promotable: { type: "boolean" },
  arbiter: { type: "boolean" },
  membership: { type: "boolean" },
  help: { type: "boolean" },
} as const;
const USAGE = `usage: npm run sim -- [--seeds N | --seed S --trace] [--nodes 3] [--links 2] [--membership] [--arbiter]
                    [--fencing] [--promotable] [--bug B] [--fault-ms MS]`;
const args = (() => {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
const BUGS = Object.entries(SIM_BUGS)
  .map(([name, what]) => `  ${name.padEnd(24)} ${what}`)
  .join("\n");
if (args.values.help) {
  console.log(`${USAGE}\ninjected bugs (--bug B; the run must find a violation):\n${BUGS}`);
  process.exit(0);
}
if (args.values.bug !== undefined && !(args.values.bug in SIM_BUGS)) {
  console.error(`unknown --bug ${args.values.bug}; one of:\n${BUGS}`);
  process.exit(2);
}
const { values } = args;

const nodes = Number(values.nodes);
const links = Number(values.links);
const bug = values.bug as SimBug | undefined;
const seeds = values.seed ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const flags = `--nodes ${nodes} --links ${links}${values.membership ? " --membership" : ""}${values.arbiter ? " --arbiter" : ""}${values.fencing ? " --fencing" : ""}${values.promotable ? " --promotable" : ""}${bug ? ` --bug ${bug}` : ""}`;
let failed = 0;
let frozenWindowMs = 0;
let frozenSeeds = 0;
const converge: number[] = [];
const t0 = performance.now();
for (const seed of seeds) {
  const r = simulate({
    seed,
    nodes,
    links,
    faultMs: Number(values["fault-ms"]),
    livenessMs: 30_000,
    bug,
    fencing: values.fencing === true,
    arbiter: values.arbiter === true,
    promotable: values.promotable === true,
    resources: values.membership ? false : undefined,
    trace: values.trace === true,
  });
  if (values.trace) console.log(r.trace.join("\n"));
  frozenWindowMs += r.frozenWindowMs;
  if (r.frozenWindowMs > 0) frozenSeeds++;
  if (r.ok) {
    converge.push(r.convergedAfterMs!);
    continue;
  }
  failed++;
  console.log(
    `FAIL seed ${seed} at ${r.atMs} ms: ${r.violation} [${r.where}]\n  replay: npm run sim -- --seed ${seed} ${flags} --trace`,
  );
}
converge.sort((a, b) => a - b);
const q = (f: number) => converge[Math.min(converge.length - 1, Math.floor(f * converge.length))] ?? NaN;
console.log(
  `simulation: ${seeds.length} seeds × ${nodes} nodes (${flags}), ${((performance.now() - t0) / 1000).toFixed(1)} s; converged after healing: median ${q(0.5)} ms, p95 ${q(0.95)} ms`,
);
if (frozenSeeds)
  console.log(
    `frozen-node window (no fencing: a node frozen longer than dead cannot stop what it runs): ${frozenSeeds} seed(s), ${(frozenWindowMs / 1000).toFixed(1)} s in all, ${Math.round(frozenWindowMs / frozenSeeds)} ms each on average`,
  );
console.log(`simulation: ${seeds.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
