// Has a running resource's definition changed since it was started? Pacemaker records with each operation an MD5
// digest of the parameters it ran with ("op-digest"), and for agents that can reload, a digest of only the
// parameters that need a restart ("op-restart-digest", over the names in "op-force-restart"). Recomputing both
// from today's configuration tells: unchanged, reloadable (only reloadable parameters changed), or restart.

import type { OpRecord, PrimitiveDef } from "../../config/cluster-model.js";
import { olderVersion } from "../../config/pacemaker-values.js";
import { md5Hex } from "../../util/md5.js";
import { evalNvSets } from "./rules.js";
import type { SNode, SRsc, WorkingSet } from "./working-set.js";

export type DefinitionChange = "restart" | "reload";

/** The canonical text Pacemaker hashes: sorted attributes of one <parameters> element, a space before, a newline
 * after. */
export function parameterDigest(params: Record<string, string>): string {
  const attrs = Object.keys(params)
    .sort()
    .map((k) => ` ${k}="${escapeAttr(params[k]!)}"`)
    .join("");
  return md5Hex(` <parameters${attrs}/>\n`);
}

const escapeAttr = (v: string): string =>
  v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Never part of a digest: meta-attributes passed to the agent, and bookkeeping the controller adds. */
const notDigested = (name: string): boolean =>
  name.startsWith("CRM_meta_") || ["id", "crm_feature_set", "op-digest", "pcmk_external_ip"].includes(name);

/** Parameters Pacemaker itself gives fence devices (left out of old-style secure digests). */
const isFencingParam = (name: string): boolean =>
  name === "provides" ||
  name === "stonith-timeout" ||
  /^pcmk_(action_limit|delay_base|delay_max|host_argument|host_check|host_list|host_map)$/.test(name) ||
  /^pcmk_[^_]+_(action|timeout|retries)$/.test(name);

const inList = (list: string | undefined, name: string): boolean => !!list && list.includes(` ${name} `);

/**
 * What a changed definition asks of the resource on this node, judged from its history there since its last start
 * (`ops` sorted by call id). Only operations without an interval show in the transition summary (a recurring
 * monitor with new parameters is simply rescheduled), so only those are compared.
 */
export function definitionChange(
  ws: WorkingSet,
  r: SRsc,
  node: SNode,
  ops: readonly OpRecord[],
): DefinitionChange | undefined {
  if (!ws.input.digestsRecorded || ws.bundles.generated.has(r.baseId)) return undefined;
  const def = r.def as PrimitiveDef;
  const { params, all, allDigest, restartDigests } = expected(ws, r, node);
  const startExtra = def.ops.find((o) => o.name === "start" && o.intervalMs === 0)?.params ?? {};
  let change: DefinitionChange | undefined;
  for (const op of ops.slice(lastStartIndex(ops))) {
    if (op.intervalMs !== 0 || !["start", "monitor", "promote", "migrate_from"].includes(op.operation)) continue;
    let verdict: DefinitionChange | undefined;
    if (op.restartDigest !== undefined) {
      const names = op.forceRestartParams;
      let restartDigest = restartDigests.get(names);
      if (restartDigest === undefined) {
        const restartOnly =
          names === undefined ? all : Object.fromEntries(Object.entries(all).filter(([k]) => inList(names, k)));
        restartDigests.set(names, (restartDigest = parameterDigest(restartOnly)));
      }
      if (restartDigest !== op.restartDigest) verdict = "restart";
    }
    if (!verdict && op.opDigest !== allDigest)
      // Extra parameters on the start op are only applied by a full start.
      verdict = op.restartDigest !== undefined && Object.keys(startExtra).length === 0 ? "reload" : "restart";
    // Only masked private parameters differ (a CIB collected by crm_report): not a change.
    const masked = ws.input.maskedSecrets && op.secureDigest !== undefined;
    if (verdict && masked && secureDigest(def, params, all, op) === op.secureDigest) verdict = undefined;
    if (verdict === "restart") return "restart";
    change ??= verdict;
  }
  return change;
}

interface Expected {
  params: Record<string, string>;
  /** What the agent is started with, as digested. */
  all: Record<string, string>;
  allDigest: string;
  /** By op-force-restart list. */
  restartDigests: Map<string | undefined, string>;
}
/** Per definition, when its parameters do not depend on the node (no rules): the same on each of its nodes, and for
 * each instance of a clone (a definition has one place in the configuration, so one chain of parents' definitions). */
const expectedOf = new WeakMap<WorkingSet, Map<object, Expected>>();

/** Today's parameters of the resource on the node: its own, then its group's and clone's (the nearer one wins). */
function expected(ws: WorkingSet, r: SRsc, node: SNode): Expected {
  let byDef = expectedOf.get(ws);
  if (!byDef) expectedOf.set(ws, (byDef = new Map()));
  const known = byDef.get(r.def);
  if (known) return known;
  const def = r.def as PrimitiveDef;
  const ctx = { nowSec: ws.nowSec, nodeAttrs: node.attrs };
  const params = evalNvSets(def.params, ctx);
  let ruled = def.params.some((set) => set.rule);
  for (let up = r.parent; up; up = up.parent)
    if ("params" in up.def && up.def.params) {
      evalNvSets(up.def.params, ctx, params);
      ruled ||= up.def.params.some((set) => set.rule);
    }
  const startExtra = def.ops.find((o) => o.name === "start" && o.intervalMs === 0)?.params ?? {};
  const all = Object.fromEntries(Object.entries({ ...params, ...startExtra }).filter(([k]) => !notDigested(k)));
  const result = { params, all, allDigest: parameterDigest(all), restartDigests: new Map() };
  if (!ruled) byDef.set(r.def, result);
  return result;
}

/** The digest without private parameters (passwords), which crm_report masks in the CIBs it collects. */
function secureDigest(
  def: PrimitiveDef,
  params: Record<string, string>,
  all: Record<string, string>,
  op: OpRecord,
): string {
  const old = olderVersion(op.featureSet, [3, 16, 0]);
  const secure = Object.fromEntries(
    Object.entries(old ? params : all).filter(
      ([k]) => !notDigested(k) && !inList(op.secureParams, k) && !(old && def.cls === "stonith" && isFencingParam(k)),
    ),
  );
  return parameterDigest(secure);
}

/** Where the resource's current run began: its last start or migrate_from, else a promote/demote, else a probe
 * that found it running — and nothing of it when it was stopped since. */
function lastStartIndex(ops: readonly OpRecord[]): number {
  let start = -1,
    stop = -1,
    promote = -1,
    probe = -1;
  ops.forEach((op, i) => {
    if (op.operation === "stop" && op.status === 0) stop = i;
    else if (op.operation === "start" || op.operation === "migrate_from") start = i;
    else if (op.operation === "monitor" && probe <= stop && (op.rc === 0 || op.rc === 8)) probe = i;
    else if (op.operation === "promote" || op.operation === "demote") promote = i;
  });
  if (start === -1) start = promote !== -1 ? promote : probe;
  return start < stop ? ops.length : Math.max(start, 0);
}
