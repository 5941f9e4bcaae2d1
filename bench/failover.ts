// npm run bench:failover — fault → the VIP answering again from another node, with three Paceline daemons in
// network namespaces running a group (the native VIP, or IPaddr2 with BENCH_VIP=ipaddr2, + a web server), for a
// node power-off (every process of the node killed, its cable pulled) and a network cut (cable pulled only: the
// node must stop the group itself before the others start it). Median and p95 over BENCH_RUNS (default 20) for the
// fast profile and BENCH_DEFAULT_PROFILE_RUNS (default 20) for the default one (BENCH_PROFILES to choose). The VIP
// is polled every 10 ms from the root namespace. Then, when Pacemaker + Corosync or keepalived are installed, the
// same measurement with ../shared/peers/ (BENCH_PEER_RUNS, default 5; BENCH_PEERS=none to skip); a peer that
// cannot run is printed with the reason. Prints; asserts nothing.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsCluster } from "../test/netns-cluster.js";
import { VipProbe, webServerSource } from "../test/vip-probe.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DEFAULT_PROFILE_RUNS = Number(process.env.BENCH_DEFAULT_PROFILE_RUNS ?? 20);
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS ?? 5);
const PROFILES = (process.env.BENCH_PROFILES ?? "fast,default").split(",");
// The native VIP by default; BENCH_VIP=ipaddr2 measures with Debian's IPaddr2 script instead.
const VIP_AGENT = process.env.BENCH_VIP === "ipaddr2" ? "ocf:heartbeat:IPaddr2" : "vip";
const PEERS_DIR = new URL("../../../shared/peers/", import.meta.url).pathname;
const SUBNET = 216;
const VIP = `10.${SUBNET}.0.100`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let current: NetnsCluster | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    void (current?.teardown() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

function stats(xs: number[]): string {
  if (xs.length === 0) return "no runs";
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms (n=${s.length}, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)})`;
}

async function measureProfile(profile: string, dir: string): Promise<{ powerOff: number[]; cut: number[] }> {
  const c = new NetnsCluster(
    3,
    1,
    `profile: ${profile}`,
    SUBNET,
    `
resources:
  web:
    members:
      vip: { agent: ${VIP_AGENT}, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 1s }
      www: { exec: { command: "${process.execPath} ${dir}/www.cjs" }, monitor: 1s }
defaults: { stickiness: 100 }
`,
    true,
  );
  current = c;
  const probe = new VipProbe(c, VIP);
  const out = { powerOff: [] as number[], cut: [] as number[] };
  try {
    c.setup();
    for (const d of c.daemons.values()) d.start();
    await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
    const runs = profile === "default" ? DEFAULT_PROFILE_RUNS : RUNS;
    for (let run = 0; run < 2 * runs; run++) {
      const fault = run % 2 ? "cut" : "powerOff";
      const active = await waitAnswer(probe, 120_000);
      const others = c.nodes.filter((n) => n !== active);
      await sleep(profile === "default" ? 2000 : 500); // settled: monitors running, no view change in flight
      const t0 = performance.now();
      if (fault === "powerOff") {
        for (const pid of execFileSync("ip", ["netns", "pids", c.ns(active)], { encoding: "utf8" })
          .split("\n")
          .filter(Boolean)
          .map(Number)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
        c.setLink(active, 0, "down");
        try {
          execFileSync("ip", ["-n", c.ns(active), "addr", "del", `${VIP}/24`, "dev", "eth0"]);
        } catch {
          /* not there */
        }
      } else c.setLink(active, 0, "down");
      for (;;) {
        const who = await probe.whoAnswers();
        if (who && others.includes(who)) break;
        if (performance.now() - t0 > 120_000) throw new Error(`no failover within 120 s (${fault} of ${active})`);
        await sleep(10);
      }
      out[fault].push(performance.now() - t0);
      c.setLink(active, 0, "up");
      if (fault === "powerOff") c.node(active).start();
      await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
      process.stdout.write(
        `  ${profile} ${fault === "powerOff" ? "power-off" : "network cut"} of ${active}: ${out[fault].at(-1)!.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await c.teardown();
    current = undefined;
  }
  return out;
}

async function waitAnswer(probe: VipProbe, timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const who = await probe.whoAnswers();
    if (who) return who;
    if (Date.now() - t0 > timeoutMs) throw new Error("the VIP does not answer");
    await sleep(50);
  }
}

/** Runs one peer's scripts (setup, measure kill and netcut, teardown) and returns its failover times per fault. */
function measurePeer(name: "pacemaker" | "keepalived", setupArgs: string[]): Record<string, number[]> | string {
  const d = join(PEERS_DIR, name);
  const state = mkdtempSync(join(tmpdir(), `paceline-peer-${name}-`));
  const env = { ...process.env, STATE: state, OUT: join(state, "results.jsonl") };
  try {
    const setup = spawnSync("bash", [join(d, "setup.sh"), ...setupArgs], { env, encoding: "utf8", timeout: 300_000 });
    if (setup.status !== 0) return `setup failed: ${(setup.stderr || setup.stdout).slice(-400)}`;
    for (const fault of ["kill", "netcut"])
      spawnSync("bash", [join(d, "measure.sh"), fault, String(PEER_RUNS)], {
        env,
        encoding: "utf8",
        timeout: 1_800_000,
      });
    const times: Record<string, number[]> = { kill: [], netcut: [] };
    for (const line of existsSync(env.OUT) ? readFileSync(env.OUT, "utf8").split("\n") : []) {
      if (!line.startsWith("{")) continue;
      const r = JSON.parse(line) as { label?: string; failover_ms?: number };
      const fault = /fault=(\S+)/.exec(r.label ?? "")?.[1];
      if (fault && typeof r.failover_ms === "number") times[fault]?.push(r.failover_ms);
    }
    return times;
  } finally {
    spawnSync("bash", [join(d, "teardown.sh")], { env, timeout: 120_000 });
    rmSync(state, { recursive: true, force: true });
  }
}

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log("bench:failover needs root (network namespaces)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "paceline-bench-failover-"));
  writeFileSync(join(dir, "www.cjs"), webServerSource(`10.${SUBNET}.0.`, VIP));
  const rows: string[] = [];
  try {
    for (const profile of PROFILES) {
      const r = await measureProfile(profile, dir);
      rows.push(
        `Paceline, ${profile} profile, ${VIP_AGENT === "vip" ? "native VIP" : "IPaddr2"}, 3 nodes: power-off ${stats(r.powerOff)}; network cut ${stats(r.cut)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A peer that cannot run is printed with the reason, never left out.
  if (process.env.BENCH_PEERS === "none") rows.push("peers: skipped (BENCH_PEERS=none)");
  else if (!existsSync(PEERS_DIR)) rows.push(`peers: skipped: ${PEERS_DIR} not found (a checkout beside ../shared)`);
  else {
    if (have("pacemakerd") && have("corosync")) {
      const r = measurePeer("pacemaker", ["3", "default"]);
      rows.push(
        typeof r === "string"
          ? `Pacemaker + Corosync, defaults, 3 nodes: ${r}`
          : `Pacemaker + Corosync, defaults, 3 nodes: kill -9 ${stats(r.kill!)}; network cut ${stats(r.netcut!)}`,
      );
    } else rows.push("Pacemaker + Corosync: not installed (apt install pacemaker corosync)");
    if (have("keepalived"))
      for (const [advert, version] of [
        ["1", "2"],
        ["0.1", "3"],
      ] as const) {
        const r = measurePeer("keepalived", ["3", advert, version]);
        const label = `keepalived, advert_int ${advert} s (VRRPv${version}), 3 nodes`;
        rows.push(
          typeof r === "string"
            ? `${label}: ${r}`
            : `${label}: kill -9 ${stats(r.kill!)}; network cut ${stats(r.netcut!)}`,
        );
      }
    else rows.push("keepalived: not installed (apt install keepalived)");
  }
  console.log("\nfault → VIP answering from another node:");
  for (const r of rows) console.log(`  ${r}`);
}

await main();
