// exec resources (CLUSTERPRO's exec resource): either start/stop(/status) scripts, or one long-running `command`
// that Paceline supervises itself — its death is reported the moment the child exits, not at the next poll.

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ordinaryPriority } from "../priority.js";
import { formatDuration } from "../../config/duration.js";
import type { ExecSpec, PrimitiveConfig } from "../../config/model.js";
import { isRoleAction, type OpAction, type OpResult } from "../../core/operation.js";
import {
  notifyNotNeeded,
  baseEnv,
  checkExecutable,
  commandSpec,
  leavesNothing,
  toOpResult,
  type AgentRunner,
  type OpRequest,
} from "./agents.js";
import { OCF } from "./ocf-codes.js";
import { killGroup, runProcess } from "./run-process.js";

const unimplemented = (action: OpAction): OpResult => ({
  rc: OCF.ERR_UNIMPLEMENTED,
  status: "done",
  reason: `${action} is not implemented by exec resources`,
  durationMs: 0,
});

function execEnv(rsc: PrimitiveConfig, spec: ExecSpec, action: string): NodeJS.ProcessEnv {
  return baseEnv({ ...spec.env, PACELINE_RESOURCE: rsc.id, PACELINE_OPERATION: action });
}

/** start/stop/status scripts: exit 0 = success (status: 0 running, anything else not running). */
export class ExecScriptAgent implements AgentRunner {
  constructor(
    private readonly rsc: PrimitiveConfig,
    private readonly spec: ExecSpec,
  ) {}

  locate(): { path: string } | { error: string } {
    for (const [what, script] of [
      ["start", this.spec.start],
      ["stop", this.spec.stop],
      ["status", this.spec.status],
    ] as const) {
      if (!script) continue;
      // A bare path, or the first word of a command line when it is an absolute path, must be executable.
      const first = script.trim().split(/\s+/)[0]!;
      const problem =
        first.startsWith("/") || commandSpec(script).file !== "/bin/sh" ? checkExecutable(first) : undefined;
      if (problem) return { error: `${what} script: ${problem}` };
    }
    return { path: this.spec.start ?? "" };
  }

  async run(req: OpRequest): Promise<OpResult> {
    if (req.action === "notify") return notifyNotNeeded();
    if (isRoleAction(req.action)) return unimplemented(req.action);
    const action = req.action === "probe" ? "monitor" : req.action;
    const script = action === "start" ? this.spec.start : action === "stop" ? this.spec.stop : this.spec.status;
    const where = this.locate();
    if ("error" in where) return { rc: OCF.ERR_INSTALLED, status: "error", reason: where.error, durationMs: 0 };
    if (!script)
      return {
        rc: OCF.ERR_UNIMPLEMENTED,
        status: "done",
        reason: "no status script: state is what Paceline last did",
        durationMs: 0,
      };
    const r = await runProcess({
      ...commandSpec(script),
      env: execEnv(this.rsc, this.spec, action),
      cwd: this.spec.cwd,
      timeoutMs: req.timeoutMs,
      reapGroup: leavesNothing(action),
    });
    return toOpResult(r, req.timeoutMs, (code) =>
      code === 0 ? OCF.SUCCESS : action === "monitor" ? OCF.NOT_RUNNING : OCF.ERR_GENERIC,
    );
  }
}

export interface ProcessIdentity {
  pid: number;
  startTicks: string;
}
export interface ChildExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** starttime (field 22 of /proc/PID/stat) tells a process from a later one that reused its PID. */
export function processIdentity(pid: number): { startTicks: string; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { startTicks: fields[19]!, zombie: fields[0] === "Z" };
  } catch {
    return undefined;
  }
}

export function isAlive(id: ProcessIdentity): boolean {
  const now = processIdentity(id.pid);
  return now !== undefined && !now.zombie && now.startTicks === id.startTicks;
}

const START_SETTLE_MS = 200;
const ADOPTED_POLL_MS = 500;

/** One supervised long-running process. */
export class CommandAgent implements AgentRunner {
  private current?: ProcessIdentity & { own: boolean };
  private stopping = false;
  private poll?: NodeJS.Timeout;
  private exitWaiters: Array<() => void> = [];

  constructor(
    private readonly rsc: PrimitiveConfig,
    private readonly spec: ExecSpec,
    private readonly logDir: string,
    /** Called when the process dies without Paceline stopping it. */
    private readonly onUnexpectedExit: (exit: ChildExit) => void,
  ) {}

  locate(): { path: string } | { error: string } {
    return { path: "/bin/sh" };
  }

  identity(): ProcessIdentity | undefined {
    return this.current && { pid: this.current.pid, startTicks: this.current.startTicks };
  }

  /** After a daemon restart: watch a process a previous daemon started (polled: it is not our child). */
  adopt(id: ProcessIdentity): boolean {
    if (!isAlive(id)) return false;
    this.current = { ...id, own: false };
    this.watchAdopted();
    return true;
  }

  /** `everyMs`: quicker while stopping it, so a stop is not slower for an adopted process. */
  private watchAdopted(everyMs = ADOPTED_POLL_MS): void {
    clearInterval(this.poll);
    this.poll = setInterval(() => {
      const cur = this.current;
      if (!cur || cur.own) return clearInterval(this.poll);
      if (!isAlive(cur)) this.exited({ pid: cur.pid, code: null, signal: null });
    }, everyMs);
    this.poll.unref();
  }

  private exited(exit: ChildExit): void {
    if (this.current?.pid !== exit.pid) return;
    this.current = undefined;
    clearInterval(this.poll);
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    waiters.forEach((w) => w());
    if (!this.stopping) this.onUnexpectedExit(exit);
  }

  async run(req: OpRequest): Promise<OpResult> {
    if (req.action === "notify") return notifyNotNeeded();
    if (isRoleAction(req.action)) return unimplemented(req.action);
    switch (req.action) {
      case "start":
        return this.start(req.timeoutMs);
      case "stop":
        return this.stop(req.timeoutMs);
      default:
        return this.monitor(req);
    }
  }

  private async monitor(req: OpRequest): Promise<OpResult> {
    const cur = this.current;
    if (cur?.own && !isAlive(cur)) {
      // Our own child died and its exit is about to be reported: let that report (with the signal) come first.
      await Promise.race([
        new Promise<void>((res) => this.exitWaiters.push(res)),
        new Promise((res) => setTimeout(res, 200).unref()),
      ]);
    }
    if (!cur || !isAlive(cur))
      return { rc: OCF.NOT_RUNNING, status: "done", reason: "not running (process gone)", durationMs: 0 };
    if (this.spec.status) {
      const r = await runProcess({
        ...commandSpec(this.spec.status),
        env: execEnv(this.rsc, this.spec, "monitor"),
        cwd: this.spec.cwd,
        timeoutMs: req.timeoutMs,
        reapGroup: true,
      });
      return toOpResult(r, req.timeoutMs, (code) => (code === 0 ? OCF.SUCCESS : OCF.NOT_RUNNING));
    }
    return { rc: OCF.SUCCESS, status: "done", reason: `running (pid ${cur.pid})`, durationMs: 0 };
  }

  private start(timeoutMs: number): Promise<OpResult> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    if (this.current && isAlive(this.current))
      return Promise.resolve({
        rc: OCF.SUCCESS,
        status: "done",
        reason: `already running (pid ${this.current.pid})`,
        durationMs: 0,
      });
    this.stopping = false;
    mkdirSync(this.logDir, { recursive: true });
    const logFile = join(this.logDir, `${this.rsc.id}.log`);
    let fd: number;
    try {
      fd = openSync(logFile, "a", 0o640);
    } catch (e) {
      return Promise.resolve({
        rc: OCF.ERR_PERM,
        status: "error",
        reason: `cannot open log ${logFile}: ${(e as Error).message}`,
        durationMs: 0,
      });
    }
    return new Promise((resolve) => {
      const child = spawn("/bin/sh", ["-c", `exec ${this.spec.command}`], {
        detached: true,
        stdio: ["ignore", fd, fd],
        cwd: this.spec.cwd,
        env: execEnv(this.rsc, this.spec, "start"),
      });
      ordinaryPriority(child.pid);
      closeSync(fd);
      let answered = false;
      const answer = (r: OpResult) => {
        if (!answered) {
          answered = true;
          resolve(r);
        }
      };
      child.once("error", (e) =>
        answer({ rc: OCF.ERR_INSTALLED, status: "error", reason: `cannot start: ${e.message}`, durationMs: ms() }),
      );
      child.once("exit", (code, signal) => {
        const pid = child.pid!;
        if (!answered) {
          this.current = undefined;
          answer({
            rc: OCF.ERR_GENERIC,
            status: "done",
            reason: `exited at once (${signal ? `signal ${signal}` : `exit code ${code}`}); see ${logFile}`,
            durationMs: ms(),
          });
        } else {
          this.exited({ pid, code, signal });
        }
      });
      if (child.pid === undefined) return;
      const ident = processIdentity(child.pid);
      this.current = { pid: child.pid, startTicks: ident?.startTicks ?? "", own: true };
      const settle = setTimeout(
        () => answer({ rc: OCF.SUCCESS, status: "done", reason: `pid ${child.pid}`, durationMs: ms() }),
        Math.min(START_SETTLE_MS, timeoutMs),
      );
      child.once("exit", () => clearTimeout(settle));
    });
  }

  private async stop(timeoutMs: number): Promise<OpResult> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    const cur = this.current;
    this.stopping = true;
    if (!cur || !isAlive(cur)) {
      this.current = undefined;
      return { rc: OCF.SUCCESS, status: "done", reason: "already stopped", durationMs: 0 };
    }
    const gone = new Promise<void>((res) => this.exitWaiters.push(res));
    if (!cur.own) this.watchAdopted(10);
    killGroup(cur.pid, this.spec.stopSignal);
    killGroup(cur.pid, "SIGCONT"); // a stopped (hung) process must wake up to handle the signal
    const graceMs = Math.max(0, timeoutMs - 1000);
    const timedOut = await Promise.race([
      gone.then(() => false),
      new Promise<boolean>((res) => setTimeout(() => res(true), graceMs).unref()),
    ]);
    if (!timedOut) return { rc: OCF.SUCCESS, status: "done", reason: "stopped", durationMs: ms() };
    killGroup(cur.pid, "SIGKILL");
    const killed = await Promise.race([
      gone.then(() => true),
      new Promise<boolean>((res) => setTimeout(() => res(false), 1000).unref()),
    ]);
    if (killed)
      return {
        rc: OCF.SUCCESS,
        status: "done",
        reason: `stopped with SIGKILL after ${formatDuration(graceMs)}`,
        durationMs: ms(),
      };
    return {
      rc: OCF.ERR_GENERIC,
      status: "timeout",
      reason: `did not stop within ${formatDuration(timeoutMs)}, even after SIGKILL`,
      durationMs: ms(),
    };
  }

  dispose(): void {
    clearInterval(this.poll);
  }
}
