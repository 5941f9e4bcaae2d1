// The cluster as the scheduler sees it: cluster.yaml lowered to Pacemaker's model, the administrative state laid
// over it (standby, move/ban, disabled, unmanaged, maintenance), and each member's report turned into its
// operation history (lrm) and transient attributes (fail counts, node attributes such as pingd).

import type { LocationDef, NodeStateDef, OpRecord, ResourceDef, SchedulerInput } from "../../config/cluster-model.js";
import type { ClusterConfig } from "../../config/model.js";
import { lowerConfig } from "../../config/lower.js";
import type { AdminState, NodeReport, OpEntry, RscHistory } from "./types.js";

/** Pacemaker's execution status codes, as its history records carry them. */
const EXEC_STATUS = { done: 0, timeout: 2, error: 4 } as const;

function opRecord(rsc: string, e: OpEntry, suffix: string): OpRecord {
  const operation = e.op;
  return {
    id: `${rsc}_${suffix}`,
    operation,
    intervalMs: e.intervalMs,
    rc: e.rc,
    status: EXEC_STATUS[e.status],
    callId: e.callId,
    lastRcChange: e.atSec,
    exitReason: e.reason,
  };
}

/** A node's history as the scheduler reads it; `outdated`: what runs there with an older definition. */
export function lrmOf(history: Record<string, RscHistory>, outdated: string[] = []): NodeStateDef["lrm"] {
  return Object.entries(history)
    .filter(([, h]) => h.last)
    .map(([rsc, h]) => {
      const ops = [opRecord(rsc, h.last!, "last_0")];
      if (h.monitor) ops.push(opRecord(rsc, h.monitor, `monitor_${h.monitor.intervalMs}`));
      const f = h.lastFailure;
      if (f && f.callId !== h.last!.callId && f.callId !== h.monitor?.callId)
        ops.push(opRecord(rsc, f, "last_failure_0"));
      return { id: rsc, ops, ...(outdated.includes(rsc) ? { definitionChanged: true } : {}) };
    });
}

export interface ClusterPicture {
  config: ClusterConfig;
  admin: AdminState;
  /** Members of the DC's view, each with its report. */
  members: string[];
  reports: Record<string, NodeReport>;
  /** Node attributes from the heartbeats (pingd …). */
  attributes: Record<string, Record<string, string>>;
  dc: string;
  wallSec: number;
}

export function schedulerInputOf(p: ClusterPicture): SchedulerInput {
  const names = p.config.nodes.map((n) => n.name);
  const input = lowerConfig(p.config, names);
  input.nowSec = Math.floor(p.wallSec);
  input.dcUuid = p.dc;
  if (p.admin.maintenance) input.properties["maintenance-mode"] = "true";
  const defsOf = (d: ResourceDef): ResourceDef[] =>
    d.kind === "group" ? [d, ...d.children] : d.kind === "clone" ? [d, ...defsOf(d.child)] : [d];
  for (const r of input.resources) {
    for (const d of defsOf(r)) {
      const o = p.admin.resources[d.id];
      if (!o) continue;
      const values = d.meta[0]!.values;
      if (o.disabled || o.heldStopped) values["target-role"] = "Stopped";
      if (o.unmanaged || o.blocked) values["is-managed"] = "false";
    }
  }
  for (const pl of p.admin.placements) {
    const loc: LocationDef = {
      id: `cli-${pl.kind === "move" ? "prefer" : "ban"}-${pl.rsc}-on-${pl.node}`,
      rsc: p.config.resources.find((r) => r.id === pl.rsc)?.clone?.id ?? pl.rsc,
      node: pl.node,
      score: pl.kind === "move" ? 1_000_000 : -1_000_000,
      rules: [],
    };
    input.locations.push(loc);
  }
  input.nodeStates = names.map((name): NodeStateDef => {
    const report = p.members.includes(name) ? p.reports[name] : undefined;
    if (!report)
      return {
        id: name,
        uname: name,
        inCcm: "false",
        crmd: "offline",
        join: "down",
        expected: "down",
        transient: {},
        lrm: [],
      };
    const transient: Record<string, string> = { ...(p.attributes[name] ?? {}) };
    for (const [rsc, h] of Object.entries(report.history)) {
      if (h.failCount > 0) transient[`fail-count-${rsc}`] = String(h.failCount);
      if (h.lastFailure) transient[`last-failure-${rsc}`] = String(h.lastFailure.atSec);
    }
    if (p.admin.standby.includes(name)) transient.standby = "on";
    if (report.shuttingDown) transient.shutdown = String(Math.max(1, Math.floor(p.wallSec)));
    return {
      id: name,
      uname: name,
      inCcm: "true",
      crmd: "online",
      join: "member",
      expected: "member",
      transient,
      lrm: lrmOf(report.history, report.outdated),
    };
  });
  return input;
}
