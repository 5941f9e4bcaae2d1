// Deterministic simulator for cluster membership: N nodes run the real core (core/membership) on simulated clocks
// (offset and rate drift) over simulated links (delay, jitter, loss, duplication, reordering, one-way and full
// partitions, links down), with crashes, restarts and pauses. A seeded fault phase is followed by a liveness phase
// (everything healed). Invariants are checked after every event:
//   - never two quorate partitions at once: every node that is quorate right now is in the same view;
//   - at most one DC: follows from the above (the DC is the quorate view's leader);
//   - views agree: a view (id, leader) has one membership wherever it is installed;
//   - liveness: once healed, all nodes install one view with everyone and are quorate within a bound.

import { arbiterDecide, initArbiter, type ArbiterState } from "../core/membership/arbiter.js";
import { dcOf, initMember, isQuorate, leaseMs, sameView, step } from "../core/membership/member.js";
import type { ArbiterReply, ArbiterRequest, MemberState, MembershipParams, Message, Output, View } from "../core/membership/types.js";
import { Random } from "./random.js";

export interface SimOptions {
  seed: number;
  nodes: number;
  links: number;
  params?: Partial<MembershipParams>;
  /** Simulated duration of the fault phase. */
  faultMs: number;
  /** Bound on convergence after healing. */
  livenessMs: number;
  /** Keep a readable trace of every event. */
  trace?: boolean;
  /** An arbiter with one vote (reachable over its own simulated links, partitioned and restarted like a node). */
  arbiter?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violation?: string;
  atMs?: number;
  trace: string[];
  steps: number;
  /** Real (simulated) time from the heal to full convergence. */
  convergedAfterMs?: number;
}

export interface SimNode {
  name: string;
  state: MemberState;
  inc: number;
  crashed: boolean;
  pausedUntil: number;
  clockOffset: number;
  clockRate: number;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

type Event =
  | { at: number; seq: number; kind: "tick"; node: string }
  | { at: number; seq: number; kind: "deliver"; to: string; link: number; msg: Message }
  | { at: number; seq: number; kind: "fault" }
  | { at: number; seq: number; kind: "to-arbiter"; msg: ArbiterRequest }
  | { at: number; seq: number; kind: "from-arbiter"; reply: ArbiterReply }
  /** For layers built on this simulator (the controller): any deferred work, in simulated time. */
  | { at: number; seq: number; kind: "call"; fn: () => void };

export function defaultParams(names: string[], links: number, overrides: Partial<MembershipParams> = {}): MembershipParams {
  return {
    nodes: names.map((name) => ({ name, votes: 1 })), links,
    intervalMs: 200, warnMs: 500, deadMs: 1000, initialDeadMs: 2000, maxDelayMs: 100, clockDrift: 0.01,
    twoNode: false, waitForAll: false, ...overrides,
  };
}

export class MembershipSim {
  readonly rng: Random;
  readonly p: MembershipParams;
  readonly nodes: SimNode[] = [];
  private queue: Event[] = [];
  private seq = 0;
  now = 0;
  steps = 0;
  readonly trace: string[] = [];
  /** Directed link cuts: "from>to#link". */
  private readonly cut = new Set<string>();
  private lossPct = 0;
  private readonly installed = new Map<string, string>(); // "id/leader" → members
  violation?: { text: string; at: number };
  /** The arbiter (real time is its clock); undefined while it is down. */
  private arbiter?: ArbiterState;

  constructor(readonly o: SimOptions) {
    this.rng = new Random(o.seed);
    const names = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
    this.p = defaultParams(names, o.links, { ...(o.arbiter ? { arbiterVotes: 1 } : {}), ...o.params });
    if (o.arbiter) this.arbiter = initArbiter(-leaseMs(this.p)); // up and past its start-up wait
    for (const name of names) {
      const clockRate = 1 + (this.rng.next() * 2 - 1) * this.p.clockDrift;
      const clockOffset = this.rng.int(0, 100_000);
      const node: SimNode = { name, inc: 1, crashed: false, pausedUntil: 0, clockOffset, clockRate, state: undefined as unknown as MemberState };
      node.state = initMember(this.p, name, 1, this.clock(node));
      this.nodes.push(node);
      this.schedule({ kind: "tick", node: name, at: this.rng.int(0, this.p.intervalMs) });
    }
  }

  clock(n: SimNode): number { return Math.floor(n.clockOffset + this.now * n.clockRate); }

  protected schedule(e: DistributiveOmit<Event, "seq">): void {
    const ev = { ...e, seq: this.seq++ } as Event;
    // Keep the queue sorted by (at, seq): binary search for the insertion point.
    let lo = 0, hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.at < ev.at || (q.at === ev.at && q.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
  }

  protected note(text: string): void { if (this.o.trace) this.trace.push(`${String(this.now).padStart(7)} ${text}`); }

  private perform(n: SimNode, outputs: Output[]): void {
    for (const o of outputs) {
      if (o.type === "log") this.note(`${n.name}: ${o.text}`);
      if (o.type === "view") this.recordView(n, o.view);
      if (o.type === "to-arbiter") {
        if (!this.cut.has(`${n.name}>arbiter#*`) && !this.rng.chance(this.lossPct / 100)) this.schedule({ kind: "to-arbiter", at: this.now + this.rng.int(1, this.p.maxDelayMs), msg: o.msg });
        continue;
      }
      if (o.type !== "send") continue;
      const targets = o.to === "*" ? this.nodes.filter((x) => x.name !== n.name).map((x) => x.name) : [o.to];
      const links = o.link === "all" ? Array.from({ length: this.p.links }, (_, i) => i) : [o.link];
      for (const to of targets) {
        for (const link of links) {
          if (this.cut.has(`${n.name}>${to}#${link}`) || this.cut.has(`${n.name}>${to}#*`)) continue;
          if (this.rng.chance(this.lossPct / 100)) continue;
          const copies = this.rng.chance(0.02) ? 2 : 1; // duplication
          for (let c = 0; c < copies; c++) {
            const delay = this.rng.int(1, this.p.maxDelayMs); // jitter within the bound reorders messages
            this.schedule({ kind: "deliver", at: this.now + delay, to, link, msg: o.msg });
          }
        }
      }
    }
  }

  private recordView(n: SimNode, v: View): void {
    const key = `${v.id}/${v.leader}@${v.leaderInc}`;
    const members = v.members.join(",");
    const seen = this.installed.get(key);
    if (seen !== undefined && seen !== members) this.fail(`view ${key} installed with different members: ${seen} on one node, ${members} on ${n.name}`);
    this.installed.set(key, members);
  }

  protected fail(text: string): void { if (!this.violation) this.violation = { text, at: this.now }; }

  /** The safety invariants, checked at the current instant with every node's own clock. */
  checkSafety(): void {
    const quorate = this.nodes.filter((n) => !n.crashed && isQuorate(this.p, n.state, this.clock(n)));
    const keys = new Set(quorate.map((n) => `${n.state.view.id}/${n.state.view.leader}@${n.state.view.leaderInc}`));
    if (keys.size > 1) {
      this.fail(`two quorate partitions at once: ${quorate.map((n) => `${n.name} in view ${n.state.view.id}/${n.state.view.leader} {${n.state.view.members.join(",")}}`).join("; ")}`);
    }
    const dcs = new Set(quorate.map((n) => dcOf(this.p, n.state, this.clock(n))));
    if (dcs.size > 1) this.fail(`more than one DC: ${[...dcs].join(", ")}`);
    this.extraSafety();
  }

  private runNode(n: SimNode, input: Parameters<typeof step>[2]): void {
    if (n.crashed || this.now < n.pausedUntil) return;
    const { outputs } = step(this.p, n.state, input);
    this.steps++;
    this.perform(n, outputs);
    this.afterStep(n, input.type === "tick");
  }

  /** Hooks for layers on top: after every membership step of a node; when a node's daemon starts afresh. */
  protected afterStep(_n: SimNode, _tick: boolean): void { /* membership only */ }
  protected restarted(_n: SimNode): void { /* membership only */ }
  protected crashed(_n: SimNode): void { /* membership only */ }
  /** Everything was just healed (the liveness phase begins). */
  protected healed(): void { /* membership only */ }
  /** More invariants, checked after every event. */
  protected extraSafety(): void { /* membership only */ }
  /** Converged beyond membership (e.g. every resource running). */
  protected extraConverged(): boolean { return true; }
  /** Whether messages can pass from one node to another right now (any link up, both ways not required). */
  protected canReach(from: string, to: string): boolean {
    if (this.cut.has(`${from}>${to}#*`)) return false;
    return Array.from({ length: this.p.links }, (_, l) => l).some((l) => !this.cut.has(`${from}>${to}#${l}`));
  }

  /** Cuts every link between two endpoints (node names or "arbiter"), both ways. */
  cutBetween(a: string, b: string): void {
    this.cut.add(`${a}>${b}#*`);
    this.cut.add(`${b}>${a}#*`);
    this.note(`cut ${a} <-> ${b}`);
  }

  /** A clean shutdown: the node says goodbye (which may be lost like any packet), then is gone until restarted. */
  cleanShutdown(node: SimNode): void {
    this.runNode(node, { type: "leave", nowMs: this.clock(node) });
    node.crashed = true;
    this.crashed(node);
    this.note(`FAULT clean shutdown ${node.name}`);
  }

  protected injectFault(): void {
    const r = this.rng;
    const node = r.pick(this.nodes);
    const other = r.pick(this.nodes.filter((x) => x !== node));
    const roll = r.int(0, 9);
    if (roll === 0 && !node.crashed) {
      node.crashed = true;
      this.crashed(node);
      this.note(`FAULT crash ${node.name}`);
    } else if (roll === 1 && node.crashed) {
      this.restart(node);
      this.note(`FAULT restart ${node.name} (incarnation ${node.inc})`);
    } else if (roll === 2) {
      node.pausedUntil = this.now + r.int(1, 4) * this.p.deadMs;
      this.note(`FAULT pause ${node.name} until ${node.pausedUntil}`);
    } else if (roll === 3) {
      const link = r.int(0, this.p.links - 1);
      this.cut.add(`${node.name}>${other.name}#${link}`);
      this.cut.add(`${other.name}>${node.name}#${link}`);
      this.note(`FAULT link ${link} down between ${node.name} and ${other.name}`);
    } else if (roll === 4) {
      const to = this.o.arbiter && r.chance(0.3) ? "arbiter" : other.name;
      const [from, dest] = r.chance(0.5) ? [node.name, to] : [to, node.name];
      this.cut.add(`${from}>${dest}#*`);
      this.note(`FAULT one-way cut ${from} -> ${dest}`);
    } else if (roll === 5) {
      // a full partition: a random side against the rest, every link (the arbiter on one side or the other)
      const all = [...this.nodes.map((x) => x.name), ...(this.o.arbiter ? ["arbiter"] : [])];
      const side = new Set(all.filter(() => r.chance(0.5)));
      for (const a of all) for (const b of all) if (side.has(a) !== side.has(b)) this.cut.add(`${a}>${b}#*`);
      this.note(`FAULT partition {${[...side].join(",")}} | rest`);
    } else if (roll === 8 && this.o.arbiter && r.chance(0.3)) {
      this.arbiter = this.arbiter ? undefined : initArbiter(this.now);
      this.note(`FAULT arbiter ${this.arbiter ? "restarts" : "crashes"}`);
    } else if (roll === 7 && !node.crashed && r.chance(0.5)) {
      this.cleanShutdown(node);
    } else if (roll === 6) {
      this.lossPct = r.pick([0, 5, 20, 40]);
      this.note(`FAULT loss ${this.lossPct}%`);
    } else {
      this.cut.clear();
      this.note("FAULT heal links");
    }
  }

  /** A node's daemon starts afresh (after a crash, or a daemon-only crash respawned by the supervisor). */
  protected restart(n: SimNode): void {
    n.crashed = false;
    n.inc++;
    n.state = initMember(this.p, n.name, n.inc, this.clock(n));
    this.restarted(n);
  }

  private heal(): void {
    this.cut.clear();
    this.lossPct = 0;
    if (this.o.arbiter && !this.arbiter) this.arbiter = initArbiter(this.now);
    for (const n of this.nodes) {
      n.pausedUntil = 0;
      if (n.crashed) this.restart(n);
    }
    this.healed();
    this.note("HEAL everything");
  }

  private converged(): boolean {
    const first = this.nodes[0]!.state.view;
    return this.nodes.every((n) => sameView(n.state.view, first) && n.state.view.members.length === this.nodes.length && isQuorate(this.p, n.state, this.clock(n))) && this.extraConverged();
  }

  /** Runs events until `until` (simulated ms); stops early at a violation. */
  runUntil(until: number, faults: boolean): void {
    if (faults) this.schedule({ kind: "fault", at: this.now + this.rng.int(300, 2000) });
    while (this.queue.length && this.queue[0]!.at <= until && !this.violation) {
      const ev = this.queue.shift()!;
      this.now = ev.at;
      if (ev.kind === "tick") {
        const n = this.nodes.find((x) => x.name === ev.node)!;
        this.runNode(n, { type: "tick", nowMs: this.clock(n) });
        this.schedule({ kind: "tick", node: n.name, at: this.now + Math.max(1, Math.round(this.p.intervalMs / 4 / n.clockRate)) });
      } else if (ev.kind === "deliver") {
        const n = this.nodes.find((x) => x.name === ev.to)!;
        if (this.cut.has(`${ev.msg.from}>${ev.to}#*`) || this.cut.has(`${ev.msg.from}>${ev.to}#${ev.link}`)) continue; // cut while in flight
        this.runNode(n, { type: "recv", nowMs: this.clock(n), link: ev.link, msg: ev.msg });
      } else if (ev.kind === "to-arbiter") {
        if (!this.arbiter || this.cut.has(`${ev.msg.from}>arbiter#*`)) continue;
        const { reply, log } = arbiterDecide(this.arbiter, this.now, leaseMs(this.p), ev.msg);
        if (log) this.note(`arbiter: ${log}`);
        if (!this.cut.has(`arbiter>${reply.to}#*`) && !this.rng.chance(this.lossPct / 100)) this.schedule({ kind: "from-arbiter", at: this.now + this.rng.int(1, this.p.maxDelayMs), reply });
      } else if (ev.kind === "from-arbiter") {
        const n = this.nodes.find((x) => x.name === ev.reply.to)!;
        if (this.cut.has(`arbiter>${n.name}#*`)) continue;
        this.runNode(n, { type: "arbiter-reply", nowMs: this.clock(n), reply: ev.reply });
      } else if (ev.kind === "call") {
        ev.fn();
      } else if (faults && this.now < until) {
        this.injectFault();
        this.schedule({ kind: "fault", at: this.now + this.rng.int(300, 3000) });
      }
      this.checkSafety();
    }
    this.now = Math.max(this.now, until);
  }

  /** Read through a method so that type narrowing does not assume it is unchanged after a call. */
  private failure(): { text: string; at: number } | undefined { return this.violation; }

  run(): SimResult {
    this.runUntil(this.o.faultMs, true);
    let converged: number | undefined;
    if (!this.failure()) {
      this.queue = this.queue.filter((e) => e.kind !== "fault");
      this.heal();
      const healedAt = this.now;
      for (let t = healedAt; t <= healedAt + this.o.livenessMs && !this.failure(); t += 100) {
        this.runUntil(t, false);
        if (this.converged()) { converged = this.now - healedAt; break; }
      }
      if (converged === undefined && !this.failure()) {
        this.fail(`no convergence within ${this.o.livenessMs} ms of healing: ${this.nodes.map((n) => `${n.name} view ${n.state.view.id}/${n.state.view.leader} {${n.state.view.members.join(",")}} quorate=${isQuorate(this.p, n.state, this.clock(n))}`).join("; ")}`);
      }
    }
    const v = this.failure();
    return { seed: this.o.seed, ok: !v, violation: v?.text, atMs: v?.at, trace: this.trace, steps: this.steps, convergedAfterMs: converged };
  }
}

export function simulateMembership(o: SimOptions): SimResult {
  return new MembershipSim(o).run();
}
