// npm run test:load — the failover scenarios in network namespaces (power-off, network cut, daemon crash, daemon
// hang, rolling restart, config push, standby/move, service death) with both CPU cores kept busy, round after round,
// the VIP sampled on every node every 20 ms. Prints the failovers, the samples and how many showed the VIP on two
// nodes at once (outside the frozen-node window that only fencing closes). PACELINE_LOAD_ROUNDS (default 10, about
// a hundred failovers); CI runs one round. Exits 1 on a failed test or any unexcused double-active sample.

import { spawn, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";

const REPO = new URL("../..", import.meta.url).pathname;
const rounds = Number(process.env.PACELINE_LOAD_ROUNDS ?? 10);
const sampleMs = process.env.PACELINE_SAMPLE_MS ?? "20";
const file = join(REPO, "dist", "test", "integration", "failover-netns.test.js");

const burners: ChildProcess[] = [];
const stopBurners = () => {
  round?.kill("SIGTERM");
  for (const b of burners)
    if (b.pid)
      try {
        process.kill(b.pid, "SIGKILL");
      } catch {
        /* gone */
      }
};
process.on("exit", stopBurners);
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    stopBurners();
    process.exit(1);
  });
for (let i = 0; i < cpus().length; i++) burners.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));

/** One round, as a child this process waits for without blocking (a signal must still end it and its burners). */
function runRound(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--test", "--test-concurrency=1", file], {
      env: { ...process.env, PACELINE_SAMPLE_MS: sampleMs },
      stdio: ["ignore", "pipe", "ignore"],
    });
    round = child;
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.on("close", () => resolve(out));
  });
}
let round: ChildProcess | undefined;

const FAILOVERS_PER_ROUND = 10;
let sampledMs = 0;
let samples = 0,
  doubles = 0,
  excusedDoubles = 0,
  failovers = 0,
  failed = 0,
  passed = 0;
const t0 = performance.now();
for (let r = 1; r <= rounds; r++) {
  const out = await runRound();
  for (const m of out.matchAll(
    /vip-sampler: (\d+) samples every (\d+) ms \(asked \d+[^)]*\), (?:\d+ saw the VIP, )?(\d+) on two nodes( \(excused)?/g,
  )) {
    samples += Number(m[1]);
    sampledMs += Number(m[1]) * Number(m[2]);
    if (m[4]) excusedDoubles += Number(m[3]);
    else doubles += Number(m[3]);
  }
  // A round moves the group about ten times: standby, two moves, a service death, a network cut, a daemon hang, a
  // power-off, the holder's turn in the rolling restart, and a daemon crash whose respawn came too late.
  failovers += FAILOVERS_PER_ROUND;
  const notOk = [...out.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]!);
  failed += notOk.length;
  passed += [...out.matchAll(/^ok \d+ - /gm)].length;
  console.log(`round ${r}/${rounds}: ${notOk.length ? `FAILED: ${notOk.join("; ")}` : "every scenario passed"}`);
  if (notOk.length) console.log(failureBlocks(out));
}
stopBurners();
console.log(
  `load: ${rounds} round(s) with ${burners.length} CPU burner(s), ${((performance.now() - t0) / 1000).toFixed(0)} s; about ${failovers} failovers (${FAILOVERS_PER_ROUND} a round); ${passed} scenarios passed, ${failed} failed`,
);
console.log(
  `load: ${samples} VIP samples (asked every ${sampleMs} ms on every node; ${Math.round(sampledMs / Math.max(1, samples))} ms achieved under this load): ${doubles} on two nodes; ${excusedDoubles} more while a node was frozen without fencing (the window fencing closes)`,
);
process.exitCode = failed || doubles ? 1 : 0;

/** Each failed test's report (its YAML block: error, expected/actual, stack head), as the test runner printed it. */
function failureBlocks(tap: string): string {
  const lines = tap.split("\n");
  const shown: string[] = [];
  lines.forEach((line, i) => {
    if (!/^not ok \d+ - /.test(line)) return;
    shown.push(line);
    for (let j = i + 1; j < lines.length && j < i + 60 && lines[j] !== "  ..."; j++) shown.push(lines[j]!);
  });
  return shown.join("\n");
}
