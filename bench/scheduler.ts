// npm run bench:scheduler — times the scheduler on the generated CIBs Pacemaker was timed on
// (../shared/bench/scheduler, times in its README). Parse and schedule are timed separately; figures only.
//   BENCH_SCHED_MAX=16x1000 limits the sizes run (CI uses the small ones).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readCib } from "../src/config/cib.js";
import { schedule } from "../src/core/scheduler/index.js";

const DIR = process.env.PACELINE_BENCH_DIR ?? join(new URL("../..", import.meta.url).pathname, "..", "shared", "bench", "scheduler");
const PACEMAKER_R_SECONDS: Record<string, string> = { "4x100": "0.22", "16x1000": "5.7", "32x5000": "297", "32x10000": "> 1200 (unfinished)" };
const limit = process.env.BENCH_SCHED_MAX;
const size = (name: string) => { const m = /cib-(\d+)x(\d+)/.exec(name)!; return Number(m[1]) * Number(m[2]); };
const files = readdirSync(DIR).filter((f) => /^cib-\d+x\d+\.xml\.gz$/.test(f)).sort((a, b) => size(a) - size(b))
  .filter((f) => !limit || size(f) <= size(`cib-${limit}.xml.gz`));

console.log("file                  parse ms   schedule ms   actions   heap MB   Pacemaker crm_simulate -R s");
for (const f of files) {
  const xml = gunzipSync(readFileSync(join(DIR, f))).toString("utf8");
  const t0 = performance.now();
  const input = readCib(xml);
  const t1 = performance.now();
  const result = schedule(input);
  const t2 = performance.now();
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  const key = /cib-(\d+x\d+)/.exec(f)![1]!;
  console.log(`${f.padEnd(20)} ${(t1 - t0).toFixed(0).padStart(9)} ${(t2 - t1).toFixed(0).padStart(13)} ${String(result.transition.actions.length).padStart(9)} ${heapMb.toFixed(0).padStart(9)}   ${PACEMAKER_R_SECONDS[key] ?? "?"}`);
}
