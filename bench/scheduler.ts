// npm run bench:scheduler — times the scheduler on the generated CIBs Pacemaker was timed on
// (../shared/bench/scheduler, times in its README). Parse and schedule are timed separately; figures only.
// Each size runs in a process of its own: its parse is cold (as `paceline simulate` is) and its peak RSS is its
// own, not what earlier sizes left behind.
//   BENCH_SCHED_MAX=16x1000 limits the sizes run (CI uses the small ones).
//   BENCH_SCHED_REPEAT=N runs each size N times, each in a fresh process, and prints the fastest run (parse +
//   schedule) with the median total beside it: this machine's speed drifts by a third within minutes.

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
/** `--one FILE`: measure that file alone (the parent runs each size so). */
const one = process.argv.indexOf("--one");
const size = (name: string) => {
  const m = /cib-(\d+)x(\d+)/.exec(name)!;
  return Number(m[1]) * Number(m[2]);
};
const paths = readdirSync(DIR)
  .filter((f) => /^cib-\d+x\d+\.xml\.gz$/.test(f))
  .map((f) => join(DIR, f));
// The 32 × 1 000 target size is generated with the corpus's own generator (seeded, deterministic).
const tmp = one < 0 ? mkdtempSync(join(tmpdir(), "paceline-bench-sched-")) : "";
const gen = join(DIR, "gen_cib.py");
if (one < 0 && existsSync(gen)) {
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

/** One size, in this process: its figures as a line of JSON. */
function measure(f: string): void {
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
  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 1e6;
  const m: Measured = { parseMs, scheduleMs: median(times), runs, actions, heapMb, peakRssMb };
  console.log(JSON.stringify(m));
}

interface Measured {
  parseMs: number;
  scheduleMs: number;
  runs: number;
  actions: number;
  heapMb: number;
  peakRssMb: number;
}
const repeat = Number(process.env.BENCH_SCHED_REPEAT ?? 1);
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error(`BENCH_SCHED_REPEAT=${process.env.BENCH_SCHED_REPEAT}: expected a whole number of runs, 1 or more`);
  process.exit(2);
}
/** One size measured in a process of its own (a cold parse, its own peak RSS). */
function measureApart(f: string): Measured {
  const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, "--one", f], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Measured;
}

if (one >= 0) measure(process.argv[one + 1]!);
else {
  console.log(
    "file                  parse ms   schedule ms (median)   actions   heap MB   peak RSS MB   Pacemaker crm_simulate -R s",
  );
  for (const f of files) {
    const measured = Array.from({ length: repeat }, () => measureApart(f));
    const total = (m: Measured) => m.parseMs + m.scheduleMs;
    const m = measured.reduce((best, x) => (total(x) < total(best) ? x : best));
    const key = /cib-(\d+x\d+)/.exec(name(f))![1]!;
    const runs = `(${m.runs} run${m.runs > 1 ? "s)" : ") "}`;
    const spread =
      repeat > 1
        ? `   the fastest of ${repeat} fresh runs shown; their median parse + schedule ${median(measured.map(total)).toFixed(0)} ms`
        : "";
    console.log(
      `${name(f).padEnd(20)} ${m.parseMs.toFixed(0).padStart(9)} ${m.scheduleMs.toFixed(0).padStart(13)} ${runs} ${String(m.actions).padStart(9)} ${m.heapMb.toFixed(0).padStart(9)} ${m.peakRssMb.toFixed(0).padStart(13)}   ${(PACEMAKER_R_SECONDS[key] ?? "not timed").padEnd(27)}${spread}`,
    );
  }
  console.log("goal: 32x10000 parse + schedule < 2000 ms with peak RSS < 1000 MB; 16x1000 < 100 ms");
}
if (one < 0) rmSync(tmp, { recursive: true, force: true });
