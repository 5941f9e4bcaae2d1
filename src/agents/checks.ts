// Built-in monitors (CLUSTERPRO's monitor resources): each check answers healthy or not, with a reason a human can
// act on. Checks never throw and never outlive their timeout; a check still hung from last time fails the next one.

import { spawn } from "node:child_process";
import { promises as fsp, readdirSync, readFileSync, statfsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { ordinaryPriority } from "../node/priority.js";
import { formatDuration } from "../config/duration.js";
import type { MonitorConfig } from "../config/model.js";
import { baseEnv, commandSpec } from "../node/executor/agents.js";
import { runProcess } from "../node/executor/run-process.js";

export interface CheckResult {
  ok: boolean;
  reason: string;
}
export type Check = () => Promise<CheckResult>;

// ---- process ---------------------------------------------------------------------------------------------------

export function countProcesses(match: { name?: string; pattern?: string }, ownPid = process.pid): number {
  const re = match.pattern ? new RegExp(match.pattern) : undefined;
  let n = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === ownPid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (match.name !== undefined) {
        const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
        // comm is cut to 15 characters by the kernel; argv[0] may be a path.
        if (comm !== match.name.slice(0, 15) && basename(argv[0] ?? "") !== match.name) continue;
      }
      if (re && !re.test(argv.join(" "))) continue;
      n++;
    } catch {
      // the process ended while we looked
    }
  }
  return n;
}

function processCheck(m: MonitorConfig): Check {
  const p = m.process!;
  const what = p.name ? `process ${p.name}` : `processes matching /${p.pattern}/`;
  return async () => {
    const n = countProcesses(p);
    return n >= p.minCount
      ? { ok: true, reason: `${n} ${what} running` }
      : {
          ok: false,
          reason: n === 0 ? `no ${what} running` : `only ${n} ${what} running, expected at least ${p.minCount}`,
        };
  };
}

// ---- custom script ---------------------------------------------------------------------------------------------

function customCheck(m: MonitorConfig): Check {
  const s = m.script!;
  return async () => {
    const r = await runProcess({
      ...commandSpec(s.command),
      env: baseEnv({ ...s.env, PACELINE_MONITOR_NAME: m.name }),
      timeoutMs: m.timeoutMs,
    });
    if (r.spawnError) return { ok: false, reason: `cannot run ${s.command}: ${r.spawnError}` };
    if (r.timedOut) return { ok: false, reason: `script hung: no answer within ${formatDuration(m.timeoutMs)}` };
    if (r.exitCode === 0) return { ok: true, reason: "exit code 0" };
    const said = (r.stderr.trim() || r.stdout.trim()).split("\n").at(-1);
    return {
      ok: false,
      reason: `${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`}${said ? `: ${said.slice(0, 200)}` : ""}`,
    };
  };
}

// ---- disk read/write ---------------------------------------------------------------------------------------------

function diskCheck(m: MonitorConfig): Check {
  const d = m.disk!;
  return async () => {
    let target = d.path;
    try {
      if (statSync(d.path).isDirectory()) target = join(d.path, `.paceline-diskcheck-${process.pid}`);
    } catch (e) {
      return {
        ok: false,
        reason: `cannot use ${d.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      };
    }
    const data = Buffer.alloc(d.sizeBytes, `${Date.now()}:${m.name}:`);
    const t0 = performance.now();
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(target, "w+");
      await fh.write(data, 0, data.length, 0);
      await fh.sync();
      const back = Buffer.alloc(data.length);
      await fh.read(back, 0, back.length, 0);
      if (!back.equals(data)) return { ok: false, reason: `read back different data from ${target}` };
      return {
        ok: true,
        reason: `wrote, synced and read ${d.sizeBytes} bytes in ${Math.round(performance.now() - t0)} ms`,
      };
    } catch (e) {
      return { ok: false, reason: `${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    } finally {
      await fh?.close().catch(() => {});
      await fsp.unlink(target).catch(() => {});
    }
  };
}

// ---- ping --------------------------------------------------------------------------------------------------------

/** One echo request: whether `target` answered, or why ping itself could not run (not installed, …). */
export function pingOnce(target: string, timeoutMs: number): Promise<{ answered: boolean; cannotRun?: string }> {
  return new Promise((resolve) => {
    const waitS = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
    const child = spawn("ping", ["-n", "-q", "-c", "1", "-W", waitS, target], { stdio: "ignore", env: baseEnv() });
    ordinaryPriority(child.pid);
    child.once("error", (e: NodeJS.ErrnoException) =>
      resolve({
        answered: false,
        cannotRun: e.code === "ENOENT" ? "the ping command is not installed (iputils-ping)" : e.message,
      }),
    );
    child.once("exit", (code) => resolve({ answered: code === 0 }));
  });
}

function pingCheck(m: MonitorConfig): Check {
  const targets = m.ping!.targets;
  return async () => {
    const results = await Promise.all(targets.map((t) => pingOnce(t, m.timeoutMs)));
    const up = targets.filter((_, i) => results[i]!.answered);
    const cannotRun = results.find((r) => r.cannotRun)?.cannotRun;
    return up.length > 0
      ? { ok: true, reason: `${up.join(", ")} answered` }
      : { ok: false, reason: cannotRun ? `cannot ping: ${cannotRun}` : `no answer from ${targets.join(", ")}` };
  };
}

// ---- NIC link ------------------------------------------------------------------------------------------------------

export function linkState(ifname: string, sysNet = "/sys/class/net"): CheckResult {
  const dir = join(sysNet, ifname);
  let oper: string;
  try {
    oper = readFileSync(join(dir, "operstate"), "utf8").trim();
  } catch {
    return { ok: false, reason: `no interface ${ifname}` };
  }
  let carrier: string | undefined;
  try {
    carrier = readFileSync(join(dir, "carrier"), "utf8").trim();
  } catch {
    carrier = undefined; /* reading carrier fails while the link is administratively down */
  }
  if (oper === "up") return { ok: true, reason: `${ifname} link up` };
  if (oper === "unknown" && carrier === "1") return { ok: true, reason: `${ifname} carrier present` };
  return { ok: false, reason: `${ifname} link ${oper === "unknown" ? "has no carrier" : oper}` };
}

function nicCheck(m: MonitorConfig): Check {
  return async () => linkState(m.nic!.interface);
}

// ---- system resources --------------------------------------------------------------------------------------------

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function memoryUsedPercent(): number {
  const info = Object.fromEntries(
    readFileSync("/proc/meminfo", "utf8")
      .split("\n")
      .map((l) => l.split(/:\s+/))
      .map(([k, v]) => [k, parseInt(v ?? "0", 10)]),
  );
  return 100 * (1 - (info.MemAvailable ?? 0) / (info.MemTotal ?? 1));
}

export function openFilesPercent(): number {
  const [allocated, , max] = readFileSync("/proc/sys/fs/file-nr", "utf8").trim().split(/\s+/).map(Number);
  return (100 * (allocated ?? 0)) / (max || 1);
}

export function diskUsedPercent(mount: string): number {
  const s = statfsSync(mount);
  const used = s.blocks - s.bfree;
  return (100 * used) / (used + s.bavail || 1);
}

function systemCheck(m: MonitorConfig): Check {
  const sys = m.system!;
  let lastCpu = cpuTimes();
  return async () => {
    const over: string[] = [];
    const fine: string[] = [];
    const judge = (what: string, value: number, limit: number | undefined) => {
      if (limit === undefined) return;
      (value >= limit ? over : fine).push(`${what} ${value.toFixed(0)}% (limit ${limit}%)`);
    };
    try {
      const now = cpuTimes();
      const dt = now.total - lastCpu.total;
      judge("CPU", dt > 0 ? (100 * (now.busy - lastCpu.busy)) / dt : 0, sys.cpuPercent);
      lastCpu = now;
      judge("memory", memoryUsedPercent(), sys.memoryPercent);
      judge("open files", openFilesPercent(), sys.openFilesPercent);
      for (const [mount, limit] of Object.entries(sys.diskUsagePercent))
        judge(`disk ${mount}`, diskUsedPercent(mount), limit);
    } catch (e) {
      return { ok: false, reason: `cannot read system usage: ${(e as Error).message}` };
    }
    return over.length ? { ok: false, reason: over.join(", ") } : { ok: true, reason: fine.join(", ") };
  };
}

// ---- one check with a timeout --------------------------------------------------------------------------------------

const MAKERS: Record<MonitorConfig["type"], (m: MonitorConfig) => Check> = {
  process: processCheck,
  custom: customCheck,
  disk: diskCheck,
  ping: pingCheck,
  nic: nicCheck,
  system: systemCheck,
};

/** A check bounded by the monitor's timeout. While an earlier run is still hung, later runs fail at once. */
export function boundedCheck(m: MonitorConfig): Check {
  return withTimeout(MAKERS[m.type](m), m.timeoutMs);
}

export function withTimeout(check: Check, timeoutMs: number): Check {
  let inFlight: Promise<CheckResult> | undefined;
  let inFlightSinceMs = 0;
  return async () => {
    if (inFlight)
      return {
        ok: false,
        reason: `previous check still hung after ${formatDuration(Math.round(performance.now() - inFlightSinceMs))}`,
      };
    inFlightSinceMs = performance.now();
    const run = check().catch((e: unknown) => ({ ok: false, reason: `check failed: ${(e as Error).message}` }));
    inFlight = run;
    run.finally(() => {
      if (inFlight === run) inFlight = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<CheckResult>((resolve) => {
      // A little grace so that checks with their own timeout (custom scripts) report it in their own words.
      timer = setTimeout(
        () => resolve({ ok: false, reason: `no answer within ${formatDuration(timeoutMs)} (hung?)` }),
        timeoutMs + 250,
      );
    });
    try {
      return await Promise.race([run, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}
