// Runs one external program with a hard timeout. The child gets its own process group so that a timeout kills it
// and everything it forked (kill(-pgid)). Output is kept as a bounded tail: agents may print megabytes of garbage.

import { spawn } from "node:child_process";
import { ordinaryPriority } from "../priority.js";

export interface RunSpec {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  stdin?: string;
  /** Bytes of stdout/stderr kept (the end of each). */
  tailBytes?: number;
  /** When the program exits, kill whatever it left running in its process group (a monitor or a stop has no
   * business leaving processes behind; a start may: the service it started). */
  reapGroup?: boolean;
  /** Keep the caller's scheduling priority: for a short system tool whose delay delays the daemon's own promise
   * (the VIP's `ip` calls, which a stop must finish within its budget), never for an agent or a script. */
  keepPriority?: boolean;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES…). */
  spawnError?: string;
  durationMs: number;
  stdout: string;
  stderr: string;
  pid?: number;
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all
      .subarray(Math.max(0, all.length - this.limit))
      .toString("utf8")
      .replace(/\0/g, "");
  }
}

/** Sends a signal to a whole process group, ignoring "already gone". */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function runProcess(spec: RunSpec): Promise<RunResult> {
  const started = performance.now();
  const tailBytes = spec.tailBytes ?? 4096;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(spec.file, spec.args, {
        env: spec.env,
        cwd: spec.cwd,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      if (!spec.keepPriority) ordinaryPriority(child.pid);
    } catch (e) {
      resolve({
        exitCode: null,
        signal: null,
        timedOut: false,
        spawnError: (e as Error).message,
        durationMs: 0,
        stdout: "",
        stderr: "",
      });
      return;
    }
    const out = new Tail(tailBytes);
    const err = new Tail(tailBytes);
    let timedOut = false;
    let settled = false;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => {
      /* the program may exit without reading its input */
    });
    if (spec.stdin !== undefined) child.stdin.end(spec.stdin);
    else child.stdin.end();

    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    }, spec.timeoutMs);

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (spec.reapGroup && child.pid !== undefined) killGroup(child.pid, "SIGKILL");
      // A daemon the agent started may still hold our pipes open: give buffered output a moment, then let go.
      const done = () => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({
          exitCode,
          signal,
          timedOut,
          spawnError,
          pid: child.pid,
          durationMs: Math.round(performance.now() - started),
          stdout: out.text(),
          stderr: err.text(),
        });
      };
      if (spawnError) return done();
      let closed = 0;
      const grace = setTimeout(done, 50);
      const onClose = () => {
        if (++closed === 2) {
          clearTimeout(grace);
          done();
        }
      };
      if (child.stdout.readableEnded) closed++;
      else child.stdout.once("end", onClose);
      if (child.stderr.readableEnded) closed++;
      else child.stderr.once("end", onClose);
      if (closed === 2) {
        clearTimeout(grace);
        done();
      }
    };
    child.once("error", (e) => finish(null, null, (e as NodeJS.ErrnoException).code ?? e.message));
    child.once("exit", (code, signal) => finish(code, signal));
  });
}
