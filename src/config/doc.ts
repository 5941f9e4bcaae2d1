// Configuration documents as they travel and are stored: the text, a checksum, the epoch. Parsing them is the
// shell's work (the deterministic core takes them parsed), done the same way by the daemon and the simulator.

import { createHash } from "node:crypto";
import type { ConfigDoc, ParsedDoc } from "../core/node/config-sync.js";
import type { ControlMessage } from "../core/controller/types.js";
import { loadConfigText } from "./load.js";
import { formatProblem } from "./problems.js";

export const hashOf = (yaml: string) => createHash("sha256").update(yaml).digest("hex").slice(0, 16);

/** Parses a configuration text; `label` names it in problems (a file, or "cluster configuration epoch N"). */
export function parseConfigText(yaml: string, label = "cluster.yaml", baseDir?: string): ParsedDoc {
  const r = loadConfigText(yaml, label, baseDir);
  const hash = hashOf(yaml);
  if (!r.config)
    return {
      yaml,
      hash,
      error: r.problems
        .filter((p) => p.severity === "error")
        .map(formatProblem)
        .join("; "),
    };
  return { yaml, hash, config: r.config };
}

/** Parses a stored or received document, checking its checksum first. */
export function parseDoc(doc: ConfigDoc): ParsedDoc {
  if (typeof doc.yaml !== "string" || hashOf(doc.yaml) !== doc.hash)
    return { yaml: String(doc.yaml), hash: String(doc.hash), error: "its checksum does not match" };
  return parseConfigText(doc.yaml, `cluster configuration epoch ${doc.epoch}`);
}

/** The configuration a node-stream message carries, read for the core (the daemon and the simulator both use this). */
export function docOfMessage(msg: ControlMessage): ParsedDoc | undefined {
  if (msg.t === "config" && typeof msg.doc === "object" && msg.doc !== null) return parseDoc(msg.doc);
  if (msg.t === "config-push" && typeof msg.yaml === "string") return parseConfigText(msg.yaml, "pushed configuration");
  return undefined;
}
