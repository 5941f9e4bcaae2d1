// npm run bench:failover — fault → the VIP answering again from another node, three nodes in network namespaces,
// for Paceline (fast and default profiles, the native VIP or IPaddr2 with BENCH_VIP=ipaddr2) and the peers of
// ../shared/peers (Pacemaker + Corosync with its defaults, keepalived with 1 s and 0.1 s adverts), every system
// under the same faults, the same probe and the same double-active check:
//  - power-off: every process of the active node's namespace killed at once, its link down, its VIP address gone;
//  - network cut: every packet in and out of the active node dropped (nftables in its namespace; its link stays up,
//    as when a switch fails: it must give the VIP up by itself, or the VIP is on two nodes);
//  - probe: a TCP connection to the VIP every 10 ms; each node's responder answers with the node's name;
//  - double-active: every 20 ms, `ip addr` in every namespace; a sample with the VIP on two nodes is counted, from
//    the fault until the fault is undone (1 s after the failover).
// Each system runs quiet, then with two CPU burners (BENCH_LOAD=quiet|busy|both, default both). Runs per fault:
// BENCH_RUNS (Paceline fast, default 10), BENCH_DEFAULT_PROFILE_RUNS (10), BENCH_PEER_RUNS (5); BENCH_SYSTEMS picks
// (paceline-fast,paceline-default,pacemaker,keepalived-1s,keepalived-0.1s). A system that cannot run is printed
// with the reason, never left out. Prints; asserts nothing.

import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killEveryProcessIn } from "../src/cli/netns-procs.js";
import { NetnsCluster } from "../test/netns-cluster.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const DEFAULT_PROFILE_RUNS = Number(process.env.BENCH_DEFAULT_PROFILE_RUNS ?? 10);
const PEER_RUNS = Number(process.env.BENCH_PEER_RUNS ?? 5);
const LOADS = { quiet: ["quiet"], busy: ["busy"], both: ["quiet", "busy"] }[process.env.BENCH_LOAD ?? "both"] ?? [
  "quiet",
  "busy",
];
const SYSTEMS = (
  process.env.BENCH_SYSTEMS ?? "paceline-fast,paceline-default,pacemaker,keepalived-1s,keepalived-0.1s"
).split(",");
const VIP_AGENT = process.env.BENCH_VIP === "ipaddr2" ? "ocf:heartbeat:IPaddr2" : "vip";
const PEERS_DIR = new URL("../../../shared/peers/", import.meta.url).pathname;
const PORT = 7777;
const SAMPLE_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cluster under test, seen the same way whatever runs it. Nodes are numbered 1..3. */
interface System {
  label: string;
  vip: string;
  runs: number;
  ns(i: number): string;
  setup(): Promise<void>;
  /** Waits for a settled cluster with the VIP answering; returns the node holding it. */
  ready(): Promise<number>;
  /** Starts the node's software again after a power-off (its link is already back). */
  restart(i: number): Promise<void>;
  teardown(): Promise<void>;
}

// ---- the probe, the faults and the double-active check: one definition for every system ----------------------

/** Which node answers on the VIP (the last number of the responder's answer), or undefined. */
function whoAnswers(vip: string, timeoutMs = 15): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = "";
    const s = connect({ host: vip, port: PORT });
    const done = (v: number | undefined) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(undefined));
    s.on("data", (b: Buffer) => (text += b.toString()));
    s.on("end", () => done(Number(/(\d+)\s*$/.exec(text)?.[1]) || undefined));
    s.on("error", () => done(undefined));
  });
}

const quietly = (f: () => unknown) => {
  try {
    f();
  } catch {
    /* already so */
  }
};
const link = (ns: string, state: "up" | "down") => execFileSync("ip", ["-n", ns, "link", "set", "eth0", state]);

/** Drops every packet in and out of a namespace but loopback (a partition the node cannot see as a link state). */
function cut(ns: string): void {
  execFileSync("ip", ["netns", "exec", ns, "nft", "-f", "-"], {
    input: `table inet benchcut {
  chain in { type filter hook input priority -10; policy drop; iif "lo" accept; }
  chain out { type filter hook output priority -10; policy drop; oif "lo" accept; }
}
`,
  });
}

const FAULTS = {
  // Nothing leaves the node from the fault on (link first), then nothing runs there, and its addresses are gone.
  "power-off": (sys: System, i: number) => {
    link(sys.ns(i), "down");
    killEveryProcessIn(sys.ns(i));
    quietly(() =>
      execFileSync("ip", ["-n", sys.ns(i), "addr", "del", `${sys.vip}/24`, "dev", "eth0"], { stdio: "ignore" }),
    );
  },
  "network cut": (sys: System, i: number) => cut(sys.ns(i)),
};
/** Undoes a fault: the link back, the node's software started again after a power-off. */
async function heal(sys: System, fault: Fault, i: number): Promise<void> {
  if (fault === "network cut")
    return quietly(() =>
      execFileSync("ip", ["netns", "exec", sys.ns(i), "nft", "delete", "table", "inet", "benchcut"]),
    );
  link(sys.ns(i), "up");
  await sys.restart(i);
}
type Fault = keyof typeof FAULTS;

function holds(ns: string, vip: string): Promise<boolean> {
  return new Promise((resolve) =>
    execFile("ip", ["-n", ns, "-o", "addr", "show", "dev", "eth0"], (e, out) =>
      resolve(!e && out.includes(` ${vip}/`)),
    ),
  );
}

/** Samples every namespace every SAMPLE_MS; counts the samples with the VIP on two nodes or more. */
class DoubleActive {
  samples = 0;
  double = 0;
  private running = true;
  private readonly done: Promise<void>;
  constructor(sys: System) {
    this.done = (async () => {
      while (this.running) {
        const at = Date.now();
        const on = await Promise.all([1, 2, 3].map((i) => holds(sys.ns(i), sys.vip)));
        this.samples++;
        if (on.filter(Boolean).length > 1) this.double++;
        await sleep(Math.max(0, SAMPLE_MS - (Date.now() - at)));
      }
    })();
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

interface Result {
  times: Record<Fault, number[]>;
  samples: number;
  double: number;
  errors: string[];
}

async function measure(sys: System): Promise<Result> {
  const r: Result = { times: { "power-off": [], "network cut": [] }, samples: 0, double: 0, errors: [] };
  for (let run = 0; run < 2 * sys.runs; run++) {
    const fault: Fault = run % 2 ? "network cut" : "power-off";
    const active = await sys.ready();
    const watch = new DoubleActive(sys);
    const t0 = performance.now();
    FAULTS[fault](sys, active);
    let who: number | undefined;
    while (!(who = await whoAnswers(sys.vip)) || who === active) {
      if (performance.now() - t0 > 120_000) break;
      await sleep(10);
    }
    const ms = performance.now() - t0;
    if (who && who !== active) r.times[fault].push(ms);
    else r.errors.push(`${fault} of node ${active}: no failover within 120 s`);
    await sleep(1000);
    await watch.stop();
    r.samples += watch.samples;
    r.double += watch.double;
    await heal(sys, fault, active);
    process.stdout.write(`    ${sys.label}: ${fault} of node ${active}: ${ms.toFixed(0)} ms, ${watch.double} double\n`);
  }
  return r;
}

// ---- the systems -------------------------------------------------------------------------------------------------

async function until<T>(what: () => Promise<T | undefined> | T | undefined, timeoutMs: number, label: string) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await sleep(100);
  }
}
const answering = (vip: string) => until(() => whoAnswers(vip, 200), 120_000, "the VIP to answer");

function paceline(profile: "fast" | "default", dir: string): System {
  const subnet = 216;
  const vip = `10.${subnet}.0.100`;
  const c = new NetnsCluster(
    3,
    1,
    `profile: ${profile}`,
    subnet,
    `
resources:
  web:
    members:
      vip: { agent: ${VIP_AGENT}, params: { ip: ${vip}, cidr_netmask: "24", nic: eth0 }, monitor: 1s }
      www: { exec: { command: "${process.execPath} ${dir}/responder.cjs" }, monitor: 1s }
defaults: { stickiness: 100 }
`,
    true,
  );
  return {
    label: `Paceline, ${profile} profile, ${VIP_AGENT === "vip" ? "native VIP" : "IPaddr2"}`,
    vip,
    runs: profile === "fast" ? RUNS : DEFAULT_PROFILE_RUNS,
    ns: (i) => c.ns(`n${i}`),
    setup: async () => {
      c.setup();
      for (const d of c.daemons.values()) d.start();
    },
    ready: async () => {
      await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
      const at = await answering(vip);
      await sleep(profile === "default" ? 2000 : 500); // monitors running, no view change in flight
      return at;
    },
    restart: async (i) => void c.node(`n${i}`).start(),
    teardown: () => c.teardown(),
  };
}

/** A peer from ../shared/peers: its own setup and node scripts, our faults and probe. */
function peer(
  label: string,
  name: "pacemaker" | "keepalived",
  setupArgs: string[],
  settled: (env: NodeJS.ProcessEnv) => Promise<void>,
  /** Where the peer's scripts note a node's main PID (relative to its state directory). */
  pidFile: (i: number) => string,
): System {
  const d = join(PEERS_DIR, name);
  const state = mkdtempSync(join(tmpdir(), `paceline-peer-${name}-`));
  const env = { ...process.env, STATE: state };
  const bash = (args: string[], timeoutMs = 300_000) =>
    spawnSync("bash", args, { env, encoding: "utf8", timeout: timeoutMs });
  const vip = "10.77.0.100";
  return {
    label,
    vip,
    runs: PEER_RUNS,
    ns: (i) => `ha77n${i}`,
    setup: async () => {
      const r = bash([join(d, "setup.sh"), ...setupArgs]);
      if (r.status !== 0) throw new Error(`setup failed: ${(r.stderr || r.stdout).trim().slice(-400)}`);
    },
    ready: async () => {
      await settled(env);
      const at = await answering(vip);
      await sleep(2000);
      return at;
    },
    restart: async (i) => {
      // A rebooted machine keeps no PID files: a dead PID may still look alive (a zombie nobody reaped here).
      rmSync(join(state, pidFile(i)), { force: true });
      bash([join(d, "node.sh"), "start", String(i)]);
      // The node's responder went with the power; it comes back with the node (pid file for the peer's teardown).
      const p = spawn(
        "ip",
        ["netns", "exec", `ha77n${i}`, "python3", join(PEERS_DIR, "common", "responder.py"), `node${i}`, String(PORT)],
        {
          detached: true,
          stdio: "ignore",
        },
      );
      p.unref();
      writeFileSync(join(state, `responder.${i}.pid`), String(p.pid));
    },
    teardown: async () => {
      bash([join(d, "teardown.sh")], 180_000);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

const shell = (env: NodeJS.ProcessEnv, script: string) => spawnSync("bash", ["-c", script], { env, encoding: "utf8" });

const pacemaker = () =>
  peer(
    "Pacemaker 2.1 + Corosync 3, defaults",
    "pacemaker",
    ["3", "default"],
    async (env) => {
      const lib = join(PEERS_DIR, "pacemaker");
      const r = shell(env, `. ${lib}/pm-env.sh; . ${lib}/pm-lib.sh; wait_stable 1 3 120`);
      if (r.status !== 0) throw new Error("Pacemaker did not settle within 120 s");
    },
    (i) => `pm/node${i}/unshare.pid`,
  );

const keepalived = (advert: "1" | "0.1") =>
  peer(
    `keepalived, advert ${advert} s (VRRPv${advert === "1" ? 2 : 3})`,
    "keepalived",
    ["3", advert, advert === "1" ? "2" : "3"],
    async (env) => {
      // Every instance running and exactly one holder, then a few adverts.
      const lib = join(PEERS_DIR, "keepalived");
      await until(
        () => (shell(env, `. ${lib}/ka-env.sh; [ "$(vip_holders | wc -l)" = 1 ]`).status === 0 ? true : undefined),
        60_000,
        "one keepalived VIP holder",
      );
      await sleep(Math.max(2000, 5000 * Number(advert)));
    },
    (i) => `ka/node${i}/parent.pid`,
  );

const have = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Why a system cannot run here, or undefined. */
function missing(name: string): string | undefined {
  if (!name.startsWith("paceline")) {
    if (process.env.BENCH_PEERS === "none") return "skipped (BENCH_PEERS=none)";
    if (!existsSync(PEERS_DIR)) return `skipped: ${PEERS_DIR} not found (a checkout beside ../shared)`;
  }
  if (name === "pacemaker" && !(have("pacemakerd") && have("corosync") && have("crm_mon")))
    return "skipped: not installed (apt install pacemaker pacemaker-cli-utils corosync)";
  if (name.startsWith("keepalived") && !have("keepalived")) return "skipped: not installed (apt install keepalived)";
  return undefined;
}

function stats(xs: number[]): string {
  if (xs.length === 0) return "no runs";
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms (n=${s.length})`;
}

const burners: ChildProcess[] = [];
let current: System | undefined;
async function stopAll(): Promise<void> {
  for (const b of burners.splice(0)) if (b.exitCode === null) b.kill("SIGKILL");
  await current?.teardown();
  current = undefined;
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => void stopAll().finally(() => process.exit(130)));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log("bench:failover needs root (network namespaces)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "paceline-bench-failover-"));
  // Paceline's service: the same kind of responder the peers run (answers with its node's address).
  writeFileSync(
    join(dir, "responder.cjs"),
    `const os = require("os");
const me = Object.values(os.networkInterfaces()).flat().find((a) => a.address.startsWith("10.216.0.") && a.address !== "10.216.0.100");
require("net").createServer((s) => s.end((me ? me.address : "?") + "\\n")).listen(${PORT}, "0.0.0.0");
`,
  );
  const make: Record<string, () => System> = {
    "paceline-fast": () => paceline("fast", dir),
    "paceline-default": () => paceline("default", dir),
    pacemaker,
    "keepalived-1s": () => keepalived("1"),
    "keepalived-0.1s": () => keepalived("0.1"),
  };
  const rows: string[] = [];
  try {
    for (const load of LOADS)
      for (const name of SYSTEMS) {
        const why = make[name] ? missing(name) : `unknown system (one of ${Object.keys(make).join(", ")})`;
        if (why) {
          rows.push(`${name}, ${load}: ${why}`);
          continue;
        }
        const sys = make[name]!();
        current = sys;
        const tag = `${sys.label}, 3 nodes, ${load === "busy" ? "2 CPU burners" : "quiet"}`;
        console.log(`  ${tag}`);
        try {
          if (load === "busy")
            for (let k = 0; k < 2; k++) burners.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
          await sys.setup();
          const r = await measure(sys);
          rows.push(
            `${tag}: power-off ${stats(r.times["power-off"])}; network cut ${stats(r.times["network cut"])}; VIP on two nodes in ${r.double} of ${r.samples} samples${r.errors.length ? `; ${r.errors.join("; ")}` : ""}`,
          );
        } catch (e) {
          rows.push(`${tag}: could not run: ${(e as Error).message}`);
        } finally {
          await stopAll();
        }
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("\nfault → VIP answering from another node (probe every 10 ms; VIP presence sampled every 20 ms):");
  for (const r of rows) console.log(`  ${r}`);
}

await main();
