// The cluster's configuration, versioned: `paceline config push` hands a new cluster.yaml to the DC, which checks
// it, numbers it (epoch + 1) and sends it to every member; each stores it and runs it. A node that finds a member
// with a higher epoch asks it for that configuration (a node rejoining after a push catches up). Without quorum
// there is no DC, so nothing can be pushed. Deterministic: documents arrive already parsed by the shell
// (config/doc.ts), so the core neither hashes nor parses.

import type { ClusterConfig } from "../../config/model.js";
import { primitivesOf } from "../../config/model.js";

export interface ConfigDoc {
  epoch: number;
  yaml: string;
  hash: string;
}

/** A document as the shell read it: the text, its checksum, and the configuration it parses to (or why not). */
export interface ParsedDoc {
  yaml: string;
  hash: string;
  config?: ClusterConfig;
  error?: string;
}

export type ConfigMessage =
  | { t: "config-please"; viewKey: string }
  | { t: "config"; doc: ConfigDoc }
  | { t: "config-push"; viewKey: string; id: string; yaml: string; baseEpoch: number }
  | { t: "config-result"; id: string; ok: boolean; message: string };

/** What may not change while the cluster runs: membership is built from it (a rolling restart applies it). */
const FIXED = ["cluster", "nodes", "heartbeat", "quorum", "ping"] as const;

export interface PushProblems {
  /** Sections that may not change at run time. */
  fixed: string[];
  /** Resources the new configuration drops while they run somewhere: resource → nodes. */
  removedRunning: Array<{ rsc: string; on: string[] }>;
}

export function pushProblems(
  current: ClusterConfig,
  next: ClusterConfig,
  active: (rsc: string) => string[],
): PushProblems {
  const fixed = FIXED.filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]));
  const kept = new Set(primitivesOf(next).map((p) => p.id));
  const removedRunning = primitivesOf(current)
    .filter((p) => !kept.has(p.id))
    .map((p) => ({ rsc: p.id, on: active(p.id) }))
    .filter((r) => r.on.length > 0);
  return { fixed, removedRunning };
}

/** Why the DC refuses a new configuration, in words, or undefined to accept it. */
export function pushRefusal(p: PushProblems): string | undefined {
  if (p.fixed.length)
    return `${p.fixed.join(", ")} cannot change while the cluster runs (membership is built from them): edit the file on every node and restart the daemons one by one`;
  const r = p.removedRunning;
  if (r.length)
    return `${r.map((x) => `${x.rsc} (runs on ${x.on.join(", ")})`).join(", ")} would be removed while running: \`paceline resource disable\` ${r.length > 1 ? "them" : "it"} first, then push`;
  return undefined;
}

/** One sentence on what a new configuration changes. */
export function describeChange(current: ClusterConfig, next: ClusterConfig): string {
  const before = new Map(primitivesOf(current).map((p) => [p.id, JSON.stringify(p)]));
  const after = new Map(primitivesOf(next).map((p) => [p.id, JSON.stringify(p)]));
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  const parts = [
    added.length ? `adds ${added.join(", ")}` : "",
    removed.length ? `removes ${removed.join(", ")}` : "",
    changed.length ? `changes ${changed.join(", ")}` : "",
  ].filter(Boolean);
  const other = (["fencing", "properties", "monitors"] as const).filter(
    (k) => JSON.stringify(current[k]) !== JSON.stringify(next[k]),
  );
  if (
    JSON.stringify(current.resources.map((r) => [r.id, r.meta])) !==
      JSON.stringify(next.resources.map((r) => [r.id, r.meta])) &&
    !parts.length
  )
    parts.push("changes resource options");
  if (other.length) parts.push(`changes ${other.join(", ")}`);
  return parts.join("; ") || "changes nothing that runs (comments or formatting)";
}

/** The DC's decision on a pushed configuration: the new numbered document, or why not. */
export function decidePush(
  current: { doc: ConfigDoc; config: ClusterConfig },
  push: { parsed: ParsedDoc; baseEpoch: number },
  isDc: boolean,
  active: (rsc: string) => string[],
): { doc: ConfigDoc; config: ClusterConfig; message: string } | { refused: string } {
  if (!isDc) return { refused: "this node is no longer the DC (the view changed): push again" };
  if (push.baseEpoch !== current.doc.epoch)
    return {
      refused: `the configuration changed meanwhile (now epoch ${current.doc.epoch}; you edited epoch ${push.baseEpoch}): check \`paceline config show\` and push again`,
    };
  const { parsed } = push;
  if (!parsed.config) return { refused: `it does not validate: ${parsed.error ?? "unreadable"}` };
  const problem = pushRefusal(pushProblems(current.config, parsed.config, active));
  if (problem) return { refused: problem };
  const doc: ConfigDoc = { epoch: current.doc.epoch + 1, yaml: parsed.yaml, hash: parsed.hash };
  return {
    doc,
    config: parsed.config,
    message: `epoch ${doc.epoch}: ${describeChange(current.config, parsed.config)}`,
  };
}

/** A member's configuration replaces ours only if it is newer. */
export const newer = (mine: { epoch: number }, theirs: { epoch: number } | undefined) =>
  !!theirs && theirs.epoch > mine.epoch;
