// Test helpers: run a real `paceline daemon` as a child process in its own temp dir, talk to it over its socket,
// and clean up (by PID) whatever happens.

import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callDaemon } from "../src/api/client.js";
import type { DaemonStatus, MembershipStatus, ResourceStatus } from "../src/api/types.js";

export const REPO = new URL("../..", import.meta.url).pathname;
export const CLI = join(REPO, "bin", "paceline.js");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A UDP port on loopback that nothing uses right now (the system picks it). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  label = "condition",
  pollMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await what();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await sleep(pollMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${label}${last ? ` (last error: ${(last as Error).message})` : ""}`,
  );
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `paceline-${prefix}-`));
}

export function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

export class DaemonUnderTest {
  proc?: ChildProcess;
  output = "";
  readonly stateDir: string;
  readonly socket: string;
  readonly configPath: string;

  constructor(
    readonly dir: string,
    yaml: string,
    readonly wrap: string[] = [],
    readonly extraArgs: string[] = [],
  ) {
    this.stateDir = join(dir, "state");
    this.socket = join(this.stateDir, "paceline.sock");
    this.configPath = join(dir, "cluster.yaml");
    writeFileSync(this.configPath, yaml);
  }

  start(): this {
    const args = [CLI, "daemon", "--config", this.configPath, "--state-dir", this.stateDir, ...this.extraArgs];
    const [file, ...pre] = this.wrap.length ? this.wrap : [process.execPath];
    this.proc = spawn(file!, this.wrap.length ? [...pre, process.execPath, ...args] : args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc.stdout!.on("data", (b: Buffer) => (this.output += b.toString()));
    this.proc.stderr!.on("data", (b: Buffer) => (this.output += b.toString()));
    return this;
  }

  exited(): Promise<number | null> {
    const p = this.proc!;
    if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
    return new Promise((r) => p.once("exit", (code) => r(code)));
  }

  async status(): Promise<DaemonStatus> {
    return (await callDaemon<DaemonStatus>(this.socket, "GET", "/v1/status")).body;
  }

  /** The status of a cluster-mode daemon. */
  async membership(): Promise<MembershipStatus> {
    return (await callDaemon<MembershipStatus>(this.socket, "GET", "/v1/status")).body;
  }

  async rsc(id: string): Promise<ResourceStatus> {
    const s = await this.status();
    const r = s.resources.flatMap((x) => [x, ...(x.members ?? [])]).find((x) => x.id === id);
    if (!r) throw new Error(`no resource ${id}`);
    return r;
  }

  async waitRsc(
    id: string,
    pred: (r: ResourceStatus) => boolean,
    timeoutMs = 10_000,
    label = `${id} condition`,
  ): Promise<ResourceStatus> {
    try {
      return await waitFor(
        async () => {
          const r = await this.rsc(id);
          return pred(r) ? r : undefined;
        },
        timeoutMs,
        label,
      );
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\n--- daemon output (last 3000 characters) ---\n${this.output.slice(-3000)}`,
      );
    }
  }

  async admin(verb: string, id: string): Promise<{ ok: boolean; message: string }> {
    return (await callDaemon<{ ok: boolean; message: string }>(this.socket, "POST", `/v1/resources/${id}/${verb}`))
      .body;
  }

  async stop(): Promise<number | null> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc?.exitCode ?? null;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc?.kill("SIGKILL"), 30_000);
    const code = await this.exited();
    clearTimeout(timer);
    return code;
  }

  kill9(): Promise<number | null> {
    this.proc!.kill("SIGKILL");
    return this.exited();
  }
}

/** Kills a process by PID if it still runs (tests own what they started). */
export function killPid(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A client program (psql, nfs-cp…) as a user on the network runs it: its output, and whether it succeeded; killed
 * after `timeoutMs` (a server gone mid-call must not hang the test). `err`: its error output, or why it failed. */
export function runClient(
  file: string,
  args: string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { env });
    let out = "";
    let err = "";
    p.stdout.on("data", (b: Buffer) => (out += b.toString()));
    p.stderr.on("data", (b: Buffer) => (err += b.toString()));
    p.on("error", (e) => resolve({ ok: false, out, err: e.message }));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      p.kill("SIGKILL");
    }, timeoutMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, out, err: killed ? `${err}killed after ${timeoutMs} ms` : err });
    });
  });
}
