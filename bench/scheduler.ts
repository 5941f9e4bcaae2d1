// npm run bench:scheduler — times the scheduler on the generated CIBs Pacemaker was timed on
// (../shared/bench/scheduler, times in its README). Parse and schedule are timed separately; figures only.
//   BENCH_SCHED_MAX=16x1000 limits the sizes run (CI uses the small ones).

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readCib } from "../src/config/cib.js";
import { schedule } from "../src/core/scheduler/index.js";

const DIR =
  process.env.PACELINE_BENCH_DIR ??
  join(new URL("../..", import.meta.url).pathname, "..", "shared", "bench", "scheduler");
const PACEMAKER_R_SECONDS: Record<string, string> = {
  "4x100": "0.22",
  "16x1000": "5.7",
  "32x5000": "297",
  "32x10000": "> 1200 (unfinished)",
};
const limit = process.env.BENCH_SCHED_MAX;
const size = (name: string) => {
  const m = /cib-(\d+)x(\d+)/.exec(name)!;
  return Number(m[1]) * Number(m[2]);
};
const paths = readdirSync(DIR)
  .filter((f) => /^cib-\d+x\d+\.xml\.gz$/.test(f))
  .map((f) => join(DIR, f));
// The 32 × 1 000 target size is generated with the corpus's own generator (seeded, deterministic).
const tmp = mkdtempSync(join(tmpdir(), "paceline-bench-sched-"));
const gen = join(DIR, "gen_cib.py");
if (existsSync(gen)) {
  try {
    execFileSync(
      "python3",
      [gen, "--nodes", "32", "--resources", "1000", "--seed", "1", "-o", join(tmp, "cib-32x1000.xml.gz")],
      { stdio: "ignore" },
    );
    paths.push(join(tmp, "cib-32x1000.xml.gz"));
  } catch {
    /* no python3: the other sizes still run */
  }
}
const name = (p: string) => p.split("/").pop()!;
const files = paths
  .sort((a, b) => size(name(a)) - size(name(b)))
  .filter((p) => !limit || size(name(p)) <= size(`cib-${limit}.xml.gz`));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  "file                  parse ms   schedule ms (median)   actions   heap MB   peak RSS MB   Pacemaker crm_simulate -R s",
);
for (const f of files) {
  const xml = gunzipSync(readFileSync(f)).toString("utf8");
  const t0 = performance.now();
  const input = readCib(xml);
  const parseMs = performance.now() - t0;
  const runs = size(name(f)) <= 32 * 1000 ? 7 : 1;
  const times: number[] = [];
  let actions = 0;
  for (let i = 0; i < runs; i++) {
    const copy = runs > 1 ? structuredClone(input) : input;
    const t1 = performance.now();
    actions = schedule(copy).transition.actions.length;
    times.push(performance.now() - t1);
  }
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  // (Peak so far in this process: sizes run smallest first, so each row's peak is its own.)
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
  const key = /cib-(\d+x\d+)/.exec(name(f))![1]!;
  console.log(
    `${name(f).padEnd(20)} ${parseMs.toFixed(0).padStart(9)} ${median(times).toFixed(0).padStart(13)} (${runs} run${runs > 1 ? "s" : ""})${" ".repeat(runs > 1 ? 0 : 1)} ${String(actions).padStart(9)} ${heapMb.toFixed(0).padStart(9)} ${peakRssMb.toFixed(0).padStart(13)}   ${PACEMAKER_R_SECONDS[key] ?? "not timed"}`,
  );
}
rmSync(tmp, { recursive: true, force: true });
