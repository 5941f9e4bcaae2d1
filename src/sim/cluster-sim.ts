// The deterministic simulator: N nodes, each running the very node core the daemon runs (core/node), on simulated
// clocks (offset and rate drift) over simulated links (delay, jitter, loss, duplication, reordering, one-way and full
// partitions, links down), with simulated agents (a resource runs on a node between a successful start and a stop,
// a crash, or its death), simulated fence devices (they power the target off, fail, or hang), crashes, daemon-only
// crashes with a respawn, pauses (SIGSTOP, or an event loop stalled shorter than dead), clean shutdowns, an arbiter,
// and timers that fire late (a busy machine: up to TIMER_LATE_MS). What the core
// asks for is carried out here the way the daemon carries it out, only with simulated IO.
//
// A seeded fault phase is followed by a liveness phase (everything healed). Invariants after every event:
//   - never two quorate partitions at once: every node quorate right now is in the same view (hence one DC),
//     except with two-node quorum, where each half keeps quorum by design and fencing settles the split;
//   - no node holds its quorum lease while a quorate view without it exists (what resources hang on);
//   - views agree: a view (id, leader, incarnation) has one membership wherever it is installed;
//   - no resource runs on two nodes at once, except (without fencing) around a daemon frozen past the end of its
//     lease's keep window, which cannot stop anything while frozen: what it held when it froze is excused for the
//     freeze and, after it, while it stops it (resumeStopMs: a group's members one after the other); the window's
//     total length is reported. A shorter stall is not excused: the node must stop in time by itself;
//   - liveness: once healed (and, as an operator would, failures cleaned up), all nodes agree on one quorate view
//     with everyone, and every resource runs exactly once, group members together.
// Deliberate bugs (`bug`) tamper with the core's state from outside, so the tests can show each is caught.

import type { ClusterConfig } from "../config/model.js";
import { dependenciesOf } from "../core/controller/plan.js";
import { loadConfigText } from "../config/load.js";
import { primitivesOf } from "../config/model.js";
import { docOfMessage, hashOf, parseDoc } from "../config/doc.js";
import { arbiterDecide, initArbiter, type ArbiterState } from "../core/membership/arbiter.js";
import { holdsLease, isQuorate, leaseEndMs, leaseMs } from "../core/membership/member.js";
import type { ArbiterReply, ArbiterRequest, MembershipParams, Message, View } from "../core/membership/types.js";
import { initNode, keepUntilMs, membershipParams, stepNode, type NodeState } from "../core/node/node.js";
import type { DurableFailures, NodeEffect, NodeInputBody, NodeRequest, StoredState } from "../core/node/types.js";
import type { ConfigDoc } from "../core/node/config-sync.js";
import type { AdminState, ControlMessage, LeaseRecord } from "../core/controller/types.js";
import type { OpResult } from "../core/operation.js";
import { Random } from "../core/random.js";
import { initKeeper, KEEPER_PARAMS, keeperStep, type KeeperInput, type KeeperState } from "../core/node/keeper.js";

export type SimBug =
  /** A node counts a vote it did not hear (quorum reached one vote short). */
  | "phantom-vote"
  /** A view that dropped members acts at once, without waiting out their quorum lease. */
  | "no-lease-handover"
  /** A node believes the arbiter's vote three times longer than the arbiter lends it. */
  | "arbiter-overtrust"
  /** A node keeps its resources after losing quorum. */
  | "no-stop-on-lost-quorum"
  /** A node stops its resources only when its lease has ended, not a stop budget before (no stop margin). */
  | "no-stop-budget"
  /** A fence device that claims success without powering the node off. */
  | "fence-claims-success"
  /** After a stall, the shell hands the core what waited with the clock it read before the stall (acting on late
   * timers and messages without looking at the clock again). */
  | "stale-clock-after-stall";

/** Every injected bug, with what it breaks (for `npm run sim -- --help`). */
export const SIM_BUGS: Record<SimBug, string> = {
  "phantom-vote": "a node counts a vote it did not hear",
  "no-lease-handover": "a view that dropped members acts without waiting out their lease",
  "arbiter-overtrust": "a node believes the arbiter's vote three times longer than lent",
  "no-stop-on-lost-quorum": "a node keeps its resources after losing quorum",
  "no-stop-budget": "a node stops its resources only when its lease has ended",
  "fence-claims-success": "a fence device claims success without powering the node off",
  "stale-clock-after-stall": "after a stall, the core is handed what waited with the clock read before it",
};

export interface Timing {
  intervalMs: number;
  warnMs: number;
  deadMs: number;
  initialDeadMs: number;
  maxDelayMs: number;
  stopMarginMs: number;
}

export const SIM_TIMING: Timing = {
  intervalMs: 100,
  warnMs: 400,
  deadMs: 1000,
  initialDeadMs: 2000,
  maxDelayMs: 100,
  stopMarginMs: 300,
};
/** Timers fire up to this late (a busy event loop); the stop budget covers it with the stops. */
const TIMER_LATE_MS = 50;
/** The simulated agents stop within the stop budget (a group of three: 3 × 80 ms < 300 ms): what the budget is
 * for. (A stop slower than its budget is the bound docs/control.md names; fencing is what covers it.) */
const STOP_MAX_MS = 80;
/** A node resumed after a freeze stops what it held within this: its first look at the clock, then the longest
 * chain of stops one after the other (a group of three; and the promoted copy under it: four). */
const resumeStopMs = (chain: number) => TIMER_LATE_MS + chain * STOP_MAX_MS + 10;

export interface SimOptions {
  seed: number;
  nodes: number;
  links: number;
  timing?: Partial<Timing>;
  /** Simulated duration of the fault phase (0: no random faults; a scripted run). */
  faultMs: number;
  /** Bound on convergence after healing. */
  livenessMs: number;
  /** Keep a readable trace of every event. */
  trace?: boolean;
  /** An arbiter with one vote (reachable over its own simulated links, partitioned and restarted like a node). */
  arbiter?: boolean;
  /** Resources to run (default: a group of two and one more, all Dummy agents); `false`: membership only. */
  resources?: string | false;
  /** Fencing configured: a device powers the target off (after a delay; it sometimes fails or hangs). Then even a
   * frozen node is no excuse: nothing may ever run twice. */
  fencing?: boolean;
  /** Also a promotable clone (`data`, its promotion score set by the simulated agent as Stateful sets it) that the
   * group must run beside, after its promotion: then at most one copy may ever be promoted, and the copy under the
   * group is never demoted or stopped while the group runs on that node. */
  promotable?: boolean;
  /** Extra cluster.yaml text (e.g. `defaults:`), appended as is. */
  extraYaml?: string;
  bug?: SimBug;
  /** A network without loss, duplication or jitter and clocks without drift (for transcripts). */
  ideal?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violation?: string;
  atMs?: number;
  trace: string[];
  steps: number;
  /** Simulated time from the heal to full convergence. */
  convergedAfterMs?: number;
  /** Time something ran on two nodes around a frozen node (excused without fencing: the window fencing closes). */
  frozenWindowMs: number;
}

/** The promotable clone's configuration (with the default resources). */
const PROMOTABLE_RESOURCES = `  data: { agent: ocf:pacemaker:Stateful, promotable: { notify: true }, monitor: 1s }
colocate: ["web with promoted data"]
order: ["promote data then start web"]
`;

const DEFAULT_RESOURCES = `resources:
  web:
    prefer: n1
    members:
      lock: { agent: ocf:heartbeat:Dummy, monitor: 1s }
      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }
      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }
  db: { agent: ocf:heartbeat:Dummy, monitor: 1s }
defaults: { stickiness: 100, migration-threshold: 3, pre-recovery-script: /sim/pre.sh }
monitors:
  dbcheck: { type: custom, script: /sim/dbcheck.sh, interval: 700ms, failures: 2, recover: db, recovery-script-attempts: 1, when: target-started }
`;

export function simConfigText(
  o: Pick<
    SimOptions,
    "nodes" | "links" | "timing" | "arbiter" | "resources" | "fencing" | "extraYaml" | "bug" | "promotable"
  >,
): string {
  // The stop budget covers the longest chain of stops: with the promoted copy under the group, four.
  const budget = o.promotable ? { stopMarginMs: TIMER_LATE_MS + 4 * STOP_MAX_MS + 30 } : {};
  const t = { ...SIM_TIMING, ...budget, ...o.timing, ...(o.bug === "no-stop-budget" ? { stopMarginMs: 0 } : {}) };
  const names = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
  const links = (i: number) => Array.from({ length: o.links }, (_, l) => `10.0.${l}.${i + 1}`).join(", ");
  return `cluster: sim
heartbeat: { interval: ${t.intervalMs}ms, warn: ${t.warnMs}ms, dead: ${t.deadMs}ms, initial-dead: ${t.initialDeadMs}ms, max-delay: ${t.maxDelayMs}ms, stop-margin: ${t.stopMarginMs}ms }
nodes:
${names.map((n, i) => `  ${n}: { links: [${links(i)}] }`).join("\n")}
${o.arbiter ? "quorum: { arbiter: 10.0.9.9 }\n" : ""}${o.resources === false ? "" : (o.resources ?? DEFAULT_RESOURCES).replace(/\ndefaults:/, o.promotable ? `\n${PROMOTABLE_RESOURCES}defaults:` : "\ndefaults:")}${o.fencing || o.bug === "fence-claims-success" ? `fencing:\n  devices:\n    power: { agent: fence_sim, targets: [${names.join(", ")}], timeout: 2s }\n` : ""}${o.extraYaml ?? ""}`;
}

export interface SimNode {
  name: string;
  /** The daemon's core; undefined while the daemon is not running (powered off, crashed, or left). */
  core?: NodeState;
  inc: number;
  /** The machine is on (its resources can run); false after a power-off until it boots again. */
  powered: boolean;
  pausedUntil: number;
  resumedAt: number;
  /** What ran on it when it froze (only that is excused while it stops it after resuming). */
  heldAtPause: Set<string>;
  /** Until when (simulated time) it could keep its resources when it froze: a freeze that outlasts it is the
   * frozen-node window fencing closes; a shorter one is no excuse. */
  keepAtPause: number;
  /** Its clock when it froze (the stale reading of the `stale-clock-after-stall` bug). */
  clockAtPause: number;
  clockOffset: number;
  clockRate: number;
  /** What survives the daemon on this machine's disk. */
  disk: { admin?: AdminState; config?: ConfigDoc; lease?: LeaseRecord; failures?: Record<string, DurableFailures> };
  /** Only the latest wake-at counts. */
  wakeSeq: number;
  /** The supervisor's lease keeper on this machine (gone with the power). */
  keeper?: KeeperState;
  /** Counts power cycles: work the keeper scheduled before one is void. */
  powerSeq: number;
  /** Only the keeper's latest look at the lease record counts. */
  keeperWakeSeq: number;
  lastView?: string;
  /** Simulated time the current view was installed here. */
  viewSinceMs: number;
  /** Simulated time since when this node holds its quorum lease without a gap (undefined: not held). */
  leaseSinceMs?: number;
  /** Its lease's end (own clock) as of the last check: no event in between could extend it. */
  leaseEndSeenMs: number;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

type Event =
  | { at: number; seq: number; kind: "wake"; node: string; wakeSeq: number }
  | {
      at: number;
      seq: number;
      kind: "input";
      node: string;
      inc: number;
      body: NodeInputBody;
      from?: string;
      link?: number;
      /** Held back while the node was paused (delivered when it resumes). */
      deferred?: boolean;
    }
  | { at: number; seq: number; kind: "fault" }
  | { at: number; seq: number; kind: "to-arbiter"; msg: ArbiterRequest }
  | { at: number; seq: number; kind: "from-arbiter"; reply: ArbiterReply }
  | { at: number; seq: number; kind: "call"; fn: () => void };

const ok = (reason: string): OpResult => ({ rc: 0, status: "done", reason, durationMs: 1 });

export class ClusterSim {
  readonly rng: Random;
  readonly config: ClusterConfig;
  readonly configYaml: string;
  readonly mp: MembershipParams;
  readonly nodes: SimNode[] = [];
  private queue: Event[] = [];
  private seq = 0;
  now = 0;
  steps = 0;
  readonly trace: string[] = [];
  /** Everything the nodes logged, "node: text" (scripted runs read it; the trace has the times). */
  readonly log: string[] = [];
  /** When each log line was said (simulated ms). */
  readonly logTimes: number[] = [];
  /** Directed link cuts: "from>to#link" or "from>to#*". */
  private readonly cut = new Set<string>();
  private lossPct = 0;
  private readonly installed = new Map<string, string>();
  violation?: { text: string; at: number };
  private arbiter?: ArbiterState;
  /** Where each resource really runs. */
  readonly running = new Map<string, Set<string>>();
  /** Scripted agent failures: "node/rsc/action" → the next such operation fails. */
  readonly failNext = new Set<string>();
  private readonly prims: string[];
  /** Cloned primitives: their copies run on many nodes; their promoted copies are tracked as "<id>#promoted". */
  private readonly cloned = new Set<string>();
  /** How long a resumed node may take to stop what it held (the longest chain of dependent stops). */
  private readonly resumeStopMs: number;
  /** Scripted fence device outcomes, used in order before any random one (scripted runs). */
  readonly deviceScript: Array<"ok" | "fail" | "hang"> = [];
  /** Every fence device run: "n2 runs power on n1". */
  readonly deviceRuns: string[] = [];
  /** Every script run: where, why, and the environment it got. */
  readonly hooks: Array<{ node: string; purpose: string; rsc: string; env: Record<string, string> }> = [];
  /** Built-in monitor verdicts to give, in order ("node/monitor" or "monitor" → true/false); then healthy. */
  readonly checkScript = new Map<string, boolean[]>();
  /** Answers to requests (scripted runs): id → answer. */
  readonly replies = new Map<number, { ok: boolean; message: string }>();
  private nextRequest = 1;
  /** Last time each stream pair delivered, so the stream stays in order (TCP). */
  private readonly streamAt = new Map<string, number>();
  private readonly seenGrant = new Map<string, number>();
  /** Total time something ran twice around a frozen node (no fencing), and since when it does now. */
  frozenWindowMs = 0;
  private windowSince?: number;
  /** The liveness phase has begun. */
  private healed = false;
  /** Scripted runs: called as a node sends a stream message, before it is on its way (e.g. to freeze its receiver). */
  onStream?: (from: string, to: string, msg: ControlMessage) => void;

  constructor(readonly o: SimOptions) {
    this.rng = new Random(o.seed);
    this.configYaml = simConfigText(o);
    const r = loadConfigText(this.configYaml, "sim.yaml");
    if (!r.config) throw new Error(`simulator config: ${JSON.stringify(r.problems)}`);
    this.config = r.config;
    this.mp = membershipParams(r.config);
    this.prims = primitivesOf(this.config).map((p) => p.id);
    for (const id of this.prims) this.running.set(id, new Set());
    for (const p of primitivesOf(this.config).filter((x) => x.clone)) {
      this.cloned.add(p.id);
      this.running.set(`${p.id}#promoted`, new Set());
    }
    const deps = dependenciesOf(this.config);
    const chain = (id: string, seen: string[] = []): number =>
      seen.includes(id)
        ? 0
        : 1 +
          Math.max(
            0,
            ...[...deps].filter(([, ds]) => ds.some((d) => d.rsc === id)).map(([then]) => chain(then, [...seen, id])),
          );
    this.resumeStopMs = resumeStopMs(Math.max(3, ...this.prims.map((id) => chain(id))));
    if (o.arbiter) this.arbiter = initArbiter(-leaseMs(this.mp)); // up and past its start-up wait
    for (const n of this.config.nodes) {
      const drift = o.ideal ? 0 : (this.rng.next() * 2 - 1) * this.mp.clockDrift;
      const node: SimNode = {
        name: n.name,
        inc: 0,
        powered: true,
        pausedUntil: 0,
        resumedAt: -Infinity,
        heldAtPause: new Set(),
        keepAtPause: -Infinity,
        clockAtPause: 0,
        clockOffset: o.ideal ? 0 : this.rng.int(0, 100_000),
        clockRate: 1 + drift,
        disk: {},
        wakeSeq: 0,
        powerSeq: 0,
        keeperWakeSeq: 0,
        viewSinceMs: 0,
        leaseEndSeenMs: -Infinity,
      };
      this.nodes.push(node);
    }
    for (const n of this.nodes)
      this.schedule({
        kind: "call",
        at: o.ideal ? 0 : this.rng.int(0, this.mp.intervalMs),
        fn: () => {
          if (n.powered) this.startDaemon(n);
        },
      });
  }

  node(name: string): SimNode {
    return this.nodes.find((x) => x.name === name)!;
  }
  clock(n: SimNode): number {
    return Math.floor(n.clockOffset + this.now * n.clockRate);
  }
  private simTimeOf(n: SimNode, nodeMs: number): number {
    return Math.ceil((nodeMs - n.clockOffset) / n.clockRate);
  }
  private wall(): number {
    return 1_700_000_000 + this.now / 1000;
  }

  protected schedule(e: DistributiveOmit<Event, "seq">): void {
    const ev = { ...e, seq: this.seq++ } as Event;
    let lo = 0,
      hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid]!;
      if (q.at < ev.at || (q.at === ev.at && q.seq < ev.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
  }

  /** A line a node (or its supervisor) logged. */
  private say(n: SimNode, text: string): void {
    this.note(`${n.name}: ${text}`);
    this.log.push(`${n.name}: ${text}`);
    this.logTimes.push(this.now);
  }

  note(text: string): void {
    if (this.o.trace) this.trace.push(`${String(this.now).padStart(7)} ${text}`);
  }
  protected fail(text: string): void {
    if (!this.violation) this.violation = { text, at: this.now };
  }

  // ---- daemons
  // -------------------------------------------------------------------------------------------------------

  /** A daemon starts on a powered machine: a new incarnation reading what its predecessors left on disk. */
  startDaemon(n: SimNode): void {
    n.inc++;
    if (!n.powered || !n.keeper) n.keeper = initKeeper(this.clock(n));
    n.powered = true;
    n.core = initNode({
      me: n.name,
      inc: n.inc,
      config: this.config,
      doc: { epoch: 0, yaml: this.configYaml, hash: hashOf(this.configYaml) },
      seed: this.rng.int(0, 2 ** 31),
      nowMs: this.clock(n),
    });
    const stored: StoredState = { admin: n.disk.admin, lease: n.disk.lease, failures: n.disk.failures };
    if (n.disk.config) stored.config = { doc: n.disk.config, parsed: parseDoc(n.disk.config) };
    this.feed(n, { type: "boot", stored });
  }

  /** The daemon dies; with `powerOff` the machine too, and everything it ran stops existing. */
  stopDaemon(n: SimNode, powerOff: boolean): void {
    n.core = undefined;
    n.wakeSeq++;
    if (!powerOff) return;
    n.powered = false;
    n.keeper = undefined;
    n.powerSeq++;
    for (const set of this.running.values()) set.delete(n.name);
  }

  /** One input to a node's core, now (or when it resumes); its effects carried out. */
  feed(n: SimNode, body: NodeInputBody, deferred = false): void {
    if (!n.core) return;
    if (this.now < n.pausedUntil) {
      this.schedule({ kind: "input", at: n.pausedUntil, node: n.name, inc: n.inc, body, deferred: true });
      return;
    }
    const core = n.core;
    if (this.o.bug === "no-stop-on-lost-quorum") core.rm.noLeaseSinceMs = undefined;
    const nowMs = deferred && this.o.bug === "stale-clock-after-stall" ? n.clockAtPause : this.clock(n);
    const effects = stepNode(core, { ...body, nowMs, wallSec: this.wall() } as Parameters<typeof stepNode>[1]);
    this.steps++;
    this.tamper(core);
    this.recordView(n, core.member.view);
    for (const e of effects) this.perform(n, e);
  }

  /** Deliberate bugs, applied to a core's state after each of its steps. */
  private tamper(core: NodeState): void {
    const m = core.member;
    if (this.o.bug === "no-lease-handover") m.settleUntilMs = -Infinity;
    if (this.o.bug === "phantom-vote") {
      const silent = m.view.members.find(
        (x) => x !== m.me && core.nowMs - (m.peers[x]?.supportMs ?? -Infinity) > leaseMs(core.mp),
      );
      if (silent) m.peers[silent]!.supportMs = core.nowMs;
    }
    if (this.o.bug === "arbiter-overtrust" && m.arbiterGrant) {
      const g = m.arbiterGrant;
      if (this.seenGrant.get(m.me) !== g.untilMs) {
        g.untilMs += 2 * leaseMs(core.mp);
        this.seenGrant.set(m.me, g.untilMs);
      }
    }
    if (this.o.bug === "no-stop-on-lost-quorum" && core.rm.selfStop === "no quorum") core.rm.selfStop = undefined;
  }

  private recordView(n: SimNode, v: View): void {
    const key = `${v.id}/${v.leader}@${v.leaderInc}`;
    if (n.lastView === key) return;
    n.lastView = key;
    n.viewSinceMs = this.now;
    const members = v.members.join(",");
    const seen = this.installed.get(key);
    if (seen !== undefined && seen !== members)
      this.fail(`view ${key} installed with different members: ${seen} on one node, ${members} on ${n.name}`);
    this.installed.set(key, members);
  }

  private perform(n: SimNode, e: NodeEffect): void {
    const inc = n.inc;
    switch (e.type) {
      case "datagram":
        return this.datagram(n, e.to, e.link, e.msg);
      case "to-arbiter":
        if (!this.cut.has(`${n.name}>arbiter#*`) && !this.lost())
          this.schedule({ kind: "to-arbiter", at: this.now + this.delay(), msg: e.msg });
        return;
      case "send":
        return this.stream(n, e.to, e.msg);
      case "exec": {
        // some operations are slow; stops and demotes fit the stop budget (resumeStopMs counts a demote as a stop)
        const ms = this.o.ideal
          ? 10
          : e.action === "stop" || e.action === "demote"
            ? this.rng.int(5, STOP_MAX_MS)
            : this.rng.chance(0.1)
              ? this.rng.int(150, 400)
              : this.rng.int(5, 150);
        this.schedule({ kind: "call", at: this.now + ms, fn: () => this.opDone(n, inc, e.id, e.rsc, e.action, ms) });
        return;
      }
      case "define-agent":
      case "fence-cancel":
        return;
      case "hook":
        this.hooks.push({ node: n.name, purpose: e.purpose, rsc: e.rsc, env: e.env });
        this.input(n, inc, this.now + (this.o.ideal ? 5 : this.rng.int(5, 100)), {
          type: "hook-done",
          id: e.id,
          ok: true,
          reason: "exit code 0",
        });
        return;
      case "check": {
        const verdict =
          this.checkScript.get(`${n.name}/${e.monitor}`)?.shift() ?? this.checkScript.get(e.monitor)?.shift() ?? true;
        this.input(n, inc, this.now + (this.o.ideal ? 5 : this.rng.int(5, 100)), {
          type: "check-done",
          id: e.id,
          ok: verdict,
          reason: verdict ? "healthy" : "check failed (scripted)",
        });
        return;
      }
      case "reboot":
        this.say(n, "REBOOT (final action)");
        this.stopDaemon(n, true);
        this.schedule({
          kind: "call",
          at: this.now + 3000,
          fn: () => {
            if (!n.powered) this.startDaemon(n);
          },
        });
        return;
      case "fence-device":
        return this.fenceDevice(n, inc, e);
      case "ping":
        this.input(n, inc, this.now + 1, { type: "ping-done", answered: e.targets.length });
        return;
      case "persist":
        if (e.file === "admin") n.disk.admin = e.value;
        else if (e.file === "config") n.disk.config = e.value;
        else if (e.file === "failures") n.disk.failures = e.value;
        else n.disk.lease = e.value;
        return;
      case "reply":
        this.replies.set(e.id, { ok: e.ok, message: e.message });
        this.note(`${n.name}: reply ${e.id}: ${e.message}`);
        return;
      case "wake-at": {
        const seq = ++n.wakeSeq;
        const lateMs = this.o.ideal ? 0 : this.rng.chance(0.1) ? this.rng.int(5, TIMER_LATE_MS) : this.rng.int(0, 5);
        this.schedule({
          kind: "wake",
          at: Math.max(this.now + 1, this.simTimeOf(n, e.atMs)) + lateMs,
          node: n.name,
          wakeSeq: seq,
        });
        return;
      }
      case "log":
        this.say(n, e.text);
        return;
      case "left": {
        // The daemon exits after its goodbye; an operator starts it again a little later (sooner once healed).
        this.stopDaemon(n, false);
        const back = this.now + (this.healed ? 200 : this.o.ideal ? 5000 : this.rng.int(1000, 5000));
        if (!this.o.ideal || this.healed)
          this.schedule({
            kind: "call",
            at: back,
            fn: () => {
              if (n.powered && !n.core && n.inc === inc) this.startDaemon(n);
            },
          });
        return;
      }
    }
  }

  /** An input for a node later (an agent's or device's answer): lost if the daemon that asked is gone. */
  private input(n: SimNode, inc: number, at: number, body: NodeInputBody): void {
    this.schedule({ kind: "input", at, node: n.name, inc, body });
  }

  private lost(): boolean {
    return !this.o.ideal && this.rng.chance(this.lossPct / 100);
  }
  private delay(): number {
    return this.o.ideal ? 1 : this.rng.int(1, this.mp.maxDelayMs);
  }

  private datagram(n: SimNode, to: string | "*", link: number | "all", msg: Message): void {
    const targets = to === "*" ? this.nodes.filter((x) => x !== n).map((x) => x.name) : [to];
    const links = link === "all" ? Array.from({ length: this.o.links }, (_, i) => i) : [link];
    for (const t of targets) {
      for (const l of links) {
        if (this.isCut(n.name, t, l) || this.lost()) continue;
        const copies = !this.o.ideal && this.rng.chance(0.02) ? 2 : 1; // duplication
        for (let c = 0; c < copies; c++)
          this.schedule({
            kind: "input",
            at: this.now + this.delay(),
            node: t,
            inc: -1,
            body: { type: "datagram", link: l, msg },
            from: n.name,
            link: l,
          });
      }
    }
  }

  /** The node stream: TCP, so no loss or reordering while connected; nothing passes a cut, and a restarted
   * receiver's new life never gets what was sent to the old one. */
  private stream(n: SimNode, to: string, msg: ControlMessage): void {
    const target = this.node(to);
    if (!this.canReach(n.name, to) || !target.core) return;
    this.onStream?.(n.name, to, msg);
    const pair = `${n.name}>${to}`;
    const at = Math.max(this.now + this.delay(), this.streamAt.get(pair) ?? 0);
    this.streamAt.set(pair, at);
    this.schedule({
      kind: "input",
      at,
      node: to,
      inc: target.inc,
      body: { type: "stream", from: n.name, msg, parsed: docOfMessage(msg) },
      from: n.name,
    });
  }

  private isCut(from: string, to: string, link: number): boolean {
    return this.cut.has(`${from}>${to}#*`) || this.cut.has(`${from}>${to}#${link}`);
  }
  canReach(from: string, to: string): boolean {
    return Array.from({ length: this.o.links }, (_, l) => l).some((l) => !this.isCut(from, to, l));
  }

  // ---- simulated agents and devices
  // -----------------------------------------------------------------------------------

  /** Members of a group that run on this node. */
  private groupAbove(node: string): string[] {
    return this.config.resources
      .flatMap((r) => (r.kind === "group" ? r.members : []))
      .filter((m) => this.running.get(m.id)?.has(node))
      .map((m) => m.id);
  }

  private opDone(n: SimNode, inc: number, id: string, rsc: string, action: string, ms: number): void {
    if (!this.running.has(rsc)) this.running.set(rsc, new Set()); // a resource added by a pushed configuration
    const set = this.running.get(rsc)!;
    if (this.failNext.delete(`${n.name}/${rsc}/${action}`)) {
      this.note(`${n.name}: ${rsc} ${action} FAILS (scripted)`);
      this.input(n, inc, this.now, {
        type: "op-done",
        id,
        result: { rc: 1, status: "done", reason: "scripted failure", durationMs: ms },
      });
      return;
    }
    const cloned = this.cloned.has(rsc);
    const promoted = this.running.get(`${rsc}#promoted`);
    if (cloned && n.powered && (action === "demote" || action === "stop")) {
      // The group runs beside the promoted copy: that copy must not go while the group may still run here.
      const above = this.groupAbove(n.name);
      if (above.length && (action === "demote" || promoted?.has(n.name)))
        this.fail(
          `${rsc} ${action === "demote" ? "demoted" : "stopped"} on ${n.name} while ${above.join(", ")} still ran there`,
        );
    }
    if (cloned && n.powered) {
      // What Stateful does: its promotion score through crm_attribute (the daemon's attribute request).
      const score = action === "promote" ? "10" : action === "start" || action === "demote" ? "5" : undefined;
      if (action === "promote") {
        promoted?.add(n.name);
        // (As a start: a promote under way when the daemon froze completes without it, in the frozen-node window.)
        if (this.now < n.pausedUntil) n.heldAtPause.add(`${rsc}#promoted`);
      }
      if (action === "demote" || action === "stop") promoted?.delete(n.name);
      if (score || action === "stop") this.request(n.name, { kind: "attr", name: `master-${rsc}`, value: score });
    }
    if (n.powered && action === "start") {
      set.add(n.name);
      // A start already under way when the daemon froze completes without it: part of the frozen-node window.
      if (this.now < n.pausedUntil) n.heldAtPause.add(rsc);
    }
    if (n.powered && action === "stop") {
      // Never under a dependent: a group member stops only once the members after it have stopped there.
      const g = this.config.resources.find((r) => r.kind === "group" && r.members.some((m) => m.id === rsc));
      const later = g?.kind === "group" ? g.members.slice(g.members.findIndex((m) => m.id === rsc) + 1) : [];
      const above = later.filter((m) => this.running.get(m.id)?.has(n.name)).map((m) => m.id);
      if (above.length) this.fail(`${rsc} was stopped on ${n.name} while ${above.join(", ")} still ran there`);
      set.delete(n.name);
    }
    if (action === "start" || action === "stop")
      this.note(`${n.name}: ${rsc} ${action === "start" ? "started" : "stopped"}`);
    const checking = action === "probe" || action === "monitor";
    const result: OpResult =
      checking && !set.has(n.name)
        ? { rc: 7, status: "done", reason: "not running", durationMs: ms }
        : checking && promoted?.has(n.name)
          ? { rc: 8, status: "done", reason: "running (promoted)", durationMs: ms }
          : { ...ok(checking ? "running" : "done"), durationMs: ms };
    this.input(n, inc, this.now, { type: "op-done", id, result });
  }

  /** A simulated power switch: after its delay it powers the target off (or fails, or never answers). */
  private fenceDevice(by: SimNode, inc: number, e: Extract<NodeEffect, { type: "fence-device" }>): void {
    const t = this.node(e.target);
    this.deviceRuns.push(`${by.name} runs ${e.device} on ${e.target}${e.delayMs ? ` after ${e.delayMs} ms` : ""}`);
    const scripted = this.deviceScript.shift();
    const roll = scripted ? { ok: 0, fail: 7, hang: 9 }[scripted] : this.o.ideal ? 0 : this.rng.int(0, 9);
    const hangs = roll === 9;
    const works = roll < 7 || this.o.bug === "fence-claims-success";
    this.note(`${by.name}: device ${e.device} on ${e.target}: ${works ? "will succeed" : hangs ? "hangs" : "fails"}`);
    if (hangs) return; // the escalation times it out
    const ms = e.delayMs + (this.o.ideal ? 100 : this.rng.int(20, 600));
    this.schedule({
      kind: "call",
      at: this.now + ms,
      fn: () => {
        // A fencer powered off during its delay never sends the command (a crashed daemon's agent still runs).
        if (!by.powered && e.delayMs > 0) return;
        if (works && this.o.bug !== "fence-claims-success" && t.powered) {
          this.stopDaemon(t, true);
          this.note(`FENCED ${t.name}: powered off; it reboots`);
          const rebootMs = this.o.ideal ? 3000 : this.rng.int(1000, 4000);
          this.schedule({
            kind: "call",
            at: this.now + rebootMs,
            fn: () => {
              if (!t.powered) {
                this.startDaemon(t);
                this.note(`${t.name} is back after the reboot`);
              }
            },
          });
        }
        this.input(by, inc, this.now, {
          type: "fence-done",
          runId: e.runId,
          device: e.device,
          ok: works,
          reason: works ? "powered off" : "device failed",
        });
      },
    });
  }

  // ---- scripted actions (transcripts and the fault phase use the same) ----------------------------------------------

  /** A person's request on a node; its answer lands in `replies` under the returned id. */
  request(node: string, request: NodeRequest): number {
    const id = this.nextRequest++;
    const n = this.node(node);
    this.feed(n, { type: "request", id, request });
    return id;
  }

  /** The resource dies on a node (its monitor will notice). */
  kill(rsc: string, node: string): void {
    this.running.get(rsc)?.delete(node);
    this.running.get(`${rsc}#promoted`)?.delete(node);
    this.note(`FAULT ${rsc} dies on ${node}`);
  }

  /** A supervised command dies on a node: its daemon hears of the exit at once. */
  processExit(rsc: string, node: string): void {
    this.running.get(rsc)?.delete(node);
    this.running.get(`${rsc}#promoted`)?.delete(node);
    this.note(`FAULT ${rsc}'s process exits on ${node}`);
    this.feed(this.node(node), { type: "child-exit", rsc, reason: "pid 4242 killed by SIGKILL" });
  }

  powerOff(name: string): void {
    this.stopDaemon(this.node(name), true);
    this.note(`FAULT power-off ${name}`);
  }
  powerOn(name: string): void {
    const n = this.node(name);
    if (!n.core) this.startDaemon(n);
    this.note(`power-on ${name}`);
  }

  /** The daemon alone dies (kill -9); resources keep running; the supervisor's lease keeper respawns it (the new
   * one starts after `respawnMs`) and stops the resources itself if no daemon holds the lease again in time. */
  daemonCrash(name: string, respawnMs: number): void {
    const n = this.node(name);
    if (!n.core) return;
    this.stopDaemon(n, false);
    this.note(`FAULT daemon crash ${name} (respawned in ${respawnMs} ms)`);
    this.keeper(
      n,
      {
        type: "exited",
        nowMs: this.clock(n),
        how: "was killed by SIGKILL",
        code: null,
        lease: n.disk.lease,
      },
      respawnMs,
    );
  }

  private keeper(n: SimNode, input: KeeperInput, respawnMs = 0): void {
    if (!n.keeper) return;
    for (const e of keeperStep(KEEPER_PARAMS, n.keeper, input)) {
      if (e.type === "log") this.say(n, `supervisor: ${e.text}`);
      else if (e.type === "spawn") {
        const seq = n.powerSeq;
        this.schedule({
          kind: "call",
          at: this.now + respawnMs,
          fn: () => {
            if (n.powered && !n.core && n.powerSeq === seq) {
              this.startDaemon(n);
              this.note(`respawn ${n.name}`);
              this.keeper(n, { type: "started", nowMs: this.clock(n) });
            }
          },
        });
      } else if (e.type === "stop-all") {
        const seq = n.powerSeq;
        this.schedule({
          kind: "call",
          at: this.now + (this.o.ideal ? 20 : this.rng.int(5, 3 * STOP_MAX_MS)),
          fn: () => {
            if (n.powerSeq !== seq) return;
            for (const set of this.running.values()) set.delete(n.name);
            this.say(n, "supervisor: every resource stopped");
            this.keeper(n, { type: "stopped", nowMs: this.clock(n) });
          },
        });
      } else if (e.type === "wake-at") {
        // Like the supervisor: one pending look at the lease record, at most 100 ms away.
        const seq = ++n.keeperWakeSeq;
        const power = n.powerSeq;
        this.schedule({
          kind: "call",
          at: Math.max(this.now + 1, Math.min(this.simTimeOf(n, e.atMs), this.now + 100)),
          fn: () => {
            if (n.keeperWakeSeq === seq && n.powerSeq === power)
              this.keeper(n, { type: "lease", nowMs: this.clock(n), lease: n.disk.lease });
          },
        });
      }
      // exit: the supervisor gave up; the machine runs no daemon until it is healed.
    }
  }

  pause(name: string, ms: number): void {
    const n = this.node(name);
    if (this.now >= n.pausedUntil) {
      n.heldAtPause = new Set([...this.running].filter(([, on]) => on.has(name)).map(([rsc]) => rsc));
      n.keepAtPause = n.core ? this.simTimeOf(n, keepUntilMs(n.core)) : -Infinity;
      n.clockAtPause = this.clock(n);
    }
    n.pausedUntil = Math.max(n.pausedUntil, this.now + ms);
    n.resumedAt = Math.max(n.resumedAt, n.pausedUntil);
    this.note(`FAULT pause ${name} until ${n.pausedUntil}`);
  }

  /** A clean stop (SIGTERM): the core moves or stops its resources, then says goodbye. */
  shutdown(name: string): void {
    this.feed(this.node(name), { type: "shutdown" });
    this.note(`shutdown ${name}`);
  }

  /** Cuts every link between two endpoints (node names or "arbiter"), both ways. */
  cutBetween(a: string, b: string): void {
    this.cut.add(`${a}>${b}#*`);
    this.cut.add(`${b}>${a}#*`);
    this.note(`cut ${a} <-> ${b}`);
  }

  /** Cuts a node off from every other node (and the arbiter). */
  isolate(name: string): void {
    for (const x of this.nodes) if (x.name !== name) this.cutBetween(name, x.name);
    if (this.o.arbiter) this.cutBetween(name, "arbiter");
  }

  healLinks(): void {
    this.cut.clear();
    this.note("links healed");
  }

  where(rsc: string): string[] {
    return [...(this.running.get(rsc) ?? [])].sort();
  }

  // ---- faults
  // ---------------------------------------------------------------------------------------------------------

  protected injectFault(): void {
    const r = this.rng;
    const n = r.pick(this.nodes);
    const other = r.pick(this.nodes.filter((x) => x !== n));
    const resources = this.prims.length > 0;
    const roll = r.int(0, resources ? 19 : 9);
    // A node process starts in about 0.3 s; on a busy machine it can take longer than dead.
    if (roll === 10 && n.core)
      this.daemonCrash(n.name, r.chance(0.7) ? r.int(50, 600) : r.int(600, 4 * this.mp.deadMs));
    else if (roll === 11 || roll === 12) {
      // The next start or stop of a resource fails: a failed stop blocks it (with fencing, gets its node fenced).
      const key = `${n.name}/${r.pick(this.prims)}/${roll === 11 ? "start" : "stop"}`;
      this.failNext.add(key);
      this.note(`FAULT next ${key} fails`);
    } else if (roll === 14 && this.config.monitors.length) {
      const m = r.pick(this.config.monitors);
      this.checkScript.set(`${n.name}/${m.name}`, Array(r.int(1, 3)).fill(false));
      this.note(`FAULT ${m.name} fails on ${n.name}`);
    } else if (roll === 13) {
      const rsc = r.pick(this.prims);
      const where = [...this.running.get(rsc)!];
      if (where.length) {
        const at = r.pick(where);
        if (r.chance(0.5)) this.kill(rsc, at);
        else this.processExit(rsc, at);
      }
    } else if (roll === 0 && n.powered) this.powerOff(n.name);
    else if (roll === 1 && !n.core) this.powerOn(n.name);
    // SIGSTOP or a paused VM (longer than dead), or an event loop stalled by load (shorter).
    else if (roll === 2) this.pause(n.name, r.chance(0.5) ? r.int(50, this.mp.deadMs) : r.int(1, 4) * this.mp.deadMs);
    else if (roll === 3) {
      const link = r.int(0, this.o.links - 1);
      this.cut.add(`${n.name}>${other.name}#${link}`);
      this.cut.add(`${other.name}>${n.name}#${link}`);
      this.note(`FAULT link ${link} down between ${n.name} and ${other.name}`);
    } else if (roll === 4) {
      const to = this.o.arbiter && r.chance(0.3) ? "arbiter" : other.name;
      const [from, dest] = r.chance(0.5) ? [n.name, to] : [to, n.name];
      this.cut.add(`${from}>${dest}#*`);
      this.note(`FAULT one-way cut ${from} -> ${dest}`);
    } else if (roll === 5) {
      const all = [...this.nodes.map((x) => x.name), ...(this.o.arbiter ? ["arbiter"] : [])];
      const side = new Set(all.filter(() => r.chance(0.5)));
      for (const a of all) for (const b of all) if (side.has(a) !== side.has(b)) this.cut.add(`${a}>${b}#*`);
      this.note(`FAULT partition {${[...side].join(",")}} | rest`);
    } else if (roll === 8 && this.o.arbiter && r.chance(0.3)) {
      this.arbiter = this.arbiter ? undefined : initArbiter(this.now);
      this.note(`FAULT arbiter ${this.arbiter ? "restarts" : "crashes"}`);
    } else if (roll === 7 && n.core && r.chance(0.5)) {
      this.shutdown(n.name);
      // Without resources to move, a clean stop is over at once; the machine stays up and starts again later.
    } else if (roll === 6) {
      this.lossPct = r.pick([0, 5, 20, 40]);
      this.note(`FAULT loss ${this.lossPct}%`);
    } else if (roll < 10 || roll > 14) {
      this.cut.clear();
      this.note("FAULT heal links");
    }
  }

  private heal(): void {
    this.cut.clear();
    this.lossPct = 0;
    this.failNext.clear();
    this.checkScript.clear();
    if (this.o.arbiter && !this.arbiter) this.arbiter = initArbiter(this.now);
    for (const n of this.nodes) {
      if (n.pausedUntil > this.now) this.resumeNow(n);
      if (!n.core) this.startDaemon(n);
    }
    this.healed = true;
    this.note("HEAL everything");
    if (this.prims.length) this.schedule({ kind: "call", at: this.now + 3000, fn: () => this.cleanupEverything() });
  }

  /** A pause cut short: the node resumes now, and reads at once what waited for it. */
  private resumeNow(n: SimNode): void {
    n.pausedUntil = this.now;
    n.resumedAt = this.now;
    const waiting = (e: Event) => e.kind === "input" && e.deferred === true && e.node === n.name;
    const held = this.queue.filter(waiting);
    this.queue = this.queue.filter((e) => !waiting(e));
    for (const e of held) this.schedule({ ...e, at: this.now });
  }

  /** As an operator would after an incident: once there is a DC, `paceline resource cleanup` of every resource. */
  private cleanupEverything(): void {
    const dc = this.nodes.find((n) => n.core?.co.isDc);
    if (!dc) {
      this.schedule({ kind: "call", at: this.now + 500, fn: () => this.cleanupEverything() });
      return;
    }
    this.note(`operator: cleanup of every resource on ${dc.name}`);
    for (const r of this.config.resources)
      this.request(dc.name, { kind: "admin", command: { kind: "cleanup", rsc: r.id } });
  }

  // ---- invariants
  // -----------------------------------------------------------------------------------------------------

  checkSafety(): void {
    const quorate = this.nodes.filter((n) => n.core && isQuorate(n.core.mp, n.core.member, this.clock(n)));
    const keys = new Set(quorate.map((n) => n.lastView));
    // two-node: each half of a split keeps quorum by design; fencing (checked below, on resources) makes it safe.
    if (keys.size > 1 && !this.config.quorum.twoNode)
      this.fail(
        `two quorate partitions at once: ${quorate.map((n) => `${n.name} in view ${n.lastView} {${n.core!.member.view.members.join(",")}}`).join("; ")}`,
      );
    for (const x of this.nodes) {
      const holds = !!x.core && holdsLease(x.core.mp, x.core.member, this.clock(x));
      // Only this event can have extended the lease since the last look: if that end has passed, there was a gap.
      if (!holds || this.clock(x) >= x.leaseEndSeenMs) x.leaseSinceMs = holds ? this.now : undefined;
      x.leaseEndSeenMs = holds ? leaseEndMs(x.core!.mp, x.core!.member) : -Infinity;
    }
    // A view that dropped a node waits for its lease: that node must not hold it on, without a gap, past that wait.
    // (A lease taken afresh later backs nothing: a node that lost its lease has stopped everything.)
    if (!this.config.quorum.twoNode)
      for (const q of quorate) {
        const without = this.nodes.find(
          (x) =>
            x.leaseSinceMs !== undefined &&
            x.leaseSinceMs < q.viewSinceMs &&
            !q.core!.member.view.members.includes(x.name),
        );
        if (without)
          this.fail(
            `${without.name} still holds its quorum lease while ${q.name}'s view ${q.lastView} {${q.core!.member.view.members.join(",")}} is quorate without it`,
          );
      }
    let excusedNow = false;
    for (const [rsc, set] of this.running) {
      if (set.size < 2 || this.cloned.has(rsc)) continue; // copies of a clone run everywhere; one promoted
      const excused = (name: string) => {
        if (this.o.fencing) return false; // with fencing there is no window at all
        const x = this.node(name);
        return (
          x.heldAtPause.has(rsc) &&
          x.pausedUntil > x.keepAtPause &&
          (this.now < x.pausedUntil || this.now - x.resumedAt < this.resumeStopMs)
        );
      };
      const holders = [...set].filter((x) => !excused(x));
      if (holders.length > 1) this.fail(`${rsc} runs on ${holders.join(" and ")} at once`);
      else if (holders.length < set.size) excusedNow = true;
    }
    // The frozen-node window (without fencing): how long, in all, something ran twice because of a freeze.
    if (excusedNow) this.windowSince ??= this.now;
    else if (this.windowSince !== undefined) {
      this.frozenWindowMs += this.now - this.windowSince;
      this.windowSince = undefined;
    }
  }

  private converged(): boolean {
    const first = this.nodes[0]!.lastView;
    const views = this.nodes.every(
      (n) =>
        n.core &&
        n.lastView === first &&
        n.core.member.view.members.length === this.nodes.length &&
        isQuorate(n.core.mp, n.core.member, this.clock(n)),
    );
    if (!views || this.prims.length === 0) return views;
    const on = (id: string) => [...this.running.get(id)!];
    const group = this.config.resources.find((r) => r.kind === "group");
    const together = !group || group.kind !== "group" || new Set(group.members.flatMap((m) => on(m.id))).size === 1;
    const placed = (id: string) =>
      this.cloned.has(id)
        ? on(id).length === this.nodes.length && on(`${id}#promoted`).length === 1
        : on(id).length === 1;
    return this.prims.every(placed) && together;
  }

  // ---- the run
  // ----------------------------------------------------------------------------------------------------------

  /** Runs events until `until` (simulated ms); stops early at a violation. */
  runUntil(until: number, faults = false): void {
    if (faults) this.schedule({ kind: "fault", at: this.now + this.rng.int(300, 2000) });
    while (this.queue.length && this.queue[0]!.at <= until && !this.violation) {
      const ev = this.queue.shift()!;
      this.now = ev.at;
      if (ev.kind === "wake") {
        const n = this.node(ev.node);
        if (n.core && n.wakeSeq === ev.wakeSeq) this.feed(n, { type: "wake" });
      } else if (ev.kind === "input") {
        const n = this.node(ev.node);
        if (ev.body.type === "datagram" && ev.from && this.isCut(ev.from, ev.node, ev.link ?? 0)) continue; // cut while in flight
        if (ev.body.type === "stream" && ev.from && !this.canReach(ev.from, ev.node)) continue;
        if (ev.inc !== -1 && ev.inc !== n.inc) continue; // for a daemon that is gone
        this.feed(n, ev.body, ev.deferred);
      } else if (ev.kind === "to-arbiter") {
        if (!this.arbiter || this.cut.has(`${ev.msg.from}>arbiter#*`)) continue;
        const { reply, log } = arbiterDecide(this.arbiter, this.now, leaseMs(this.mp), ev.msg);
        if (log) this.note(`arbiter: ${log}`);
        if (!this.cut.has(`arbiter>${reply.to}#*`) && !this.lost())
          this.schedule({ kind: "from-arbiter", at: this.now + this.delay(), reply });
      } else if (ev.kind === "from-arbiter") {
        const n = this.node(ev.reply.to);
        if (!this.cut.has(`arbiter>${n.name}#*`)) this.feed(n, { type: "arbiter-reply", reply: ev.reply });
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

  /** Scripted runs: advance the simulated time by `ms`. */
  advance(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Read through a method so that type narrowing does not assume it is unchanged after a call. */
  private failure(): { text: string; at: number } | undefined {
    return this.violation;
  }

  run(): SimResult {
    this.runUntil(this.o.faultMs, this.o.faultMs > 0);
    let converged: number | undefined;
    if (!this.failure()) {
      this.queue = this.queue.filter((e) => e.kind !== "fault");
      this.heal();
      const healedAt = this.now;
      for (let t = healedAt; t <= healedAt + this.o.livenessMs && !this.failure(); t += 100) {
        this.runUntil(t);
        if (this.converged()) {
          converged = this.now - healedAt;
          break;
        }
      }
      if (converged === undefined && !this.failure()) {
        this.fail(
          `no convergence within ${this.o.livenessMs} ms of healing: ${this.nodes.map((n) => `${n.name} ${n.core ? `view ${n.lastView} {${n.core.member.view.members.join(",")}} quorate=${isQuorate(n.core.mp, n.core.member, this.clock(n))}` : "down"}`).join("; ")} [${this.describe()}]`,
        );
      }
    }
    const v = this.failure();
    return {
      seed: this.o.seed,
      ok: !v,
      violation: v?.text,
      atMs: v?.at,
      trace: this.trace,
      steps: this.steps,
      convergedAfterMs: converged,
      frozenWindowMs: this.frozenWindowMs,
    };
  }

  describe(): string {
    return this.prims.map((id) => `${id}@${[...this.running.get(id)!].join("+") || "-"}`).join(" ");
  }
}

export function simulate(o: SimOptions): SimResult & { where: string } {
  const sim = new ClusterSim(o);
  const r = sim.run();
  return { ...r, where: sim.describe() };
}
