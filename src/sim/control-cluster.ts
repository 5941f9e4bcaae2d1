// An in-memory cluster for the controller core: every node's resource manager and coordinator, simulated agents
// (a resource "runs" on a node between a successful start and a stop), instant or scripted operation results,
// and views set by the caller. Deterministic; used by transcript tests and the simulator.

import type { ClusterConfig } from "../config/model.js";
import { initCoordinator, stepCoordinator, type CoordinatorParams, type CoordinatorState } from "../core/controller/coordinator.js";
import { initNodeRm, stepNodeRm, type NodeRmOutput, type NodeRmState } from "../core/controller/node-rm.js";
import type { AdminCommand, ControlMessage } from "../core/controller/types.js";
import type { OpResult } from "../core/operation.js";

interface SimNode { name: string; rm: NodeRmState; co: CoordinatorState; up: boolean; execs: Array<{ opId: number; rsc: string; action: string }> }

export class ControlCluster {
  nowMs = 0;
  readonly nodes = new Map<string, SimNode>();
  /** Where each resource really runs (the agents' truth). */
  readonly running = new Map<string, Set<string>>();
  /** Scripted failures: `${node}/${rsc}/${action}` → rc. */
  readonly failing = new Map<string, number>();
  readonly log: string[] = [];
  /** Fencing the DCs asked for ("n2 fences n1"); the test answers with fenceResult(). */
  readonly fenceRequests: string[] = [];
  private queue: Array<() => void> = [];

  constructor(readonly config: ClusterConfig, readonly p: CoordinatorParams = { stopMarginMs: 1000 }) {
    for (const n of config.nodes) {
      const node: SimNode = { name: n.name, rm: initNodeRm(n.name, 1), co: initCoordinator(n.name), up: true, execs: [] };
      this.nodes.set(n.name, node);
    }
  }

  private node(name: string): SimNode { return this.nodes.get(name)!; }
  private wall() { return 1_700_000_000 + this.nowMs / 1000; }

  boot(name: string): void {
    const n = this.node(name);
    this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "boot", nowMs: this.nowMs, wallSec: this.wall() }));
    this.settle();
  }

  /** Installs a view on its members (the membership core's job in the daemon). `dc` = undefined: no quorum. */
  view(id: number, members: string[], dc: string | undefined, leftCleanly: string[] = []): void {
    const viewKey = `${id}/${members[0]}/1`;
    for (const m of members) {
      const n = this.node(m);
      this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "view", nowMs: this.nowMs, viewKey, members, quorate: dc !== undefined, holdsLease: dc !== undefined, dc }));
      this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "view", nowMs: this.nowMs, wallSec: this.wall(), viewKey, members, dc, leftCleanly, attributes: {} }));
    }
    this.settle();
  }

  /** A node cut off alone: its own view without quorum. */
  isolate(name: string, id: number): void {
    const n = this.node(name);
    this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "view", nowMs: this.nowMs, viewKey: `${id}/${name}/1`, members: [name], quorate: false, holdsLease: false }));
    this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "view", nowMs: this.nowMs, wallSec: this.wall(), viewKey: `${id}/${name}/1`, members: [name], leftCleanly: [], attributes: {} }));
    this.settle();
  }

  /** Power-off: the node stops taking part and its resources stop existing. */
  crash(name: string): void {
    this.node(name).up = false;
    for (const set of this.running.values()) set.delete(name);
  }

  admin(at: string, command: AdminCommand): void {
    const n = this.node(at);
    this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "admin", nowMs: this.nowMs, wallSec: this.wall(), command }));
    this.settle();
  }

  /** A fencing outcome reaches every running node (as the DC's announcement does). */
  fenceResult(target: string, ok: boolean, by: string): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "fence-result", nowMs: this.nowMs, wallSec: this.wall(), record: { target, ok, by, atSec: this.wall(), reason: ok ? "off" : "device failed" } }));
    }
    this.settle();
  }

  /** The agent of `rsc` on `node` reports it stopped (the service died). */
  kill(rsc: string, node: string): void {
    this.running.get(rsc)?.delete(node);
    const n = this.node(node);
    const seq = n.rm.monitors[rsc];
    if (seq !== undefined) this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "monitor-result", nowMs: this.nowMs, wallSec: this.wall(), rsc, seq, result: { rc: 7, status: "done", reason: "not running", durationMs: 1 } }));
    this.settle();
  }

  advance(ms: number, stepMs = 100): void {
    for (let t = 0; t < ms; t += stepMs) {
      this.nowMs += stepMs;
      for (const n of this.nodes.values()) {
        if (!n.up) continue;
        this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "tick", nowMs: this.nowMs, wallSec: this.wall() }));
        this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "tick", nowMs: this.nowMs, wallSec: this.wall() }));
      }
      this.settle();
    }
  }

  where(rsc: string): string[] { return [...(this.running.get(rsc) ?? [])].sort(); }

  /** Runs queued deliveries and operations until nothing is left. */
  settle(): void {
    for (let i = 0; i < 100_000 && this.queue.length; i++) this.queue.shift()!();
  }

  private result(n: SimNode, rsc: string, action: string): OpResult {
    const set = this.running.get(rsc) ?? new Set<string>();
    this.running.set(rsc, set);
    const scripted = this.failing.get(`${n.name}/${rsc}/${action}`);
    if (scripted !== undefined) return { rc: scripted, status: "done", reason: `scripted rc ${scripted}`, durationMs: 1 };
    if (action === "start") { set.add(n.name); return { rc: 0, status: "done", reason: "ok", durationMs: 1 }; }
    if (action === "stop") { set.delete(n.name); return { rc: 0, status: "done", reason: "ok", durationMs: 1 }; }
    return set.has(n.name) ? { rc: 0, status: "done", reason: "running", durationMs: 1 } : { rc: 7, status: "done", reason: "not running", durationMs: 1 };
  }

  private handleRm(n: SimNode, outs: NodeRmOutput[]): void {
    for (const o of outs) {
      if (o.type === "exec") {
        n.execs.push({ opId: o.opId, rsc: o.rsc, action: o.action });
        this.queue.push(() => { if (n.up) this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "op-done", nowMs: this.nowMs, wallSec: this.wall(), opId: o.opId, result: this.result(n, o.rsc, o.action) })); });
      } else if (o.type === "report") {
        for (const m of n.rm.members) this.deliver(n.name, m, { t: "report", report: o.report });
      } else if (o.type === "send") this.deliver(n.name, o.to, o.msg);
      else if (o.type === "log") this.log.push(`${n.name}: ${o.text}`);
    }
  }

  private handleCo(n: SimNode, outs: ReturnType<typeof stepCoordinator>): void {
    for (const o of outs) {
      if (o.type === "send") this.deliver(n.name, o.to, o.msg);
      else if (o.type === "fence") this.fenceRequests.push(`${o.by} fences ${o.target}${o.delayMs ? ` after ${o.delayMs} ms` : ""}`);
      else this.log.push(`${n.name}: ${o.text}`);
    }
  }

  private deliver(from: string, to: string, msg: ControlMessage): void {
    this.queue.push(() => {
      const n = this.node(to);
      if (!n.up || !this.node(from).up) return;
      if (msg.t === "report") this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "report", nowMs: this.nowMs, wallSec: this.wall(), report: msg.report }));
      else if (msg.t === "admin") this.handleCo(n, stepCoordinator(this.config, this.p, n.co, { type: "admin", nowMs: this.nowMs, wallSec: this.wall(), command: msg.command }));
      else this.handleRm(n, stepNodeRm(this.config, n.rm, { type: "message", nowMs: this.nowMs, from, msg }));
    });
  }
}
