// `paceline status` of a single server: the one-node cluster's node core, as single-server mode has always shown it
// (each resource's role, fail count and why it is down, the built-in monitors, failed actions, recent events).
// A projection: it decides nothing.

import type { ClusterConfig, PrimitiveConfig } from "../config/model.js";
import { agentName } from "../config/model.js";
import { isRunning, mayBeActive } from "../core/controller/node-rm.js";
import { failureSource, thresholdOf } from "../core/controller/recovery.js";
import type { RscHistory } from "../core/controller/types.js";
import type { NodeState } from "../core/node/node.js";
import type { DaemonStatus, EventLine, MonitorStatus, ResourceStatus } from "./types.js";

export interface SingleShellFacts {
  pid: number;
  sinceMs: number;
  version: string;
  events: EventLine[];
  host: string;
  pidOf(rsc: string): number | undefined;
}

const fmt = (n: number) => (Number.isFinite(n) ? n : ("INFINITY" as const));

function role(h: RscHistory | undefined): string {
  if (h?.pending)
    return h.pending.op === "start"
      ? "starting"
      : h.pending.op === "stop"
        ? "stopping"
        : h.pending.op === "probe"
          ? "unknown"
          : isRunning(h)
            ? "started"
            : "stopped";
  if (!h?.last) return "unknown";
  if (isRunning(h)) return "started";
  return mayBeActive(h) ? "failed" : "stopped";
}

/** This node's built-in monitors (the cluster status shows them too). */
export function monitorStatuses(n: NodeState): MonitorStatus[] {
  return n.config.monitors.map((m) => {
    const c = n.rm.checks[m.name];
    const state = !c?.active
      ? ("inactive" as const)
      : c.lastOk === undefined
        ? ("unknown" as const)
        : c.lastOk
          ? ("ok" as const)
          : c.consecutive > 0
            ? ("failing" as const)
            : ("failed" as const);
    return {
      name: m.name,
      type: m.type,
      target: m.recover,
      intervalMs: m.intervalMs,
      active: !!c?.active,
      state,
      consecutiveFailures: c?.consecutive ?? 0,
      failuresBeforeAction: m.failures,
      lastReason: c?.lastReason,
      lastCheckMs: c?.lastCheckSec === undefined ? undefined : c.lastCheckSec * 1000,
    };
  });
}

export function singleStatus(n: NodeState, x: SingleShellFacts): DaemonStatus {
  const config: ClusterConfig = n.config;
  const admin = n.co.admin;
  const maintenance = config.properties.maintenanceMode || admin.maintenance;
  const holdOf = (id: string) =>
    admin.resources[id]?.heldStopped ?? (admin.resources[id]?.disabled ? "disabled by an administrator" : undefined);
  const whyDown = (p: PrimitiveConfig, h: RscHistory | undefined): string | undefined => {
    for (const id of p.group ? [p.id, p.group] : [p.id]) {
      const held = holdOf(id);
      if (held) return `${id} held stopped: ${held}`;
    }
    if (p.meta.targetRole === "stopped") return `${p.id} has target-role stopped`;
    if (h && h.failCount >= thresholdOf(p))
      return `${p.id} reached its migration-threshold (${h.failCount >= 1_000_000 ? "INFINITY" : h.failCount} failures)`;
    if (maintenance) return "maintenance mode";
    return undefined;
  };
  const rscStatus = (p: PrimitiveConfig): ResourceStatus => {
    const h = n.rm.history[p.id];
    const r = role(h);
    const stopFailed = h?.last?.op === "stop" && h.last.rc !== 0 ? `stop failed: ${h.last.reason}` : undefined;
    const blocked = stopFailed ?? admin.resources[p.id]?.blocked;
    const monitor = p.ops.find((o) => o.name === "monitor" && o.intervalMs > 0);
    return {
      id: p.id,
      kind: "primitive",
      group: p.group,
      agent: agentName(p.agent),
      role: r,
      managed: p.meta.managed && !blocked && !admin.resources[p.id]?.unmanaged && !maintenance,
      blocked,
      heldStopped: holdOf(p.id),
      failCount: h?.failCount ?? 0,
      migrationThreshold: fmt(p.meta.migrationThreshold),
      failureTimeoutMs: p.meta.failureTimeoutMs,
      pending: h?.pending && { action: h.pending.op, sinceMs: h.pending.sinceSec * 1000 },
      monitorIntervalMs: monitor?.intervalMs,
      lastMonitor: h?.monitor && { atMs: h.monitor.atSec * 1000, rc: h.monitor.rc, reason: h.monitor.reason },
      pid: r === "started" ? x.pidOf(p.id) : undefined,
      whyDown: r === "stopped" ? whyDown(p, h) : undefined,
    };
  };
  const resources: ResourceStatus[] = config.resources.map((res) => {
    if (res.kind === "primitive") return rscStatus(res);
    const members = res.members.map(rscStatus);
    const r = members.every((m) => m.role === "started")
      ? "started"
      : members.every((m) => m.role === "stopped")
        ? "stopped"
        : members.some((m) => m.role === "failed")
          ? "failed"
          : "partial";
    return {
      id: res.id,
      kind: "group",
      role: r,
      managed: members.every((m) => m.managed),
      heldStopped: holdOf(res.id),
      failCount: Math.max(0, ...members.map((m) => m.failCount)),
      migrationThreshold: fmt(res.meta.migrationThreshold),
      failureTimeoutMs: res.meta.failureTimeoutMs,
      members,
    };
  });
  const prims = config.resources.flatMap((r) => (r.kind === "group" ? r.members : [r]));
  const failedActions = prims
    .flatMap((p) => {
      const f = n.rm.history[p.id]?.lastFailure;
      return f
        ? [{ rsc: p.id, source: failureSource(f), rc: f.rc, status: f.status, reason: f.reason, atMs: f.atSec * 1000 }]
        : [];
    })
    .sort((a, b) => a.atMs - b.atMs);
  const mode =
    !n.booted || !n.rm.probed
      ? "booting"
      : n.leaving || n.rm.exited
        ? "exited"
        : n.rm.shuttingDown
          ? "shutting-down"
          : "running";
  return {
    cluster: config.cluster,
    node: x.host,
    mode,
    pid: x.pid,
    sinceMs: x.sinceMs,
    nowMs: n.wallSec * 1000,
    version: x.version,
    maintenance,
    standby: admin.standby.includes(n.me) ? "on standby" : undefined,
    resources,
    monitors: monitorStatuses(n),
    failedActions,
    finalActions: prims.filter((p) => n.rm.history[p.id]?.finalized).map((p) => `${p.id}: ${p.meta.finalAction.kind}`),
    events: x.events,
  };
}
