// "Why is this resource where it is": every node's score for it and what contributed each part, then where it
// goes. Shared by `paceline simulate --explain` and `paceline status --why` on a running cluster.

import type { ScheduleResult } from "./index.js";
import { INF, scoreText } from "./scores.js";
import { primitivesOf } from "./working-set.js";

export function explain(result: ScheduleResult, id: string): string {
  const ws = result.workingSet;
  const r = ws.byId.get(id) ?? ws.cloneChildOwner.get(id)?.clone;
  if (!r) throw new Error(`no resource \`${id}\` in this configuration`);
  let unit = r;
  while (unit.parent) unit = unit.parent;
  const scores = result.placement.scores.get(unit.id);
  const notes = result.placement.notes.get(unit.id) ?? [];
  const lines = [
    `${id}${unit.id !== id ? ` (placed with ${unit.kind} ${unit.id})` : ""}: score on each node — the highest non-negative score wins; -INFINITY means it may not run there`,
  ];
  const width = Math.max(12, ...ws.nodes.map((n) => n.name.length));
  for (const node of ws.nodes) {
    const v = scores?.get(node.name);
    const why = notes
      .filter((x) => x.node === node.name)
      .map((x) => `${x.delta >= 0 ? "+" : ""}${scoreText(x.delta)} ${x.why}`);
    lines.push(
      `  ${node.name.padEnd(width)} ${(v === undefined ? "not allowed (asymmetric cluster, no location)" : scoreText(v)).padStart(10)}   ${why.join("; ") || (v === 0 ? "no preference" : "")}`,
    );
  }
  const placedOn = primitivesOf(r)
    .map((p) => result.placement.assigned.get(p.id))
    .filter(Boolean);
  const running = primitivesOf(r).flatMap((p) => [...p.running.keys()]);
  lines.push(
    `→ ${placedOn.length ? `runs on ${[...new Set(placedOn)].join(", ")}` : "stays stopped"}${running.length ? ` (it ran on ${[...new Set(running)].join(", ")})` : ""}`,
  );
  if (placedOn.length === 0 && scores && [...scores.values()].every((v) => v < 0 || v <= -INF))
    lines.push("  no node has a score of 0 or more");
  return lines.join("\n");
}
