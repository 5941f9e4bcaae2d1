// The cluster picture every node keeps (its view members' reports) and what the DC does with it: once every
// member has reported in this view (probes done), and nothing is in flight, it schedules and sends the next wave.
// A member lost without a clean goodbye stopped what it held before its quorum lease ended (it keeps resources only
// until its lease's end less the stop budget), and a view without it is quorate only after that end: so once the DC
// acts, those resources count as stopped there. With fencing, they wait for the fence instead.
// Deterministic: step(config, state, input) → outputs.

import type { ClusterConfig, PrimitiveConfig } from "../../config/model.js";
import { DEFAULT_OP_TIMEOUT_MS, historyKey, opTimeoutMs, primitivesOf } from "../../config/model.js";
import { schedule } from "../scheduler/index.js";
import { isPromoted, isRunning, mayRun } from "./node-rm.js";
import { dependenciesOf, nextWave, type WaveOp } from "./plan.js";
import { recoverySentence, recoverySteps, type RecoveryStep } from "./recovery.js";
import { schedulerInputOf } from "./scheduler-input.js";
import type { AdminCommand, AdminState, ControlMessage, NodeReport } from "./types.js";
import { emptyAdmin } from "./types.js";

/** Grace beyond an operation's own timeout before the DC stops waiting for its result and asks again. */
const RESULT_GRACE_MS = 5000;
/** An order without a sign of life this long (not pending in a report, not done) is asked about: a stream that broke
 * in a short partition loses what was on its way, and the DC must not wait out the whole operation timeout. */
const LOST_CHECK_MS = 2000;
const ASK_AGAIN_MS = 1000;
const PENDING_ASK_MS = 3000;
const RESCHEDULE_MS = 10_000;
const REFUSED_PAUSE_MS = 1000;

export interface CoordinatorParams {
  /** The configuration epoch this node runs: members running another one are waited for (they catch up). */
  configEpoch: number;
}

/** One fencing outcome, as the whole cluster learns it. */
export interface FenceRecord {
  target: string;
  ok: boolean;
  by: string;
  atSec: number;
  reason: string;
  targetInc?: number;
}

/** Pause before asking again to fence a node whose fencing failed (its resources stay down meanwhile). */
const FENCE_RETRY_MS = 10_000;
const FENCE_HISTORY_KEPT = 50;

/** Fencing is on and some device can fence this node. */
export const canFence = (config: ClusterConfig, node: string) =>
  config.fencing.enabled && !!config.fencing.levels[node]?.length;

export interface CoordinatorState {
  me: string;
  nowMs: number;
  wallSec: number;
  isDc: boolean;
  /** The DC of this node's view, if the view is quorate. */
  dc?: string;
  viewKey: string;
  members: string[];
  reports: Record<string, NodeReport>;
  attributes: Record<string, Record<string, string>>;
  /** Lost members (no goodbye) that may still run these resources until they are fenced. */
  held: Record<string, { rscs: string[]; needsFence: true }>;
  inflight: Record<string, { node: string; rsc: string; op: string; sentMs: number; timeoutMs: number; ask?: number }>;
  /** Numbers the report-please messages asked about orders (their answers echo it). */
  nextAsk?: number;
  nextAction: number;
  admin: AdminState;
  askedMs: Record<string, number>;
  /** When each member's current report arrived: one from before this node became DC is asked for again (a report
   * lost in a short partition, with the view unchanged, would otherwise stand for ever). */
  reportedMs: Record<string, number>;
  /** The last "waiting"/"nothing to do" sentence, so it is said once, not every tick. */
  said?: string;
  /** Nodes to fence (lost while they may run resources, or asked by the scheduler): since when, and whether the
   * shell is at it; `retryAtMs` after a failure. */
  fencing: Record<
    string,
    { sinceMs: number; reason: string; running: boolean; retryAtMs?: number; inc: number; startup?: boolean }
  >;
  /** The incarnation of each node last fenced: its reports from that life are void (it was powered off). */
  fencedInc: Record<string, number>;
  fenceHistory: FenceRecord[];
  /** Something changed since the last schedule (the scheduler also runs every RESCHEDULE_MS, for failure-timeout). */
  dirty: boolean;
  scheduledMs: number;
  /** After a refused command: no new wave before this (own clock). */
  pauseUntilMs?: number;
  /** When this node became the DC (own clock): startup fencing waits initial-dead for slow starters. */
  dcSinceMs?: number;
  /** When the earliest failure expires (its failure-timeout, wall clock s): the scheduler runs again then. */
  expirySec?: number;
  /** Failures already described in the log (node/rsc/callId), so each is said once; those from before this
   * daemon started (`bornSec`, wall clock) were said by its predecessor. */
  noted: string[];
  bornSec?: number;
  /** Nodes that have been members of this node's views (in this daemon's life): what they run was reported in a
   * view. Any other node may run anything as far as this DC knows — a report from outside the view proves nothing. */
  seen: string[];
  /** A wave of a notifying clone under way: its copies heard "pre" (phase pre), its operations run (ops), its
   * copies hear "post" (post). */
  notify?: { wave: WaveOp[]; phase: "pre" | "ops" | "post" };
}

export type CoordinatorInput =
  | {
      type: "view";
      nowMs: number;
      wallSec: number;
      viewKey: string;
      members: string[];
      dc?: string;
      leftCleanly: string[];
      attributes: Record<string, Record<string, string>>;
    }
  | { type: "report"; nowMs: number; wallSec: number; report: NodeReport }
  | { type: "admin"; nowMs: number; wallSec: number; command: AdminCommand }
  | { type: "tick"; nowMs: number; wallSec: number; attributes?: Record<string, Record<string, string>> }
  /** A fencing outcome: from this node's shell (it ran the devices) or another node's announcement. */
  | { type: "fence-result"; nowMs: number; wallSec: number; record: FenceRecord };

export type CoordinatorOutput =
  | { type: "send"; to: string; msg: ControlMessage }
  /** Run the fencing escalation for this node, here or (`by`) on another member: the DC never fences itself.
   * `delayMs`: wait first (priority-delay: the target runs more important resources than the fencer). */
  | { type: "fence"; target: string; reason: string; by: string; delayMs: number }
  | { type: "log"; level: "info" | "warn" | "error"; text: string };

export function initCoordinator(me: string): CoordinatorState {
  return {
    me,
    nowMs: 0,
    wallSec: 0,
    isDc: false,
    viewKey: "",
    members: [],
    reports: {},
    attributes: {},
    held: {},
    inflight: {},
    nextAction: 1,
    admin: emptyAdmin(),
    askedMs: {},
    reportedMs: {},
    dirty: true,
    scheduledMs: -Infinity,
    fencing: {},
    fencedInc: {},
    fenceHistory: [],
    seen: [],
    noted: [],
  };
}

class CoordStep {
  readonly out: CoordinatorOutput[] = [];
  constructor(
    readonly config: ClusterConfig,
    readonly p: CoordinatorParams,
    readonly s: CoordinatorState,
  ) {}
  log(level: "info" | "warn" | "error", text: string): void {
    this.out.push({ type: "log", level, text });
  }
  send(to: string, msg: ControlMessage): void {
    this.out.push({ type: "send", to, msg });
  }
  /** Says a steady-state sentence once (until another one replaces it). */
  say(text: string): void {
    if (this.s.said !== text) {
      this.s.said = text;
      this.log("info", text);
    }
  }
}

export function stepCoordinator(
  config: ClusterConfig,
  p: CoordinatorParams,
  s: CoordinatorState,
  input: CoordinatorInput,
): CoordinatorOutput[] {
  const st = new CoordStep(config, p, s);
  s.nowMs = input.nowMs;
  s.wallSec = input.wallSec;
  s.bornSec ??= input.wallSec;
  switch (input.type) {
    case "view":
      onView(st, input);
      break;
    case "report":
      onReport(st, input.report);
      break;
    case "admin":
      onAdmin(st, input.command);
      break;
    case "fence-result":
      onFenceResult(st, input.record);
      break;
    case "tick":
      if (input.attributes && JSON.stringify(input.attributes) !== JSON.stringify(s.attributes)) {
        s.attributes = input.attributes;
        s.dirty = true;
      }
      break;
  }
  if (input.type !== "tick") s.dirty = true;
  if (s.isDc) drive(st);
  return st.out;
}

function onView(st: CoordStep, v: Extract<CoordinatorInput, { type: "view" }>): void {
  const s = st.s;
  s.attributes = v.attributes;
  if (v.viewKey === s.viewKey && v.dc === s.dc) return;
  for (const gone of s.members.filter((m) => !v.members.includes(m))) {
    // What it may run: what its last report shows running, failed or in flight, and what we asked it to do since —
    // or, if its report never reached this node (this daemon restarted, or it froze before reporting), anything.
    const reported = s.reports[gone] !== undefined;
    const held = reported
      ? [
          ...new Set([
            ...mayRunOn(s, gone),
            ...Object.values(s.inflight)
              .filter((a) => a.node === gone && a.op !== "stop")
              .map((a) => a.rsc),
          ]),
        ]
      : primitivesOf(st.config).map((p) => p.id);
    const inc = s.reports[gone]?.inc ?? 0;
    // Said goodbye, or fenced since its last report (never reported and never fenced: unknown, not fenced).
    if (v.leftCleanly.includes(gone) || (Object.hasOwn(s.fencedInc, gone) && s.fencedInc[gone]! >= inc)) continue;
    if (canFence(st.config, gone)) {
      // Fenced even if it ran nothing: cut off, it might start something (a split in a two-node cluster).
      if (held.length) s.held[gone] = { rscs: held, needsFence: true };
      const mayRunText = !reported
        ? " before its report reached this node, so it may run anything"
        : held.length
          ? ` while it may run ${held.join(", ")}`
          : "";
      s.fencing[gone] ??= {
        sinceMs: v.nowMs,
        reason: `it was lost${mayRunText || " without a goodbye"}`,
        running: false,
        inc,
      };
      st.log(
        "warn",
        `${gone} is UNCLEAN (lost without a goodbye${mayRunText}): it will be fenced${held.length ? "; what it may run starts elsewhere only once it is" : ""}`,
      );
    } else if (held.length && reported) {
      st.log(
        "warn",
        `${gone} was lost while it ran ${held.join(", ")}: it stops them itself before its quorum lease ends, and the view acts only after that end`,
      );
    }
  }
  for (const back of v.members) {
    // It reports for itself again: what it runs is known, so nothing is held for it, and it needs no fencing.
    if (s.held[back]) delete s.held[back];
    if (s.fencing[back]) {
      // A device already at work finishes (its outcome is announced as usual); no further attempt is made.
      st.log("info", `${back} is back in the view and reports what it runs: fencing it is no longer needed`);
      delete s.fencing[back];
    }
  }
  s.viewKey = v.viewKey;
  s.members = v.members;
  s.dc = v.dc;
  for (const m of v.members) if (!s.seen.includes(m)) s.seen.push(m);
  const wasDc = s.isDc;
  s.isDc = v.dc === s.me;
  s.inflight = {}; // commands of an older view are void; their results still arrive in reports
  s.notify = undefined; // and so is a notified wave: the next schedule decides (and notifies) again
  s.askedMs = {};
  if (s.isDc && !wasDc) s.dcSinceMs = v.nowMs;
  if (s.isDc && !wasDc && st.config.nodes.length > 1)
    st.log(
      "info",
      `I am the DC of view ${v.viewKey} (${v.members.join(", ")}): collecting every member's report before deciding anything`,
    );
  s.said = undefined;
}

function onReport(st: CoordStep, r: NodeReport): void {
  const s = st.s;
  const prev = s.reports[r.node];
  if (prev && (prev.inc > r.inc || (prev.inc === r.inc && prev.seq > r.seq))) return; // older life, or overtaken
  if ((s.fencedInc[r.node] ?? 0) >= r.inc) return; // that life was fenced (powered off)
  s.reports[r.node] = r;
  s.reportedMs[r.node] = s.nowMs;
  for (const id of r.done) delete s.inflight[id];
  // The answer to a question asked after an order was sent: the order arrived before the question (one ordered
  // stream), so neither pending nor done means it was lost on the way. The next schedule decides again.
  for (const [id, a] of Object.entries(s.inflight)) {
    if (a.node !== r.node || a.ask === undefined || r.answering !== a.ask) continue;
    const known = Object.values(r.history).some((h) => h.pending?.actionId === id) || r.refused.includes(id);
    if (known) continue;
    delete s.inflight[id];
    s.dirty = true;
    const what =
      a.op === "hook" ? "run the pre-recovery script of" : a.op === "final" ? "carry out the final action of" : a.op;
    st.log(
      "warn",
      `the order to ${what} ${a.rsc} never reached ${a.node} (a connection broke on the way): deciding again`,
    );
  }
  for (const id of r.refused) {
    // Refused (not following us yet, or a configuration it does not run yet): ask again, but not in a tight loop.
    if (s.inflight[id]) {
      delete s.inflight[id];
      s.pauseUntilMs = s.nowMs + REFUSED_PAUSE_MS;
    }
  }
  // What the reporter knows about lost nodes we never saw (we joined, or restarted, after they were lost).
  for (const [node, u] of Object.entries(r.unclean ?? {})) {
    if (
      !u.needsFence ||
      !canFence(st.config, node) ||
      s.members.includes(node) ||
      s.held[node] ||
      (s.fencedInc[node] ?? 0) >= u.inc ||
      (s.reports[node]?.inc ?? 0) > u.inc
    )
      continue;
    s.held[node] = { rscs: u.rscs, needsFence: true };
    s.fencing[node] ??= {
      sinceMs: s.nowMs,
      reason: `${r.node} saw it lost while it may run ${u.rscs.join(", ")}`,
      running: false,
      inc: u.inc,
    };
    st.log(
      "warn",
      `${r.node} says ${node} was lost while it may run ${u.rscs.join(", ")}: they wait for it to be fenced`,
    );
  }
  if (r.admin.epoch > s.admin.epoch) {
    s.admin = r.admin;
    // A DC hands a newer administrative state it learns to every member (e.g. after partitions merged).
    if (s.isDc) for (const m of s.members) st.send(m, { t: "admin-state", viewKey: s.viewKey, admin: s.admin });
  } else if (s.isDc && r.admin.epoch < s.admin.epoch && r.viewKey === s.viewKey) {
    // A member back from an absence (or a restart) catches up with what changed meanwhile.
    st.send(r.node, { t: "admin-state", viewKey: s.viewKey, admin: s.admin });
  }
}

/** A copy of the administrative state to change, one epoch on (members take the higher epoch). */
function nextAdmin(admin: AdminState): AdminState {
  const a = JSON.parse(JSON.stringify(admin)) as AdminState;
  a.epoch++;
  return a;
}

/** Applies an administrator's change (DC only); returns what to tell them. */
export function applyAdmin(
  admin: AdminState,
  c: Exclude<AdminCommand, { kind: "cleanup" } | { kind: "restart" }>,
): { admin: AdminState; message: string } {
  const a = nextAdmin(admin);
  const r = (id: string) => (a.resources[id] ??= {});
  switch (c.kind) {
    case "standby":
      a.standby = [...new Set([...a.standby, c.node])];
      return { admin: a, message: `${c.node} is on standby: its resources move away` };
    case "online":
      a.standby = a.standby.filter((n) => n !== c.node);
      return { admin: a, message: `${c.node} is online: it may run resources again` };
    case "move":
      a.placements = [
        ...a.placements.filter((x) => x.rsc !== c.rsc || x.kind !== "move"),
        { rsc: c.rsc, node: c.node, kind: "move" },
      ];
      return {
        admin: a,
        message: `${c.rsc} moves to ${c.node} and stays there until \`paceline resource clear ${c.rsc}\``,
      };
    case "ban":
      a.placements = [
        ...a.placements.filter((x) => !(x.rsc === c.rsc && x.node === c.node)),
        { rsc: c.rsc, node: c.node, kind: "ban" },
      ];
      return { admin: a, message: `${c.rsc} may not run on ${c.node} until \`paceline resource clear ${c.rsc}\`` };
    case "clear":
      a.placements = a.placements.filter((x) => x.rsc !== c.rsc);
      return { admin: a, message: `${c.rsc}: move and ban constraints cleared` };
    case "disable":
      r(c.rsc).disabled = true;
      return { admin: a, message: `${c.rsc} is disabled (stops and stays stopped)` };
    case "enable":
      r(c.rsc).disabled = false;
      return { admin: a, message: `${c.rsc} is enabled` };
    case "unmanage":
      r(c.rsc).unmanaged = true;
      return { admin: a, message: `${c.rsc} is unmanaged: Paceline neither starts, stops nor recovers it` };
    case "manage":
      r(c.rsc).unmanaged = false;
      return { admin: a, message: `${c.rsc} is managed again` };
    case "maintenance":
      a.maintenance = c.on;
      return {
        admin: a,
        message: c.on ? "maintenance mode: nothing is started, stopped or recovered" : "maintenance mode off",
      };
    case "hold":
      r(c.rsc)[c.hold] = c.reason;
      return {
        admin: a,
        message: `${c.rsc} ${c.hold === "blocked" ? "is left alone" : "is kept stopped"} until \`paceline resource cleanup ${c.rsc}\`: ${c.reason}`,
      };
  }
}

function onAdmin(st: CoordStep, c: AdminCommand): void {
  const s = st.s;
  if (!s.isDc) {
    if (s.dc) st.send(s.dc, { t: "admin", viewKey: s.viewKey, command: c });
    else
      st.log(
        "warn",
        `admin: ${c.kind} refused: this node's view has no quorum, so the cluster's state cannot change here`,
      );
    return;
  }
  if (c.kind === "cleanup" || c.kind === "restart") {
    if (c.kind === "cleanup") releaseHolds(st, c.rsc);
    const a = nextAdmin(s.admin);
    (a.queued ??= []).push({ kind: c.kind, rsc: c.rsc });
    setAdmin(st, a, `${c.kind} ${c.rsc} queued: it runs once no operation is under way`);
    return;
  }
  const { admin, message } = applyAdmin(s.admin, c);
  setAdmin(st, admin, message);
}

function setAdmin(st: CoordStep, admin: AdminState, message: string): void {
  const s = st.s;
  s.admin = admin;
  st.log("info", `admin: ${message} (epoch ${admin.epoch})`);
  for (const m of s.members) st.send(m, { t: "admin-state", viewKey: s.viewKey, admin });
}

/** Cleanup also lifts what failures put on a resource (and its group or members): kept stopped, left alone. */
function releaseHolds(st: CoordStep, rsc: string): void {
  const r = st.config.resources.find(
    (x) => x.id === rsc || (x.kind === "group" && x.members.some((m) => m.id === rsc)),
  );
  const ids = !r ? [rsc] : r.kind === "group" ? [r.id, ...r.members.map((m) => m.id)] : [r.id];
  const held = ids.filter((id) => st.s.admin.resources[id]?.heldStopped || st.s.admin.resources[id]?.blocked);
  if (!held.length) return;
  const a = nextAdmin(st.s.admin);
  for (const id of held) {
    delete a.resources[id]!.heldStopped;
    delete a.resources[id]!.blocked;
  }
  setAdmin(st, a, `${held.join(", ")}: failure holds lifted by cleanup`);
}

function drive(st: CoordStep): void {
  const s = st.s;
  const members = s.members.filter((m) => (s.fencedInc[m] ?? 0) < (s.reports[m]?.inc ?? Infinity));
  startupFencing(st);
  requestFencing(st);
  const stale = members.filter((m) => {
    const r = s.reports[m];
    return (
      r?.viewKey !== s.viewKey ||
      !r.probed ||
      r.dc !== s.me ||
      r.config.epoch !== st.p.configEpoch ||
      (s.reportedMs[m] ?? -Infinity) < (s.dcSinceMs ?? -Infinity)
    );
  });
  if (stale.length) {
    for (const m of stale) {
      if (s.nowMs - (s.askedMs[m] ?? -Infinity) < ASK_AGAIN_MS) continue;
      s.askedMs[m] = s.nowMs;
      st.send(m, { t: "report-please", viewKey: s.viewKey });
    }
    if (st.config.nodes.length > 1)
      st.say(
        `no action yet: I am ${s.me}, the DC, waiting for ${stale.join(", ")} to report in this view (probes done, following this DC, running configuration epoch ${st.p.configEpoch})`,
      );
    return;
  }
  for (const a of Object.values(s.inflight)) {
    if (a.ask !== undefined || s.nowMs - a.sentMs < LOST_CHECK_MS) continue;
    const h = s.reports[a.node]?.history[a.rsc];
    if (h?.pending) continue; // under way there
    a.ask = s.nextAsk = (s.nextAsk ?? 0) + 1;
    st.send(a.node, { t: "report-please", viewKey: s.viewKey, ask: a.ask });
  }
  for (const [id, a] of Object.entries(s.inflight)) {
    if (s.nowMs - a.sentMs < a.timeoutMs + RESULT_GRACE_MS) continue;
    delete s.inflight[id];
    s.dirty = true;
    st.log(
      "warn",
      `no result for ${a.op} ${a.rsc} on ${a.node} after ${a.timeoutMs + RESULT_GRACE_MS} ms: asking ${a.node} what happened`,
    );
    st.send(a.node, { t: "report-please", viewKey: s.viewKey });
  }
  // Members whose report shows an operation under way: the DC waits for them. With no order of this DC in flight to
  // that node, its result may have been lost on the way (nothing else would bring it): the node is asked again now
  // and then.
  const busy = members.filter((m) => Object.values(s.reports[m]!.history).some((h) => h.pending));
  for (const m of busy) {
    const ordered = Object.values(s.inflight).some((a) => a.node === m);
    if (ordered || s.nowMs - (s.askedMs[m] ?? -Infinity) < PENDING_ASK_MS) continue;
    s.askedMs[m] = s.nowMs;
    st.send(m, { t: "report-please", viewKey: s.viewKey });
  }
  if (Object.keys(s.inflight).length || busy.length) return;
  if (runQueued(st)) return;
  // A wave of a clone that wants notifications: its operations once the copies heard "pre", then "post".
  if (s.notify) {
    const n = s.notify;
    if (n.phase === "pre") {
      n.phase = "ops";
      for (const op of n.wave) sendOp(st, op);
      return;
    }
    if (n.phase === "ops") {
      n.phase = "post";
      if (sendNotifications(st, "post", n.wave)) return;
    }
    s.notify = undefined;
  }
  if (s.pauseUntilMs !== undefined && s.nowMs < s.pauseUntilMs) return;
  const expired = s.expirySec !== undefined && s.wallSec >= s.expirySec;
  if (!s.dirty && !expired && s.nowMs - s.scheduledMs < RESCHEDULE_MS && Object.keys(s.held).length === 0) return;
  s.dirty = false;
  s.scheduledMs = s.nowMs;

  const input = schedulerInputOf({
    config: st.config,
    admin: s.admin,
    members,
    reports: s.reports,
    attributes: s.attributes,
    dc: s.me,
    wallSec: s.wallSec,
  });
  const { transition } = schedule(input);
  // The scheduler names a clone's copies ("ping:1"); nodes keep their history under the primitive's id.
  // A promoted copy's node comes as "n1/Promoted": the role is in the verb (and in the copy's history).
  const nodeOf = (x: string | null) => (x === null ? null : x.replace(/\/Promoted$/, ""));
  for (const a of transition.actions)
    Object.assign(a, { rsc: historyKey(st.config, a.rsc), from: nodeOf(a.from), to: nodeOf(a.to) });
  s.expirySec = nextExpirySec(st, members);
  for (const f of transition.fences) {
    // The scheduler wants a member fenced (a stop failed with on-fail=fence): its resources wait for it.
    // (Unfencing, "on", needs a device that provides it, which cluster.yaml cannot describe yet.)
    if (f.action === "on" || s.fencing[f.node] || !canFence(st.config, f.node)) continue;
    s.fencing[f.node] = {
      sinceMs: s.nowMs,
      reason: "a stop failed there (on-fail=fence)",
      running: false,
      inc: s.reports[f.node]?.inc ?? 0,
    };
    const rscs = mayRunOn(s, f.node);
    s.held[f.node] = { rscs, needsFence: true };
    st.log("warn", `${f.node} must be fenced: a stop failed there (on-fail=fence); ${rscs.join(", ")} wait for it`);
  }
  requestFencing(st);
  const runningOn = (rsc: string, node: string) => isRunning(s.reports[node]?.history[rsc]);
  // Before the scheduler's operations for a new failure: the pre-recovery script, or the final action, there.
  const prims = primitivesOf(st.config);
  const { steps, noted } = recoverySteps(prims, st.config.monitors, transition.actions, members, s.reports, (rsc) =>
    members.filter((m) => runningOn(rsc, m)),
  );
  for (const n of noted) {
    const key = `${n.node}/${n.rsc}/${n.order.failureCallId}`;
    if (s.noted.includes(key) || (s.reports[n.node]?.history[n.rsc]?.lastFailure?.atSec ?? 0) < s.bornSec!) continue;
    s.noted.push(key);
    if (s.noted.length > 200) s.noted.shift();
    st.log("warn", recoverySentence(n.node, n.order, members.length));
  }
  if (steps.length) {
    s.said = undefined;
    for (const step of steps) sendRecovery(st, step);
    return;
  }
  const heldRscs = new Set(Object.values(s.held).flatMap((h) => h.rscs));
  // Nothing is sent to a node being fenced (it could not be trusted to do it), nor started while its holder is held,
  // nor started at all while a node unseen since startup may run anything.
  // A node this DC has never had in its view may run anything: with startup fencing it is fenced first; without,
  // it holds no lease while this view is quorate, so it has stopped what it ran.
  const toFence = unseenNodes(st).filter((n) => startupFenced(st, n));
  const startsWait = toFence.length > 0;
  const view = {
    runningOn: (rsc: string, node: string, promoted?: boolean) =>
      (promoted ? isPromoted : isRunning)(s.reports[node]?.history[rsc]),
    runningAnywhere: (rsc: string, promoted?: boolean) =>
      members.some((m) => (promoted ? isPromoted : isRunning)(s.reports[m]?.history[rsc])),
    mayRunOn: (rsc: string, node: string) => mayRun(s.reports[node]?.history[rsc]),
  };
  const wave = nextWave(transition.actions, dependenciesOf(st.config), view).filter(
    (op) => !(op.op !== "stop" && heldRscs.has(op.rsc)) && !s.fencing[op.node] && (op.op === "stop" || !startsWait),
  );
  if (startsWait && wave.length === 0) {
    st.say(
      `no action yet: nothing starts until ${toFence.join(", ")} (not seen since this DC started) ${toFence.some((n) => s.fencing[n]) ? "is fenced" : "joins or, after initial-dead, is fenced"} (startup-fencing)`,
    );
    return;
  }
  const heldBack = transition.actions.filter((a) => !a.blocked && heldRscs.has(a.rsc) && a.to).map((a) => a.rsc);
  if (wave.length === 0) {
    const waitFor = Object.keys(s.held).map((n) => `${n} to be fenced`);
    const heldText = heldBack.length
      ? `; waiting for ${waitFor.join(", ")} before starting ${heldBack.join(", ")}`
      : "";
    const blocked = transition.actions.filter((a) => a.blocked).map((a) => `${a.verb.toLowerCase()} ${a.rsc}`);
    st.say(
      `no action: ${st.config.nodes.length > 1 ? `I am ${s.me}, the DC with quorum; ` : ""}${transition.actions.length === 0 ? "every resource is where it should be" : `blocked: ${blocked.join(", ") || "nothing to run now"}`}${heldText}`,
    );
    return;
  }
  s.said = undefined;
  if (wave.some((op) => notifies(st.config, op.rsc))) {
    s.notify = { wave, phase: "pre" };
    if (sendNotifications(st, "pre", wave)) return;
    s.notify.phase = "ops"; // no copy runs yet: nobody to tell before
  }
  for (const op of wave) sendOp(st, op);
}

/** The DC's order for a failure: a script (or the final action) on the node where it failed. */
function sendRecovery(st: CoordStep, step: RecoveryStep): void {
  const s = st.s;
  const id = `${s.viewKey}#${s.nextAction++}`;
  const prim = primitivesOf(st.config).find((x) => x.id === step.rsc);
  s.inflight[id] = {
    node: step.node,
    rsc: step.rsc,
    op: step.kind,
    sentMs: s.nowMs,
    timeoutMs: prim?.meta.preRecoveryTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS,
  };
  st.log(
    "info",
    `${step.kind === "hook" ? `pre-recovery script (${step.order.action})` : "final action"} for ${step.rsc} on ${step.node}`,
  );
  st.send(step.node, { t: "do", viewKey: s.viewKey, id, rsc: step.rsc, op: step.kind, recovery: step.order });
}

function sendOp(
  st: CoordStep,
  op:
    | WaveOp
    | { node: string; rsc: string; op: "cleanup" }
    | { node: string; rsc: string; op: "notify"; env: Record<string, string> },
): void {
  const s = st.s;
  const id = `${s.viewKey}#${s.nextAction++}`;
  const prim = primitivesOf(st.config).find((x) => x.id === op.rsc);
  const timeoutMs = opTimeoutMs(prim, op.op === "cleanup" ? "probe" : op.op);
  s.inflight[id] = { node: op.node, rsc: op.rsc, op: op.op, sentMs: s.nowMs, timeoutMs };
  const notify = op.op === "notify" ? op.env : undefined;
  st.log(
    "info",
    notify
      ? `notify ${op.rsc} on ${op.node} (${notify.OCF_RESKEY_CRM_meta_notify_type}-${notify.OCF_RESKEY_CRM_meta_notify_operation})`
      : `${op.op} ${op.rsc} on ${op.node}`,
  );
  st.send(op.node, { t: "do", viewKey: s.viewKey, id, rsc: op.rsc, op: op.op, ...(notify ? { notify } : {}) });
}

/** A clone with `notify: true` (the agent is told of its copies' starts, stops, promotions and demotions). */
const notifies = (config: ClusterConfig, rsc: string) =>
  config.resources.some((r) => r.clone?.notify && (r.kind === "group" ? r.members : [r]).some((p) => p.id === rsc));

/** Tells every running copy of each notifying clone in `wave` what is about to happen ("pre") or has happened
 * ("post"), as Pacemaker's OCF_RESKEY_CRM_meta_notify_* variables; false if there was nobody to tell. */
function sendNotifications(st: CoordStep, type: "pre" | "post", wave: WaveOp[]): boolean {
  const s = st.s;
  const nodes = st.config.nodes.map((n) => n.name);
  // Copies are interchangeable; each node's copy is named by the node's place in the configuration.
  const instance = (rsc: string, node: string) => `${rsc}:${Math.max(0, nodes.indexOf(node))}`;
  let sent = false;
  for (const rsc of [...new Set(wave.map((op) => op.rsc))].filter((r) => notifies(st.config, r))) {
    const ops = wave.filter((op) => op.rsc === rsc);
    const running = s.members.filter((m) => isRunning(s.reports[m]?.history[rsc]));
    const promoted = s.members.filter((m) => isPromoted(s.reports[m]?.history[rsc]));
    const list = (names: string[]) => ({
      uname: names.join(" "),
      resource: names.map((n) => instance(rsc, n)).join(" "),
    });
    const env: Record<string, string> = {
      OCF_RESKEY_CRM_meta_notify_type: type,
      OCF_RESKEY_CRM_meta_notify_operation: ops[0]!.op,
    };
    const put = (key: string, names: string[]) => {
      const l = list(names);
      env[`OCF_RESKEY_CRM_meta_notify_${key}_uname`] = l.uname;
      env[`OCF_RESKEY_CRM_meta_notify_${key}_resource`] = l.resource;
    };
    for (const kind of ["start", "stop", "promote", "demote"] as const)
      put(
        kind,
        ops.filter((op) => op.op === kind).map((op) => op.node),
      );
    put("active", running);
    put(
      "inactive",
      nodes.filter((n) => !running.includes(n)),
    );
    put("promoted", promoted);
    put("master", promoted); // the names agents written before Pacemaker 2.1 read
    put(
      "unpromoted",
      running.filter((n) => !promoted.includes(n)),
    );
    put(
      "slave",
      running.filter((n) => !promoted.includes(n)),
    );
    env.OCF_RESKEY_CRM_meta_notify_available_uname = s.members.join(" ");
    env.OCF_RESKEY_CRM_meta_notify_all_uname = nodes.join(" ");
    for (const node of running) {
      sendOp(st, { node, rsc, op: "notify", env });
      sent = true;
    }
  }
  return sent;
}

/** Cleanup and restart act at once. Cleanup re-probes the resource wherever it has history. Restart stops it
 * where it runs, a group's later members first (one wave each: it stays queued until all are down); the next
 * schedule starts it again. */
function runQueued(st: CoordStep): boolean {
  const s = st.s;
  const c = s.admin.queued?.[0];
  if (!c) return false;
  const prims = primitivesNamed(st.config, c.rsc);
  const runsOn = (id: string) => s.members.filter((m) => isRunning(s.reports[m]!.history[id]));
  let sent = false;
  if (c.kind === "cleanup") {
    for (const m of s.members)
      for (const p of prims)
        if (s.reports[m]!.history[p.id]) {
          sendOp(st, { node: m, rsc: p.id, op: "cleanup" });
          sent = true;
        }
  } else {
    const running = prims.filter((p) => runsOn(p.id).length > 0);
    const last = running.at(-1);
    if (last)
      for (const m of runsOn(last.id)) {
        sendOp(st, { node: m, rsc: last.id, op: "stop" });
        sent = true;
      }
  }
  if (!sent || c.kind === "cleanup") {
    const a = nextAdmin(s.admin);
    a.queued!.shift();
    if (a.queued!.length === 0) delete a.queued;
    // (Members were sent the cleanup just now; one away hears of it when it is back.)
    if (c.kind === "cleanup") for (const p of prims) (a.cleanedSec ??= {})[p.id] = s.wallSec;
    setAdmin(
      st,
      a,
      `${c.kind} ${c.rsc}${sent ? "" : c.kind === "restart" ? " — stopped; starting it again" : " — nothing to clean up"}`,
    );
  }
  return sent;
}

/** The primitives a resource id names: itself, or a group's members. */
function primitivesNamed(config: ClusterConfig, rsc: string): PrimitiveConfig[] {
  return config.resources.flatMap((r) =>
    r.kind === "group" ? (r.id === rsc ? r.members : r.members.filter((m) => m.id === rsc)) : r.id === rsc ? [r] : [],
  );
}

/** The DC asks its shell to fence every node that needs it (one escalation at a time per node). */
function requestFencing(st: CoordStep): void {
  const s = st.s;
  for (const [target, f] of Object.entries(s.fencing)) {
    if (f.running || (f.retryAtMs !== undefined && s.nowMs < f.retryAtMs)) continue;
    const by = target !== s.me ? s.me : s.members.find((m) => m !== s.me);
    if (!by) continue; // alone: nobody else can fence this node
    f.running = true;
    const delayMs =
      st.config.fencing.priorityDelayMs > 0 && priorityOf(st.config, s, target) > priorityOf(st.config, s, by)
        ? st.config.fencing.priorityDelayMs
        : 0;
    if (delayMs)
      st.log(
        "info",
        `fencing ${target} waits ${delayMs} ms first: it runs more important resources than ${by} (priority-delay), so in a split it shoots first`,
      );
    st.out.push({ type: "fence", target, reason: f.reason, by, delayMs });
  }
}

function onFenceResult(st: CoordStep, r: FenceRecord): void {
  const s = st.s;
  if (!s.fenceHistory.some((x) => x.target === r.target && x.atSec === r.atSec && x.by === r.by)) {
    s.fenceHistory.push(r);
    if (s.fenceHistory.length > FENCE_HISTORY_KEPT) s.fenceHistory.shift();
  }
  const f = s.fencing[r.target];
  if (!r.ok) {
    if (f) {
      f.running = false;
      f.retryAtMs = s.nowMs + FENCE_RETRY_MS;
    }
    st.log(
      "error",
      `fencing ${r.target} FAILED: ${r.reason}; what it ran stays stopped; trying again in ${FENCE_RETRY_MS / 1000} s`,
    );
    return;
  }
  const inc = r.targetInc ?? f?.inc ?? s.reports[r.target]?.inc ?? 0;
  s.fencedInc[r.target] = Math.max(s.fencedInc[r.target] ?? 0, inc);
  delete s.fencing[r.target];
  const held = s.held[r.target];
  delete s.held[r.target];
  st.log("info", `${r.target} fenced by ${r.by}${held ? `: ${held.rscs.join(", ")} may start elsewhere` : ""}`);
}

/** What this node holds for lost nodes, as its reports carry it. */
export function uncleanOf(s: CoordinatorState): NodeReport["unclean"] {
  const out: NonNullable<NodeReport["unclean"]> = {};
  for (const [node, h] of Object.entries(s.held))
    out[node] = { inc: s.fencing[node]?.inc ?? s.reports[node]?.inc ?? 0, rscs: h.rscs, needsFence: h.needsFence };
  return Object.keys(out).length ? out : undefined;
}

/** The total priority of what a node runs (as last reported): a top-level resource counts once, with its priority. */
export function priorityOf(config: ClusterConfig, s: CoordinatorState, node: string): number {
  const h = s.reports[node]?.history ?? {};
  let total = 0;
  for (const r of config.resources) {
    const prims = r.kind === "group" ? r.members : [r];
    if (prims.some((p) => isRunning(h[p.id])))
      total +=
        r.kind === "group" ? Math.max(r.meta.priority, ...r.members.map((m) => m.meta.priority)) : r.meta.priority;
  }
  return total;
}

/** Configured nodes this DC has never heard from, with startup fencing on: they may run anything. */
function unseenNodes(st: CoordStep): string[] {
  const s = st.s;
  return st.config.nodes
    .map((n) => n.name)
    .filter((n) => !s.members.includes(n) && !s.seen.includes(n) && !(n in s.fencedInc) && !s.held[n]);
}

/** Startup fencing applies to this unseen node (fencing on, startup-fencing on, a device for it). */
const startupFenced = (st: CoordStep, n: string) =>
  st.config.fencing.enabled && st.config.fencing.startupFencing && canFence(st.config, n);

/** After initial-dead as DC, the nodes still unseen are fenced (slow starters have had their time to join). */
function startupFencing(st: CoordStep): void {
  const s = st.s;
  if (s.dcSinceMs === undefined || s.nowMs - s.dcSinceMs < st.config.heartbeat.initialDeadMs) return;
  for (const n of unseenNodes(st).filter((x) => startupFenced(st, x))) {
    if (s.fencing[n]) continue;
    s.fencing[n] = {
      sinceMs: s.nowMs,
      reason: "not seen since the cluster started, so it may run anything (startup-fencing)",
      running: false,
      inc: s.reports[n]?.inc ?? 0,
      startup: true,
    };
    st.log(
      "warn",
      `${n} has not been seen since the cluster started: fencing it before anything starts (startup-fencing; fencing.startup-fencing: false to trust that down nodes run nothing)`,
    );
  }
}

/** The earliest moment a failure on a member expires (failure-timeout), if any. */
function nextExpirySec(st: CoordStep, members: string[]): number | undefined {
  let next: number | undefined;
  for (const p of primitivesOf(st.config)) {
    if (p.meta.failureTimeoutMs <= 0) continue;
    for (const m of members) {
      const h = st.s.reports[m]?.history[p.id];
      const at = h && h.failCount > 0 ? h.lastFailure?.atSec : undefined;
      if (at !== undefined && at + p.meta.failureTimeoutMs / 1000 > st.s.wallSec)
        next = Math.min(next ?? Infinity, at + p.meta.failureTimeoutMs / 1000);
    }
  }
  return next;
}

/** What a node may run, as its last report shows it. */
export function mayRunOn(s: CoordinatorState, node: string): string[] {
  return Object.entries(s.reports[node]?.history ?? {})
    .filter(([, h]) => mayRun(h))
    .map(([rsc]) => rsc);
}
