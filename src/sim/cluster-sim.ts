// The whole cluster in the simulator: the membership simulator's nodes, clocks, links and faults, plus every
// node's controller core (resource manager + coordinator) and simulated agents (a resource runs on a node between
// a successful start and a stop, a crash, or its death). Faults on top of membership's: a daemon-only crash that
// the supervisor respawns (resources keep running), a resource that dies, slow operations.
// Invariants, after every event:
//   - no resource runs on two nodes at once, except on a node frozen right now or just resumed (the one window
//     that needs fencing: a frozen daemon cannot stop anything);
//   - liveness: once everything is healed (and, as an operator would, failures cleaned up), every resource runs
//     exactly once, group members together.

import { loadConfigText } from "../config/load.js";
import type { ClusterConfig } from "../config/model.js";
import { primitivesOf } from "../config/model.js";
import { dcOf, hasLeft, holdsLease, isQuorate } from "../core/membership/member.js";
import { initCoordinator, stepCoordinator, uncleanOf, type CoordinatorInput, type CoordinatorState } from "../core/controller/coordinator.js";
import { initNodeRm, stepNodeRm, type NodeRmInput, type NodeRmState } from "../core/controller/node-rm.js";
import type { ControlMessage } from "../core/controller/types.js";
import type { OpResult } from "../core/operation.js";
import { MembershipSim, type SimNode, type SimOptions, type SimResult } from "./membership-sim.js";

export interface ClusterSimOptions extends SimOptions {
  /** Deliberate bugs, so the simulator's own tests can show it catches them. */
  bug?: "no-stop-on-lost-quorum" | "no-hold" | "fence-claims-success";
  /** Fencing configured: a device powers the target off (after a delay; it sometimes fails or hangs). Then even
   * a frozen node is no excuse: nothing may ever run twice. */
  fencing?: boolean;
}

interface Control { rm: NodeRmState; co: CoordinatorState; factsKey: string; inc: number; daemonOnlyCrash: boolean; resumedAt: number; leaseHeldAtMs?: number }

/** Resumed this recently: still allowed to be stopping what it held while frozen. */
const RESUME_GRACE_MS = 600;

export function simConfig(nodes: number, p: { intervalMs: number; deadMs: number; maxDelayMs: number; warnMs: number }, fencing = false): ClusterConfig {
  const names = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const r = loadConfigText(`cluster: sim
heartbeat: { interval: ${p.intervalMs}ms, warn: ${p.warnMs}ms, dead: ${p.deadMs}ms, max-delay: ${p.maxDelayMs}ms, stop-margin: 1s }
nodes:
${names.map((n, i) => `  ${n}: { links: [10.0.0.${i + 1}] }`).join("\n")}
resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }
      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }
  db: { agent: ocf:heartbeat:Dummy, monitor: 1s }
defaults: { stickiness: 100 }
${fencing ? `fencing:\n  devices:\n    power: { agent: fence_sim, targets: [${names.join(", ")}], timeout: 2s }\n` : ""}`);
  if (!r.config) throw new Error(`simulator config: ${JSON.stringify(r.problems)}`);
  return r.config;
}

export class ClusterSim extends MembershipSim {
  readonly config: ClusterConfig;
  private readonly ctl = new Map<string, Control>();
  /** Where each resource really runs. */
  readonly running = new Map<string, Set<string>>();
  /** Scripted agent failures: "node/rsc/start|stop" → the next such operation fails. */
  private readonly failNext = new Set<string>();
  private readonly prims: string[];

  constructor(readonly co: ClusterSimOptions) {
    super(co);
    this.config = simConfig(co.nodes, this.p, co.fencing || co.bug === "fence-claims-success");
    // The margin covers the slowest stop sequence here: a group of two, up to 400 ms each.
    if (co.bug === "no-hold") this.config.heartbeat.stopMarginMs = 0;
    this.prims = primitivesOf(this.config).map((x) => x.id);
    for (const id of this.prims) this.running.set(id, new Set());
    for (const n of this.nodes) this.boot(n);
  }

  private wall(): number { return 1_700_000_000 + this.now / 1000; }

  private boot(n: SimNode): void {
    const prev = this.ctl.get(n.name);
    const c: Control = { rm: initNodeRm(n.name, n.inc), co: initCoordinator(n.name), factsKey: "", inc: n.inc, daemonOnlyCrash: false, resumedAt: prev?.resumedAt ?? -Infinity };
    this.ctl.set(n.name, c);
    // What the daemon records in its state directory (lease.json), read by the next one.
    this.feedRm(n, { type: "boot", nowMs: this.clock(n), wallSec: this.wall(), leaseHeldAtMs: prev?.leaseHeldAtMs });
  }

  protected override restarted(n: SimNode): void { this.boot(n); }

  protected override crashed(n: SimNode): void {
    const c = this.ctl.get(n.name)!;
    if (c.daemonOnlyCrash) return; // the daemon died; what it started keeps running
    for (const set of this.running.values()) set.delete(n.name); // power-off
  }

  protected override injectFault(): void {
    const r = this.rng;
    const roll = r.int(0, 19);
    const n = r.pick(this.nodes);
    const c = this.ctl.get(n.name)!;
    if (roll === 0 && !n.crashed) {
      // The daemon alone dies; the supervisor starts a new one a moment later.
      c.daemonOnlyCrash = true;
      n.crashed = true;
      const respawnMs = r.int(50, 600); // a node process starts in about 0.3 s
      this.note(`FAULT daemon crash ${n.name} (respawned in ${respawnMs} ms)`);
      this.schedule({ kind: "call", at: this.now + respawnMs, fn: () => { if (n.crashed && c.daemonOnlyCrash) { this.restart(n); this.note(`respawn ${n.name}`); } } });
    } else if (roll === 2 || (roll === 3 && this.co.fencing)) {
      // The next start (or, with fencing, stop) of a resource on a node fails: a stop failure gets that node fenced.
      const key = `${n.name}/${r.pick(this.prims)}/${roll === 2 ? "start" : "stop"}`;
      this.failNext.add(key);
      this.note(`FAULT next ${key} fails`);
    } else if (roll === 1) {
      const rsc = r.pick(this.prims);
      const where = [...this.running.get(rsc)!];
      if (where.length) {
        const at = r.pick(where);
        this.running.get(rsc)!.delete(at);
        this.note(`FAULT ${rsc} dies on ${at}`);
      }
    } else {
      super.injectFault();
    }
    const paused = this.nodes.filter((x) => x.pausedUntil > this.now);
    for (const x of paused) this.ctl.get(x.name)!.resumedAt = Math.max(this.ctl.get(x.name)!.resumedAt, x.pausedUntil);
  }

  protected override afterStep(n: SimNode, tick: boolean): void {
    const c = this.ctl.get(n.name)!;
    const now = this.clock(n);
    const s = n.state;
    const quorate = isQuorate(this.p, s, now);
    const lease = this.co.bug === "no-stop-on-lost-quorum" ? true : holdsLease(this.p, s, now);
    const viewKey = `${s.view.id}/${s.view.leader}/${s.view.leaderInc}`;
    const dc = dcOf(this.p, s, now);
    if (lease) c.leaseHeldAtMs = now;
    const key = JSON.stringify([viewKey, s.view.members, quorate, lease, dc]);
    if (key !== c.factsKey) {
      c.factsKey = key;
      this.feedRm(n, { type: "view", nowMs: now, viewKey, members: [...s.view.members], quorate, holdsLease: lease, dc });
      this.feedCo(n, { type: "view", nowMs: now, wallSec: this.wall(), viewKey, members: [...s.view.members], dc, attributes: {}, leftCleanly: Object.entries(s.peers).filter(([, p]) => hasLeft(p)).map(([x]) => x) });
    }
    if (tick) {
      this.feedRm(n, { type: "tick", nowMs: now, wallSec: this.wall() });
      this.feedCo(n, { type: "tick", nowMs: now, wallSec: this.wall() });
    }
  }

  private feedRm(n: SimNode, input: NodeRmInput): void {
    const c = this.ctl.get(n.name)!;
    const inc = c.inc;
    for (const o of stepNodeRm(this.config, c.rm, input)) {
      if (o.type === "log") this.note(`${n.name}: ${o.text}`);
      else if (o.type === "exec") {
        const ms = this.rng.chance(0.1) ? this.rng.int(150, 400) : this.rng.int(5, 150); // some operations are slow
        this.schedule({ kind: "call", at: this.now + ms, fn: () => this.opDone(n, inc, o.opId, o.rsc, o.action, ms) });
      } else if (o.type === "monitor-start") this.scheduleMonitor(n, inc, o.rsc, o.seq, o.intervalMs);
      else if (o.type === "report") {
        for (const m of c.rm.members) if (m !== n.name) this.sendControl(n, m, { t: "report", report: o.report });
        this.feedCo(n, { type: "report", nowMs: this.clock(n), wallSec: this.wall(), report: o.report });
      } else if (o.type === "send") this.sendControl(n, o.to, o.msg);
    }
  }

  private feedCo(n: SimNode, input: CoordinatorInput): void {
    const c = this.ctl.get(n.name)!;
    const outs = stepCoordinator(this.config, { stopMarginMs: this.config.heartbeat.stopMarginMs }, c.co, input);
    c.rm.unclean = uncleanOf(c.co);
    for (const o of outs) {
      if (o.type === "log") this.note(`${n.name}: ${o.text}`);
      else if (o.type === "send") this.sendControl(n, o.to, o.msg);
      else if (o.by === n.name) this.fence(n, o.target, o.delayMs);
      else this.sendControl(n, o.by, { t: "fence-please", target: o.target, reason: o.reason, delayMs: o.delayMs });
    }
  }

  /** The node stream: TCP, so no loss or reordering, but nothing passes a cut link; a paused node reads later. */
  private sendControl(from: SimNode, to: string, msg: ControlMessage): void {
    const target = this.nodes.find((x) => x.name === to)!;
    if (to === from.name) { this.receiveControl(target, from.name, msg); return; }
    if (!this.canReach(from.name, to)) return;
    const inc = this.ctl.get(to)!.inc;
    const deliver = () => {
      if (target.crashed || this.ctl.get(to)!.inc !== inc) return;
      if (this.now < target.pausedUntil) { this.schedule({ kind: "call", at: target.pausedUntil, fn: deliver }); return; }
      this.receiveControl(target, from.name, msg);
    };
    this.schedule({ kind: "call", at: this.now + this.rng.int(1, this.p.maxDelayMs), fn: deliver });
  }

  private receiveControl(n: SimNode, from: string, msg: ControlMessage): void {
    const now = this.clock(n);
    if (msg.t === "report") this.feedCo(n, { type: "report", nowMs: now, wallSec: this.wall(), report: msg.report });
    else if (msg.t === "admin") this.feedCo(n, { type: "admin", nowMs: now, wallSec: this.wall(), command: msg.command });
    else if (msg.t === "fence-please") this.fence(n, msg.target, msg.delayMs ?? 0);
    else if (msg.t === "fence-result") this.feedCo(n, { type: "fence-result", nowMs: now, wallSec: this.wall(), record: msg.record });
    else this.feedRm(n, { type: "message", nowMs: now, from, msg });
  }

  private opDone(n: SimNode, inc: number, opId: number, rsc: string, action: string, ms: number): void {
    const set = this.running.get(rsc)!;
    if (this.failNext.delete(`${n.name}/${rsc}/${action}`)) {
      this.note(`${n.name}: ${rsc} ${action} FAILS (scripted)`);
      this.deliverResult(n, inc, opId, { rc: 1, status: "done", reason: "scripted failure", durationMs: ms });
      return;
    }
    const powered = !(n.crashed && !this.ctl.get(n.name)!.daemonOnlyCrash);
    if (powered && action === "start") set.add(n.name);
    if (powered && action === "stop") set.delete(n.name);
    if (action === "start" || action === "stop") this.note(`${n.name}: ${rsc} ${action === "start" ? "started" : "stopped"}`);
    const result: OpResult = action === "probe" && !set.has(n.name) ? { rc: 7, status: "done", reason: "not running", durationMs: ms } : { ...ok(action === "probe" ? "running" : "done"), durationMs: ms };
    this.deliverResult(n, inc, opId, result);
  }

  /** A frozen daemon gets the result when it wakes; a dead one never does. */
  private deliverResult(n: SimNode, inc: number, opId: number, result: OpResult): void {
    if (n.crashed || n.inc !== inc) return;
    if (this.now < n.pausedUntil) { this.schedule({ kind: "call", at: n.pausedUntil, fn: () => this.deliverResult(n, inc, opId, result) }); return; }
    this.feedRm(n, { type: "op-done", nowMs: this.clock(n), wallSec: this.wall(), opId, result });
  }

  private scheduleMonitor(n: SimNode, inc: number, rsc: string, seq: number, intervalMs: number): void {
    this.schedule({
      kind: "call", at: this.now + intervalMs, fn: () => {
        const c = this.ctl.get(n.name)!;
        if (n.crashed || c.inc !== inc || c.rm.monitors[rsc] !== seq) return;
        if (this.now < n.pausedUntil) { this.scheduleMonitor(n, inc, rsc, seq, intervalMs); return; }
        const result = this.running.get(rsc)!.has(n.name) ? ok("running") : { rc: 7, status: "done" as const, reason: "not running", durationMs: 1 };
        this.feedRm(n, { type: "monitor-result", nowMs: this.clock(n), wallSec: this.wall(), rsc, seq, result });
        this.scheduleMonitor(n, inc, rsc, seq, intervalMs);
      },
    });
  }

  /** A simulated power switch: after a delay it powers the target off (or fails, or never answers and times out);
   * the outcome goes to the fencing node and every member it can reach, like the shell's announcement. */
  private fence(by: SimNode, target: string, delayMs = 0): void {
    const inc = this.ctl.get(by.name)!.inc;
    const t = this.nodes.find((x) => x.name === target)!;
    const roll = this.rng.int(0, 9);
    const ms = delayMs + (roll === 9 ? 2000 : this.rng.int(20, 600));
    const ok = roll < 7 || this.co.bug === "fence-claims-success";
    this.note(`${by.name}: fencing ${target} (${ok ? "will succeed" : roll === 9 ? "device hangs" : "device fails"})`);
    this.schedule({
      kind: "call", at: this.now + ms, fn: () => {
        // A fencer powered off during its delay never sends the command.
        if (by.crashed && !this.ctl.get(by.name)!.daemonOnlyCrash && delayMs > 0) return;
        if (ok && this.co.bug !== "fence-claims-success") {
          const c = this.ctl.get(target)!;
          // A power switch turns off whatever runs on the node now, whichever daemon life it is in.
          if (!t.crashed || c.daemonOnlyCrash) {
            t.crashed = true;
            c.daemonOnlyCrash = false;
            this.crashed(t);
            this.note(`FENCED ${target}: powered off; it reboots`);
            const rebootMs = this.rng.int(1000, 4000);
            this.schedule({ kind: "call", at: this.now + rebootMs, fn: () => { if (t.crashed && !this.ctl.get(target)!.daemonOnlyCrash) { this.restart(t); this.note(`${target} is back after the reboot`); } } });
          }
        }
        if (by.crashed || this.ctl.get(by.name)!.inc !== inc) return;
        const record = { target, ok, by: by.name, atSec: this.wall(), reason: ok ? "powered off" : "device failed", targetInc: this.ctl.get(target)!.rm.inc };
        for (const m of this.ctl.get(by.name)!.co.members) if (m !== by.name) this.sendControl(by, m, { t: "fence-result", record });
        this.feedCo(by, { type: "fence-result", nowMs: this.clock(by), wallSec: this.wall(), record });
      },
    });
  }

  /** As an operator would after an incident: once the cluster has a DC again, `paceline resource cleanup` for every
   * resource (fail counts reset, failed operations forgotten, re-probed), so nothing stays banned or blocked. */
  protected override healed(): void {
    this.failNext.clear();
    const cleanup = () => {
      const dc = this.nodes.find((n) => !n.crashed && this.ctl.get(n.name)!.co.isDc);
      if (!dc) { this.schedule({ kind: "call", at: this.now + 500, fn: cleanup }); return; }
      this.note(`operator: cleanup of every resource on ${dc.name}`);
      for (const r of this.config.resources) this.feedCo(dc, { type: "admin", nowMs: this.clock(dc), wallSec: this.wall(), command: { kind: "cleanup", rsc: r.id } });
    };
    this.schedule({ kind: "call", at: this.now + 3000, fn: cleanup });
  }

  protected override extraSafety(): void {
    for (const [rsc, set] of this.running) {
      if (set.size < 2) continue;
      const excused = (name: string) => {
        if (this.co.fencing) return false; // with fencing there is no window at all
        const node = this.nodes.find((x) => x.name === name)!;
        return this.now < node.pausedUntil || this.now - this.ctl.get(name)!.resumedAt < RESUME_GRACE_MS;
      };
      const holders = [...set].filter((x) => !excused(x));
      if (holders.length > 1) this.fail(`${rsc} runs on ${holders.join(" and ")} at once`);
    }
  }

  protected override extraConverged(): boolean {
    const on = (id: string) => [...this.running.get(id)!];
    return this.prims.every((id) => on(id).length === 1) && on("vip")[0] === on("app")[0];
  }

  where(): string {
    return this.prims.map((id) => `${id}@${[...this.running.get(id)!].join("+") || "-"}`).join(" ");
  }
}

const ok = (reason: string): OpResult => ({ rc: 0, status: "done", reason, durationMs: 1 });

export function simulateCluster(o: ClusterSimOptions): SimResult & { where: string } {
  const sim = new ClusterSim(o);
  const r = sim.run();
  return { ...r, where: sim.where() };
}
