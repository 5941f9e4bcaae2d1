// npm run bench:membership — cluster membership figures from real daemons in network namespaces (needs root):
//  1. kill -9 of a node, and a node cut off (all its links down): time until every survivor has installed the same
//     view without it ("agreed"), and until that view is quorate with a DC ("acting": after the lost node's quorum
// lease has surely run out). Median and p95 over BENCH_RUNS (default 20; BENCH_DEFAULT_PROFILE_RUNS, default 5, for the
//     slow default profile), for the fast and default profiles (BENCH_PROFILES).
//  2. Idle cost per node for 3 and 16 nodes: CPU % and heartbeat bytes/s.
// Status is polled every 10 ms, so figures carry up to ~10 ms of polling error. Prints figures; asserts nothing.

import { readFileSync } from "node:fs";
import type { MembershipStatus } from "../src/api/types.js";
import { NetnsCluster } from "../test/netns-cluster.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
// The default profile needs ~10 s to detect and ~10 s of lease handover per fault: fewer runs unless asked.
const DEFAULT_PROFILE_RUNS = Number(process.env.BENCH_DEFAULT_PROFILE_RUNS ?? 5);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 15);
const PROFILES = (process.env.BENCH_PROFILES ?? "fast,default").split(",");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Interrupted (Ctrl-C), the namespaces, veths and daemons of the cluster being measured are still removed.
let current: NetnsCluster | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    void (current?.teardown() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}
function cluster(nodes: number, profile: string, subnet: number): NetnsCluster {
  current = new NetnsCluster(nodes, 2, `profile: ${profile}`, subnet);
  return current;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms`;
}

/** Polls the survivors until they agree on a view without `lost`, then until it is quorate; times both from t0. */
async function timeRecovery(
  c: NetnsCluster,
  survivors: string[],
  lost: string,
  t0: number,
): Promise<{ agreedMs: number; actingMs: number }> {
  let agreedMs = NaN;
  for (;;) {
    const all: MembershipStatus[] = await Promise.all(survivors.map((n) => c.node(n).membership()));
    const same =
      new Set(all.map((s) => `${s.view.id}/${s.view.leader}`)).size === 1 &&
      all.every((s) => !s.view.members.includes(lost));
    if (same && Number.isNaN(agreedMs)) agreedMs = performance.now() - t0;
    if (same && all.every((s) => s.quorate && s.dc)) return { agreedMs, actingMs: performance.now() - t0 };
    if (performance.now() - t0 > 120_000)
      throw new Error(
        `no recovery after 120 s: ${all.map((s) => `${s.node} view ${s.view.members.join(",")} quorate=${s.quorate}`).join(" | ")}`,
      );
    await sleep(10);
  }
}

async function failover(profile: string): Promise<void> {
  const c = cluster(3, profile, 215);
  try {
    c.setup();
    for (const d of c.daemons.values()) d.start();
    await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
    const kill = { agreed: [] as number[], acting: [] as number[] };
    const cut = { agreed: [] as number[], acting: [] as number[] };
    const runs = profile === "default" ? DEFAULT_PROFILE_RUNS : RUNS;
    for (let run = 0; run < runs; run++) {
      // Alternate the victim between the DC and another node: losing the DC also costs an election.
      const victim = run % 2 ? "n1" : "n3";
      const survivors = c.nodes.filter((n) => n !== victim);
      let t0 = performance.now();
      await c.node(victim).kill9();
      let r = await timeRecovery(c, survivors, victim, t0);
      kill.agreed.push(r.agreedMs);
      kill.acting.push(r.actingMs);
      c.node(victim).start();
      await c.converge(c.nodes, c.nodes, "n1", true, 120_000);

      t0 = performance.now();
      for (const l of c.links) c.setLink(victim, l, "down");
      r = await timeRecovery(c, survivors, victim, t0);
      cut.agreed.push(r.agreedMs);
      cut.acting.push(r.actingMs);
      for (const l of c.links) c.setLink(victim, l, "up");
      await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
    }
    console.log(`  ${profile.padEnd(8)} kill -9:  agreed ${stats(kill.agreed)}; acting ${stats(kill.acting)}`);
    console.log(`  ${profile.padEnd(8)} link cut: agreed ${stats(cut.agreed)}; acting ${stats(cut.acting)}`);
  } finally {
    await c.teardown();
  }
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
}

async function idle(nodes: number, profile: string): Promise<void> {
  const c = cluster(nodes, profile, 216);
  try {
    c.setup();
    for (const d of c.daemons.values()) d.start();
    await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
    await sleep(2000);
    const pids = c.nodes.map((n) => c.node(n).proc!.pid!);
    const before = await Promise.all(c.nodes.map((n) => c.node(n).membership()));
    const ticks0 = pids.map(cpuTicks);
    const t0 = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const after = await Promise.all(c.nodes.map((n) => c.node(n).membership()));
    const cpu = pids.map((p, i) => ((cpuTicks(p) - ticks0[i]!) / 100 / seconds) * 100);
    const bytes = after.map((s, i) => (s.packets.bytesSent - before[i]!.packets.bytesSent) / seconds);
    const lag = Math.max(...after.map((s) => s.eventLoopLagMs.p99));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `  ${String(nodes).padStart(2)} nodes, ${profile.padEnd(7)}: CPU ${avg(cpu).toFixed(2)} % per node (max ${Math.max(...cpu).toFixed(2)} %), sent ${(avg(bytes) / 1024).toFixed(1)} KiB/s per node, event-loop lag p99 ≤ ${lag.toFixed(1)} ms`,
    );
  } finally {
    await c.teardown();
  }
}

if (process.getuid?.() !== 0) {
  console.error("bench:membership needs root (network namespaces)");
  process.exit(1);
}
console.log(
  `Membership: 3 nodes, 2 links, ${RUNS} runs per fault (${DEFAULT_PROFILE_RUNS} for the default profile); time from the fault to all survivors agreeing / acting`,
);
for (const p of PROFILES) await failover(p);
console.log(`Idle cost (${IDLE_SECONDS} s, 2 links):`);
for (const n of [3, 16]) for (const p of PROFILES) await idle(n, p);
