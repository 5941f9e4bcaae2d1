// `paceline status`: what crm_mon shows for one node, in plain words.

import { printable } from "../util/printable.js";
import { formatDuration } from "../config/duration.js";
import type { DaemonStatus, LinkStatus, MembershipStatus, MonitorStatus, ResourceStatus } from "../api/types.js";

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function roleWords(r: ResourceStatus): string {
  if (r.pending)
    return `${r.pending.action === "probe" ? "probing" : `${r.pending.action}ing`.replace("stoping", "stopping")}…`;
  const word =
    {
      started: "Started",
      stopped: "Stopped",
      failed: "FAILED",
      unknown: "Unknown",
      starting: "Starting",
      stopping: "Stopping",
      partial: "Partly started",
    }[r.role] ?? r.role;
  return r.managed ? word : `${word} (unmanaged)`;
}

function rscLine(r: ResourceStatus, indent: string, width: number): string[] {
  const head = `${indent}${r.id.padEnd(width)}  ${(r.agent ?? "").padEnd(24)}  ${roleWords(r)}`;
  const notes: string[] = [];
  if (r.pid && r.role === "started") notes.push(`pid ${r.pid}`);
  if (r.blocked) notes.push(`blocked — ${r.blocked}; fix it, then \`paceline resource cleanup ${r.id}\``);
  if (r.whyDown) notes.push(r.whyDown);
  if (r.lastMonitor && r.role === "started" && r.monitorIntervalMs)
    notes.push(`monitor every ${formatDuration(r.monitorIntervalMs)}: ${r.lastMonitor.reason}`);
  return [notes.length ? `${head}  (${notes.join("; ")})` : head];
}

function monitorLine(m: MonitorStatus, width: number): string {
  const state = {
    ok: "OK",
    failing: `FAILING ${m.consecutiveFailures} of ${m.failuresBeforeAction}`,
    failed: "FAILED",
    unknown: "waiting for first check",
    inactive: "inactive",
  }[m.state];
  const target = m.target ? ` → recovers ${m.target}` : "";
  return `  ${m.name.padEnd(width)}  ${m.type.padEnd(8)}  every ${formatDuration(m.intervalMs).padEnd(5)}  ${state}${m.lastReason && m.active ? ` (${m.lastReason})` : ""}${target}`;
}

export function renderStatus(s: DaemonStatus): string {
  const lines: string[] = [];
  lines.push(
    `Cluster ${s.cluster} — single server ${s.node} — Paceline ${s.version}, pid ${s.pid}, up since ${new Date(s.sinceMs).toISOString().replace("T", " ").slice(0, 19)} UTC`,
  );
  const mode =
    { booting: "probing resources", running: "running", "shutting-down": "SHUTTING DOWN", exited: "stopped" }[s.mode] ??
    s.mode;
  lines.push(
    `State: ${mode}${s.maintenance ? " — MAINTENANCE MODE: nothing is started, stopped or recovered" : ""}${s.standby ? ` — STANDBY: ${s.standby}` : ""}`,
  );
  const all = s.resources.flatMap((r) => [r, ...(r.members ?? [])]);
  const width = Math.max(
    8,
    ...all.map((r) => r.id.length + (r.group ? 2 : 0)),
    ...s.monitors.map((m) => m.name.length),
  );
  lines.push("", `Resources (${all.filter((r) => r.kind === "primitive").length}):`);
  if (s.resources.length === 0) lines.push("  none configured");
  for (const r of s.resources) {
    if (r.kind === "group") {
      lines.push(
        `  Resource group ${r.id}: ${roleWords(r)}${r.heldStopped ? ` (held stopped: ${r.heldStopped})` : ""}`,
      );
      for (const m of r.members ?? []) lines.push(...rscLine(m, "    ", width - 2));
    } else lines.push(...rscLine(r, "  ", width));
  }
  if (s.monitors.length) {
    lines.push("", "Monitors:");
    for (const m of s.monitors) lines.push(monitorLine(m, width));
  }
  const failing = all.filter((r) => r.failCount > 0);
  if (failing.length) {
    lines.push("", "Migration summary:");
    for (const r of failing) {
      const fc = r.failCount >= 1_000_000 ? "INFINITY" : String(r.failCount);
      lines.push(
        `  ${r.id}: fail-count=${fc} migration-threshold=${r.migrationThreshold}${r.failureTimeoutMs ? ` failure-timeout=${formatDuration(r.failureTimeoutMs)}` : ""}`,
      );
    }
  }
  if (s.failedActions.length) {
    lines.push("", "Failed actions:");
    for (const f of s.failedActions.slice(-10)) {
      lines.push(
        `  ${f.rsc} ${f.source}: ${f.reason} (${f.status === "timeout" ? "Timed Out" : f.status === "error" ? "agent could not run" : `rc=${f.rc}`}) at ${time(f.atMs)}`,
      );
      if (f.output)
        lines.push(
          ...f.output
            .split("\n")
            .slice(-2)
            .map((l) => `      | ${l.slice(0, 160)}`),
        );
    }
  }
  if (s.finalActions.length) lines.push("", `Final actions taken: ${s.finalActions.join(", ")}`);
  const recent = s.events.slice(-8);
  if (recent.length) {
    lines.push("", "Recent events:");
    for (const e of recent) lines.push(`  ${time(e.atMs)} ${e.text}`);
  }
  return printable(lines);
}

function linkDetail(l: LinkStatus): string {
  const parts = [
    l.rttMs !== undefined ? `rtt ${l.rttMs < 1 ? l.rttMs.toFixed(2) : l.rttMs.toFixed(1)} ms` : "",
    l.lastHeardMsAgo !== undefined ? `heard ${l.lastHeardMsAgo} ms ago` : "",
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** A cluster node's view of the cluster: nodes, links, quorum, DC. */
export function renderMembership(s: MembershipStatus): string {
  const lines: string[] = [];
  lines.push(
    `Cluster ${s.cluster} — node ${s.node} (incarnation ${s.incarnation}) — Paceline ${s.version}, pid ${s.pid}`,
  );
  lines.push(`View ${s.view.id} (leader ${s.view.leader}): ${s.view.members.join(", ")}`);
  lines.push(
    `Quorum: ${s.quorate ? "yes" : "NO"} — ${s.votes.present} of ${s.votes.expected} votes in the view, ${s.votes.needed} needed`,
  );
  if (s.arbiter)
    lines.push(
      `Arbiter: ${s.arbiter.address} — ${s.arbiter.voteHeld ? "its vote is lent to this view" : "its vote is not with this view"}`,
    );
  lines.push(`DC: ${s.dc ?? "none (no quorum)"}`);
  lines.push("", "Nodes:");
  const width = Math.max(8, ...s.nodes.map((n) => n.name.length));
  for (const n of s.nodes) {
    const state =
      n.state === "online"
        ? n.inView
          ? "online"
          : "online (not in view)"
        : n.state === "unclean"
          ? "UNCLEAN (lost)"
          : n.fenced
            ? "OFFLINE (fenced)"
            : "OFFLINE";
    const links =
      n.name === s.node ? "(this node)" : n.links.map((l) => `link ${l.link} ${l.state}${linkDetail(l)}`).join(", ");
    lines.push(`  ${n.name.padEnd(width)}  ${state.padEnd(20)} ${links}`);
    const attrs = Object.entries(n.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    if (attrs) lines.push(`  ${"".padEnd(width)}  attributes: ${attrs}`);
  }
  const fx = s.fencing;
  for (const p of fx?.pending ?? [])
    lines.push(
      `FENCING ${p.target}: ${p.running ? "in progress" : "waiting to retry"} for ${(p.elapsedMs / 1000).toFixed(1)} s (${p.reason}); what it ran stays stopped until it is fenced`,
    );
  const lastFence = new Map((fx?.history ?? []).map((h) => [h.target, h]));
  for (const [target, h] of lastFence)
    lines.push(
      `Last fencing of ${target}: ${h.ok ? `fenced by ${h.by}` : `FAILED: ${h.reason}`} at ${new Date(h.atSec * 1000).toISOString().slice(11, 19)}`,
    );
  const adm = s.admin;
  if (adm?.maintenance) lines.push("", "MAINTENANCE MODE: nothing is started, stopped or recovered");
  if (adm?.standby.length) lines.push(`Standby: ${adm.standby.join(", ")}`);
  lines.push("", `Resources (${s.resources.flatMap((r) => r.members ?? [r]).length}):`);
  if (s.resources.length === 0) lines.push("  none configured");
  const rw = Math.max(8, ...s.resources.flatMap((r) => [r, ...(r.members ?? [])]).map((r) => r.id.length + 2));
  const failedLines: string[] = [];
  for (const r of s.resources) {
    for (const x of [r, ...(r.members ?? [])]) {
      const indent = x === r ? "  " : "    ";
      const promoted = x.promotedOn ?? [];
      const others = x.runningOn.filter((n) => !promoted.includes(n));
      // A promotable clone says which copies are promoted: "promoted on n1; unpromoted on n2, n3".
      const where =
        x.promotedOn && x.runningOn.length
          ? `: ${[
              promoted.length ? `promoted on ${promoted.join(", ")}` : "none promoted",
              others.length ? `unpromoted on ${others.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join("; ")}`
          : x.runningOn.length && !x.promotedOn
            ? ` on ${x.runningOn.join(", ")}`
            : "";
      const flags = [
        x.disabled ? "disabled" : "",
        x.managed ? "" : "unmanaged",
        x.pending ? `${x.pending.op} on ${x.pending.node}…` : "",
        x.heldFor ?? "",
        x.blocked ?? "",
        x.held ?? "",
      ].filter(Boolean);
      const moved =
        adm?.placements
          .filter((p) => p.rsc === x.id)
          .map((p) => `${p.kind === "move" ? "moved to" : "banned from"} ${p.node}`) ?? [];
      lines.push(
        `${indent}${x.id.padEnd(rw - indent.length + 2)}  ${`${x.agent ?? "group"}${x.clone ? (x.clone.promotable ? " (promotable)" : " (clone)") : ""}`.padEnd(24)}  ${x.state}${where}${[...flags, ...moved].length ? `  (${[...flags, ...moved].join("; ")})` : ""}`,
      );
      for (const f of x.failed)
        failedLines.push(
          `  ${x.id} ${f.op} on ${f.node}: ${f.reason} (rc ${f.rc}, ${new Date(f.atSec * 1000).toISOString().slice(11, 19)}; fail count ${x.failCounts[f.node] ?? 0})`,
        );
    }
  }
  if (failedLines.length)
    lines.push("", "Failed actions (`paceline resource cleanup ID` clears them):", ...failedLines);
  if (s.monitors?.length) {
    lines.push("", `Monitors on ${s.node}:`);
    const mw = Math.max(8, ...s.monitors.map((m) => m.name.length));
    for (const m of s.monitors) lines.push(monitorLine(m, mw));
  }
  const rejected = Object.entries(s.packets.rejected)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  lines.push(
    "",
    `Packets: ${s.packets.sent} sent, ${s.packets.received} received${rejected ? `, rejected: ${rejected}` : ""}; event-loop lag p99 ${s.eventLoopLagMs.p99.toFixed(1)} ms`,
  );
  const recent = s.events.slice(-6);
  if (recent.length) {
    lines.push("", "Recent events:");
    for (const e of recent) lines.push(`  ${new Date(e.atMs).toISOString().slice(11, 19)} ${e.text}`);
  }
  return printable(lines);
}
