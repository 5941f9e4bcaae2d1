// One cluster node, whole: membership (failure detection, views, quorum), the node's resource manager, the
// coordinator (deciding when this node is the DC), configuration sync, fencing (the escalation runs here), the
// recurring monitors' and pings' clocks. `stepNode(state, input) → effects`; the state is updated in place.
// Every timer is a `wake-at` effect and every clock reading arrives with an input, so the simulator drives this
// very code through seeded faults and the daemon only carries the effects out.

import type { ClusterConfig } from "../../config/model.js";
import { findResource, primitivesOf } from "../../config/model.js";
import { didYouMean } from "../../util/suggest.js";
import {
  initCoordinator,
  mayRunOn,
  stepCoordinator,
  uncleanOf,
  type CoordinatorInput,
  type CoordinatorState,
  type FenceRecord,
} from "../controller/coordinator.js";
import {
  initNodeRm,
  isRunning,
  mayRun,
  stepNodeRm,
  type NodeRmInput,
  type NodeRmState,
} from "../controller/node-rm.js";
import type { ControlMessage } from "../controller/types.js";
import { viewKeyOf } from "../controller/types.js";
import {
  beginFenceRun,
  fencePlan,
  fenceRunWakeMs,
  stepFenceRun,
  type FenceRunInput,
  type FenceRunOutput,
  type FenceRunState,
} from "../fencing/run.js";
import {
  attrProblem,
  dcOf,
  hasLeft,
  initMember,
  isQuorate,
  leaseEndMs,
  quorumVotes,
  step as stepMember,
} from "../membership/member.js";
import type { Input as MemberInput, MemberState, MembershipParams } from "../membership/types.js";
import { Random } from "../random.js";
import { decidePush, newer, pushProblems, type ConfigDoc, type ParsedDoc } from "./config-sync.js";
import type { DurableFailures, NodeEffect, NodeInit, NodeInput, NodeRequest, StoredState } from "./types.js";

/** How long a push forwarded to the DC waits for its answer. */
const PUSH_ANSWER_MS = 10_000;
/** A node asks a member with a newer configuration for it at most this often. */
const CONFIG_ASK_EVERY_MS = 1000;

export interface ViewFacts {
  viewKey: string;
  members: string[];
  quorate: boolean;
  /** The lease holds, less the stop budget: this node's resources may stay. */
  holdsLease: boolean;
  dc?: string;
  leftCleanly: string[];
  attributes: Record<string, Record<string, string>>;
}

interface MonitorClock {
  seq: number;
  intervalMs: number;
  timeoutMs: number;
  dueMs: number;
  running: boolean;
}
/** A built-in monitor's clock: due time, and the check in flight (by id) if any. */
interface CheckClock {
  seq: number;
  dueMs: number;
  running?: string;
}

/** A fencing this node was asked to carry out: waiting out its priority delay, then running. */
interface FenceJob {
  target: string;
  reason: string;
  startAtMs: number;
  targetInc?: number;
  run?: FenceRunState;
}

export interface NodeState {
  me: string;
  inc: number;
  nowMs: number;
  wallSec: number;
  config: ClusterConfig;
  doc: ConfigDoc;
  mp: MembershipParams;
  member: MemberState;
  rm: NodeRmState;
  co: CoordinatorState;
  /** The core's PRNG state (fence delays' random part). */
  rng: number;
  booted: boolean;
  /** The view facts last handed to the resource manager and coordinator. */
  factsKey: string;
  monitors: Record<string, MonitorClock>;
  checks: Record<string, CheckClock>;
  nextCheckSeq: number;
  fences: Record<string, FenceJob>;
  nextRunId: number;
  /** Pushes forwarded to the DC: message id → the request to answer, and until when. */
  forwarded: Record<string, { requestId: number; deadlineMs: number }>;
  nextForwardId: number;
  configAskedMs: number;
  leaseSavedMs: number;
  /** While the lease held at the last look: until when (the node looks again exactly then, not a tick later). */
  keepingUntilMs?: number;
  /** The failures last written (JSON), so they are written only when they change. */
  failuresKey: string;
  /** When the node looks at its clocks next (anchored here, so a stream of datagrams cannot postpone it). */
  nextTickMs: number;
  /** Quorum as last said in the log; a loss is said only once it outlasts a view change. */
  saidQuorate?: boolean;
  noQuorumSinceMs?: number;
  ping: { busy: boolean; dueMs: number };
  leaving: boolean;
}

export function membershipParams(config: ClusterConfig): MembershipParams {
  const hb = config.heartbeat;
  return {
    nodes: config.nodes.map((n) => ({ name: n.name, votes: n.votes })),
    links: Math.max(1, config.nodes[0]?.links.length ?? 1),
    intervalMs: hb.intervalMs,
    warnMs: hb.warnMs,
    deadMs: hb.deadMs,
    initialDeadMs: hb.initialDeadMs,
    maxDelayMs: hb.maxDelayMs,
    clockDrift: 0.01,
    twoNode: config.quorum.twoNode,
    waitForAll: config.quorum.waitForAll,
    arbiterVotes: config.quorum.arbiter ? 1 : 0,
  };
}

/** How often the node looks at its clocks when nothing else wakes it: failure detection needs a few looks per
 * heartbeat interval; alone (a single server) there is nothing to detect, and timers of its own wake it anyway. */
export const tickMs = (s: NodeState) => (s.mp.nodes.length < 2 ? 1000 : Math.max(10, Math.floor(s.mp.intervalMs / 4)));

export function initNode(o: NodeInit): NodeState {
  const mp = membershipParams(o.config);
  const rm = initNodeRm(o.me, o.inc);
  rm.config = { epoch: o.doc.epoch, hash: o.doc.hash };
  return {
    me: o.me,
    inc: o.inc,
    nowMs: o.nowMs,
    wallSec: 0,
    config: o.config,
    doc: o.doc,
    mp,
    member: initMember(mp, o.me, o.inc, o.nowMs),
    rm,
    co: initCoordinator(o.me),
    rng: o.seed >>> 0,
    booted: false,
    factsKey: "",
    monitors: {},
    checks: {},
    nextCheckSeq: 1,
    fences: {},
    nextRunId: 1,
    forwarded: {},
    nextForwardId: 1,
    configAskedMs: -Infinity,
    leaseSavedMs: -Infinity,
    failuresKey: "{}",
    nextTickMs: o.nowMs,
    ping: { busy: false, dueMs: o.nowMs },
    leaving: false,
  };
}

export function durableFailures(s: NodeState): Record<string, DurableFailures> {
  const out: Record<string, DurableFailures> = {};
  for (const [rsc, h] of Object.entries(s.rm.history)) {
    if (!h.failCount && !h.lastFailure && !h.hooked && !h.finalized && !h.recoveries) continue;
    out[rsc] = {
      failCount: h.failCount,
      lastFailure: h.lastFailure,
      hooked: h.hooked,
      finalized: h.finalized,
      recoveries: h.recoveries,
    };
  }
  return out;
}

/** Until when this node may keep its resources: its quorum lease's end less the stop budget (`stop-margin`), so a
 * stop begun then has ended before anyone may act without this node. Alone, or two-node: always. */
export function keepUntilMs(s: NodeState): number {
  return leaseEndMs(s.mp, s.member) - s.config.heartbeat.stopMarginMs;
}

export function viewFacts(s: NodeState): ViewFacts {
  const m = s.member;
  const now = s.nowMs;
  const attributes: Record<string, Record<string, string>> = { [s.me]: { ...m.attrs } };
  for (const [name, peer] of Object.entries(m.peers)) attributes[name] = { ...peer.attrs };
  // Inside the stop budget this node stops what it runs: it must not start anything, nor order starts as the DC.
  const keeps = now < keepUntilMs(s);
  return {
    viewKey: viewKeyOf(m.view),
    members: [...m.view.members],
    quorate: keeps && isQuorate(s.mp, m, now),
    holdsLease: keeps,
    dc: keeps ? dcOf(s.mp, m, now) : undefined,
    leftCleanly: Object.entries(m.peers)
      .filter(([, p]) => hasLeft(p))
      .map(([n]) => n),
    attributes,
  };
}

class NodeStep {
  readonly out: NodeEffect[] = [];
  /** Messages this node sent itself (the DC runs operations on itself too): handled after the current one. */
  private readonly inbox: Array<{ from: string; msg: ControlMessage; parsed?: ParsedDoc }> = [];
  private viewChanged = false;

  constructor(readonly s: NodeState) {}

  get config(): ClusterConfig {
    return this.s.config;
  }
  emit(e: NodeEffect): void {
    this.out.push(e);
  }
  log(level: "info" | "warn" | "error", text: string): void {
    this.out.push({ type: "log", level, text });
  }
  reply(id: number, ok: boolean, message: string): void {
    this.out.push({ type: "reply", id, ok, message });
  }

  // ---- membership ------------------------------------------------------------------------------------------------

  member(input: MemberInput): void {
    const { outputs } = stepMember(this.s.mp, this.s.member, input);
    for (const o of outputs) {
      if (o.type === "send") this.emit({ type: "datagram", to: o.to, link: o.link, msg: o.msg });
      else if (o.type === "to-arbiter") this.emit({ type: "to-arbiter", msg: o.msg });
      else if (o.type === "log") this.log("info", o.text);
      else if (o.type === "view") this.viewChanged = true;
    }
  }

  /** After a look at the clock or a view change: the resource manager and coordinator learn the view facts. */
  facts(tick: boolean): void {
    const s = this.s;
    if (!s.booted || (!tick && !this.viewChanged)) return;
    this.viewChanged = false;
    const f = viewFacts(s);
    s.keepingUntilMs = f.holdsLease ? keepUntilMs(s) : undefined;
    this.sayQuorum(f);
    this.recordLease(f);
    const key = JSON.stringify([f.viewKey, f.members, f.quorate, f.holdsLease, f.dc]);
    if (key !== s.factsKey) {
      s.factsKey = key;
      // The coordinator first: the report the resource manager sends on a view change belongs to the new view.
      this.co({
        type: "view",
        nowMs: s.nowMs,
        wallSec: s.wallSec,
        viewKey: f.viewKey,
        members: f.members,
        dc: f.dc,
        leftCleanly: f.leftCleanly,
        attributes: f.attributes,
      });
      this.rm({
        type: "view",
        nowMs: s.nowMs,
        viewKey: f.viewKey,
        members: f.members,
        quorate: f.quorate,
        holdsLease: f.holdsLease,
        dc: f.dc,
      });
    }
    if (tick) {
      this.rm({ type: "tick", nowMs: s.nowMs, wallSec: s.wallSec });
      this.co({ type: "tick", nowMs: s.nowMs, wallSec: s.wallSec, attributes: f.attributes });
    }
  }

  private sayQuorum(f: ViewFacts): void {
    const s = this.s;
    const m = s.member;
    const now = s.nowMs;
    if (f.quorate) s.noQuorumSinceMs = undefined;
    else s.noQuorumSinceMs ??= now;
    const lastingLoss = !f.quorate && now - s.noQuorumSinceMs! > s.mp.intervalMs + s.mp.maxDelayMs;
    if (
      m.left ||
      s.mp.nodes.length < 2 ||
      !((f.quorate && s.saidQuorate !== true) || (lastingLoss && s.saidQuorate !== false))
    )
      return;
    s.saidQuorate = f.quorate;
    const v = m.view;
    if (f.quorate) {
      this.log("info", `quorate in view ${v.id}; DC is ${v.leader}`);
      return;
    }
    // The lease less the stop budget: a vote echoed earlier no longer lets this node keep (or start) anything.
    const freshMs = s.mp.deadMs - this.config.heartbeat.stopMarginMs;
    const votesOf = (names: string[]) =>
      names.reduce((a, n) => a + (s.mp.nodes.find((x) => x.name === n)?.votes ?? 0), 0);
    const heardVotes = votesOf(
      v.members.filter((n) => n === s.me || now - (m.peers[n]?.supportMs ?? -Infinity) < freshMs),
    );
    const expected = votesOf(s.mp.nodes.map((n) => n.name)) + (s.mp.arbiterVotes ?? 0);
    const waitingMs = m.settleUntilMs - now;
    this.log(
      "warn",
      waitingMs > 0
        ? `no quorum yet: view ${v.id} (${v.members.join(", ")}) waits ${waitingMs} ms more for the quorum lease of what it dropped (or of this node's previous life) to run out`
        : `no quorum: view ${v.id} (${v.members.join(", ")}); ${heardVotes} of ${expected} votes echoed this node in it within the last ${freshMs} ms (the lease less the stop margin)${s.mp.arbiterVotes ? " (+ the arbiter's, if lent)" : ""}, ${quorumVotes(s.mp)} needed`,
    );
  }

  /** While it holds its lease, the node notes when (a successor daemon of this node honours it after a crash). */
  private recordLease(f: ViewFacts): void {
    const s = this.s;
    // Alone there is no lease to honour: nobody else could take over.
    if (!f.holdsLease || s.mp.nodes.length < 2 || s.nowMs - s.leaseSavedMs < Math.max(100, s.mp.intervalMs)) return;
    s.leaseSavedMs = s.nowMs;
    this.emit({ type: "persist", file: "lease", value: { heldAtMs: s.nowMs, keepUntilMs: keepUntilMs(s) } });
  }

  // ---- resource manager and coordinator ----------------------------------------------------------------------------

  rm(input: NodeRmInput): void {
    const s = this.s;
    for (const o of stepNodeRm(this.config, s.rm, input)) {
      switch (o.type) {
        case "exec":
          this.emit({
            type: "exec",
            id: `op:${o.opId}`,
            rsc: o.rsc,
            action: o.action,
            timeoutMs: o.timeoutMs,
            intervalMs: 0,
            ...(o.env ? { env: o.env } : {}),
          });
          break;
        case "monitor-start":
          s.monitors[o.rsc] = {
            seq: o.seq,
            intervalMs: o.intervalMs,
            timeoutMs: o.timeoutMs,
            dueMs: s.nowMs + o.intervalMs,
            running: false,
          };
          break;
        case "monitor-stop":
          delete s.monitors[o.rsc];
          break;
        case "report":
          for (const m of s.rm.members)
            if (m !== s.me) this.emit({ type: "send", to: m, msg: { t: "report", report: o.report } });
          this.co({ type: "report", nowMs: s.nowMs, wallSec: s.wallSec, report: o.report });
          break;
        case "send":
          this.deliver(o.to, o.msg);
          break;
        case "persist-admin":
          this.emit({ type: "persist", file: "admin", value: o.admin });
          break;
        case "log":
          this.log(o.level, o.text);
          break;
        case "exit":
          this.leave();
          break;
        case "hook":
          this.emit(o);
          break;
        case "reboot":
          this.emit(o);
          break;
        case "check":
          if (o.active)
            s.checks[o.monitor] = {
              seq: s.nextCheckSeq++,
              dueMs: s.nowMs + (this.config.monitors.find((m) => m.name === o.monitor)?.intervalMs ?? 0),
            };
          else delete s.checks[o.monitor];
          break;
      }
    }
  }

  co(input: CoordinatorInput): void {
    const s = this.s;
    const outs = stepCoordinator(this.config, { configEpoch: s.doc.epoch }, s.co, input);
    // What this node holds for lost nodes travels in its reports (a DC that never saw them learns it from there).
    s.rm.unclean = uncleanOf(s.co);
    for (const o of outs) {
      if (o.type === "send") this.deliver(o.to, o.msg);
      else if (o.type === "fence") {
        if (o.by === s.me) this.fenceAsked(o.target, o.reason, o.delayMs);
        else this.deliver(o.by, { t: "fence-please", target: o.target, reason: o.reason, delayMs: o.delayMs });
      } else this.log(o.level, `${s.co.isDc && s.config.nodes.length > 1 ? "DC: " : ""}${o.text}`);
    }
  }

  deliver(to: string, msg: ControlMessage): void {
    if (to === this.s.me) this.inbox.push({ from: to, msg });
    else this.emit({ type: "send", to, msg });
  }

  drainInbox(): void {
    for (let i = 0; i < 10_000 && this.inbox.length; i++) {
      const m = this.inbox.shift()!;
      this.message(m.from, m.msg, m.parsed);
    }
  }

  /** A message from a member (or from this node to itself). */
  message(from: string, msg: ControlMessage, parsed?: ParsedDoc): void {
    const s = this.s;
    const now = s.nowMs;
    switch (msg.t) {
      case "report":
        if (msg.report?.node !== from) return;
        this.co({ type: "report", nowMs: now, wallSec: s.wallSec, report: msg.report });
        if (newer(s.doc, msg.report.config) && now - s.configAskedMs > CONFIG_ASK_EVERY_MS) {
          s.configAskedMs = now;
          this.log(
            "info",
            `${from} runs a newer cluster configuration (epoch ${msg.report.config.epoch}; this node has ${s.doc.epoch}): asking for it`,
          );
          this.deliver(from, { t: "config-please", viewKey: s.co.viewKey });
        }
        return;
      case "admin":
        if (msg.viewKey === s.co.viewKey)
          this.co({ type: "admin", nowMs: now, wallSec: s.wallSec, command: msg.command });
        return;
      case "hold":
        if (msg.viewKey === s.co.viewKey)
          this.co({
            type: "admin",
            nowMs: now,
            wallSec: s.wallSec,
            command: { kind: "hold", rsc: msg.rsc, hold: msg.kind, reason: msg.reason },
          });
        return;
      case "fence-please":
        // Only the DC this node follows may have it fence anyone.
        if (from === s.co.dc) this.fenceAsked(msg.target, `${msg.reason}; asked by the DC, ${from}`, msg.delayMs ?? 0);
        return;
      case "fence-confirm":
        this.confirmed(msg.target);
        return;
      case "fence-result":
        this.co({ type: "fence-result", nowMs: now, wallSec: s.wallSec, record: msg.record });
        return;
      case "config-please":
        this.deliver(from, { t: "config", doc: s.doc });
        return;
      case "config":
        if (!newer(s.doc, msg.doc)) return;
        if (!parsed?.config) {
          this.log(
            "error",
            `cluster configuration epoch ${msg.doc.epoch} from ${from} is unusable (${parsed?.error ?? "not read"}); keeping epoch ${s.doc.epoch}`,
          );
          return;
        }
        this.applyConfig(msg.doc, parsed.config, `from ${from}`);
        return;
      case "config-push": {
        const r = parsed
          ? this.decide(parsed, msg.baseEpoch)
          : { ok: false, message: "refused: the configuration could not be read" };
        this.deliver(from, { t: "config-result", id: msg.id, ...r });
        return;
      }
      case "config-result": {
        const f = s.forwarded[msg.id];
        if (!f) return;
        delete s.forwarded[msg.id];
        this.reply(f.requestId, msg.ok, msg.message);
        return;
      }
      default:
        this.rm({ type: "message", nowMs: now, from, msg });
    }
  }

  // ---- configuration
  // -------------------------------------------------------------------------------------------------

  /** As the DC: number a pushed configuration and hand it to every member. */
  decide(parsed: ParsedDoc, baseEpoch: number): { ok: boolean; message: string } {
    const s = this.s;
    const active = (rsc: string) => s.co.members.filter((m) => mayRun(s.co.reports[m]?.history[rsc]));
    const d = decidePush({ doc: s.doc, config: s.config }, { parsed, baseEpoch }, s.co.isDc, active);
    if ("refused" in d) {
      this.log("warn", `configuration push refused: ${d.refused}`);
      return { ok: false, message: `refused: ${d.refused}` };
    }
    // Members get it before any command that needs it (applying it here schedules at once).
    for (const m of s.co.members) if (m !== s.me) this.emit({ type: "send", to: m, msg: { t: "config", doc: d.doc } });
    this.applyConfig(d.doc, d.config, "pushed");
    return { ok: true, message: `${d.message}; sent to ${s.co.members.join(", ")}` };
  }

  /** Runs a newer configuration from now on: stores it, gives resources new agents, schedules again. */
  applyConfig(doc: ConfigDoc, config: ClusterConfig, how: string): void {
    const s = this.s;
    this.emit({ type: "persist", file: "config", value: doc });
    const before = new Map(primitivesOf(s.config).map((p) => [p.id, JSON.stringify(p)]));
    s.doc = doc;
    s.config = config;
    s.rm.config = { epoch: doc.epoch, hash: doc.hash };
    for (const p of primitivesOf(config)) {
      if (before.get(p.id) === JSON.stringify(p)) continue;
      if (before.has(p.id) && isRunning(s.rm.history[p.id])) {
        // (Its new agent is made once it stops; the DC, told by the report, restarts it.)
        if (!s.rm.outdated.includes(p.id)) s.rm.outdated.push(p.id);
        this.log("info", `${p.id} changed while running here: the DC restarts it with its new definition`);
      } else this.emit({ type: "define-agent", rsc: p.id });
    }
    this.log("info", `running cluster configuration epoch ${doc.epoch} (${how})`);
    this.rm({ type: "config-changed", nowMs: s.nowMs });
    s.co.dirty = true;
  }

  boot(stored: StoredState): void {
    const s = this.s;
    for (const p of stored.problems ?? []) this.log("error", p);
    const c = stored.config;
    if (c && c.doc.epoch > 0) {
      if (!c.parsed.config)
        this.log(
          "error",
          `the stored cluster configuration (epoch ${c.doc.epoch}) is unusable (${c.parsed.error}); running the file instead`,
        );
      else if (pushProblems(s.config, c.parsed.config, () => []).fixed.length)
        this.log(
          "warn",
          `the stored cluster configuration (epoch ${c.doc.epoch}) differs from the file in what cannot change at run time; running the file`,
        );
      else {
        this.log(
          "info",
          `running the cluster's configuration epoch ${c.doc.epoch} (pushed with \`paceline config push\`), not the file; \`paceline config show\` prints it`,
        );
        s.config = c.parsed.config;
        s.doc = c.doc;
        s.rm.config = { epoch: c.doc.epoch, hash: c.doc.hash };
      }
    }
    for (const p of primitivesOf(s.config)) this.emit({ type: "define-agent", rsc: p.id });
    // Failures survive the daemon: a restart does not give a flapping resource a fresh restart budget.
    for (const [rsc, f] of Object.entries(stored.failures ?? {})) {
      s.rm.history[rsc] = { ...s.rm.history[rsc], ...f };
      // This life's operations come after those failures (the scheduler orders a node's operations by call id).
      s.rm.nextCallId = Math.max(
        s.rm.nextCallId,
        (f.lastFailure?.callId ?? 0) + 1,
        (f.hooked ?? 0) + 1,
        (f.finalized ?? 0) + 1,
      );
    }
    s.failuresKey = ""; // written once at start, so the file is always there and current
    s.booted = true;
    this.rm({
      type: "boot",
      nowMs: s.nowMs,
      wallSec: s.wallSec,
      admin: stored.admin,
      lease: stored.lease,
    });
  }

  // ---- operations
  // ------------------------------------------------------------------------------------------------------

  opDone(id: string, result: Extract<NodeInput, { type: "op-done" }>["result"]): void {
    const s = this.s;
    const [kind, a, b] = id.split(":");
    if (kind === "op") {
      const opId = Number(a);
      const op = s.rm.ops[opId];
      this.rm({ type: "op-done", nowMs: s.nowMs, wallSec: s.wallSec, opId, result });
      // A definition that changed while it ran applies from its stop on.
      if (op?.op === "stop" && result.rc === 0 && s.rm.outdated.includes(op.rsc)) {
        s.rm.outdated = s.rm.outdated.filter((x) => x !== op.rsc);
        this.emit({ type: "define-agent", rsc: op.rsc });
      }
    } else if (kind === "mon" && a !== undefined) {
      const m = s.monitors[a];
      if (!m || m.seq !== Number(b)) return; // a monitor stopped since
      m.running = false;
      m.dueMs = s.nowMs + m.intervalMs;
      this.rm({ type: "monitor-result", nowMs: s.nowMs, wallSec: s.wallSec, rsc: a, seq: m.seq, result });
    }
  }

  /** A supervised command exited: a failure at once, not at its next monitor. */
  childExit(rsc: string, reason: string): void {
    this.rm({ type: "child-exit", nowMs: this.s.nowMs, wallSec: this.s.wallSec, rsc, reason });
  }

  runDueMonitors(): void {
    const s = this.s;
    for (const [rsc, m] of Object.entries(s.monitors)) {
      if (m.running || s.nowMs < m.dueMs) continue;
      m.running = true;
      this.emit({
        type: "exec",
        id: `mon:${rsc}:${m.seq}`,
        rsc,
        action: "monitor",
        timeoutMs: m.timeoutMs,
        intervalMs: m.intervalMs,
      });
    }
  }

  runDueChecks(): void {
    const s = this.s;
    for (const [name, c] of Object.entries(s.checks)) {
      if (c.running || s.nowMs < c.dueMs) continue;
      c.running = `chk-${c.seq}-${s.nowMs}`;
      this.emit({ type: "check", id: c.running, monitor: name });
    }
  }

  checkDone(id: string, ok: boolean, reason: string): void {
    const s = this.s;
    const found = Object.entries(s.checks).find(([, c]) => c.running === id);
    if (!found) return; // a check stopped (or restarted) since
    const [name, c] = found;
    c.running = undefined;
    c.dueMs = s.nowMs + (this.config.monitors.find((m) => m.name === name)?.intervalMs ?? 60_000);
    this.rm({ type: "check-result", nowMs: s.nowMs, wallSec: s.wallSec, monitor: name, ok, reason });
  }

  runDuePing(): void {
    const s = this.s;
    const ping = this.config.ping;
    if (!ping || s.ping.busy || s.leaving || s.nowMs < s.ping.dueMs) return;
    s.ping.busy = true;
    s.ping.dueMs = s.nowMs + ping.intervalMs;
    this.emit({ type: "ping", targets: ping.targets, timeoutMs: ping.timeoutMs });
  }

  pingDone(answered: number): void {
    const s = this.s;
    s.ping.busy = false;
    const ping = this.config.ping;
    if (!ping || s.leaving) return;
    this.member({ type: "attr", nowMs: s.nowMs, name: ping.attribute, value: String(answered * ping.multiplier) });
  }

  // ---- fencing
  // ---------------------------------------------------------------------------------------------------------

  /** The coordinator (here or the DC's) wants `target` fenced by this node. One escalation per target at a time. */
  fenceAsked(target: string, reason: string, delayMs: number): void {
    const s = this.s;
    if (s.fences[target]) return;
    s.fences[target] = { target, reason, startAtMs: s.nowMs + delayMs, targetInc: s.co.fencing[target]?.inc };
    if (delayMs <= 0) this.startFence(s.fences[target]!);
  }

  private startFence(job: FenceJob): void {
    const s = this.s;
    this.log("warn", `fencing ${job.target} (${job.reason})`);
    const rng = new Random(s.rng);
    const iRun = (rsc: string) => {
      const r = findResource(s.config, rsc);
      const ids = r?.kind === "group" ? r.members.map((m) => m.id) : [rsc];
      return ids.some((id) => isRunning(s.rm.history[id]));
    };
    let outputs: FenceRunOutput[];
    try {
      const plan = fencePlan(this.config.fencing, job.target, this.config.fencing.action, {
        iRun,
        random: () => rng.next(),
      });
      ({ run: job.run, outputs } = beginFenceRun({
        runId: s.nextRunId++,
        target: job.target,
        reason: job.reason,
        config: this.config.fencing,
        plan,
        nowMs: s.nowMs,
      }));
    } catch (e) {
      s.rng = rng.state;
      this.fenceFinished(job, { ok: false, by: s.me, reason: (e as Error).message, elapsedMs: 0 });
      return;
    }
    s.rng = rng.state;
    this.fenceOutputs(job, outputs);
  }

  fenceInput(job: FenceJob, input: FenceRunInput): void {
    if (!job.run) return;
    const s = this.s;
    const targetRuns = () => [...new Set([...(s.co.held[job.target]?.rscs ?? []), ...mayRunOn(s.co, job.target)])];
    this.fenceOutputs(job, stepFenceRun(job.run, input, targetRuns));
  }

  private fenceOutputs(job: FenceJob, outs: FenceRunOutput[]): void {
    const runId = job.run!.runId;
    for (const o of outs) {
      if (o.type === "log") this.log(o.level, o.text);
      else if (o.type === "run")
        this.emit({
          type: "fence-device",
          runId,
          target: job.target,
          device: o.device,
          action: o.action,
          timeoutMs: o.timeoutMs,
          delayMs: o.delayMs,
          guard: o.guard,
        });
      else if (o.type === "cancel") this.emit({ type: "fence-cancel", runId, device: o.device });
      else if (o.type === "ask-person")
        this.log(
          "warn",
          `${job.target} must be powered off by hand: once it is, run \`paceline fence confirm ${job.target}\` on any node`,
        );
      else if (o.type === "finished") this.fenceFinished(job, o);
    }
  }

  /** The outcome goes to every member (nobody fences it again; everyone can show it) and to this node's coordinator. */
  private fenceFinished(job: FenceJob, r: { ok: boolean; by: string; reason: string; elapsedMs: number }): void {
    const s = this.s;
    delete s.fences[job.target];
    const record: FenceRecord = r.ok
      ? {
          target: job.target,
          ok: true,
          by: `${r.by} (from ${s.me})`,
          atSec: s.wallSec,
          reason: `${job.reason}; took ${(r.elapsedMs / 1000).toFixed(1)} s`,
          targetInc: job.targetInc,
        }
      : { target: job.target, ok: false, by: s.me, atSec: s.wallSec, reason: r.reason, targetInc: job.targetInc };
    for (const m of s.co.members)
      if (m !== s.me) this.emit({ type: "send", to: m, msg: { t: "fence-result", record } });
    this.co({ type: "fence-result", nowMs: s.nowMs, wallSec: s.wallSec, record });
  }

  fenceTicks(): void {
    const s = this.s;
    for (const job of Object.values(s.fences)) {
      // The DC asked this node to fence and no longer wants it (the node came back): stop between attempts.
      if (s.co.isDc && !s.co.fencing[job.target] && !job.run?.esc.running) {
        delete s.fences[job.target];
        this.log("info", `fencing ${job.target} stopped: it is no longer needed`);
        continue;
      }
      if (!job.run && s.nowMs >= job.startAtMs) this.startFence(job);
      else if (job.run) this.fenceInput(job, { type: "tick", nowMs: s.nowMs });
    }
  }

  /** A person confirmed `target` is off: the fencing here waiting for them completes. */
  confirmed(target: string): boolean {
    const job = this.s.fences[target];
    const run = job?.run;
    if (!job || !run || !run.esc.running || !run.esc.plan.devices[run.esc.running.id]?.manual) return false;
    this.fenceInput(job, { type: "confirm", nowMs: this.s.nowMs, by: "an operator" });
    return true;
  }

  // ---- requests from people
  // ----------------------------------------------------------------------------------------------

  request(id: number, r: NodeRequest): void {
    const s = this.s;
    const c = this.config;
    switch (r.kind) {
      case "admin": {
        const command = r.command;
        if ("rsc" in command && !findResource(c, command.rsc)) {
          const ids = [...c.resources.map((x) => x.id), ...primitivesOf(c).map((p) => p.id)];
          return this.reply(
            id,
            false,
            `no resource \`${command.rsc}\`${didYouMean(command.rsc, ids)} (resources: ${c.resources.map((x) => x.id).join(", ") || "none"})`,
          );
        }
        if ("node" in command && !c.nodes.some((n) => n.name === command.node))
          return this.unknownNode(id, command.node);
        if (!s.co.dc)
          return this.reply(
            id,
            false,
            "this node's view has no quorum: the cluster's state cannot be changed from here",
          );
        this.co({ type: "admin", nowMs: s.nowMs, wallSec: s.wallSec, command });
        return this.reply(id, true, s.co.isDc ? "done by this node (the DC)" : `sent to the DC, ${s.co.dc}`);
      }
      case "push": {
        const base = r.baseEpoch ?? s.doc.epoch;
        if (!s.co.dc)
          return this.reply(id, false, "this node's view has no quorum: the configuration cannot change from here");
        if (s.co.isDc) {
          const d = this.decide(r.parsed, base);
          return this.reply(id, d.ok, d.message);
        }
        const fid = `${s.me}#${s.nextForwardId++}`;
        s.forwarded[fid] = { requestId: id, deadlineMs: s.nowMs + PUSH_ANSWER_MS };
        this.emit({
          type: "send",
          to: s.co.dc,
          msg: { t: "config-push", viewKey: s.co.viewKey, id: fid, yaml: r.parsed.yaml, baseEpoch: base },
        });
        return;
      }
      case "fence-confirm": {
        if (!c.nodes.some((n) => n.name === r.target)) return this.unknownNode(id, r.target);
        if (this.confirmed(r.target))
          return this.reply(id, true, `${r.target} confirmed off: the fencing waiting for a person completes`);
        const others = s.co.members.filter((m) => m !== s.me);
        if (s.co.dc && others.length) {
          // Whichever member is fencing it (the DC, or another member when the DC is the target) completes it.
          for (const m of others) this.emit({ type: "send", to: m, msg: { t: "fence-confirm", target: r.target } });
          return this.reply(id, true, `sent to ${others.join(", ")}: the node fencing ${r.target} completes it`);
        }
        return this.reply(
          id,
          false,
          `nothing is waiting for a person to confirm ${r.target} is off${s.co.fencing[r.target] ? " (its fencing is at an automatic device now)" : ""}`,
        );
      }
      case "attr": {
        const problem = attrProblem(s.member.attrs, r.name, r.value);
        if (problem) return this.reply(id, false, `attribute ${r.name.slice(0, 64)} not set: ${problem}`);
        this.member({ type: "attr", nowMs: s.nowMs, name: r.name, value: r.value });
        return this.reply(
          id,
          true,
          r.value === undefined ? `removed ${r.name} on ${s.me}` : `${r.name} = ${r.value} on ${s.me}`,
        );
      }
    }
  }

  private unknownNode(id: number, node: string): void {
    const names = this.config.nodes.map((n) => n.name);
    this.reply(id, false, `no node \`${node}\`${didYouMean(node, names)} (nodes: ${names.join(", ")})`);
  }

  expireForwarded(): void {
    const s = this.s;
    for (const [fid, f] of Object.entries(s.forwarded)) {
      if (s.nowMs < f.deadlineMs) continue;
      delete s.forwarded[fid];
      this.reply(
        f.requestId,
        false,
        `no answer from the DC (${s.co.dc ?? "none now"}) within ${PUSH_ANSWER_MS / 1000} s; \`paceline config show\` tells whether it took it`,
      );
    }
  }

  // ---- leaving
  // -------------------------------------------------------------------------------------------------------------

  /** Nothing runs here any more: tell the peers, so they drop this node at once instead of waiting out its lease. */
  leave(): void {
    const s = this.s;
    if (s.leaving) return;
    s.leaving = true;
    this.member({ type: "leave", nowMs: s.nowMs });
    this.emit({ type: "left" });
  }

  /** Writes the failures when they changed. */
  persistFailures(): void {
    const s = this.s;
    const value = durableFailures(s);
    const key = JSON.stringify(value);
    if (key === s.failuresKey) return;
    s.failuresKey = key;
    this.emit({ type: "persist", file: "failures", value });
  }

  /** Time to look at the clocks when a tick is due or the keep window has ended. */
  lookAtClocks(): void {
    const s = this.s;
    if (!s.booted || s.leaving || s.nowMs < Math.min(s.nextTickMs, s.keepingUntilMs ?? Infinity)) return;
    s.nextTickMs = s.nowMs + tickMs(s);
    this.member({ type: "tick", nowMs: s.nowMs });
    this.facts(true);
    this.fenceTicks();
    this.expireForwarded();
  }

  wakeAt(): number {
    const s = this.s;
    // Heartbeats are due on their own clock (alone, there is nobody to send them to).
    let t = s.mp.nodes.length > 1 ? Math.min(s.nextTickMs, s.member.nextHeartbeatMs) : s.nextTickMs;
    for (const m of Object.values(s.monitors)) if (!m.running) t = Math.min(t, m.dueMs);
    for (const c of Object.values(s.checks)) if (!c.running) t = Math.min(t, c.dueMs);
    for (const f of Object.values(s.fences)) t = Math.min(t, f.run ? fenceRunWakeMs(f.run) : f.startAtMs);
    for (const f of Object.values(s.forwarded)) t = Math.min(t, f.deadlineMs);
    if (this.config.ping && !s.ping.busy) t = Math.min(t, s.ping.dueMs);
    if (s.keepingUntilMs !== undefined) t = Math.min(t, s.keepingUntilMs);
    return Math.max(t, s.nowMs + 1);
  }
}

/** One input in, the effects out (always ending with `wake-at`). The state is updated in place. */
export function stepNode(s: NodeState, input: NodeInput): NodeEffect[] {
  s.nowMs = Math.max(s.nowMs, input.nowMs);
  s.wallSec = input.wallSec;
  const st = new NodeStep(s);
  if (s.leaving && input.type !== "wake") return [{ type: "wake-at", atMs: s.nowMs + tickMs(s) }];
  // Anything that may lead to an action is decided on the clock as it is now: a late event loop that reads an
  // order (or a result, a request) after the keep window ended stops first and starts nothing. Heartbeats come
  // first instead: one may extend the lease a late timer would otherwise end.
  if (input.type !== "datagram" && input.type !== "arbiter-reply") st.lookAtClocks();
  switch (input.type) {
    case "boot":
      st.boot(input.stored);
      break;
    case "wake":
      break; // the tick below does what is due
    case "datagram":
      st.member({ type: "recv", nowMs: s.nowMs, link: input.link, msg: input.msg });
      st.facts(false);
      break;
    case "arbiter-reply":
      st.member({ type: "arbiter-reply", nowMs: s.nowMs, reply: input.reply });
      st.facts(false);
      break;
    case "stream":
      st.message(input.from, input.msg, input.parsed);
      break;
    case "op-done":
      st.opDone(input.id, input.result);
      break;
    case "child-exit":
      st.childExit(input.rsc, input.reason);
      break;
    case "fence-done": {
      const job = Object.values(s.fences).find((f) => f.run?.runId === input.runId);
      if (job)
        st.fenceInput(job, {
          type: "device-done",
          nowMs: s.nowMs,
          device: input.device,
          ok: input.ok,
          reason: input.reason,
          answered: input.answered,
        });
      break;
    }
    case "ping-done":
      st.pingDone(input.answered);
      st.facts(false);
      break;
    case "hook-done":
      st.rm({
        type: "hook-done",
        nowMs: s.nowMs,
        wallSec: s.wallSec,
        id: input.id,
        ok: input.ok,
        reason: input.reason,
      });
      break;
    case "check-done":
      st.checkDone(input.id, input.ok, input.reason);
      break;
    case "request":
      st.request(input.id, input.request);
      st.facts(false);
      break;
    case "shutdown":
      st.rm({ type: "shutdown", nowMs: s.nowMs });
      break;
  }
  // Whatever woke the node: a late timer must not wait behind a stream of packets.
  st.lookAtClocks();
  st.drainInbox();
  if (!s.leaving) {
    st.runDueMonitors();
    st.runDueChecks();
    st.runDuePing();
  }
  if (s.booted && input.type !== "datagram") st.persistFailures();
  st.out.push({ type: "wake-at", atMs: st.wakeAt() });
  return st.out;
}
