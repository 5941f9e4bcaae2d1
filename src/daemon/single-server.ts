// The single-server daemon: the imperative shell around core/local. It feeds the supervisor inputs (operation
// results, child exits, monitor checks, the clock, admin commands), performs its outputs (run agents, schedule
// monitors, run scripts), persists what must survive a restart, and serves status over a local socket.

import { appendFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { ClusterConfig, PrimitiveConfig } from "../config/model.js";
import { agentName, findResource, primitivesOf } from "../config/model.js";
import { boundedCheck, type Check } from "../agents/checks.js";
import type { OpResult } from "../core/operation.js";
import { durableOf, initialState, step, whyDown } from "../core/local/supervisor.js";
import type { AdminCommand, DurableRscState, Input, Output, SupervisorState } from "../core/local/types.js";
import { commandSpec } from "../node/executor/agents.js";
import { CommandAgent, createAgent, type AgentDirs, type AgentRunner, type ProcessIdentity } from "../node/executor/index.js";
import { runProcess } from "../node/executor/run-process.js";
import { readJsonState, StateFile } from "../node/store.js";
import type { DaemonStatus, EventLine, FailedAction, MonitorStatus, ResourceStatus } from "../api/types.js";
import { VERSION } from "../version.js";

export interface DaemonOptions {
  config: ClusterConfig;
  stateDir: string;
  dirs?: AgentDirs;
  /** Where event lines go (stdout by default). */
  out?: (line: string) => void;
}

interface PersistedState {
  version: 1;
  resources: Record<string, DurableRscState>;
  processes: Record<string, ProcessIdentity>;
}

const isPersisted = (v: unknown): v is PersistedState =>
  typeof v === "object" && v !== null && (v as PersistedState).version === 1 && typeof (v as PersistedState).resources === "object" && typeof (v as PersistedState).processes === "object";

const EVENTS_KEPT = 200;

export class SingleServerDaemon {
  private state!: SupervisorState;
  private readonly agents = new Map<string, AgentRunner>();
  private readonly recurring = new Map<string, { epoch: number; timer?: NodeJS.Timeout }>();
  private readonly builtins = new Map<string, { check: Check; timer?: NodeJS.Timeout; active: boolean }>();
  private wakeTimer?: NodeJS.Timeout;
  private wakeAtMs?: number;
  private readonly events: EventLine[] = [];
  private readonly stateFile: StateFile<PersistedState>;
  private readonly eventsFile: string;
  private readonly sinceMs = Date.now();
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((res) => { this.resolveDone = res; });
  readonly config: ClusterConfig;

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config;
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    this.stateFile = new StateFile(join(opts.stateDir, "state.json"));
    this.eventsFile = join(opts.stateDir, "events.log");
  }

  start(): void {
    const loaded = readJsonState(this.stateFile.path, isPersisted);
    const persisted: PersistedState = loaded.kind === "ok" ? loaded.value : { version: 1, resources: {}, processes: {} };
    if (loaded.kind === "corrupt") this.event("error", `state file was unreadable (${loaded.error}); moved to ${loaded.movedTo} and starting with empty fail counts`);
    for (const p of primitivesOf(this.config)) {
      const agent = createAgent(p, {
        dirs: this.opts.dirs, logDir: join(this.opts.stateDir, "logs"),
        onChildExit: (id, exit) => this.feed({ type: "child-exit", rsc: id, reason: `pid ${exit.pid} ${exit.signal ? `killed by ${exit.signal}` : exit.code === null ? "is gone" : `exited with code ${exit.code}`}`, nowMs: Date.now() }),
      });
      const ident = persisted.processes[p.id];
      if (agent instanceof CommandAgent && ident) agent.adopt(ident);
      this.agents.set(p.id, agent);
    }
    for (const m of this.config.monitors) this.builtins.set(m.name, { check: boundedCheck(m), active: false });
    this.state = initialState(this.config, persisted.resources, Date.now());
    this.event("info", `Paceline ${VERSION} single-server daemon on ${hostname()} (pid ${process.pid}), config \`${this.config.cluster}\`: ${primitivesOf(this.config).length} resources, ${this.config.monitors.length} monitors`);
    this.feed({ type: "boot", nowMs: Date.now() });
  }

  shutdown(): void { this.feed({ type: "shutdown", nowMs: Date.now() }); }

  admin(command: AdminCommand): { ok: boolean; message: string } {
    if (!findResource(this.config, command.id)) return { ok: false, message: `no resource or group \`${command.id}\`` };
    this.feed({ type: "admin", command, nowMs: Date.now() });
    return { ok: true, message: `${command.kind} ${command.id}: done` };
  }

  // ---- the loop: one input in, the core decides, outputs performed ----------------------------------------------

  private feed(input: Input): void {
    if (this.state.mode === "exited") return;
    let outputs: Output[];
    let durableChanged: boolean;
    try {
      ({ state: this.state, outputs, durableChanged } = step(this.config, this.state, input));
    } catch (e) {
      this.event("error", `internal error handling ${input.type}: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    if (durableChanged) this.persist();
    for (const o of outputs) {
      try {
        this.perform(o);
      } catch (e) {
        this.event("error", `internal error performing ${o.type}: ${(e as Error).message}`);
      }
    }
  }

  private persist(): void {
    const processes: Record<string, ProcessIdentity> = {};
    for (const [id, a] of this.agents) {
      const ident = a instanceof CommandAgent ? a.identity() : undefined;
      if (ident) processes[id] = ident;
    }
    try {
      this.stateFile.save({ version: 1, resources: durableOf(this.state), processes });
    } catch (e) {
      this.event("error", `cannot save state to ${this.stateFile.path}: ${(e as Error).message}`);
    }
  }

  private perform(o: Output): void {
    switch (o.type) {
      case "log": return this.event(o.level, o.text, o.rsc);
      case "exec":
        void this.agents.get(o.rsc)!.run({ action: o.action, timeoutMs: o.timeoutMs, intervalMs: 0 }).catch(internalFailure).then(
          (result) => this.feed({ type: "op-done", opId: o.opId, result, nowMs: Date.now() }),
        );
        return;
      case "monitor-start": return this.startRecurring(o);
      case "monitor-stop": {
        const r = this.recurring.get(o.rsc);
        if (r) clearTimeout(r.timer);
        this.recurring.delete(o.rsc);
        return;
      }
      case "builtin-watch": return this.watchBuiltin(o.monitor, o.active);
      case "hook": {
        const started = Date.now();
        void runProcess({ ...commandSpec(o.command), env: { ...process.env, ...o.env }, timeoutMs: o.timeoutMs }).then((r) => {
          const ok = !r.spawnError && !r.timedOut && r.exitCode === 0;
          const reason = r.spawnError ?? (r.timedOut ? "timed out" : `exit code ${r.exitCode}`);
          this.event(ok ? "info" : "warn", `${o.purpose} script ${o.command} (${o.env.PACELINE_ACTION}) finished in ${Date.now() - started} ms: ${reason}`, o.rsc);
          this.feed({ type: "hook-done", hookId: o.hookId, ok, reason, nowMs: Date.now() });
        });
        return;
      }
      case "reboot": {
        const cmd = this.config.properties.rebootCommand ?? "systemctl reboot || reboot";
        void runProcess({ file: "/bin/sh", args: ["-c", cmd], timeoutMs: 60_000 }).then((r) => {
          if (r.exitCode !== 0) this.event("error", `reboot command \`${cmd}\` failed: ${r.spawnError ?? `exit code ${r.exitCode}`}`);
        });
        return;
      }
      case "wake-at": return this.wakeAt(o.atMs);
      case "exit": return this.finish(o.code);
    }
  }

  private startRecurring(o: Extract<Output, { type: "monitor-start" }>): void {
    const agent = this.agents.get(o.rsc)!;
    const entry: { epoch: number; timer?: NodeJS.Timeout } = { epoch: o.epoch };
    this.recurring.set(o.rsc, entry);
    const run = async () => {
      if (this.recurring.get(o.rsc) !== entry) return;
      const result = await agent.run({ action: "monitor", timeoutMs: o.timeoutMs, intervalMs: o.intervalMs }).catch(internalFailure);
      if (this.recurring.get(o.rsc) !== entry) return;
      this.feed({ type: "monitor-result", rsc: o.rsc, epoch: o.epoch, result, nowMs: Date.now() });
      if (this.recurring.get(o.rsc) === entry) entry.timer = setTimeout(run, o.intervalMs);
    };
    entry.timer = setTimeout(run, o.startDelayMs);
  }

  private watchBuiltin(name: string, active: boolean): void {
    const b = this.builtins.get(name)!;
    const m = this.config.monitors.find((x) => x.name === name)!;
    b.active = active;
    clearTimeout(b.timer);
    if (!active) return;
    const run = async () => {
      if (!b.active) return;
      const r = await b.check();
      if (!b.active) return;
      this.feed({ type: "builtin-result", monitor: name, ok: r.ok, reason: r.reason, nowMs: Date.now() });
      if (b.active) b.timer = setTimeout(run, m.intervalMs);
    };
    b.timer = setTimeout(run, m.intervalMs);
  }

  private wakeAt(atMs: number): void {
    if (this.wakeAtMs === atMs) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => { this.wakeAtMs = undefined; this.feed({ type: "tick", nowMs: Date.now() }); }, Math.max(0, atMs - Date.now()) + 5);
  }

  private finish(code: number): void {
    clearTimeout(this.wakeTimer);
    for (const r of this.recurring.values()) clearTimeout(r.timer);
    for (const b of this.builtins.values()) { b.active = false; clearTimeout(b.timer); }
    for (const a of this.agents.values()) if (a instanceof CommandAgent) a.dispose();
    this.persist();
    this.event("info", "Paceline stopped");
    this.resolveDone(code);
  }

  private event(level: EventLine["level"], text: string, rsc?: string): void {
    const line: EventLine = { atMs: Date.now(), level, rsc, text };
    this.events.push(line);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    const formatted = `${new Date(line.atMs).toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`;
    (this.opts.out ?? ((l: string) => process.stdout.write(`${l}\n`)))(formatted);
    try {
      appendFileSync(this.eventsFile, `${formatted}\n`);
    } catch {
      // the event log is a convenience; the daemon goes on without it
    }
  }

  // ---- status ---------------------------------------------------------------------------------------------------

  status(): DaemonStatus {
    const s = this.state;
    const rscStatus = (p: PrimitiveConfig): ResourceStatus => {
      const r = s.rsc[p.id]!;
      const agent = this.agents.get(p.id);
      const monitor = p.ops.find((o) => o.name === "monitor" && o.intervalMs > 0);
      return {
        id: p.id, kind: "primitive", group: p.group, agent: agentName(p.agent), role: r.role,
        managed: p.meta.managed && !r.blocked && !this.config.properties.maintenanceMode, blocked: r.blocked, heldStopped: r.heldStopped,
        failCount: r.failCount, migrationThreshold: Number.isFinite(p.meta.migrationThreshold) ? p.meta.migrationThreshold : "INFINITY",
        failureTimeoutMs: p.meta.failureTimeoutMs, pending: r.pending && { action: r.pending.action, sinceMs: r.pending.sinceMs },
        monitorIntervalMs: monitor?.intervalMs, lastMonitor: r.lastMonitor,
        pid: agent instanceof CommandAgent ? agent.identity()?.pid : undefined,
        whyDown: r.role === "stopped" ? whyDown(this.config, s, p.id) : undefined,
      };
    };
    const resources: ResourceStatus[] = this.config.resources.map((res) => {
      if (res.kind === "primitive") return rscStatus(res);
      const g = s.rsc[res.id]!;
      const members = res.members.map(rscStatus);
      const role = members.every((m) => m.role === "started") ? "started" : members.every((m) => m.role === "stopped") ? "stopped" : members.some((m) => m.role === "failed") ? "failed" : "partial";
      return {
        id: res.id, kind: "group", role, managed: members.every((m) => m.managed), heldStopped: g.heldStopped, failCount: g.failCount,
        migrationThreshold: Number.isFinite(res.meta.migrationThreshold) ? res.meta.migrationThreshold : "INFINITY", failureTimeoutMs: res.meta.failureTimeoutMs, members,
      };
    });
    const monitors: MonitorStatus[] = this.config.monitors.map((m) => {
      const ms = s.monitors[m.name]!;
      const state = !ms.active ? "inactive" : ms.lastOk === undefined ? "unknown" : ms.lastOk ? "ok" : ms.consecutiveFailures > 0 ? "failing" : "failed";
      return {
        name: m.name, type: m.type, target: m.recover, intervalMs: m.intervalMs, active: ms.active, state,
        consecutiveFailures: ms.consecutiveFailures, failuresBeforeAction: m.failures, lastReason: ms.lastReason, lastCheckMs: ms.lastCheckMs,
      };
    });
    const failedActions: FailedAction[] = Object.values(s.rsc).flatMap((r) => r.failures.map((f) => ({ rsc: r.id, ...f }))).sort((a, b) => a.atMs - b.atMs);
    return {
      cluster: this.config.cluster, node: hostname(), mode: s.mode, pid: process.pid, sinceMs: this.sinceMs, nowMs: Date.now(), version: VERSION,
      maintenance: this.config.properties.maintenanceMode, standby: s.standby, resources, monitors, failedActions,
      finalActions: s.finalActionsTaken, events: [...this.events],
    };
  }
}

function internalFailure(e: unknown): OpResult {
  return { rc: 1, status: "error", reason: `internal error: ${(e as Error).message}`, durationMs: 0 };
}
