// `paceline config import cib.xml`: a Pacemaker configuration as cluster.yaml. What cluster.yaml cannot hold yet
// (clones, bundles, colocation and order constraints, rules, tickets, cluster-glue fencing plugins) is listed in the
// file's
// header instead of being dropped silently; `paceline simulate --cib` still runs the full configuration.

import { stringify } from "yaml";
import type { GroupDef, NvSet, OpDef, PrimitiveDef, SchedulerInput } from "./cluster-model.js";
import { formatDuration } from "./duration.js";
import { INFINITY_SCORE } from "./pacemaker-values.js";

const flat = (sets: NvSet[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const s of [...sets].sort((a, b) => b.score - a.score))
    if (!s.rule) for (const [k, v] of Object.entries(s.values)) out[k] ??= v;
  return out;
};

const scoreValue = (v: string): string | number => (/^[+-]?\d+$/.test(v) ? Number(v) : v.replace(/^\+/, ""));

function agentOf(p: PrimitiveDef): string {
  if (p.cls === "ocf") return `ocf:${p.provider ?? "heartbeat"}:${p.type}`;
  if (p.cls === "lsb" || p.cls === "heartbeat") return `${p.cls}:${p.type}`;
  return `${p.cls}:${p.type}`;
}

function ops(list: OpDef[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown[]> = {};
  for (const o of list) {
    const entry: Record<string, unknown> = {};
    if (o.intervalMs) entry.interval = formatDuration(o.intervalMs);
    if (o.timeoutMs) entry.timeout = formatDuration(o.timeoutMs);
    if (o.onFail) entry["on-fail"] = o.onFail;
    if (!o.enabled) entry.enabled = false;
    if (o.role) entry.role = o.role;
    (out[o.name] ??= []).push(entry);
  }
  const result: Record<string, unknown> = {};
  for (const [name, entries] of Object.entries(out)) result[name] = entries.length === 1 ? entries[0] : entries;
  return Object.keys(result).length ? result : undefined;
}

function meta(sets: NvSet[]): Record<string, unknown> {
  const m = flat(sets);
  const out: Record<string, unknown> = {};
  if (m["target-role"]) out["target-role"] = m["target-role"].toLowerCase() === "stopped" ? "stopped" : "started";
  if (m["is-managed"]) out.managed = !/^(false|no|0|off)$/i.test(m["is-managed"]);
  if (m["resource-stickiness"]) out.stickiness = scoreValue(m["resource-stickiness"]);
  if (m["migration-threshold"]) out["migration-threshold"] = scoreValue(m["migration-threshold"]);
  if (m["failure-timeout"])
    out["failure-timeout"] = /^\d+$/.test(m["failure-timeout"]) ? `${m["failure-timeout"]}s` : m["failure-timeout"];
  return out;
}

export interface ImportResult {
  yaml: string;
  notImported: string[];
}

const splitList = (v: string | undefined) => (v ?? "").split(/[\s,;]+/).filter(Boolean);

/** A stonith primitive as a cluster.yaml fence device, or why it cannot be one. */
function fenceDevice(p: PrimitiveDef): { device: Record<string, unknown> } | { why: string } {
  const params = flat(p.params);
  const hostMap: Record<string, string> = {};
  for (const pair of splitList(params.pcmk_host_map)) {
    const [node, plug] = pair.split(":");
    if (node && plug) hostMap[node] = plug;
  }
  const targets = [
    ...new Set([...splitList(params.pcmk_host_list), ...splitList(params.hostlist), ...Object.keys(hostMap)]),
  ];
  const external = p.type.startsWith("external/");
  if (p.type === "external/stonith-helper") return { why: "the stonith-helper guard is not built into Paceline yet" };
  if (p.type !== "meatware" && !external && !p.type.startsWith("fence_"))
    return { why: `stonith agent ${p.type}: neither a fence-agents program nor a cluster-glue external plugin` };
  if (targets.length === 0)
    return { why: "it does not say which nodes it fences (pcmk_host_list, pcmk_host_map or hostlist)" };
  const device: Record<string, unknown> = { agent: p.type === "meatware" ? "manual" : p.type };
  // cluster-glue plugins read `hostlist` themselves; fence-agents get the node as `plug` instead.
  const agentParams = Object.fromEntries(
    Object.entries(params).filter(
      ([k]) => !k.startsWith("pcmk_") && (external || k !== "hostlist") && k !== "password" && k !== "passwd",
    ),
  );
  if (p.type !== "meatware" && Object.keys(agentParams).length) device.params = agentParams;
  if (Object.keys(hostMap).length) device["host-map"] = hostMap;
  else device.targets = targets;
  if (params.password || params.passwd) device["password-file"] = `/etc/paceline/${p.id}.password`;
  return { device };
}

export function cibToClusterYaml(input: SchedulerInput, name = "imported"): ImportResult {
  const notImported: string[] = [];
  const primitive = (p: PrimitiveDef): Record<string, unknown> => {
    const r: Record<string, unknown> = { agent: agentOf(p) };
    const params = flat(p.params);
    if (Object.keys(params).length) r.params = params;
    const o = ops(p.ops);
    if (o) r.ops = o;
    return { ...r, ...meta(p.meta) };
  };
  const resources: Record<string, unknown> = {};
  const devices: Record<string, unknown> = {};
  const isFencing = (p: PrimitiveDef) => p.cls === "stonith";
  const addDevice = (p: PrimitiveDef) => {
    const r = fenceDevice(p);
    if ("device" in r) devices[p.id] = r.device;
    else notImported.push(`fencing device ${p.id} (${p.type}): ${r.why}`);
    if ("device" in r && r.device["password-file"])
      notImported.push(
        `fencing device ${p.id}: its password is not copied; write it to ${String(r.device["password-file"])} (mode 600)`,
      );
  };
  for (const def of input.resources) {
    if (def.kind === "primitive" && isFencing(def)) addDevice(def);
    else if (def.kind === "primitive") resources[def.id] = primitive(def);
    else if (def.kind === "group") {
      const g = def as GroupDef;
      g.children.filter(isFencing).forEach(addDevice); // Pacemaker groups fencing devices only to place them
      const members = g.children.filter((c) => !isFencing(c));
      if (members.length)
        resources[g.id] = { ...meta(g.meta), members: Object.fromEntries(members.map((c) => [c.id, primitive(c)])) };
    } else notImported.push(`${def.kind} ${def.id}: clones, promotable clones and bundles are not in cluster.yaml yet`);
  }
  for (const loc of input.locations) {
    const target = loc.rsc && (resources[loc.rsc] as Record<string, unknown> | undefined);
    if (target && loc.node && loc.score !== undefined && loc.score > 0 && loc.rules.length === 0 && !target.prefer)
      target.prefer = loc.node;
    else
      notImported.push(
        `location ${loc.id}${loc.rules.length ? " (rules)" : ""}: only "prefer one node" locations are in cluster.yaml yet`,
      );
  }
  for (const c of input.colocations)
    notImported.push(
      `colocation ${c.id}: ${c.rsc ?? "(set)"} with ${c.withRsc ?? "(set)"} score ${c.score >= INFINITY_SCORE ? "INFINITY" : c.score <= -INFINITY_SCORE ? "-INFINITY" : c.score}`,
    );
  for (const o of input.orders)
    notImported.push(`order ${o.id}: ${o.first ?? "(set)"} then ${o.then ?? "(set)"} (${o.kind})`);
  for (const t of input.tickets) notImported.push(`ticket constraint ${t.id} (${t.ticket})`);
  const defaults = meta(input.rscDefaults);
  const doc: Record<string, unknown> = {
    cluster: input.properties["cluster-name"] ?? name,
    nodes: Object.fromEntries(input.nodes.filter((n) => n.type === "member").map((n) => [n.name, {}])),
  };
  if (Object.keys(defaults).length) doc.defaults = defaults;
  const props: Record<string, unknown> = {};
  if (/^(true|yes|1|on)$/i.test(input.properties["maintenance-mode"] ?? "")) props["maintenance-mode"] = true;
  if (/^(false|no|0|off)$/i.test(input.properties["start-failure-is-fatal"] ?? ""))
    props["start-failure-is-fatal"] = false;
  if (Object.keys(props).length) doc.properties = props;
  doc.resources = resources;
  const fencing: Record<string, unknown> = {};
  const fenceProps = input.properties;
  if (/^(false|no|0|off)$/i.test(fenceProps["stonith-enabled"] ?? "")) fencing.enabled = false;
  if (fenceProps["stonith-timeout"])
    fencing.timeout = /^\d+$/.test(fenceProps["stonith-timeout"])
      ? `${fenceProps["stonith-timeout"]}s`
      : fenceProps["stonith-timeout"];
  if (Object.keys(devices).length) fencing.devices = devices;
  const levels: Record<string, string[][]> = {};
  const byTarget = new Map<string, NonNullable<SchedulerInput["fencingLevels"]>>();
  for (const l of input.fencingLevels ?? []) {
    if (!l.target) {
      notImported.push(`fencing level ${l.id}: targets by pattern or attribute are not in cluster.yaml yet`);
      continue;
    }
    byTarget.set(l.target, [...(byTarget.get(l.target) ?? []), l]);
  }
  for (const [target, list] of byTarget) {
    const missing = list.flatMap((l) => l.devices).filter((d) => !devices[d]);
    // A topology with a device left out would escalate differently: keep it whole or not at all.
    if (missing.length)
      notImported.push(
        `fencing levels of ${target}: device(s) ${[...new Set(missing)].join(", ")} could not be imported, so its levels are left out`,
      );
    else levels[target] = [...list].sort((a, b) => a.index - b.index).map((l) => l.devices);
  }
  if (Object.keys(levels).length) fencing.levels = levels;
  if (Object.keys(fencing).length) doc.fencing = fencing;
  for (const [k, v] of Object.entries(input.properties)) {
    if (
      [
        "maintenance-mode",
        "start-failure-is-fatal",
        "stonith-enabled",
        "stonith-timeout",
        "cluster-name",
        "dc-version",
        "cluster-infrastructure",
        "have-watchdog",
        "last-lrm-refresh",
      ].includes(k)
    )
      continue;
    notImported.push(`cluster property ${k}=${v}`);
  }
  const header = [
    `# Imported from a Pacemaker CIB by paceline config import.`,
    ...(notImported.length
      ? [
          "# Not representable in cluster.yaml yet (paceline simulate --cib still uses all of it):",
          ...notImported.map((n) => `#   - ${n}`),
        ]
      : []),
  ].join("\n");
  return { yaml: `${header}\n${stringify(doc, { lineWidth: 120 })}`, notImported };
}
