// The single-server supervisor: a deterministic state machine that decides what to start, stop and recover.
// step(config, state, input) → { state, outputs }. No clocks, timers or IO here: time arrives in every input,
// operations leave as outputs, and their results come back as inputs. Group semantics follow Pacemaker: members
// start in order, stop in reverse, and a member runs only while every member before it runs.

import { formatDuration } from "../../config/duration.js";
import { INFINITY_SCORE } from "../../config/pacemaker-values.js";
import type { ClusterConfig, GroupConfig, MonitorConfig, OnFail, PrimitiveConfig, ResourceConfig, ResourceMeta } from "../../config/model.js";
import { opOf, primitivesOf } from "../../config/model.js";
import type { OpAction, OpResult } from "../operation.js";
import type {
  AdminCommand, DurableRscState, FailureRecord, Input, Output, PendingHook, RecoveryAction, Role, RscState, SupervisorState,
} from "./types.js";

/** Pacemaker's INFINITY fail count (a fatal failure): JSON-safe, unlike Infinity. */
export const FAIL_COUNT_INFINITY = INFINITY_SCORE;
const HISTORY_KEEP = 20;
const FAILURES_KEEP = 10;
const OCF_NOT_RUNNING = 7;
const OCF_UNIMPLEMENTED = 3;
const HARD_ERRORS = new Set([2, 4, 5, 6]);

export function emptyDurable(): DurableRscState {
  return { failCount: 0, failures: [], restarts: 0, recoveries: 0, lastRole: "stopped", history: [] };
}

export function initialState(config: ClusterConfig, durable: Record<string, DurableRscState> = {}, nowMs = 0): SupervisorState {
  const rsc: Record<string, RscState> = {};
  const ids = [...config.resources.filter((r) => r.kind === "group").map((g) => g.id), ...primitivesOf(config).map((p) => p.id)];
  for (const id of ids) rsc[id] = { ...emptyDurable(), ...durable[id], id, role: "unknown", monitorEpoch: 0, monitoring: false };
  const monitors: SupervisorState["monitors"] = {};
  for (const m of config.monitors) monitors[m.name] = { name: m.name, consecutiveFailures: 0, active: false };
  return { mode: "booting", nowMs, nextOpId: 1, rsc, monitors, finalActionsTaken: [], hooks: {} };
}

export function durableOf(state: SupervisorState): Record<string, DurableRscState> {
  const out: Record<string, DurableRscState> = {};
  for (const [id, r] of Object.entries(state.rsc)) {
    out[id] = {
      failCount: r.failCount, lastFailureMs: r.lastFailureMs, failures: r.failures, blocked: r.blocked, heldStopped: r.heldStopped,
      restarts: r.restarts, recoveries: r.recoveries, lastRole: r.lastRole, history: r.history,
    };
  }
  return out;
}

type State = SupervisorState;

/** Lookups built once per configuration: every step consults them for every resource. */
interface ConfigIndex { prims: PrimitiveConfig[]; byId: Map<string, ResourceConfig>; groups: Map<string, GroupConfig> }
const indexes = new WeakMap<ClusterConfig, ConfigIndex>();
function indexOf(config: ClusterConfig): ConfigIndex {
  let ix = indexes.get(config);
  if (!ix) {
    const prims = primitivesOf(config);
    const byId = new Map<string, ResourceConfig>();
    const groups = new Map<string, GroupConfig>();
    for (const r of config.resources) {
      byId.set(r.id, r);
      if (r.kind === "group") groups.set(r.id, r);
    }
    for (const p of prims) byId.set(p.id, p);
    ix = { prims, byId, groups };
    indexes.set(config, ix);
  }
  return ix;
}

class Step {
  readonly out: Output[] = [];
  readonly prims: PrimitiveConfig[];
  private readonly ix: ConfigIndex;
  constructor(readonly config: ClusterConfig, readonly s: State) {
    this.ix = indexOf(config);
    this.prims = this.ix.prims;
  }
  res(id: string): ResourceConfig | undefined { return this.ix.byId.get(id); }
  prim(id: string): PrimitiveConfig | undefined { const r = this.ix.byId.get(id); return r?.kind === "primitive" ? r : undefined; }

  log(level: "info" | "warn" | "error", text: string, rsc?: string): void { this.out.push({ type: "log", level, rsc, text }); }
  st(id: string): RscState { return this.s.rsc[id]!; }
  groupOf(p: PrimitiveConfig): GroupConfig | undefined {
    return p.group ? this.ix.groups.get(p.group) : undefined;
  }
  predecessors(p: PrimitiveConfig): PrimitiveConfig[] {
    const g = this.groupOf(p);
    return g ? g.members.slice(0, g.members.findIndex((m) => m.id === p.id)) : [];
  }
  successors(p: PrimitiveConfig): PrimitiveConfig[] {
    const g = this.groupOf(p);
    return g ? g.members.slice(g.members.findIndex((m) => m.id === p.id) + 1) : [];
  }
  metaOf(id: string): ResourceMeta { return this.res(id)!.meta; }
  banned(id: string): boolean { return reachedThreshold(this.st(id).failCount, this.metaOf(id)); }
  frozen(p: PrimitiveConfig): boolean { return !!this.st(p.id).blocked || !p.meta.managed; }

  // ---- what should run ----------------------------------------------------------------------------------------

  /** Why a primitive must not run now, or undefined when it should run. */
  whyDown(p: PrimitiveConfig): string | undefined {
    if (this.s.mode === "shutting-down") return "Paceline is shutting down";
    if (this.s.standby) return `standby: ${this.s.standby}`;
    const g = this.groupOf(p);
    for (const [id, meta] of g ? [[p.id, p.meta], [g.id, g.meta]] as const : [[p.id, p.meta]] as const) {
      const r = this.st(id);
      if (meta.targetRole === "stopped") return `${id} has target-role stopped`;
      if (r.heldStopped) return `${id} held stopped: ${r.heldStopped}`;
      if (reachedThreshold(r.failCount, meta)) return `${id} reached its migration-threshold (${r.failCount >= FAIL_COUNT_INFINITY ? "INFINITY" : r.failCount} failures)`;
    }
    for (const q of this.predecessors(p)) {
      const why = this.whyDown(q);
      if (why) return why;
    }
    return undefined;
  }

  /** A member after this one may start only when this one runs and will keep running. */
  predUp(q: PrimitiveConfig): boolean {
    const r = this.st(q.id);
    return r.role === "started" && !r.pending && !this.needsStop(q);
  }

  /** Frozen (blocked or unmanaged) members are left as they are, and so is what depends on them. */
  needsStop(p: PrimitiveConfig): boolean {
    const r = this.st(p.id);
    if (this.frozen(p) || (r.role !== "started" && r.role !== "failed")) return false;
    return r.role === "failed" || !!r.restartRequested || this.whyDown(p) !== undefined || this.predecessors(p).some((q) => !this.frozen(q) && !this.predUp(q));
  }

  // ---- actions ------------------------------------------------------------------------------------------------

  exec(p: PrimitiveConfig, action: "start" | "stop" | "probe"): void {
    const r = this.st(p.id);
    const opId = this.s.nextOpId++;
    const op = opOf(p, action === "probe" ? "monitor" : action);
    const timeoutMs = op?.timeoutMs ?? 20_000;
    r.pending = { opId, action, sinceMs: this.s.nowMs };
    if (action === "start") r.role = "starting";
    if (action === "stop") r.role = "stopping";
    if (action !== "probe") this.log("info", `${p.id}: ${action === "start" ? "starting" : "stopping"}`, p.id);
    this.out.push({ type: "exec", opId, rsc: p.id, action, timeoutMs });
  }

  startMonitoring(p: PrimitiveConfig): void {
    const r = this.st(p.id);
    const op = p.ops.find((o) => o.name === "monitor" && o.enabled && o.intervalMs > 0);
    if (r.monitoring || !op) return;
    r.monitoring = true;
    r.monitorEpoch++;
    this.out.push({ type: "monitor-start", rsc: p.id, epoch: r.monitorEpoch, intervalMs: op.intervalMs, timeoutMs: op.timeoutMs, startDelayMs: op.startDelayMs });
  }

  stopMonitoring(r: RscState): void {
    if (!r.monitoring) return;
    r.monitoring = false;
    this.out.push({ type: "monitor-stop", rsc: r.id });
  }

  setRole(p: PrimitiveConfig, role: Role): void {
    const r = this.st(p.id);
    r.role = role;
    if (role === "started" || role === "stopped") r.lastRole = role;
    if (role === "started") this.startMonitoring(p);
    else this.stopMonitoring(r);
    if (role === "stopped") r.restartRequested = false;
  }

  record(p: PrimitiveConfig, action: OpAction, result: OpResult): void {
    const r = this.st(p.id);
    r.history = [...r.history, { action, atMs: this.s.nowMs, rc: result.rc, status: result.status, reason: result.reason, durationMs: result.durationMs }].slice(-HISTORY_KEEP);
  }

  // ---- recovery -----------------------------------------------------------------------------------------------

  runHook(target: string, action: RecoveryAction, source: string, failure: FailureRecord, then?: PendingHook["then"]): boolean {
    const meta = this.metaOf(target);
    if (!meta.preRecoveryScript) return false;
    const r = this.st(target);
    const hookId = this.s.nextOpId++;
    const res = this.res(target)!;
    const rscIds = res.kind === "group" ? res.members.map((m) => m.id) : [target];
    for (const id of rscIds) this.st(id).hookPending = hookId;
    this.s.hooks[hookId] = { rscIds, then };
    this.out.push({
      type: "hook", hookId, rsc: target, purpose: "pre-recovery", command: meta.preRecoveryScript, timeoutMs: meta.preRecoveryTimeoutMs,
      env: {
        PACELINE_ACTION: action, PACELINE_RESOURCE: target, PACELINE_MONITOR_NAME: source, PACELINE_REASON: failure.reason,
        PACELINE_RESTART_COUNT: String(r.restarts), PACELINE_RECOVERY_COUNT: String(r.recoveries), PACELINE_FAILOVER_COUNT: "0",
        PACELINE_FAIL_COUNT: String(r.failCount),
      },
    });
    return true;
  }

  /** A failure of `target` (primitive or group) seen by `source`, handled according to on-fail. */
  fail(target: string, failure: FailureRecord, onFail: OnFail | "final-action", monitor?: MonitorConfig): void {
    const r = this.st(target);
    const res = this.res(target)!;
    const meta = res.meta;
    r.failures = [...r.failures, failure].slice(-FAILURES_KEEP);
    r.lastFailureMs = failure.atMs;
    const what = `${target}: ${failure.source} failed (${failure.reason})`;
    const markFailed = () => { if (res.kind === "primitive" && r.role !== "stopped") this.setRole(res, "failed"); };
    if (onFail === "ignore") return this.log("warn", `${what}; ignored (on-fail=ignore)`, target);
    if (onFail === "block" || onFail === "fence" || onFail === "demote") {
      r.blocked = `${failure.source} failed: ${failure.reason}`;
      markFailed();
      this.stopMonitoring(r);
      const note = onFail === "block" ? "" : ` (on-fail=${onFail} needs a cluster; blocking instead)`;
      return this.log("error", `${what}; blocked${note}: Paceline no longer manages ${target} — fix it, then run \`paceline resource cleanup ${target}\``, target);
    }
    r.failCount = Math.min(FAIL_COUNT_INFINITY, r.failCount + (this.isFatal(failure) ? FAIL_COUNT_INFINITY : 1));
    if (onFail === "standby") {
      this.s.standby = `${target} failed with on-fail=standby`;
      markFailed();
      return this.log("error", `${what}; on-fail=standby: stopping every resource on this server until cleanup`, target);
    }
    if (onFail === "stop") {
      r.heldStopped = `on-fail=stop after ${failure.source} failed`;
      markFailed();
      return this.log("error", `${what}; stopping ${target} and keeping it stopped (on-fail=stop) until cleanup`, target);
    }
    if (onFail === "restart" && monitor && r.recoveries < monitor.recoveryScriptAttempts && meta.preRecoveryScript) {
      r.failCount--; // a script-only recovery attempt is not a restart
      r.recoveries++;
      this.log("warn", `${what}; running the recovery script (attempt ${r.recoveries} of ${monitor.recoveryScriptAttempts}) before any restart`, target);
      this.runHook(target, "RECOVERY", monitor.name, failure);
      return;
    }
    if (onFail === "final-action" || reachedThreshold(r.failCount, meta)) {
      markFailed();
      if (onFail === "final-action") r.failCount = Math.max(r.failCount, Math.min(meta.migrationThreshold, FAIL_COUNT_INFINITY));
      const count = r.failCount >= FAIL_COUNT_INFINITY ? (this.isFatal(failure) ? "a fatal failure" : "INFINITY failures") : `${r.failCount} failure${r.failCount === 1 ? "" : "s"}`;
      const why = onFail === "final-action" ? `the monitor's action is final-action` : `giving up after ${count} (migration-threshold ${fmtScore(meta.migrationThreshold)})`;
      this.log("error", `${what}; ${why}: ${describeFinal(meta)}`, target);
      if (!this.runHook(target, "FINALACTION", monitor?.name ?? failure.source, failure, { target, failure })) this.finalAction(target);
      return;
    }
    r.restarts++;
    const limit = Number.isFinite(meta.migrationThreshold) ? ` of ${meta.migrationThreshold - 1} before the final action` : "";
    this.log("warn", `${what}; restarting, attempt ${r.restarts}${limit}`, target);
    if (res.kind === "primitive") markFailed();
    else {
      const first = res.members[0];
      if (first) this.st(first.id).restartRequested = true;
    }
    this.runHook(target, "RESTART", monitor?.name ?? failure.source, failure);
  }

  isFatal(f: FailureRecord): boolean {
    return HARD_ERRORS.has(f.rc) && f.status !== "timeout" || (f.source === "start" && this.config.properties.startFailureIsFatal);
  }

  finalAction(target: string): void {
    const meta = this.metaOf(target);
    const fa = meta.finalAction;
    this.s.finalActionsTaken.push(`${target}: ${fa.kind}`);
    switch (fa.kind) {
      case "none": return;
      case "stop-group": {
        const res = this.res(target)!;
        const groupId = res.kind === "primitive" && res.group ? res.group : target;
        this.st(groupId).heldStopped = `final action after ${target} failed`;
        return;
      }
      case "stop-daemon":
        this.log("error", "final action: stopping every resource and Paceline");
        this.s.mode = "shutting-down";
        return;
      case "reboot":
        this.log("error", "final action: rebooting the operating system");
        this.out.push({ type: "reboot" });
        return;
      case "script": {
        const hookId = this.s.nextOpId++;
        this.s.hooks[hookId] = { rscIds: [] };
        const r = this.st(target);
        this.out.push({
          type: "hook", hookId, rsc: target, purpose: "final-action", command: fa.path, timeoutMs: meta.preRecoveryTimeoutMs,
          env: { PACELINE_ACTION: "FINALACTION", PACELINE_RESOURCE: target, PACELINE_FAIL_COUNT: String(r.failCount), PACELINE_RESTART_COUNT: String(r.restarts) },
        });
      }
    }
  }

  /** Set when something that must survive a restart changed in this step. */
  durableChanged = false;

  expireFailures(): void {
    for (const r of Object.values(this.s.rsc)) {
      const meta = this.metaOf(r.id);
      if (r.failCount > 0 && meta.failureTimeoutMs > 0 && r.lastFailureMs !== undefined && this.s.nowMs - r.lastFailureMs >= meta.failureTimeoutMs) {
        r.failCount = 0;
        r.restarts = 0;
        r.recoveries = 0;
        this.durableChanged = true;
        this.log("info", `${r.id}: failures expired (failure-timeout ${formatDuration(meta.failureTimeoutMs)}); it may run again`, r.id);
      }
    }
  }

  // ---- the plan: after every input, issue whatever can proceed now ---------------------------------------------

  plan(): void {
    const prims = this.prims;
    if (this.s.mode === "booting") {
      if (prims.some((p) => this.st(p.id).role === "unknown")) return;
      this.s.mode = "running";
      this.log("info", `all resources probed; ${this.config.properties.maintenanceMode ? "maintenance mode: starting nothing" : "reconciling"}`);
    }
    if (this.s.mode === "exited") return;
    const maintenance = this.config.properties.maintenanceMode;
    if (!maintenance) {
      for (const p of [...prims].reverse()) {
        const r = this.st(p.id);
        if (r.pending || r.hookPending || !this.needsStop(p)) continue;
        if (this.successors(p).every((q) => this.st(q.id).role === "stopped" || (this.frozen(q) && this.st(q.id).role === "failed"))) this.exec(p, "stop");
      }
      for (const p of prims) {
        const r = this.st(p.id);
        if (r.pending || r.hookPending || this.frozen(p) || r.role !== "stopped" || this.whyDown(p)) continue;
        if (this.predecessors(p).every((q) => this.predUp(q))) this.exec(p, "start");
      }
    }
    this.watchBuiltins();
    if (this.s.mode === "shutting-down" && prims.every((p) => { const r = this.st(p.id); return !r.pending && (r.role === "stopped" || this.frozen(p)); })) {
      const left = prims.filter((p) => this.st(p.id).role !== "stopped").map((p) => p.id);
      this.log(left.length ? "warn" : "info", left.length ? `shutdown: left in place (blocked or unmanaged): ${left.join(", ")}` : "shutdown: every resource is stopped");
      this.s.mode = "exited";
      this.out.push({ type: "exit", code: 0 });
    }
    const wake = this.nextExpiry();
    if (wake !== undefined) this.out.push({ type: "wake-at", atMs: wake });
  }

  watchBuiltins(): void {
    for (const m of this.config.monitors) {
      const ms = this.s.monitors[m.name]!;
      let active = this.s.mode === "running";
      if (active && m.when === "target-started" && m.recover) {
        const res = this.res(m.recover)!;
        const members = res.kind === "group" ? res.members : [res];
        active = members.every((p) => { const r = this.st(p.id); return r.role === "started" && !r.pending && !this.frozen(p); });
      }
      if (active !== ms.active) {
        ms.active = active;
        ms.consecutiveFailures = 0;
        ms.lastOk = undefined; // a fresh watch: earlier verdicts belong to the previous run of the target
        this.out.push({ type: "builtin-watch", monitor: m.name, active });
      }
    }
  }

  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const r of Object.values(this.s.rsc)) {
      const t = this.metaOf(r.id).failureTimeoutMs;
      if (r.failCount > 0 && t > 0 && r.lastFailureMs !== undefined) next = Math.min(next ?? Infinity, r.lastFailureMs + t);
    }
    return next;
  }

  // ---- inputs -------------------------------------------------------------------------------------------------

  boot(): void {
    this.log("info", `starting: probing ${this.prims.length} resource${this.prims.length === 1 ? "" : "s"} for what already runs`);
    for (const p of this.prims) this.exec(p, "probe");
    if (this.prims.length === 0) this.plan();
  }

  opDone(opId: number, result: OpResult): void {
    const p = this.prims.find((x) => this.st(x.id).pending?.opId === opId);
    if (!p) return; // a result for an operation we no longer wait for
    const r = this.st(p.id);
    const action = r.pending!.action;
    r.pending = undefined;
    this.record(p, action, result);
    const failure: FailureRecord = { atMs: this.s.nowMs, source: action, rc: result.rc, status: result.status, reason: result.reason, output: result.output };
    if (action === "probe") {
      if (result.rc === 0 || result.rc === 8) return this.setRole(p, "started"), this.logProbe(p, "running");
      if (result.rc === OCF_NOT_RUNNING) return this.setRole(p, "stopped");
      if (result.rc === OCF_UNIMPLEMENTED && result.status === "done") return this.setRole(p, r.lastRole === "started" ? "started" : "stopped");
      this.setRole(p, "failed");
      r.failures = [...r.failures, failure].slice(-FAILURES_KEEP);
      return this.log("error", `${p.id}: probe failed (${result.reason}); it will be stopped before anything else is done with it`, p.id);
    }
    if (action === "start") {
      if (result.rc === 0) {
        this.setRole(p, "started");
        return this.log("info", `${p.id}: started in ${result.durationMs} ms${result.reason === "ok" ? "" : ` (${result.reason})`}`, p.id);
      }
      const onFail = opOf(p, "start")?.onFail ?? "restart";
      if (onFail === "ignore") { this.setRole(p, "started"); }
      else this.setRole(p, "failed");
      return this.fail(p.id, failure, onFail);
    }
    if (action === "stop") {
      if (result.rc === 0) {
        this.setRole(p, "stopped");
        return this.log("info", `${p.id}: stopped`, p.id);
      }
      const onFail = opOf(p, "stop")?.onFail ?? "block";
      if (onFail === "ignore") {
        this.setRole(p, "stopped");
        return this.log("warn", `${p.id}: stop failed (${result.reason}); ignored (on-fail=ignore), treating it as stopped`, p.id);
      }
      this.setRole(p, "failed");
      // A resource that cannot be stopped cannot be restarted either: anything but ignore blocks it.
      return this.fail(p.id, failure, onFail === "standby" ? "standby" : onFail === "fence" ? "fence" : "block");
    }
  }

  logProbe(p: PrimitiveConfig, what: string): void { this.log("info", `${p.id}: already ${what}; keeping it`, p.id); }

  monitorResult(rscId: string, epoch: number, result: OpResult): void {
    const r = this.s.rsc[rscId];
    const p = this.prim(rscId);
    if (!r || !p || epoch !== r.monitorEpoch || !r.monitoring || r.role !== "started" || r.pending) return;
    r.lastMonitor = { atMs: this.s.nowMs, rc: result.rc, reason: result.reason };
    if (result.rc === 0) return;
    this.record(p, "monitor", result);
    const op = p.ops.find((o) => o.name === "monitor");
    this.fail(p.id, { atMs: this.s.nowMs, source: "monitor", rc: result.rc, status: result.status, reason: result.reason, output: result.output }, op?.onFail ?? "restart");
  }

  childExit(rscId: string, reason: string): void {
    const r = this.s.rsc[rscId];
    const p = this.prim(rscId);
    if (!r || !p || r.role !== "started" || r.pending) return;
    const op = p.ops.find((o) => o.name === "monitor");
    this.fail(p.id, { atMs: this.s.nowMs, source: "process", rc: OCF_NOT_RUNNING, status: "done", reason }, op?.onFail ?? "restart");
  }

  builtinResult(name: string, ok: boolean, reason: string): void {
    const ms = this.s.monitors[name];
    const m = this.config.monitors.find((x) => x.name === name);
    if (!ms || !m || !ms.active) return;
    const wasOk = ms.lastOk;
    ms.lastOk = ok;
    ms.lastReason = reason;
    ms.lastCheckMs = this.s.nowMs;
    if (ok) {
      if (wasOk === false) this.log("info", `monitor ${name}: healthy again (${reason})`);
      ms.consecutiveFailures = 0;
      return;
    }
    ms.consecutiveFailures++;
    if (ms.consecutiveFailures < m.failures) {
      return this.log("warn", `monitor ${name}: check failed (${reason}); ${ms.consecutiveFailures} of ${m.failures} before recovery`);
    }
    ms.consecutiveFailures = 0;
    if (!m.recover || m.action === "ignore") return this.log("warn", `monitor ${name}: failed (${reason}); no recovery configured`);
    const failure: FailureRecord = { atMs: this.s.nowMs, source: `monitor ${name}`, rc: 1, status: "done", reason };
    this.fail(m.recover, failure, m.action === "final-action" ? "final-action" : m.action, m);
  }

  hookDone(hookId: number, ok: boolean, reason: string): void {
    const h = this.s.hooks[hookId];
    if (!h) return;
    delete this.s.hooks[hookId];
    for (const id of h.rscIds) if (this.st(id).hookPending === hookId) this.st(id).hookPending = undefined;
    if (!ok) this.log("warn", `recovery script failed (${reason}); recovery goes on`);
    if (h.then) this.finalAction(h.then.target);
  }

  admin(cmd: AdminCommand): void {
    const res = this.res(cmd.id);
    if (!res) return this.log("warn", `admin: no resource \`${cmd.id}\``);
    const all: ResourceConfig[] = res.kind === "group" ? [res, ...res.members] : [res];
    switch (cmd.kind) {
      case "cleanup":
        for (const x of all) {
          const r = this.st(x.id);
          Object.assign(r, { failCount: 0, failures: [], blocked: undefined, heldStopped: undefined, restarts: 0, recoveries: 0, lastFailureMs: undefined });
          if (x.kind === "primitive" && !r.pending && r.role !== "stopped") {
            this.stopMonitoring(r);
            r.role = "unknown";
            this.exec(x, "probe");
          }
        }
        this.s.standby = undefined;
        return this.log("info", `${cmd.id}: cleaned up — fail count reset, managed again, re-probed`, cmd.id);
      case "restart": {
        const first = res.kind === "group" ? res.members[0] : res;
        if (first) this.st(first.id).restartRequested = true;
        return this.log("info", `${cmd.id}: restart requested by an administrator`, cmd.id);
      }
      case "disable":
        this.st(cmd.id).heldStopped = "disabled by an administrator";
        return this.log("info", `${cmd.id}: disabled: stopping and keeping it stopped`, cmd.id);
      case "enable":
        if (this.st(cmd.id).heldStopped) this.st(cmd.id).heldStopped = undefined;
        return this.log("info", `${cmd.id}: enabled`, cmd.id);
    }
  }
}

/** A fail count of INFINITY reaches even a threshold of INFINITY, as in Pacemaker. */
function reachedThreshold(failCount: number, meta: ResourceMeta): boolean {
  return failCount >= Math.min(meta.migrationThreshold, FAIL_COUNT_INFINITY);
}

function fmtScore(n: number): string { return Number.isFinite(n) ? String(n) : "INFINITY"; }

function describeFinal(meta: ResourceMeta): string {
  const fa = meta.finalAction;
  switch (fa.kind) {
    case "none": return "it stays stopped until `paceline resource cleanup`";
    case "stop-group": return "final action: stop its group";
    case "stop-daemon": return "final action: stop every resource and Paceline";
    case "reboot": return "final action: reboot the OS";
    case "script": return `final action: run ${fa.path}`;
  }
}

/** Why a primitive does not run now, in words (undefined when nothing keeps it down). */
export function whyDown(config: ClusterConfig, state: SupervisorState, id: string): string | undefined {
  const st = new Step(config, state);
  const p = st.prims.find((x) => x.id === id);
  return p && st.whyDown(p);
}

/**
 * One input in, the decisions out. The state is updated in place and returned (like raft's Step): callers that
 * need an earlier state keep a structuredClone of it. `durableChanged` says whether fail counts, history or holds
 * changed, so the shell persists only then (a healthy monitor result changes nothing that must survive).
 */
export function step(config: ClusterConfig, state: SupervisorState, input: Input): { state: SupervisorState; outputs: Output[]; durableChanged: boolean } {
  const s = state;
  s.nowMs = Math.max(s.nowMs, input.nowMs);
  const st = new Step(config, s);
  switch (input.type) {
    case "boot": st.boot(); break;
    case "op-done": st.opDone(input.opId, input.result); break;
    case "monitor-result": st.monitorResult(input.rsc, input.epoch, input.result); break;
    case "child-exit": st.childExit(input.rsc, input.reason); break;
    case "builtin-result": st.builtinResult(input.monitor, input.ok, input.reason); break;
    case "hook-done": st.hookDone(input.hookId, input.ok, input.reason); break;
    case "admin": st.admin(input.command); break;
    case "tick": break;
    case "shutdown":
      if (s.mode !== "exited") {
        s.mode = "shutting-down";
        st.log("info", "shutdown requested: stopping resources in reverse order");
      }
      break;
  }
  st.expireFailures();
  st.plan();
  const routine = (input.type === "monitor-result" && input.result.rc === 0) || (input.type === "builtin-result" && input.ok) || input.type === "tick";
  return { state: s, outputs: st.out, durableChanged: st.durableChanged || !routine || st.out.some((o) => o.type === "exec" || o.type === "hook") };
}
