// A node's resource manager (every node runs one): runs operations the DC asks for, probes everything at start,
// keeps each resource's history, runs recurring monitors of what it started, and reports to its view's members.
// It holds resources only under a quorate view: when quorum goes (its lease ran out), it stops everything itself
// (no-quorum-policy stop) so that by the time the majority starts them elsewhere they are down here.
// Deterministic: step(config, state, input) → outputs; time comes with inputs.

import type { ClusterConfig, PrimitiveConfig } from "../../config/model.js";
import { findResource, opOf, primitivesOf } from "../../config/model.js";
import { INFINITY_SCORE } from "../../config/pacemaker-values.js";
import type { OpResult } from "../operation.js";
import type {
  AdminState,
  ControlMessage,
  ControlOp,
  HookRun,
  LeaseRecord,
  NodeReport,
  OpEntry,
  RecoveryOrder,
  RscHistory,
} from "./types.js";
import { checkActive, checkResult, targetPrimitives } from "./checks.js";
import { describeFinal, recoveryEnv } from "./recovery.js";
import { dependenciesOf, type Dependency } from "./plan.js";
import { emptyAdmin } from "./types.js";

const OCF_OK = 0;
const OCF_UNIMPLEMENTED = 3;
const OCF_ERR_INSTALLED = 5;
const OCF_NOT_RUNNING = 7;
const OCF_RUNNING_PROMOTED = 8;
const DONE_KEPT = 64;
/** Stopping on its own, a stop that failed is tried again at once (a passing failure must not eat the stop budget),
 * then after a wait that doubles up to 10 s (a stop that keeps failing must not spin). */
const selfStopRetryMs = (failures: number) => (failures <= 1 ? 0 : Math.min(10_000, 250 * 2 ** (failures - 2)));

export interface NodeRmState {
  me: string;
  inc: number;
  nowMs: number;
  wallSec: number;
  viewKey: string;
  members: string[];
  dc?: string;
  quorate: boolean;
  history: Record<string, RscHistory>;
  nextCallId: number;
  nextOpId: number;
  ops: Record<number, { rsc: string; op: ControlOp; actionId?: string }>;
  /** Recurring monitors running here: resource → activation number (older results are stale). */
  monitors: Record<string, number>;
  monitorSeq: number;
  done: string[];
  refused: string[];
  reportSeq: number;
  probed: boolean;
  admin: AdminState;
  /** What this node's coordinator holds for lost nodes (set by the shell; carried in reports). */
  unclean?: NodeReport["unclean"];
  /** The configuration version this node runs (set by the shell; carried in reports). */
  config: { epoch: number; hash: string };
  /** Resources running here with a definition older than the configuration's (it changed while they ran; set by
   * the shell, carried in reports): the DC restarts them. */
  outdated: string[];
  shuttingDown?: { sinceMs: number };
  /** Stops that failed here in a row, per resource, and when the last one did (own clock): when to try again. */
  failedStops: Record<string, { count: number; lastMs: number }>;
  /** Since when this node has not held its quorum lease (a view change takes it away for a heartbeat or so). */
  noLeaseSinceMs?: number;
  /** The daemon started with its predecessor's lease record (the predecessor held the lease). */
  bootLease?: boolean;
  /** This daemon has held the lease: losing it now means the others will soon act without this node. */
  heldLease?: boolean;
  /** Stopping everything on our own (no quorum, frozen, or shutdown without a DC): why. */
  selfStop?: string;
  /** This daemon was frozen (SIGSTOP, a paused VM) longer than `dead` while in this view: it may not act on it. */
  frozenInView?: string;
  frozenAtMs?: number;
  exited: boolean;
  /** Built-in monitors (cluster.yaml `monitors:`) on this node. */
  checks: Record<string, CheckState>;
  /** Scripts running here (pre-recovery and final-action), by id. */
  hooks: Record<string, { rsc: string; failureCallId: number; final: boolean; actionId?: string }>;
  nextHookId: number;
}

/** A built-in monitor on this node: whether it watches now, its failures in a row, its recovery-script runs. */
export interface CheckState {
  active: boolean;
  consecutive: number;
  recoveries: number;
  lastOk?: boolean;
  lastReason?: string;
  lastCheckSec?: number;
}

export type NodeRmInput =
  /** `lease`: this node's previous daemon's last lease record, if it held one: what it left running may stay until
   * the record's keep-until (the others count this node in until then) unless this daemon gets the lease back. */
  | { type: "boot"; nowMs: number; wallSec: number; admin?: AdminState; lease?: LeaseRecord }
  /** `holdsLease`: the node holds its quorum lease, less the stop budget: its resources may stay (quorate may lag it
   * by a view change). */
  | {
      type: "view";
      nowMs: number;
      viewKey: string;
      members: string[];
      quorate: boolean;
      holdsLease: boolean;
      dc?: string;
    }
  | { type: "message"; nowMs: number; from: string; msg: ControlMessage }
  | { type: "op-done"; nowMs: number; wallSec: number; opId: number; result: OpResult }
  /** `source`: "process" when a supervised command's exit said it (not the agent's monitor). */
  | {
      type: "monitor-result";
      nowMs: number;
      wallSec: number;
      rsc: string;
      seq: number;
      result: OpResult;
      source?: string;
    }
  | { type: "shutdown"; nowMs: number }
  /** The shell now runs another configuration version (rm.config): the members hear of it in a report. */
  | { type: "config-changed"; nowMs: number }
  | { type: "tick"; nowMs: number; wallSec: number }
  | { type: "hook-done"; nowMs: number; wallSec: number; id: string; ok: boolean; reason: string }
  /** A supervised command started here exited: it has failed, whether or not a recurring monitor watches it. */
  | { type: "child-exit"; nowMs: number; wallSec: number; rsc: string; reason: string }
  /** A built-in monitor's check finished. */
  | { type: "check-result"; nowMs: number; wallSec: number; monitor: string; ok: boolean; reason: string };

export type NodeRmOutput =
  | { type: "exec"; opId: number; rsc: string; action: ControlOp; timeoutMs: number; env?: Record<string, string> }
  | { type: "monitor-start"; rsc: string; seq: number; intervalMs: number; timeoutMs: number }
  | { type: "monitor-stop"; rsc: string }
  /** Send this report to every other member and hand it to this node's own DC logic. */
  | { type: "report"; report: NodeReport }
  | { type: "send"; to: string; msg: ControlMessage }
  | { type: "persist-admin"; admin: AdminState }
  | { type: "log"; level: "info" | "warn" | "error"; text: string }
  | { type: "exit" }
  /** Run a pre-recovery or final-action script; its end comes back as hook-done. */
  | ({ type: "hook" } & HookRun)
  /** The final action `reboot`: the operating system restarts. */
  | { type: "reboot" }
  /** Start (or stop) running a built-in monitor's check every interval. */
  | { type: "check"; monitor: string; active: boolean };

export function initNodeRm(me: string, inc: number): NodeRmState {
  return {
    me,
    inc,
    nowMs: 0,
    wallSec: 0,
    viewKey: "",
    members: [me],
    quorate: false,
    history: {},
    nextCallId: 1,
    nextOpId: 1,
    ops: {},
    monitors: {},
    monitorSeq: 0,
    done: [],
    refused: [],
    reportSeq: 0,
    probed: false,
    admin: emptyAdmin(),
    config: { epoch: 0, hash: "" },
    exited: false,
    checks: {},
    hooks: {},
    nextHookId: 1,
    failedStops: {},
    outdated: [],
  };
}

/** Could the resource be running here? Unknown (never probed), started, failed to stop… all count as yes. */
export function mayBeActive(h: RscHistory | undefined): boolean {
  if (!h?.last) return true;
  const { op, rc, intervalMs } = h.last;
  if (op === "stop") return rc !== OCF_OK;
  // A probe that finds the agent not installed here: it cannot run here (the scheduler bans the node, as Pacemaker).
  if (op === "monitor" && intervalMs === 0) return rc !== OCF_NOT_RUNNING && rc !== OCF_ERR_INSTALLED;
  return true;
}

/** Could it run there right now: an operation in flight, or a history that does not show it stopped. */
export function mayRun(h: RscHistory | undefined): boolean {
  return !!h && (!!h.pending || (!!h.last && mayBeActive(h)));
}

/** Known to be running here (started, or found running by a probe), and not seen failed since. */
export function isRunning(h: RscHistory | undefined): boolean {
  if (!h?.last) return false;
  const okLast =
    (h.last.op === "start" ||
      h.last.op === "promote" ||
      h.last.op === "demote" ||
      (h.last.op === "monitor" && h.last.intervalMs === 0)) &&
    (h.last.rc === OCF_OK || h.last.rc === OCF_RUNNING_PROMOTED);
  const monitorFailed =
    !!h.monitor && h.monitor.callId > h.last.callId && h.monitor.rc !== OCF_OK && h.monitor.rc !== OCF_RUNNING_PROMOTED;
  return okLast && !monitorFailed;
}

/** Running here in the promoted role (promoted, or found or monitored promoted, and not demoted since). */
export function isPromoted(h: RscHistory | undefined): boolean {
  if (!isRunning(h)) return false;
  const newest = h!.monitor && h!.monitor.callId > h!.last!.callId ? h!.monitor : h!.last!;
  return newest.rc === OCF_RUNNING_PROMOTED || (newest.op === "promote" && newest.rc === OCF_OK);
}

class NodeStep {
  readonly out: NodeRmOutput[] = [];
  private reportDue = false;
  constructor(
    readonly config: ClusterConfig,
    readonly s: NodeRmState,
    readonly prims: PrimitiveConfig[],
  ) {}

  log(level: "info" | "warn" | "error", text: string): void {
    this.out.push({ type: "log", level, text });
  }
  hist(rsc: string): RscHistory {
    return (this.s.history[rsc] ??= { failCount: 0 });
  }
  prim(rsc: string): PrimitiveConfig | undefined {
    return this.prims.find((p) => p.id === rsc);
  }

  exec(p: PrimitiveConfig, action: ControlOp, actionId?: string, env?: Record<string, string>): void {
    const opId = this.s.nextOpId++;
    const timeoutMs = opOf(p, action === "probe" ? "monitor" : action)?.timeoutMs ?? 20_000;
    this.s.ops[opId] = { rsc: p.id, op: action, actionId };
    this.hist(p.id).pending = { op: action, actionId, sinceSec: this.s.wallSec };
    this.out.push({ type: "exec", opId, rsc: p.id, action, timeoutMs, ...(env ? { env } : {}) });
    this.reportDue = true;
  }

  stopMonitor(rsc: string): void {
    if (this.s.monitors[rsc] === undefined) return;
    delete this.s.monitors[rsc];
    this.out.push({ type: "monitor-stop", rsc });
  }

  startMonitor(p: PrimitiveConfig): void {
    // A promotable resource may have one monitor per role (different intervals): the one for the role it has here.
    const promoted = isPromoted(this.s.history[p.id]);
    const forRole = (o: PrimitiveConfig["ops"][number]) =>
      !o.role || /^started$/i.test(o.role) || /^(promoted|master)$/i.test(o.role) === promoted;
    const op = p.ops.find((o) => o.name === "monitor" && o.enabled && o.intervalMs > 0 && forRole(o));
    if (!op) return;
    const seq = ++this.s.monitorSeq;
    this.s.monitors[p.id] = seq;
    this.out.push({ type: "monitor-start", rsc: p.id, seq, intervalMs: op.intervalMs, timeoutMs: op.timeoutMs });
  }

  record(rsc: string, entry: Omit<OpEntry, "callId" | "atSec">): OpEntry {
    const e: OpEntry = { ...entry, callId: this.s.nextCallId++, atSec: this.s.wallSec };
    const h = this.hist(rsc);
    if (entry.op === "monitor" && entry.intervalMs > 0) h.monitor = e;
    else h.last = e;
    this.reportDue = true;
    return e;
  }

  failed(rsc: string, e: OpEntry, add: number): void {
    const h = this.hist(rsc);
    h.failCount = Math.min(INFINITY_SCORE, h.failCount + add);
    h.lastFailure = e;
  }

  /** Stops what may run here, dependents first (a group's later members before earlier ones, what is ordered after
   * a resource before it), everything else at once; a promoted copy is demoted before it stops. */
  selfStop(): void {
    const deps = depsOf(this.config);
    for (const p of this.prims) {
      const h = this.s.history[p.id];
      if (h?.pending || !mayRun(h)) continue;
      const failed = this.s.failedStops[p.id];
      if (failed && this.s.nowMs - failed.lastMs < selfStopRetryMs(failed.count)) continue;
      const above = [...deps].some(
        ([then, ds]) => ds.some((d) => d.rsc === p.id && (d.sameNode || d.mandatory)) && mayRun(this.s.history[then]),
      );
      if (above) continue;
      this.stopMonitor(p.id);
      this.exec(p, isPromoted(h) ? "demote" : "stop");
    }
  }

  /** A script for `p` (its pending op is "hook" while it runs, so the DC waits for it). */
  hook(
    p: PrimitiveConfig,
    purpose: "pre-recovery" | "final-action",
    command: string,
    env: Record<string, string>,
    failureCallId: number,
    final: boolean,
    actionId?: string,
  ): void {
    const id = `hook-${this.s.nextHookId++}`;
    this.s.hooks[id] = { rsc: p.id, failureCallId, final, actionId };
    this.hist(p.id).pending = { op: "hook", actionId, sinceSec: this.s.wallSec };
    this.out.push({ type: "hook", id, rsc: p.id, purpose, command, env, timeoutMs: p.meta.preRecoveryTimeoutMs });
    this.reportDue = true;
  }

  /** An order from the DC is not carried out (its id goes into the next report: the DC decides again). */
  refuse(actionId: string): void {
    this.s.refused.push(actionId);
    if (this.s.refused.length > DONE_KEPT) this.s.refused.shift();
    this.reportDue = true;
  }

  /** An order from the DC is carried out (its id goes into the next report). */
  doneAction(actionId: string | undefined): void {
    if (!actionId) return;
    this.s.done.push(actionId);
    if (this.s.done.length > DONE_KEPT) this.s.done.shift();
    this.reportDue = true;
  }

  /** Asks the DC to keep a resource stopped (or leave it alone) until cleanup. */
  hold(rsc: string, kind: "heldStopped" | "blocked", reason: string): void {
    const s = this.s;
    const dc = followedDc(s);
    if (!dc) {
      this.log(
        "warn",
        `${rsc}: cannot ask the DC to ${kind === "blocked" ? "leave it alone" : "keep it stopped"} (${reason}): this node follows no DC now`,
      );
      return;
    }
    this.out.push({ type: "send", to: dc, msg: { t: "hold", viewKey: s.viewKey, rsc, kind, reason } });
  }

  anythingHere(): boolean {
    return this.prims.some((p) => mayRun(this.s.history[p.id]));
  }

  finish(): NodeRmOutput[] {
    const s = this.s;
    if (s.selfStop) this.selfStop();
    watchChecks(this);
    if (s.shuttingDown && !s.exited && !this.anythingHere() && Object.keys(s.ops).length === 0) {
      s.exited = true;
      this.log("info", "nothing runs here any more: leaving the cluster");
      this.out.push({ type: "exit" });
    }
    if (this.reportDue) this.out.push({ type: "report", report: reportOf(s) });
    return this.out;
  }

  markReport(): void {
    this.reportDue = true;
  }
}

/** The DC whose commands this node takes right now. */
const followedDc = (s: NodeRmState) => (s.quorate && !s.frozenInView ? s.dc : undefined);

export function reportOf(s: NodeRmState): NodeReport {
  return {
    node: s.me,
    inc: s.inc,
    viewKey: s.viewKey,
    seq: ++s.reportSeq,
    dc: followedDc(s),
    probed: s.probed,
    shuttingDown: !!s.shuttingDown,
    history: JSON.parse(JSON.stringify(s.history)) as Record<string, RscHistory>,
    done: [...s.done],
    refused: [...s.refused],
    admin: s.admin,
    config: { ...s.config },
    unclean: s.unclean,
    ...(s.outdated.length ? { outdated: [...s.outdated] } : {}),
  };
}

const deps = new WeakMap<ClusterConfig, Map<string, Dependency[]>>();
const depsOf = (c: ClusterConfig) => {
  let d = deps.get(c);
  if (!d) deps.set(c, (d = dependenciesOf(c)));
  return d;
};

const prims = new WeakMap<ClusterConfig, PrimitiveConfig[]>();
const primsOf = (c: ClusterConfig) => {
  let p = prims.get(c);
  if (!p) prims.set(c, (p = primitivesOf(c)));
  return p;
};

export function stepNodeRm(config: ClusterConfig, s: NodeRmState, input: NodeRmInput): NodeRmOutput[] {
  const st = new NodeStep(config, s, primsOf(config));
  const gapMs = input.nowMs - s.nowMs;
  s.nowMs = input.nowMs;
  // Frozen longer than `dead`: the others have dropped us and may be starting our resources; packets that waited
  // in our socket during the freeze would make the old view look alive, so nothing of it is trusted.
  if (s.viewKey && gapMs > config.heartbeat.deadMs && Object.keys(s.history).length && config.nodes.length > 1) {
    s.frozenInView = s.viewKey;
    s.frozenAtMs = input.nowMs;
    if (st.anythingHere()) {
      s.selfStop = "frozen";
      st.log(
        "warn",
        `this daemon did not run for ${gapMs} ms (longer than dead, ${config.heartbeat.deadMs} ms): the others may be taking over; stopping every resource here at once`,
      );
    }
  }
  if ("wallSec" in input) s.wallSec = input.wallSec;
  switch (input.type) {
    case "boot": {
      if (input.admin) s.admin = input.admin;
      // Until the predecessor's keep-until the others still count this node in, so what it left running may stay
      // (the lease keeper stops it from then on, too). A record from the future is from before a reboot (the
      // monotonic clock restarted): it proves nothing.
      const lease = input.lease;
      s.bootLease = !!lease && lease.heldAtMs <= input.nowMs;
      s.noLeaseSinceMs = s.bootLease ? lease!.keepUntilMs : input.nowMs;
      st.log("info", `probing ${st.prims.length} resource(s) to learn what already runs here`);
      for (const p of st.prims) st.exec(p, "probe");
      if (st.prims.length === 0) s.probed = true;
      break;
    }
    case "view":
      onView(st, input);
      break;
    case "message":
      onMessage(st, input.from, input.msg);
      break;
    case "op-done":
      onOpDone(st, input.opId, input.result);
      break;
    case "monitor-result":
      onMonitor(st, input.rsc, input.seq, input.result, input.source);
      break;
    case "shutdown":
      if (!s.shuttingDown) {
        s.shuttingDown = { sinceMs: input.nowMs };
        if (!s.quorate || !s.dc) s.selfStop ??= "shutting down without a quorate cluster to move resources to";
        st.log(
          "info",
          s.selfStop
            ? `shutting down: stopping resources here (${s.selfStop})`
            : `shutting down: asking DC ${s.dc} to move resources away first`,
        );
        st.markReport();
      }
      break;
    case "hook-done":
      onHookDone(st, input.id, input.ok, input.reason);
      break;
    case "child-exit": {
      const h = s.history[input.rsc];
      const seq = s.monitors[input.rsc];
      const gone = { rc: 7, status: "done" as const, reason: input.reason, durationMs: 0 };
      if (seq !== undefined) onMonitor(st, input.rsc, seq, gone, "process");
      else if (isRunning(h) && !h!.pending) {
        const e = st.record(input.rsc, {
          op: "monitor",
          intervalMs: 0,
          rc: 7,
          status: "done",
          reason: input.reason,
          source: "process",
        });
        st.failed(input.rsc, e, 1);
        st.log("error", `${input.rsc}: its process is gone here: ${input.reason}`);
      }
      break;
    }
    case "check-result":
      onCheckResult(st, input.monitor, input.ok, input.reason);
      break;
    case "config-changed": {
      // A resource this node has never looked at (new in this configuration) is probed before the DC may place it.
      const fresh = st.prims.filter((p) => !s.history[p.id]?.last && !s.history[p.id]?.pending);
      if (fresh.length) {
        s.probed = false;
        st.log(
          "info",
          `probing ${fresh.map((p) => p.id).join(", ")} (new in this configuration) to learn whether it already runs here`,
        );
        for (const p of fresh) st.exec(p, "probe");
      }
      st.markReport();
      break;
    }
    case "tick":
      thawIfFresh(st, s.noLeaseSinceMs === undefined);
      if (!s.frozenInView && s.selfStop === "frozen" && s.quorate && !st.anythingHere()) {
        s.selfStop = undefined;
        st.log(
          "info",
          `every resource here is stopped after the freeze: ${s.dc ? `DC ${s.dc}` : "the DC"} decides where they run`,
        );
      }
      checkQuorum(st);
      if (
        s.shuttingDown &&
        !s.selfStop &&
        input.nowMs - s.shuttingDown.sinceMs >= config.properties.shutdownStopTimeoutMs
      ) {
        s.selfStop = "the DC did not move resources away in time";
        st.log("warn", `shutting down: ${s.selfStop}; stopping them here`);
      }
      break;
  }
  return st.finish();
}

function onView(st: NodeStep, v: Extract<NodeRmInput, { type: "view" }>): void {
  const s = st.s;
  const changed = v.viewKey !== s.viewKey || v.dc !== s.dc || v.quorate !== s.quorate;
  s.viewKey = v.viewKey;
  s.members = v.members;
  s.dc = v.dc;
  s.quorate = v.quorate;
  if (!v.holdsLease) s.noLeaseSinceMs ??= v.nowMs;
  else {
    s.noLeaseSinceMs = undefined;
    s.heldLease = true;
  }
  thawIfFresh(st, v.holdsLease);
  // After a freeze the others may have started what runs here: a node back in the cluster finishes stopping it
  // before it takes orders again (a quick rejoin once cut a group's stop in half, the VIP left running here).
  const stopsDone = s.selfStop !== "frozen" || !st.anythingHere();
  if (v.quorate && !s.frozenInView && stopsDone && (s.selfStop === "no quorum" || s.selfStop === "frozen")) {
    s.selfStop = undefined;
    st.log("info", `quorum regained: DC ${v.dc} decides where resources run`);
  }
  checkQuorum(st);
  if (changed) st.markReport();
}

/** After a freeze, the view is trusted again once it changed, or once the lease has held for longer than any
 * packet that waited in the socket during the freeze could make it look held. */
function thawIfFresh(st: NodeStep, holdsLease: boolean): void {
  const s = st.s;
  if (!s.frozenInView || !s.quorate || !holdsLease) return;
  const hb = st.config.heartbeat;
  if (s.viewKey === s.frozenInView && s.nowMs - (s.frozenAtMs ?? 0) <= hb.deadMs + hb.maxDelayMs) return;
  s.frozenInView = undefined;
  st.log("info", "back in the cluster after the freeze: the DC decides again what runs here");
  st.markReport();
}

function checkQuorum(st: NodeStep): void {
  const s = st.s;
  const policy = st.config.quorum.noQuorumPolicy;
  if (s.shuttingDown && !s.quorate && !s.selfStop) {
    s.selfStop = "shutting down without quorum";
    return;
  }
  if (s.noLeaseSinceMs === undefined || s.selfStop) return;
  // A fresh daemon without its predecessor's lease has nothing it was told to run: it waits for the probes.
  if (!s.probed && !s.bootLease) return;
  const lackingMs = s.nowMs - s.noLeaseSinceMs;
  if (lackingMs < 0 || (policy !== "stop" && policy !== "demote") || !st.anythingHere()) return;
  s.selfStop = "no quorum";
  const budgetMs = st.config.heartbeat.stopMarginMs;
  st.log(
    "warn",
    s.heldLease
      ? `quorum lease ends in ${Math.max(0, budgetMs - lackingMs)} ms: stopping every resource here (no-quorum-policy ${policy}) so all are stopped before anyone may take over`
      : s.bootLease
        ? `this node does not hold the quorum lease (its previous daemon's ran out ${lackingMs} ms ago): stopping whatever the probes find running here (no-quorum-policy ${policy}) so none can run twice`
        : `this node does not hold the quorum lease yet: stopping what the probes found running here (no-quorum-policy ${policy}); the DC decides where it runs`,
  );
}

function onMessage(st: NodeStep, from: string, msg: ControlMessage): void {
  const s = st.s;
  switch (msg.t) {
    case "report-please":
      if (msg.viewKey === s.viewKey)
        st.out.push({
          type: "send",
          to: from,
          msg: { t: "report", report: { ...reportOf(s), ...(msg.ask !== undefined ? { answering: msg.ask } : {}) } },
        });
      return;
    case "admin-state":
      if (from === s.dc && msg.viewKey === s.viewKey && msg.admin.epoch > s.admin.epoch) {
        s.admin = msg.admin;
        st.out.push({ type: "persist-admin", admin: msg.admin });
        forgetCleanedFailures(st);
        st.markReport();
      }
      return;
    case "do": {
      if (from !== followedDc(s) || msg.viewKey !== s.viewKey) {
        st.log(
          "warn",
          `ignored ${msg.op} ${msg.rsc} from ${from}: ${msg.viewKey !== s.viewKey ? "it was sent in another view" : s.frozenInView ? "this daemon was frozen in this view" : `${from} is not the DC this node follows (yet)`}`,
        );
        st.refuse(msg.id);
        return;
      }
      if (s.done.includes(msg.id) || Object.values(s.ops).some((o) => o.actionId === msg.id)) return; // a repeat
      const p = st.prim(msg.rsc);
      if (!p) {
        st.log("warn", `ignored ${msg.op} of unknown resource ${msg.rsc} from DC ${from} (configurations differ?)`);
        st.refuse(msg.id); // the DC may send it again once this node runs the same configuration
        return;
      }
      if (s.selfStop && msg.op !== "stop") return;
      const h = st.hist(p.id);
      if (h.pending) {
        // Refused, not dropped: the DC would wait for it forever; it decides again once this one is over.
        st.log("warn", `ignored ${msg.op} ${p.id}: ${h.pending.op} is still running`);
        st.refuse(msg.id);
        return;
      }
      if (msg.op === "hook" || msg.op === "final") {
        if (msg.recovery) recoveryOrder(st, p, msg.op, msg.recovery, msg.id);
        return;
      }
      if (msg.op === "cleanup") {
        forgetFailures(st, p);
        h.monitor = undefined;
        st.exec(p, "probe", msg.id);
        return;
      }
      if (msg.op === "stop") st.stopMonitor(p.id);
      st.exec(p, msg.op, msg.id, msg.op === "notify" ? msg.notify : undefined);
      return;
    }
    default:
      return; // reports, admin requests and configurations are for the coordinator and the shell
  }
}

/** What a cleanup forgets of a resource here: its failures and the recovery steps taken for them. */
function forgetFailures(st: NodeStep, p: PrimitiveConfig): void {
  const h = st.hist(p.id);
  h.failCount = 0;
  h.lastFailure = undefined;
  h.recoveries = undefined;
  for (const m of st.config.monitors)
    if (m.recover === p.id || m.recover === p.group) {
      const c = st.s.checks[m.name];
      if (c) c.recoveries = 0;
    }
}

/** Failures recorded here before a cleanup this node missed (it was away, or not running) are forgotten as the
 * cleanup would have had them forgotten. (A failure is dated by this node's clock, the cleanup by the DC's.) */
function forgetCleanedFailures(st: NodeStep): void {
  for (const [rsc, sec] of Object.entries(st.s.admin.cleanedSec ?? {})) {
    const h = st.s.history[rsc];
    const p = st.prim(rsc);
    if (!p || !h || (!h.failCount && !h.lastFailure)) continue;
    if ((h.lastFailure?.atSec ?? -Infinity) >= sec) continue;
    forgetFailures(st, p);
    st.log("info", `${rsc}: its failures here are forgotten: they came before a cleanup this node missed`);
  }
}

// ---- recovery: the DC's orders about a failure here, and the built-in monitors ----------------------------------

/** The DC's order about a failure of `p` here: run its pre-recovery script, or carry out its final action. */
function recoveryOrder(
  st: NodeStep,
  p: PrimitiveConfig,
  kind: "hook" | "final",
  o: RecoveryOrder,
  actionId: string,
): void {
  const s = st.s;
  const h = st.hist(p.id);
  const env = { ...recoveryEnv(o, h.recoveries ?? 0), PACELINE_NODE: s.me };
  if (kind === "hook") {
    if (!p.meta.preRecoveryScript) {
      h.hooked = o.failureCallId;
      st.doneAction(actionId);
      return;
    }
    st.hook(p, "pre-recovery", p.meta.preRecoveryScript, env, o.failureCallId, false, actionId);
    return;
  }
  const fa = p.meta.finalAction;
  st.log(
    "error",
    `${o.resource}: ${o.monitor} failed (${o.reason}); giving up after ${o.failCount >= INFINITY_SCORE ? "a fatal failure" : `${o.failCount} failure${o.failCount === 1 ? "" : "s"}`} (migration-threshold ${fmtScore(p.meta.migrationThreshold)}): ${describeFinal(p)}`,
  );
  if (fa.kind === "script") {
    st.hook(p, "final-action", fa.path, env, o.failureCallId, true, actionId);
    return;
  }
  h.finalized = o.failureCallId;
  st.doneAction(actionId);
  if (fa.kind === "stop-group") st.hold(p.group ?? p.id, "heldStopped", `final action after ${p.id} failed`);
  else if (fa.kind === "reboot") {
    st.log("error", "final action: rebooting the operating system");
    st.out.push({ type: "reboot" });
  } else if (fa.kind === "stop-daemon" && !s.shuttingDown) {
    st.log("error", "final action: stopping every resource here and Paceline");
    s.shuttingDown = { sinceMs: s.nowMs };
    if (!s.quorate || !s.dc) s.selfStop ??= "the final action stops Paceline";
  }
}

function onHookDone(st: NodeStep, id: string, ok: boolean, reason: string): void {
  const s = st.s;
  const hk = s.hooks[id];
  if (!hk) return;
  delete s.hooks[id];
  const h = st.hist(hk.rsc);
  if (h.pending?.op === "hook") h.pending = undefined;
  if (!ok)
    st.log("warn", `${hk.rsc}: ${hk.final ? "final-action" : "recovery"} script failed (${reason}); recovery goes on`);
  if (hk.final) h.finalized = hk.failureCallId;
  else if (hk.failureCallId > 0) h.hooked = hk.failureCallId;
  if (hk.actionId) st.doneAction(hk.actionId);
  st.markReport();
}

function onCheckResult(st: NodeStep, name: string, ok: boolean, reason: string): void {
  const s = st.s;
  const m = st.config.monitors.find((x) => x.name === name);
  const c = s.checks[name];
  if (!m || !c?.active) return;
  c.lastCheckSec = s.wallSec;
  const d = checkResult(st.config, m, c, ok, reason);
  if (d.kind === "none") {
    if (d.text) st.log(d.level ?? "info", d.text);
    return;
  }
  st.log("warn", d.text);
  if (d.kind === "recovery-script") {
    const target = findResource(st.config, d.target)!;
    const p = target.kind === "group" ? target.members[0]! : target;
    const h = st.hist(p.id);
    h.recoveries = (h.recoveries ?? 0) + 1;
    const order: RecoveryOrder = {
      action: "RECOVERY",
      resource: d.target,
      failureCallId: 0,
      monitor: name,
      restarts: 0,
      failovers: 0,
      failCount: h.failCount,
      reason,
    };
    st.hook(
      p,
      "pre-recovery",
      target.meta.preRecoveryScript!,
      { ...recoveryEnv(order, h.recoveries), PACELINE_NODE: s.me },
      0,
      false,
    );
    return;
  }
  // A failure of the target here, as if its own monitor had seen it: the DC restarts it, moves it, or gives up.
  const p = d.record;
  const threshold = Math.min(p.meta.migrationThreshold, INFINITY_SCORE);
  const e = st.record(p.id, { op: "monitor", intervalMs: m.intervalMs, rc: 1, status: "done", reason, source: name });
  const h = st.hist(p.id);
  st.failed(p.id, e, 1);
  if (d.action === "final-action") h.failCount = Math.max(h.failCount, threshold);
  st.stopMonitor(p.id);
  if (d.action === "stop") st.hold(d.target, "heldStopped", `monitor ${name} failed: ${reason}`);
  if (d.action === "block") st.hold(d.target, "blocked", `monitor ${name} failed: ${reason}`);
}

/** Built-in monitors watch while they should (after the probes; with when: target-started, while it runs here). */
function watchChecks(st: NodeStep): void {
  const s = st.s;
  for (const m of st.config.monitors) {
    const c = (s.checks[m.name] ??= { active: false, consecutive: 0, recoveries: 0 });
    const active = checkActive(
      m,
      s.probed,
      !!s.shuttingDown,
      (rsc) => isRunning(s.history[rsc]),
      targetPrimitives(st.config, m),
    );
    if (active === c.active) continue;
    c.active = active;
    c.consecutive = 0;
    c.lastOk = undefined; // a fresh watch: earlier verdicts belong to the target's previous run
    st.out.push({ type: "check", monitor: m.name, active });
  }
}

const fmtScore = (n: number) => (Number.isFinite(n) ? String(n) : "INFINITY");

function onOpDone(st: NodeStep, opId: number, result: OpResult): void {
  const s = st.s;
  const op = s.ops[opId];
  if (!op) return;
  delete s.ops[opId];
  const p = st.prim(op.rsc);
  const h = st.hist(op.rsc);
  h.pending = undefined;
  if (op.actionId) {
    s.done.push(op.actionId);
    if (s.done.length > DONE_KEPT) s.done.shift();
  }
  // A notification changes nothing the cluster keeps: it is done (or failed, said in the log) and that is all.
  if (op.op === "notify") {
    if (result.status !== "done" || result.rc !== OCF_OK)
      st.log("warn", `${op.rsc}: notification failed here (${result.reason}); carrying on`);
    st.markReport();
    return;
  }
  if (op.op === "stop") {
    const stopped = result.status === "done" && result.rc === OCF_OK;
    if (stopped) delete s.failedStops[op.rsc];
    else s.failedStops[op.rsc] = { count: (s.failedStops[op.rsc]?.count ?? 0) + 1, lastMs: s.nowMs };
  }
  const name = op.op === "probe" ? "monitor" : op.op;
  // An agent that cannot tell (an exec resource without a status script) is taken as stopped: the start is then
  // its own check (an idempotent start script is the convention for these).
  if (op.op === "probe" && result.status === "done" && result.rc === OCF_UNIMPLEMENTED)
    result = { ...result, rc: OCF_NOT_RUNNING, reason: `${result.reason}; taken as stopped` };
  const e = st.record(op.rsc, { op: name, intervalMs: 0, rc: result.rc, status: result.status, reason: result.reason });
  const ok =
    result.status === "done" &&
    (result.rc === OCF_OK ||
      (result.rc === OCF_RUNNING_PROMOTED && op.op !== "start") ||
      (op.op === "probe" && result.rc === OCF_NOT_RUNNING));
  if (op.op === "probe") {
    if (!ok) {
      h.lastFailure = e;
      st.log("warn", `${op.rsc}: probe failed (${result.reason})`);
    } else if (result.rc !== OCF_NOT_RUNNING) {
      st.log("info", `${op.rsc}: found running here`);
      if (p && s.monitors[p.id] === undefined) st.startMonitor(p);
    }
    if (!s.probed && st.prims.every((q) => s.history[q.id]?.last)) {
      s.probed = true;
      st.log("info", "all resources probed");
    }
  } else if (ok) {
    st.log("info", `${op.rsc}: ${op.op} done (${result.durationMs} ms)`);
    if ((op.op === "start" || op.op === "promote" || op.op === "demote") && p) {
      st.stopMonitor(p.id);
      st.startMonitor(p);
    }
  } else {
    const fatal = op.op === "stop" || (op.op === "start" && st.config.properties.startFailureIsFatal);
    st.failed(op.rsc, e, fatal ? INFINITY_SCORE : 1);
    st.log("error", `${op.rsc}: ${op.op} FAILED here: ${result.reason}`);
    if (op.op === "stop" && p) st.stopMonitor(p.id);
  }
  if (op.op === "stop" && p) st.stopMonitor(p.id);
}

function onMonitor(st: NodeStep, rsc: string, seq: number, result: OpResult, source?: string): void {
  const s = st.s;
  if (s.monitors[rsc] !== seq) return; // stale: from a monitor since stopped
  const h = st.hist(rsc);
  const prev = h.monitor;
  const ok = result.status === "done" && (result.rc === OCF_OK || result.rc === OCF_RUNNING_PROMOTED);
  if (ok && prev && prev.rc === result.rc && prev.callId > (h.last?.callId ?? 0)) return; // unchanged: nothing to tell
  const interval = st.prim(rsc)?.ops.find((o) => o.name === "monitor" && o.intervalMs > 0)?.intervalMs ?? 0;
  const e = st.record(rsc, {
    op: "monitor",
    intervalMs: interval,
    rc: result.rc,
    status: result.status,
    reason: result.reason,
    ...(source ? { source } : {}),
  });
  if (!ok) {
    st.failed(rsc, e, 1);
    st.stopMonitor(rsc);
    st.log("error", `${rsc}: monitor FAILED here: ${result.reason}`);
  }
}
