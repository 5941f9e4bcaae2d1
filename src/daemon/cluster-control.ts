// The shell around the controller core on one cluster node: runs the agents the node's resource manager asks
// for, keeps recurring monitors on timers, carries reports and commands over the authenticated node stream, and
// persists the administrative state. Decisions are all in core/controller.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ClusterConfig, PrimitiveConfig } from "../config/model.js";
import { findResource, primitivesOf } from "../config/model.js";
import { didYouMean } from "../config/suggest.js";
import { initCoordinator, stepCoordinator, type CoordinatorOutput, type CoordinatorState } from "../core/controller/coordinator.js";
import { initNodeRm, stepNodeRm, type NodeRmInput, type NodeRmOutput, type NodeRmState } from "../core/controller/node-rm.js";
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
    this.rm = initNodeRm(o.me, o.inc);
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
    for (const p of primitivesOf(o.config)) {
      const agent = createAgent(p, {
        dirs: o.dirs, logDir: join(o.stateDir, "logs"),
        onChildExit: (id, exit) => this.childExited(id, `pid ${exit.pid} ${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`}`),
      });
      const ident = saved.kind === "ok" ? saved.value.processes[p.id] : undefined;
      if (agent instanceof CommandAgent && ident) agent.adopt(ident);
      this.agents.set(p.id, agent);
    }
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
    const c = this.o.config;
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
    } else if (msg.t === "admin") {
      if (msg.viewKey === this.co.viewKey) this.feedCo({ type: "admin", nowMs, wallSec: wallSec(), command: msg.command });
    } else this.feedRm({ type: "message", nowMs, from, msg });
  }

  private deliver(to: string, msg: ControlMessage): void {
    if (to === this.o.me) this.onMessage(to, msg);
    else this.hub.send(to, msg);
  }

  private feedRm(input: NodeRmInput): void {
    if (this.closed) return;
    let outs: NodeRmOutput[];
    try { outs = stepNodeRm(this.o.config, this.rm, input); } catch (e) { this.o.log("error", `internal error in the resource manager: ${(e as Error).stack}`); return; }
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
    try { outs = stepCoordinator(this.o.config, { stopMarginMs: this.o.stopMarginMs }, this.co, input); } catch (e) { this.o.log("error", `internal error in the coordinator: ${(e as Error).stack}`); return; }
    for (const o of outs) {
      if (o.type === "send") this.deliver(o.to, o.msg);
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

  primitive(id: string): PrimitiveConfig | undefined { return primitivesOf(this.o.config).find((p) => p.id === id); }
}
