// The shell around the controller core on one cluster node: runs the agents the node's resource manager asks
// for, keeps recurring monitors on timers, carries reports and commands over the authenticated node stream, and
// persists the administrative state. Decisions are all in core/controller.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ClusterConfig, PrimitiveConfig } from "../config/model.js";
import { findResource, primitivesOf } from "../config/model.js";
import { didYouMean } from "../config/suggest.js";
import { runFencing } from "./fence-runner.js";
import { initCoordinator, mayRunOn, stepCoordinator, uncleanOf, type FenceRecord, type CoordinatorOutput, type CoordinatorState } from "../core/controller/coordinator.js";
import { decidePush, hashOf, newer, parseDoc, pushProblem, type ConfigDoc } from "../core/controller/config-sync.js";
import { initNodeRm, isRunning, mayRun, stepNodeRm, type NodeRmInput, type NodeRmOutput, type NodeRmState } from "../core/controller/node-rm.js";
import type { AdminCommand, AdminState, ControlMessage } from "../core/controller/types.js";
import type { OpResult } from "../core/operation.js";
import { CommandAgent, createAgent, type AgentDirs, type AgentRunner, type ProcessIdentity } from "../node/executor/index.js";
import { readJsonState, StateFile } from "../node/store.js";
import { StreamHub } from "../node/stream.js";

export interface ViewFacts {
  viewKey: string;
  members: string[];
  quorate: boolean;
  holdsLease: boolean;
  dc?: string;
  leftCleanly: string[];
  attributes: Record<string, Record<string, string>>;
}

export interface ControlShellOptions {
  config: ClusterConfig;
  /** The text `config` was read from (a pushed configuration is kept as text, numbered). */
  configYaml: string;
  me: string;
  inc: number;
  key: Buffer;
  stateDir: string;
  stopMarginMs: number;
  dirs?: AgentDirs;
  clock: () => number;
  log: (level: string, text: string) => void;
  /** The node manager finished a shutdown (nothing runs here any more). */
  onExit: () => void;
}

const wallSec = () => Date.now() / 1000;
const isProcesses = (v: unknown): v is { processes: Record<string, ProcessIdentity> } => typeof (v as { processes?: unknown })?.processes === "object";
const isAdmin = (v: unknown): v is { admin: AdminState } => typeof (v as { admin?: { epoch?: unknown } })?.admin?.epoch === "number";

/** The port of the node stream: the heartbeat port + 1. */
export const streamPort = (config: ClusterConfig) => config.heartbeat.port + 1;

export class ControlShell {
  /** The configuration this node runs: its file, or a newer one pushed to the cluster (config-sync). */
  config: ClusterConfig;
  private doc: ConfigDoc;
  private readonly configFile: StateFile<{ doc: ConfigDoc }>;
  private readonly pushWaiters = new Map<string, (r: { ok: boolean; message: string }) => void>();
  private nextPushId = 1;
  private readonly confirmWaiters = new Map<string, (yes: boolean) => void>();
  private readonly fencingNow = new Set<string>();
  private configAskedMs = -Infinity;
  /** New definitions of resources that were running when they changed: used from their next stop on. */
  private readonly pendingAgents = new Map<string, PrimitiveConfig>();
  readonly rm: NodeRmState;
  readonly co: CoordinatorState;
  private readonly agents = new Map<string, AgentRunner>();
  private readonly monitorTimers = new Map<string, NodeJS.Timeout>();
  private readonly hub: StreamHub;
  private readonly adminFile: StateFile<{ admin: AdminState }>;
  /** Supervised commands' PIDs (+ start times), so a restarted daemon finds the ones that outlived it. */
  private readonly processFile: StateFile<{ processes: Record<string, ProcessIdentity> }>;
  private closed = false;

  constructor(private readonly o: ControlShellOptions) {
    this.configFile = new StateFile(join(o.stateDir, "config.json"));
    ({ config: this.config, doc: this.doc } = this.startingConfig(o.config, o.configYaml));
    this.rm = initNodeRm(o.me, o.inc);
    this.rm.config = { epoch: this.doc.epoch, hash: this.doc.hash };
    this.co = initCoordinator(o.me);
    const self = o.config.nodes.find((n) => n.name === o.me)!;
    this.hub = new StreamHub({
      cluster: o.config.cluster, me: o.me, inc: o.inc, key: o.key, port: streamPort(o.config), listen: self.links,
      peers: Object.fromEntries(o.config.nodes.filter((n) => n.name !== o.me).map((n) => [n.name, n.links])),
      onMessage: (from, msg) => this.onMessage(from, msg),
    });
    mkdirSync(join(o.stateDir, "logs"), { recursive: true, mode: 0o700 });
    this.adminFile = new StateFile(join(o.stateDir, "admin.json"));
    this.processFile = new StateFile(join(o.stateDir, "processes.json"));
    const saved = readJsonState(this.processFile.path, isProcesses);
    for (const p of primitivesOf(this.config)) {
      const agent = this.makeAgent(p);
      const ident = saved.kind === "ok" ? saved.value.processes[p.id] : undefined;
      if (agent instanceof CommandAgent && ident) agent.adopt(ident);
      this.agents.set(p.id, agent);
    }
  }

  private makeAgent(p: PrimitiveConfig): AgentRunner {
    return createAgent(p, {
      dirs: this.o.dirs, logDir: join(this.o.stateDir, "logs"),
      onChildExit: (id, exit) => this.childExited(id, `pid ${exit.pid} ${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`}`),
    });
  }

  /** The file given to the daemon, unless the cluster has pushed a newer configuration this node stored. */
  private startingConfig(fileConfig: ClusterConfig, fileYaml: string): { config: ClusterConfig; doc: ConfigDoc } {
    const own = { config: fileConfig, doc: { epoch: 0, yaml: fileYaml, hash: hashOf(fileYaml) } };
    const saved = readJsonState(this.configFile.path, (v): v is { doc: ConfigDoc } => typeof (v as { doc?: { epoch?: unknown } })?.doc?.epoch === "number");
    if (saved.kind !== "ok" || saved.value.doc.epoch === 0) return own;
    const parsed = parseDoc(saved.value.doc);
    if (!parsed.config) { this.o.log("error", `the stored cluster configuration (epoch ${saved.value.doc.epoch}) is unusable (${parsed.error}); running the file instead`); return own; }
    const problem = pushProblem(fileConfig, parsed.config, () => []);
    if (problem && !problem.includes("removed while running")) { this.o.log("warn", `the stored cluster configuration (epoch ${saved.value.doc.epoch}) differs from the file in what cannot change at run time; running the file`); return own; }
    this.o.log("info", `running the cluster's configuration epoch ${saved.value.doc.epoch} (pushed with \`paceline config push\`), not the file; \`paceline config show\` prints it`);
    return { config: parsed.config, doc: saved.value.doc };
  }

  async start(leaseHeldAtMs?: number): Promise<void> {
    await this.hub.start();
    const saved = readJsonState(this.adminFile.path, isAdmin);
    if (saved.kind === "corrupt") this.o.log("error", `administrative state was unreadable (${saved.error}); moved to ${saved.movedTo}; the DC's copy will be taken`);
    this.feedRm({ type: "boot", nowMs: this.o.clock(), wallSec: wallSec(), admin: saved.kind === "ok" ? saved.value.admin : undefined, leaseHeldAtMs });
  }

  view(v: ViewFacts): void {
    const nowMs = this.o.clock();
    this.feedRm({ type: "view", nowMs, viewKey: v.viewKey, members: v.members, quorate: v.quorate, holdsLease: v.holdsLease, dc: v.dc });
    this.feedCo({ type: "view", nowMs, wallSec: wallSec(), viewKey: v.viewKey, members: v.members, dc: v.dc, leftCleanly: v.leftCleanly, attributes: v.attributes });
  }

  tick(attributes: Record<string, Record<string, string>>): void {
    const nowMs = this.o.clock();
    this.feedRm({ type: "tick", nowMs, wallSec: wallSec() });
    this.feedCo({ type: "tick", nowMs, wallSec: wallSec(), attributes });
  }

  admin(command: AdminCommand): { ok: boolean; message: string } {
    const c = this.config;
    if ("rsc" in command && !findResource(c, command.rsc)) {
      return { ok: false, message: `no resource \`${command.rsc}\`${didYouMean(command.rsc, [...c.resources.map((r) => r.id), ...primitivesOf(c).map((p) => p.id)])} (resources: ${c.resources.map((r) => r.id).join(", ") || "none"})` };
    }
    if ("node" in command && !c.nodes.some((n) => n.name === command.node)) {
      return { ok: false, message: `no node \`${command.node}\`${didYouMean(command.node, c.nodes.map((n) => n.name))} (nodes: ${c.nodes.map((n) => n.name).join(", ")})` };
    }
    if (!this.co.dc) return { ok: false, message: "this node's view has no quorum: the cluster's state cannot be changed from here" };
    this.feedCo({ type: "admin", nowMs: this.o.clock(), wallSec: wallSec(), command });
    return { ok: true, message: this.co.isDc ? `done by this node (the DC)` : `sent to the DC, ${this.co.dc}` };
  }

  shutdown(): void { this.feedRm({ type: "shutdown", nowMs: this.o.clock() }); }

  close(): void {
    this.closed = true;
    for (const t of this.monitorTimers.values()) clearTimeout(t);
    this.monitorTimers.clear();
    this.hub.close();
  }

  get stats() { return this.hub.stats; }

  private onMessage(from: string, raw: unknown): void {
    const msg = raw as ControlMessage;
    if (typeof msg !== "object" || msg === null || typeof msg.t !== "string") return;
    const nowMs = this.o.clock();
    if (msg.t === "report") {
      if (msg.report?.node !== from) return;
      this.feedCo({ type: "report", nowMs, wallSec: wallSec(), report: msg.report });
      if (newer(this.doc, msg.report.config) && nowMs - this.configAskedMs > 1000) {
        this.configAskedMs = nowMs;
        this.o.log("info", `${from} runs a newer cluster configuration (epoch ${msg.report.config.epoch}; this node has ${this.doc.epoch}): asking for it`);
        this.deliver(from, { t: "config-please", viewKey: this.co.viewKey });
      }
    } else if (msg.t === "admin") {
      if (msg.viewKey === this.co.viewKey) this.feedCo({ type: "admin", nowMs, wallSec: wallSec(), command: msg.command });
    } else if (msg.t === "fence-please") {
      if (from === this.co.dc && !this.fencingNow.has(msg.target)) void this.fence(msg.target, `${msg.reason}; asked by the DC, ${from}`, msg.delayMs ?? 0);
    } else if (msg.t === "fence-confirm") {
      this.confirmFence(msg.target);
    } else if (msg.t === "fence-result") {
      this.feedCo({ type: "fence-result", nowMs, wallSec: wallSec(), record: msg.record });
    } else if (msg.t === "config-please") {
      this.deliver(from, { t: "config", doc: this.doc });
    } else if (msg.t === "config") {
      if (!newer(this.doc, msg.doc)) return;
      const parsed = parseDoc(msg.doc);
      if (!parsed.config) { this.o.log("error", `cluster configuration epoch ${msg.doc.epoch} from ${from} is unusable (${parsed.error}); keeping epoch ${this.doc.epoch}`); return; }
      this.applyConfig(msg.doc, parsed.config, `from ${from}`);
    } else if (msg.t === "config-push") {
      const r = this.decide(msg.yaml, msg.baseEpoch);
      this.deliver(from, { t: "config-result", id: msg.id, ...r });
    } else if (msg.t === "config-result") {
      this.pushWaiters.get(msg.id)?.({ ok: msg.ok, message: msg.message });
    } else this.feedRm({ type: "message", nowMs, from, msg });
  }

  /** `paceline config push`: the DC numbers and distributes it; from another node it is forwarded to the DC. */
  push(yaml: string, baseEpoch?: number): Promise<{ ok: boolean; message: string }> {
    const base = baseEpoch ?? this.doc.epoch;
    if (!this.co.dc) return Promise.resolve({ ok: false, message: "this node's view has no quorum: the configuration cannot change from here" });
    if (this.co.isDc) return Promise.resolve(this.decide(yaml, base));
    const id = `${this.o.me}#${this.nextPushId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pushWaiters.delete(id); resolve({ ok: false, message: `no answer from the DC (${this.co.dc}) within 10 s; \`paceline config show\` tells whether it took it` }); }, 10_000);
      this.pushWaiters.set(id, (r) => { clearTimeout(timer); this.pushWaiters.delete(id); resolve(r); });
      this.deliver(this.co.dc!, { t: "config-push", viewKey: this.co.viewKey, id, yaml, baseEpoch: base });
    });
  }

  /** Runs the escalation for `target` with the configured devices; the outcome goes to every member. */
  private async fence(target: string, reason: string, delayMs = 0): Promise<void> {
    if (this.fencingNow.has(target)) return;
    this.fencingNow.add(target);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const f = this.config.fencing;
    const inc = this.co.fencing[target]?.inc;
    this.o.log("warn", `fencing ${target} (${reason})`);
    let record: FenceRecord;
    try {
      const r = await runFencing({
        config: f, target, action: "reboot", log: (level, text) => this.o.log(level, text),
        context: {
          iRun: (rsc) => { const r = findResource(this.config, rsc); const ids = r?.kind === "group" ? r.members.map((m) => m.id) : [rsc]; return ids.some((id) => isRunning(this.rm.history[id])); },
          targetRuns: (t) => [...new Set([...(this.co.held[t]?.rscs ?? []), ...mayRunOn(this.co, t)])],
        },
        confirm: (t) => new Promise<boolean>((resolve) => {
          this.o.log("warn", `${t} must be powered off by hand: once it is, run \`paceline fence confirm ${t}\` on any node`);
          this.confirmWaiters.set(t, resolve);
        }),
      });
      record = { target, ok: true, by: `${r.by} (from ${this.o.me})`, atSec: wallSec(), reason: `${reason}; took ${(r.elapsedMs / 1000).toFixed(1)} s`, targetInc: inc };
    } catch (e) {
      record = { target, ok: false, by: this.o.me, atSec: wallSec(), reason: (e as Error).message, targetInc: inc };
    }
    this.confirmWaiters.delete(target);
    this.fencingNow.delete(target);
    for (const m of this.co.members) if (m !== this.o.me) this.deliver(m, { t: "fence-result", record });
    this.feedCo({ type: "fence-result", nowMs: this.o.clock(), wallSec: wallSec(), record });
  }

  /** `paceline fence confirm NODE`: a person says NODE is off; the fencing waiting for them completes. */
  confirmFence(target: string): { ok: boolean; message: string } {
    const waiter = this.confirmWaiters.get(target);
    if (waiter) { waiter(true); return { ok: true, message: `${target} confirmed off: the fencing waiting for a person completes` }; }
    if (this.co.dc && !this.co.isDc) {
      this.deliver(this.co.dc, { t: "fence-confirm", target });
      return { ok: true, message: `sent to the DC, ${this.co.dc}` };
    }
    return { ok: false, message: `nothing is waiting for a person to confirm ${target} is off${this.co.fencing[target] ? " (its fencing is at an automatic device now)" : ""}` };
  }

  /** The running configuration and its epoch (`paceline config show`). */
  get configDoc(): ConfigDoc { return this.doc; }

  private decide(yaml: string, baseEpoch: number): { ok: boolean; message: string } {
    const active = (rsc: string) => this.co.members.filter((m) => mayRun(this.co.reports[m]?.history[rsc]));
    const d = decidePush({ doc: this.doc, config: this.config }, { yaml, baseEpoch }, this.co.isDc, active);
    if ("refused" in d) { this.o.log("warn", `configuration push refused: ${d.refused}`); return { ok: false, message: `refused: ${d.refused}` }; }
    // Members get it before any command that needs it (applying it here schedules at once).
    for (const m of this.co.members) if (m !== this.o.me) this.deliver(m, { t: "config", doc: d.doc });
    this.applyConfig(d.doc, d.config, "pushed");
    return { ok: true, message: `${d.message}; sent to ${this.co.members.join(", ")}` };
  }

  /** Runs a newer configuration from now on: stores it, gives new resources their agents, schedules again. */
  private applyConfig(doc: ConfigDoc, config: ClusterConfig, how: string): void {
    this.configFile.save({ doc });
    const before = new Map(primitivesOf(this.config).map((p) => [p.id, JSON.stringify(p)]));
    this.doc = doc;
    this.config = config;
    this.rm.config = { epoch: doc.epoch, hash: doc.hash };
    for (const p of primitivesOf(config)) {
      if (before.get(p.id) === JSON.stringify(p)) continue;
      if (before.has(p.id) && isRunning(this.rm.history[p.id])) {
        this.pendingAgents.set(p.id, p);
        this.o.log("info", `${p.id} changed while running here: its new definition applies when it next starts (\`paceline resource restart ${p.id}\` to apply it now)`);
      } else this.agents.set(p.id, this.makeAgent(p));
    }
    this.o.log("info", `running cluster configuration epoch ${doc.epoch} (${how})`);
    this.feedRm({ type: "config-changed", nowMs: this.o.clock() });
    this.co.dirty = true;
  }

  private deliver(to: string, msg: ControlMessage): void {
    if (to === this.o.me) this.onMessage(to, msg);
    else this.hub.send(to, msg);
  }

  private feedRm(input: NodeRmInput): void {
    if (this.closed) return;
    let outs: NodeRmOutput[];
    try { outs = stepNodeRm(this.config, this.rm, input); } catch (e) { this.o.log("error", `internal error in the resource manager: ${(e as Error).stack}`); return; }
    for (const o of outs) {
      switch (o.type) {
        case "exec": void this.exec(o.opId, o.rsc, o.action, o.timeoutMs); break;
        case "monitor-start": this.startMonitor(o.rsc, o.seq, o.intervalMs, o.timeoutMs); break;
        case "monitor-stop": clearTimeout(this.monitorTimers.get(o.rsc)); this.monitorTimers.delete(o.rsc); break;
        case "report":
          for (const m of this.rm.members) if (m !== this.o.me) this.hub.send(m, { t: "report", report: o.report });
          this.feedCo({ type: "report", nowMs: this.o.clock(), wallSec: wallSec(), report: o.report });
          break;
        case "send": this.deliver(o.to, o.msg); break;
        case "persist-admin": this.adminFile.save({ admin: o.admin }); break;
        case "log": this.o.log(o.level, o.text); break;
        case "exit": this.o.onExit(); break;
      }
    }
  }

  private feedCo(input: Parameters<typeof stepCoordinator>[3]): void {
    if (this.closed) return;
    let outs: CoordinatorOutput[];
    try { outs = stepCoordinator(this.config, { stopMarginMs: this.o.stopMarginMs }, this.co, input); } catch (e) { this.o.log("error", `internal error in the coordinator: ${(e as Error).stack}`); return; }
    this.rm.unclean = uncleanOf(this.co);
    for (const o of outs) {
      if (o.type === "send") this.deliver(o.to, o.msg);
      else if (o.type === "fence") {
        if (o.by === this.o.me) void this.fence(o.target, o.reason, o.delayMs);
        else this.deliver(o.by, { t: "fence-please", target: o.target, reason: o.reason, delayMs: o.delayMs });
      }
      else this.o.log(o.level, `${this.co.isDc ? "DC: " : ""}${o.text}`);
    }
  }

  private async exec(opId: number, rsc: string, action: string, timeoutMs: number): Promise<void> {
    const agent = this.agents.get(rsc);
    let result: OpResult;
    if (!agent || (action !== "start" && action !== "stop" && action !== "probe")) {
      result = { rc: 3, status: "error", reason: agent ? `${action} is not supported yet` : "unknown resource", durationMs: 0 };
    } else {
      try { result = await agent.run({ action, timeoutMs, intervalMs: 0 }); } catch (e) { result = { rc: 1, status: "error", reason: (e as Error).message, durationMs: 0 }; }
    }
    if (agent instanceof CommandAgent && action !== "probe") this.saveProcesses();
    const next = this.pendingAgents.get(rsc);
    if (next && action === "stop" && result.rc === 0) { this.pendingAgents.delete(rsc); this.agents.set(rsc, this.makeAgent(next)); }
    this.feedRm({ type: "op-done", nowMs: this.o.clock(), wallSec: wallSec(), opId, result });
  }

  private saveProcesses(): void {
    const processes: Record<string, ProcessIdentity> = {};
    for (const [id, a] of this.agents) {
      const ident = a instanceof CommandAgent ? a.identity() : undefined;
      if (ident) processes[id] = ident;
    }
    this.processFile.save({ processes });
  }

  private startMonitor(rsc: string, seq: number, intervalMs: number, timeoutMs: number): void {
    clearTimeout(this.monitorTimers.get(rsc));
    const agent = this.agents.get(rsc);
    if (!agent) return;
    const once = async () => {
      if (this.rm.monitors[rsc] !== seq || this.closed) return;
      let result: OpResult;
      try { result = await agent.run({ action: "monitor", timeoutMs, intervalMs }); } catch (e) { result = { rc: 1, status: "error", reason: (e as Error).message, durationMs: 0 }; }
      this.feedRm({ type: "monitor-result", nowMs: this.o.clock(), wallSec: wallSec(), rsc, seq, result });
      if (this.rm.monitors[rsc] === seq && !this.closed) this.monitorTimers.set(rsc, setTimeout(() => void once(), intervalMs));
    };
    this.monitorTimers.set(rsc, setTimeout(() => void once(), intervalMs));
  }

  /** A supervised command exited: its monitor fails at once instead of at the next interval. */
  private childExited(rsc: string, reason: string): void {
    const seq = this.rm.monitors[rsc];
    if (seq === undefined) return;
    this.feedRm({ type: "monitor-result", nowMs: this.o.clock(), wallSec: wallSec(), rsc, seq, result: { rc: 7, status: "done", reason, durationMs: 0 } });
  }


}
