// CLUSTERPRO's recovery ladder on top of Pacemaker's placement: a resource that fails is restarted where it runs
// until its migration-threshold, then fails over to another node, and when no node is left, the final action
// runs where it last failed. Before each step the resource's pre-recovery script runs there, with what happened
// and the counts (PACELINE_* and CLUSTERPRO's CLP_* names), so seed 004's scripts run unchanged.
// The scheduler decides the step (restart in place, move, or nowhere to go); this module names it, counts, and
// says what must happen before the scheduler's operations may go out. Deterministic.

import type { MonitorConfig, PrimitiveConfig } from "../../config/model.js";
import { INFINITY_SCORE } from "../../config/pacemaker-values.js";
import type { Action } from "../scheduler/transition.js";
import type { NodeReport, OpEntry, RecoveryAction, RecoveryOrder, RscHistory } from "./types.js";

/** One thing the DC has a node do about a failure before the scheduler's operations for it go out. */
export interface RecoveryStep {
  node: string;
  rsc: string;
  kind: "hook" | "final";
  order: RecoveryOrder;
}

const RESTARTING = new Set(["Recover", "Restart"]);

/** Failures that count toward the threshold reach it at this fail count (INFINITY reaches even INFINITY). */
export const thresholdOf = (p: PrimitiveConfig) => Math.min(p.meta.migrationThreshold, INFINITY_SCORE);

/** What saw the failure, as CLP_MONITORNAME shows it. */
export function failureSource(f: OpEntry): string {
  if (f.source) return f.source;
  if (f.op === "monitor") return f.intervalMs > 0 ? "monitor" : "probe";
  return f.op;
}

/** Restarts in place so far on this node: failures below the threshold each got one. */
export const restartsOf = (h: RscHistory, p: PrimitiveConfig) => Math.min(h.failCount, Math.max(0, thresholdOf(p) - 1));

/** Failovers so far: the nodes where it reached its threshold (each sent it away). */
export function failoversOf(rsc: PrimitiveConfig, members: string[], reports: Record<string, NodeReport>): number {
  return members.filter((m) => (reports[m]?.history[rsc.id]?.failCount ?? 0) >= thresholdOf(rsc)).length;
}

/** The step the scheduler's transition takes for a failure of `rsc` on `node`, in CLUSTERPRO's words: started
 * again there (RESTART), started elsewhere (FAILOVER), or — at its threshold — running nowhere (FINALACTION). */
function stepFor(
  actions: Action[],
  rsc: string,
  node: string,
  failCount: number,
  threshold: number,
  runsOn: string[],
): RecoveryAction | undefined {
  const mine = actions.filter((a) => a.rsc === rsc && !a.blocked);
  if (mine.some((a) => (RESTARTING.has(a.verb) || a.verb === "Start") && a.to === node)) return "RESTART";
  if (mine.some((a) => a.to && a.to !== node)) return "FAILOVER";
  const keeps = runsOn.filter((n) => !mine.some((a) => a.from === n && !a.to));
  if (failCount >= threshold && !mine.some((a) => a.to) && keeps.length === 0) return "FINALACTION";
  return undefined;
}

/** What must happen before this transition's operations: a pre-recovery script for each new failure that has one,
 * and the final action where a resource has nowhere left to run. Each happens once per failure (the node records
 * the failure it answered in its history). `runsOn`: where the members' reports show a resource running. */
export function recoverySteps(
  prims: PrimitiveConfig[],
  monitors: MonitorConfig[],
  actions: Action[],
  members: string[],
  reports: Record<string, NodeReport>,
  runsOn: (rsc: string) => string[],
): { steps: RecoveryStep[]; noted: Array<{ node: string; rsc: string; order: RecoveryOrder }> } {
  const steps: RecoveryStep[] = [];
  const noted: Array<{ node: string; rsc: string; order: RecoveryOrder }> = [];
  for (const p of prims) {
    // The final action runs once, where it failed last; earlier failures elsewhere were failovers.
    const latest = members.reduce<string | undefined>((best, m) => {
      const at = reports[m]?.history[p.id]?.lastFailure?.atSec ?? -Infinity;
      return at > (best === undefined ? -Infinity : reports[best]!.history[p.id]!.lastFailure!.atSec) ? m : best;
    }, undefined);
    for (const node of members) {
      const h = reports[node]?.history[p.id];
      const f = h?.lastFailure;
      // A failed stop is not a step of the ladder: the resource is blocked where it is (or its node is fenced).
      if (!h || !f || h.failCount === 0 || f.op === "stop") continue;
      const action = stepFor(actions, p.id, node, h.failCount, thresholdOf(p), runsOn(p.id));
      if (!action || (action === "FINALACTION" && node !== latest)) continue;
      const order: RecoveryOrder = {
        action,
        resource: monitors.find((m) => m.name === f.source)?.recover ?? p.id,
        builtin: monitors.some((m) => m.name === f.source),
        failureCallId: f.callId,
        monitor: failureSource(f),
        restarts: restartsOf(h, p),
        failovers: failoversOf(p, members, reports),
        failCount: h.failCount,
        reason: f.reason,
      };
      noted.push({ node, rsc: p.id, order });
      if (p.meta.preRecoveryScript && (h.hooked ?? 0) < f.callId) steps.push({ node, rsc: p.id, kind: "hook", order });
      else if (action === "FINALACTION" && (h.finalized ?? 0) < f.callId)
        steps.push({ node, rsc: p.id, kind: "final", order });
    }
  }
  return { steps, noted };
}

/** The DC's one sentence about a failure and what comes of it. */
export function recoverySentence(node: string, o: RecoveryOrder, members: number): string {
  const rsc = o.resource;
  const where = members > 1 ? ` on ${node}` : "";
  const what = `${rsc}: ${o.builtin ? `monitor ${o.monitor}` : o.monitor} failed${where} (${o.reason})`;
  if (o.action === "RESTART") return `${what}; restarting${members > 1 ? " there" : ""}, attempt ${o.restarts}`;
  if (o.action === "FAILOVER")
    return `${what}; failing over to another node (failover ${o.failovers}, after ${o.failCount >= INFINITY_SCORE ? "a fatal failure" : `${o.failCount} failure${o.failCount === 1 ? "" : "s"}`} there)`;
  return `${what}; no node is left to run it${where ? `: its final action runs${where}` : ""}`;
}

/** The pre-recovery (or final-action) script's environment: Paceline's names and CLUSTERPRO's. */
export function recoveryEnv(o: RecoveryOrder, recoveries: number): Record<string, string> {
  const rsc = o.resource;
  return {
    PACELINE_ACTION: o.action,
    PACELINE_RESOURCE: rsc,
    PACELINE_MONITOR_NAME: o.monitor,
    PACELINE_REASON: o.reason,
    PACELINE_RESTART_COUNT: String(o.restarts),
    PACELINE_RECOVERY_COUNT: String(recoveries),
    PACELINE_FAILOVER_COUNT: String(o.failovers),
    PACELINE_FAIL_COUNT: String(o.failCount),
    CLP_ACTION: o.action,
    CLP_RESOURCE: rsc,
    CLP_MONITORNAME: o.monitor,
    CLP_RESTARTCOUNT: String(o.restarts),
    CLP_RECOVERYCOUNT: String(recoveries),
    CLP_FAILOVERCOUNT: String(o.failovers),
  };
}

/** The sentence for a final action (what will happen), as single-server mode has always said it. */
export function describeFinal(p: PrimitiveConfig): string {
  const fa = p.meta.finalAction;
  switch (fa.kind) {
    case "none":
      return p.meta.failureTimeoutMs > 0
        ? `it stays stopped until its failures expire (failure-timeout ${Math.round(p.meta.failureTimeoutMs / 1000)} s) or \`paceline resource cleanup\``
        : "it stays stopped until `paceline resource cleanup`";
    case "stop-group":
      return p.group ? `final action: stop its group ${p.group}` : "final action: keep it stopped";
    case "stop-daemon":
      return "final action: stop every resource here and Paceline";
    case "reboot":
      return "final action: reboot this node's operating system";
    case "script":
      return `final action: run ${fa.path}`;
  }
}
