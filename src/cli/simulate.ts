// `paceline simulate`: run the scheduler on a Pacemaker CIB (or, later, a cluster.yaml with what-if events) and
// show the transition — normalized like the conformance corpus (--summary), or in words, with --explain RSC
// answering "why is RSC where it is".

import { readFileSync } from "node:fs";
import { readCib } from "../config/cib.js";
import type { SchedulerInput } from "../config/cluster-model.js";
import { normalizedSummary, schedule, type ScheduleResult } from "../core/scheduler/index.js";
import { INF, scoreText } from "../core/scheduler/scores.js";
import { primitivesOf } from "../core/scheduler/working-set.js";

export interface SimulateOptions { cib?: string; summary: boolean; explain?: string }

export function loadCibFile(path: string): SchedulerInput {
  let xml: string;
  try {
    xml = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  try {
    return readCib(xml);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

function describe(result: ScheduleResult): string {
  const t = result.transition;
  const lines: string[] = [];
  const n = t.actions.length + t.fences.length;
  lines.push(n === 0 ? "Transition: nothing to do." : `Transition (${t.actions.length} action${t.actions.length === 1 ? "" : "s"}, ${t.fences.length} fence${t.fences.length === 1 ? "" : "s"}):`);
  for (const f of t.fences) lines.push(`  fence ${f.node} (${f.action}): it is unclean, so nothing it held may start elsewhere until it is fenced`);
  const words: Record<string, string> = { Start: "start", Stop: "stop", Move: "move", Migrate: "migrate (live)", Restart: "restart", Recover: "recover", Reload: "reload", Promote: "promote", Demote: "demote", "Re-promote": "re-promote" };
  for (const a of [...t.actions].sort((x, y) => x.rsc.localeCompare(y.rsc))) {
    const where = a.from && a.to ? (a.from === a.to ? `on ${a.from}` : `${a.from} → ${a.to}`) : a.to ? `on ${a.to}` : `on ${a.from}`;
    lines.push(`  ${words[a.verb]!.padEnd(14)} ${a.rsc.padEnd(24)} ${where}${a.blocked ? "   BLOCKED: cannot run now" : ""}`);
  }
  lines.push("", "Afterwards:");
  for (const nd of t.nodes) lines.push(`  node ${nd.node}: ${nd.state}`);
  for (const p of [...t.placed].sort((x, y) => x.rsc.localeCompare(y.rsc))) lines.push(`  ${p.rsc.padEnd(24)} ${p.role.padEnd(9)} on ${p.node}${p.flags.length ? ` (${p.flags.join(", ")})` : ""}`);
  return lines.join("\n");
}

export function explain(result: ScheduleResult, id: string): string {
  const ws = result.workingSet;
  const r = ws.byId.get(id) ?? ws.cloneChildOwner.get(id)?.clone;
  if (!r) throw new Error(`no resource \`${id}\` in this configuration`);
  let unit = r;
  while (unit.parent) unit = unit.parent;
  const scores = result.placement.scores.get(unit.id);
  const notes = result.placement.notes.get(unit.id) ?? [];
  const lines = [`${id}${unit.id !== id ? ` (placed with ${unit.kind} ${unit.id})` : ""}: score on each node — the highest non-negative score wins; -INFINITY means it may not run there`];
  for (const node of ws.nodes) {
    const v = scores?.get(node.name);
    const why = notes.filter((x) => x.node === node.name).map((x) => `${x.delta >= 0 ? "+" : ""}${scoreText(x.delta)} ${x.why}`);
    lines.push(`  ${node.name.padEnd(20)} ${(v === undefined ? "not allowed (asymmetric cluster, no location)" : scoreText(v)).padStart(10)}   ${why.join("; ") || (v === 0 ? "no preference" : "")}`);
  }
  const placedOn = primitivesOf(r).map((p) => result.placement.assigned.get(p.id)).filter(Boolean);
  const running = primitivesOf(r).flatMap((p) => [...p.running.keys()]);
  lines.push(`→ ${placedOn.length ? `runs on ${[...new Set(placedOn)].join(", ")}` : "stays stopped"}${running.length ? ` (it ran on ${[...new Set(running)].join(", ")})` : ""}`);
  if (placedOn.length === 0 && scores && [...scores.values()].every((v) => v < 0 || v <= -INF)) lines.push("  no node has a score of 0 or more");
  return lines.join("\n");
}

export function simulate(opts: SimulateOptions): string {
  if (!opts.cib) throw new Error("give the input: --cib FILE.xml");
  const result = schedule(loadCibFile(opts.cib));
  if (opts.explain) return explain(result, opts.explain);
  return opts.summary ? normalizedSummary(result.transition).join("\n") : describe(result);
}
