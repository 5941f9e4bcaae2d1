// npm run bench:local — single-server figures:
//  1. kill -9 of a supervised process → death noticed, restart begun, service up, first monitor OK (median, p95);
//  2. the daemon idle with 50 resources monitored every second: CPU % and RSS.
// Prints figures; asserts nothing (machines are noisy). BENCH_RUNS and BENCH_IDLE_SECONDS scale it.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callDaemon } from "../src/api/client.js";
import type { DaemonStatus } from "../src/api/types.js";
import { loadConfigText } from "../src/config/load.js";
import { NodeDaemon } from "../src/daemon/node-daemon.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
}

async function killToRestart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "paceline-bench-"));
  const config = loadConfigText(`
resources:
  svc: { exec: { command: sleep 100000 }, monitor: 1s }
`).config!;
  const events: Array<{ t: number; text: string }> = [];
  const d = new NodeDaemon({
    single: true,
    config,
    configYaml: "",
    me: "bench",
    stateDir: join(dir, "state"),
    out: (line) => events.push({ t: performance.now(), text: line }),
  });
  await d.start();
  const noticed: number[] = [],
    begun: number[] = [],
    up: number[] = [],
    monitorOk: number[] = [];
  const svc = () => d.localStatus().resources[0]!;
  const until = async (pred: () => boolean) => {
    while (!pred()) await sleep(1);
  };
  await until(() => svc().role === "started" && !!svc().pid);
  for (let i = 0; i < RUNS; i++) {
    const pid = svc().pid!;
    events.length = 0;
    const t0 = performance.now();
    const wall0 = Date.now();
    process.kill(pid, "SIGKILL");
    await until(
      () =>
        svc().role === "started" &&
        svc().pid !== pid &&
        (svc().lastMonitor?.atMs ?? 0) >= wall0 &&
        svc().lastMonitor?.rc === 0,
    );
    const tOk = performance.now();
    const at = (re: RegExp) => events.find((e) => re.test(e.text))?.t ?? NaN;
    noticed.push(at(/process failed/) - t0);
    begun.push(at(/start svc on/) - t0);
    up.push(at(/svc: start done/) - t0);
    monitorOk.push(tOk - t0);
    await sleep(50);
  }
  d.shutdown();
  await d.done;
  rmSync(dir, { recursive: true, force: true });
  console.log(`kill -9 → death noticed:      ${stats(noticed)}   (aim < 50 ms)`);
  console.log(`kill -9 → restart begun:      ${stats(begun)}`);
  console.log(
    `kill -9 → started:            ${stats(up)}   (includes the 200 ms start settle of a supervised command)`,
  );
  console.log(`kill -9 → first monitor OK:   ${stats(monitorOk)}   (${RUNS} runs)`);
}

function procTimes(pid: number): { cpuTicks: number; childTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { cpuTicks: f[11]! + f[12]!, childTicks: f[13]! + f[14]!, rssKb: Number(rss ?? 0) };
}

async function idle(wantDummies: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "paceline-bench-idle-"));
  const haveDummy = existsSync("/usr/lib/ocf/resource.d/heartbeat/Dummy");
  const dummies = haveDummy ? wantDummies : 0;
  const lines = ["resources:"];
  for (let i = 0; i < 50 - dummies; i++) lines.push(`  cmd${i}: { exec: { command: sleep 100000 }, monitor: 1s }`);
  for (let i = 0; i < dummies; i++)
    lines.push(`  dummy${i}: { agent: ocf:heartbeat:Dummy, params: { state: ${dir}/d${i}.state }, monitor: 1s }`);
  writeFileSync(join(dir, "cluster.yaml"), lines.join("\n") + "\n");
  const cli = new URL("../../bin/paceline.js", import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [cli, "daemon", "--config", join(dir, "cluster.yaml"), "--state-dir", join(dir, "state")],
    { stdio: "ignore" },
  );
  const socket = join(dir, "state", "paceline.sock");
  try {
    for (;;) {
      await sleep(200);
      const s = await callDaemon<DaemonStatus>(socket, "GET", "/v1/status").then(
        (r) => r.body,
        () => undefined,
      );
      if (s && s.resources.every((r) => r.role === "started")) break;
    }
    await sleep(2000);
    const a = procTimes(child.pid!);
    const t0 = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const b = procTimes(child.pid!);
    const seconds = (performance.now() - t0) / 1000;
    const hz = 100;
    console.log(
      `idle, 50 resources (${50 - dummies} supervised commands, ${dummies} ocf:heartbeat:Dummy), 1 s monitors, ${IDLE_SECONDS} s:`,
    );
    console.log(
      `  daemon CPU ${((100 * (b.cpuTicks - a.cpuTicks)) / hz / seconds).toFixed(2)} % of one core   (aim < 1 %)`,
    );
    console.log(
      `  agent processes it ran (Dummy monitors) ${((100 * (b.childTicks - a.childTicks)) / hz / seconds).toFixed(2)} % of one core`,
    );
    console.log(`  daemon RSS ${(b.rssKb / 1024).toFixed(1)} MB   (aim < 80 MB)`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await killToRestart();
// Supervised commands are checked in-process; each OCF monitor forks the agent, and a fork costs the daemon CPU
// in proportion to its own memory size.
await idle(0);
await idle(10);
