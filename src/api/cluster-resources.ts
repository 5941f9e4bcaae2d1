// What `paceline status` shows about resources in a cluster: for each resource, where it runs according to the
// members' own reports, what is pending, what failed where, and the administrative state laid over it.

import type { ClusterConfig, PrimitiveConfig } from "../config/model.js";
import { agentName } from "../config/model.js";
import type { ClusterResourceStatus } from "./types.js";
import type { CoordinatorState } from "../core/controller/coordinator.js";
import type { ControlOp } from "../core/controller/types.js";
import { isPromoted, isRunning, mayRun } from "../core/controller/node-rm.js";

const PENDING_WORDS = {
  start: "starting",
  stop: "stopping",
  probe: "probing",
  promote: "promoting",
  demote: "demoting",
  notify: "being notified",
  hook: "running its recovery script",
} as const;

function primitiveStatus(p: PrimitiveConfig, co: CoordinatorState): ClusterResourceStatus {
  const runningOn: string[] = [];
  const promotedOn: string[] = [];
  const failed: ClusterResourceStatus["failed"] = [];
  const failCounts: Record<string, number> = {};
  let pending: { op: ControlOp | "hook"; node: string } | undefined;
  let blockedOn: string | undefined;
  for (const node of co.members) {
    const h = co.reports[node]?.history[p.id];
    if (!h) continue;
    if (isRunning(h)) runningOn.push(node);
    if (isPromoted(h)) promotedOn.push(node);
    if (h.pending) pending = { op: h.pending.op, node };
    if (h.failCount > 0) failCounts[node] = h.failCount;
    const f = h.lastFailure;
    if (f)
      failed.push({
        node,
        op: f.intervalMs ? `monitor every ${f.intervalMs} ms` : f.op === "monitor" ? "probe" : f.op,
        rc: f.rc,
        reason: f.reason,
        atSec: f.atSec,
      });
    if (h.last?.op === "stop" && h.last.rc !== 0) blockedOn = node;
  }
  const heldBy = Object.entries(co.held).find(([, h]) => h.rscs.includes(p.id))?.[0];
  const a = co.admin.resources[p.id] ?? {};
  const state = blockedOn
    ? "blocked"
    : pending
      ? PENDING_WORDS[pending.op]
      : runningOn.length
        ? failed.some((f) => runningOn.includes(f.node) && !isRunning(co.reports[f.node]?.history[p.id]))
          ? "FAILED"
          : "started"
        : co.members.some((m) => mayRun(co.reports[m]?.history[p.id]))
          ? "FAILED"
          : "stopped";
  return {
    id: p.id,
    kind: "primitive",
    agent: agentName(p.agent),
    runningOn,
    promotedOn: p.clone?.promotable ? promotedOn : undefined,
    clone: p.clone && !p.group ? { promotable: !!p.clone.promotable } : undefined,
    state: state,
    pending,
    failed,
    failCounts,
    managed: !(a.unmanaged ?? false) && p.meta.managed,
    disabled: a.disabled ?? p.meta.targetRole === "stopped",
    blocked: blockedOn
      ? `its stop failed on ${blockedOn}: fix it, then \`paceline resource cleanup ${p.id}\``
      : undefined,
    heldFor: heldBy ? `${heldBy} may still run it until its lease runs out` : undefined,
    held: holdOf(co, p.id),
  };
}

const holdOf = (co: CoordinatorState, id: string) => {
  const a = co.admin.resources[id];
  return a?.blocked ? `left alone: ${a.blocked}` : a?.heldStopped ? `kept stopped: ${a.heldStopped}` : undefined;
};

export function clusterResources(config: ClusterConfig, co: CoordinatorState): ClusterResourceStatus[] {
  return config.resources.map((r) => {
    if (r.kind === "primitive") return primitiveStatus(r, co);
    const members = r.members.map((m) => primitiveStatus(m, co));
    const nodes = [...new Set(members.flatMap((m) => m.runningOn))];
    const a = co.admin.resources[r.id] ?? {};
    const state =
      members.every((m) => m.state === "started") && (nodes.length === 1 || !!r.clone)
        ? "started"
        : members.every((m) => m.state === "stopped")
          ? "stopped"
          : members.some((m) => m.state === "FAILED" || m.state === "blocked")
            ? "FAILED"
            : "partly started";
    return {
      id: r.id,
      kind: "group",
      runningOn: nodes,
      clone: r.clone ? { promotable: !!r.clone.promotable } : undefined,
      state,
      failed: [],
      failCounts: {},
      managed: !(a.unmanaged ?? false) && r.meta.managed,
      disabled: a.disabled ?? r.meta.targetRole === "stopped",
      members,
      held: holdOf(co, r.id),
    };
  });
}
