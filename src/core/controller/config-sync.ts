// The cluster's configuration, versioned: `paceline config push` hands a new cluster.yaml to the DC, which checks
// it, numbers it (epoch + 1) and sends it to every member; each stores it and runs it. A node that finds a member
// with a higher epoch asks it for that configuration (a node rejoining after a push catches up). Without quorum
// there is no DC, so nothing can be pushed. Deterministic: parsing is the pure config loader; no IO here.

import { createHash } from "node:crypto";
import { loadConfigText } from "../../config/load.js";
import type { ClusterConfig } from "../../config/model.js";
import { primitivesOf } from "../../config/model.js";
import { formatProblem } from "../../config/problems.js";

export interface ConfigDoc { epoch: number; yaml: string; hash: string }

export type ConfigMessage =
  | { t: "config-please"; viewKey: string }
  | { t: "config"; doc: ConfigDoc }
  | { t: "config-push"; viewKey: string; id: string; yaml: string; baseEpoch: number }
  | { t: "config-result"; id: string; ok: boolean; message: string };

export const hashOf = (yaml: string) => createHash("sha256").update(yaml).digest("hex").slice(0, 16);

/** What may not change while the cluster runs: membership is built from it (a rolling restart applies it). */
const FIXED = ["cluster", "nodes", "heartbeat", "quorum", "ping"] as const;

export function parseDoc(doc: ConfigDoc): { config?: ClusterConfig; error?: string } {
  if (hashOf(doc.yaml) !== doc.hash) return { error: "its checksum does not match" };
  const r = loadConfigText(doc.yaml, `cluster configuration epoch ${doc.epoch}`);
  if (!r.config) return { error: r.problems.filter((p) => p.severity === "error").map(formatProblem).join("; ") };
  return { config: r.config };
}

/** Why the DC refuses a new configuration, or undefined to accept it. */
export function pushProblem(current: ClusterConfig, next: ClusterConfig, active: (rsc: string) => string[]): string | undefined {
  const changed = FIXED.filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]));
  if (changed.length) return `${changed.join(", ")} cannot change while the cluster runs (membership is built from them): edit the file on every node and restart the daemons one by one`;
  const kept = new Set(primitivesOf(next).map((p) => p.id));
  const removedRunning = primitivesOf(current).filter((p) => !kept.has(p.id) && active(p.id).length > 0);
  if (removedRunning.length) return `${removedRunning.map((p) => `${p.id} (runs on ${active(p.id).join(", ")})`).join(", ")} would be removed while running: \`paceline resource disable\` ${removedRunning.length > 1 ? "them" : "it"} first, then push`;
  return undefined;
}

/** One sentence on what a new configuration changes. */
export function describeChange(current: ClusterConfig, next: ClusterConfig): string {
  const before = new Map(primitivesOf(current).map((p) => [p.id, JSON.stringify(p)]));
  const after = new Map(primitivesOf(next).map((p) => [p.id, JSON.stringify(p)]));
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  const parts = [added.length ? `adds ${added.join(", ")}` : "", removed.length ? `removes ${removed.join(", ")}` : "", changed.length ? `changes ${changed.join(", ")}` : ""].filter(Boolean);
  const other = (["fencing", "properties", "monitors"] as const).filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]));
  if (JSON.stringify(current.resources.map((r) => [r.id, r.meta])) !== JSON.stringify(next.resources.map((r) => [r.id, r.meta])) && !parts.length) parts.push("changes resource options");
  if (other.length) parts.push(`changes ${other.join(", ")}`);
  return parts.join("; ") || "changes nothing that runs (comments or formatting)";
}

/** The DC's decision on a pushed configuration: the new numbered document, or why not. */
export function decidePush(
  current: { doc: ConfigDoc; config: ClusterConfig }, push: { yaml: string; baseEpoch: number }, isDc: boolean, active: (rsc: string) => string[],
): { doc: ConfigDoc; config: ClusterConfig; message: string } | { refused: string } {
  if (!isDc) return { refused: "this node is no longer the DC (the view changed): push again" };
  if (push.baseEpoch !== current.doc.epoch) return { refused: `the configuration changed meanwhile (now epoch ${current.doc.epoch}; you edited epoch ${push.baseEpoch}): check \`paceline config show\` and push again` };
  const doc: ConfigDoc = { epoch: current.doc.epoch + 1, yaml: push.yaml, hash: hashOf(push.yaml) };
  const parsed = parseDoc(doc);
  if (!parsed.config) return { refused: `it does not validate: ${parsed.error}` };
  const problem = pushProblem(current.config, parsed.config, active);
  if (problem) return { refused: problem };
  return { doc, config: parsed.config, message: `epoch ${doc.epoch}: ${describeChange(current.config, parsed.config)}` };
}

/** A member's configuration replaces ours only if it is newer. */
export const newer = (mine: { epoch: number }, theirs: { epoch: number } | undefined) => !!theirs && theirs.epoch > mine.epoch;
