// A Pacemaker configuration (the scheduler's model: read from a CIB, or from crm shell text) as cluster.yaml:
// resources, groups, clones and promotable clones, location/colocation/order constraints with rules and sets,
// defaults, the cluster properties Paceline has, and fencing. What cluster.yaml cannot hold (bundles, tickets,
// utilization, nested rules…) is listed in the file's header with the reason, never dropped silently; the output
// always validates. `paceline simulate --cib` still runs the full configuration.

import { stringify } from "yaml";
import type {
  CloneDef,
  ColocationDef,
  GroupDef,
  LocationDef,
  NvSet,
  OpDef,
  OrderDef,
  PrimitiveDef,
  ResourceDef,
  ResourceSet,
  SchedulerInput,
} from "./cluster-model.js";
import { formatDuration } from "./duration.js";
import { INFINITY_SCORE, parsePacemakerIntervalMs } from "./pacemaker-values.js";
import { ruleText } from "./rule-text.js";

const flat = (sets: NvSet[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const s of [...sets].sort((a, b) => b.score - a.score))
    if (!s.rule) for (const [k, v] of Object.entries(s.values)) out[k] ??= v;
  return out;
};

const scoreValue = (v: string): string | number => (/^[+-]?\d+$/.test(v) ? Number(v) : v.replace(/^\+/, ""));

/** Agents of the seeds' era that current Debian lacks, and what runs in their place (the header says so). */
const AGENT_SUCCESSORS: Record<string, { agent: string; why: string }> = {
  "ocf:pacemaker:pingd": {
    agent: "ocf:pacemaker:ping",
    why: "ocf:pacemaker:pingd is the old name of ocf:pacemaker:ping (same parameters), which current Pacemaker ships instead",
  },
  "ocf:pacemaker:diskd": {
    agent: "ocf:paceline:diskd",
    why: "ocf:pacemaker:diskd (Linux-HA Japan's pm_extras) is not packaged; Paceline's own ocf:paceline:diskd sets the same attribute the same way",
  },
};

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

/** Meta attributes with keys of their own in cluster.yaml (the rest go to `meta:`). */
const OWN_META = [
  "target-role",
  "is-managed",
  "resource-stickiness",
  "migration-threshold",
  "failure-timeout",
  "priority",
];
/** A clone's options, written under `clone:`/`promotable:`. */
const CLONE_META = [
  "clone-max",
  "clone-node-max",
  "interleave",
  "ordered",
  "globally-unique",
  "notify",
  "promotable",
  "promoted-max",
  "promoted-node-max",
  "master-max",
  "master-node-max",
];

function meta(sets: NvSet[]): Record<string, unknown> {
  const m = flat(sets);
  const out: Record<string, unknown> = {};
  const role = roleWord(m["target-role"]);
  if (role) out["target-role"] = role;
  if (m["is-managed"]) out.managed = !/^(false|no|0|off)$/i.test(m["is-managed"]);
  if (m.priority && /^-?\d+$/.test(m.priority)) out.priority = Number(m.priority);
  const extra = Object.fromEntries(Object.entries(m).filter(([k]) => !OWN_META.includes(k) && !CLONE_META.includes(k)));
  if (Object.keys(extra).length) out.meta = extra;
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

const isTrueText = (v: string | undefined) => /^(true|yes|1|on|y)$/i.test(v ?? "");
const isFalseText = (v: string | undefined) => /^(false|no|0|off|n)$/i.test(v ?? "");
const seconds = (v: string) => (/^\d+$/.test(v) ? `${v}s` : formatDuration(parsePacemakerIntervalMs(v)));

/** Pacemaker 1.0 wrote a device's order in its group and its own time limit as parameters. */
const DEVICE_META = ["priority", "stonith-timeout"];

/** A stonith primitive as a cluster.yaml fence device, or why it cannot be one. */
function fenceDevice(p: PrimitiveDef, members: Set<string>): { device: Record<string, unknown> } | { why: string } {
  const params = { ...flat(p.meta), ...flat(p.params) };
  const hostMap: Record<string, string> = {};
  // Remote and guest nodes are not cluster members here: a device for them has nothing to fence.
  for (const pair of splitList(params.pcmk_host_map)) {
    const [node, plug] = pair.split(":");
    if (node && plug && members.has(node)) hostMap[node] = plug;
  }
  const targets = [
    ...new Set([...splitList(params.pcmk_host_list), ...splitList(params.hostlist), ...Object.keys(hostMap)]),
  ].filter((t) => members.has(t));
  // cluster-glue's compiled (stonith2) plugins run through its stonith command: stonith2/NAME.
  const stonith2 = p.type !== "meatware" && /^[a-z0-9_]+$/.test(p.type) && !p.type.startsWith("fence_");
  const external = p.type.startsWith("external/") || stonith2;
  if (p.type !== "meatware" && !external && !p.type.startsWith("fence_"))
    return { why: `stonith agent ${p.type}: neither a fence-agents program nor a cluster-glue plugin` };
  if (targets.length === 0)
    return { why: "it does not say which cluster members it fences (pcmk_host_list, pcmk_host_map or hostlist)" };
  const timeout = params["stonith-timeout"] ?? params.pcmk_reboot_timeout;
  if (p.type === "external/stonith-helper") {
    // The guard: every address of the target silent (and it ran nothing) → off; its delay protects the node
    // running the resource its standby check names (crm_resource -r RSC -W | grep -q `hostname`).
    const addresses = splitList(params.dead_check_target).join(",");
    if (!addresses) return { why: "stonith-helper without dead_check_target (the addresses to ping)" };
    const device: Record<string, unknown> = {
      agent: "guard",
      "host-map": Object.fromEntries(targets.map((t) => [t, addresses])),
    };
    const protect = /-r\s+(\S+)/.exec(params.standby_check_command ?? "")?.[1];
    if (protect) device.params = { protect };
    if (params.standby_wait_time) device.delay = seconds(params.standby_wait_time);
    if (timeout) device.timeout = seconds(timeout);
    return { device };
  }
  const device: Record<string, unknown> = {
    agent: p.type === "meatware" ? "manual" : stonith2 ? `stonith2/${p.type}` : p.type,
  };
  // cluster-glue plugins read `hostlist` themselves; fence-agents get the node as `plug` instead.
  const agentParams = Object.fromEntries(
    Object.entries(flat(p.params)).filter(
      ([k]) =>
        !k.startsWith("pcmk_") &&
        !DEVICE_META.includes(k) &&
        (external || k !== "hostlist") &&
        k !== "password" &&
        k !== "passwd",
    ),
  );
  if (p.type !== "meatware" && Object.keys(agentParams).length) device.params = agentParams;
  if (Object.keys(hostMap).length) device["host-map"] = hostMap;
  else device.targets = targets;
  if (params.password || params.passwd) device["password-file"] = `/etc/paceline/${p.id}.password`;
  if (timeout && p.type !== "meatware") device.timeout = seconds(timeout);
  return { device };
}

const roleWord = (r: string | undefined) =>
  r === undefined || /^(started|#default)$/i.test(r)
    ? undefined
    : /^(promoted|master)$/i.test(r)
      ? "promoted"
      : /^(unpromoted|slave)$/i.test(r)
        ? "unpromoted"
        : r.toLowerCase();

const scoreOut = (n: number): string | number =>
  n >= INFINITY_SCORE ? "INFINITY" : n <= -INFINITY_SCORE ? "-INFINITY" : n;

/** A clone's meta attributes as cluster.yaml's `clone:`/`promotable:` options. */
function cloneOptions(c: CloneDef, childId: string, notes: string[]): [key: string, options: unknown] {
  const m = flat(c.meta);
  const num = (...keys: string[]) => {
    const v = keys.map((k) => m[k]).find((x) => x !== undefined);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const o: Record<string, unknown> = {};
  if (c.id !== `${childId}-clone`) o.id = c.id;
  if (num("clone-max") !== undefined) o.max = num("clone-max");
  if ((num("clone-node-max") ?? 1) !== 1) o["per-node"] = num("clone-node-max");
  for (const k of ["interleave", "ordered", "notify"]) if (isTrueText(m[k])) o[k] = true;
  if (isTrueText(m["globally-unique"]))
    notes.push(
      `clone ${c.id}: globally-unique copies imported as interchangeable ones (the running cluster does not run unique clones yet)`,
    );
  const promotable = c.promotable || isTrueText(m.promotable);
  if (promotable) {
    if ((num("promoted-max", "master-max") ?? 1) !== 1) o["promoted-max"] = num("promoted-max", "master-max");
    if ((num("promoted-node-max", "master-node-max") ?? 1) !== 1)
      o["promoted-per-node"] = num("promoted-node-max", "master-node-max");
  }
  return [promotable ? "promotable" : "clone", Object.keys(o).length ? o : true];
}

function setOut(set: ResourceSet): unknown {
  const o: Record<string, unknown> = { resources: set.resources };
  if (!set.sequential) o.sequential = false;
  if (!set.requireAll) o["require-all"] = false;
  if (roleWord(set.role)) o.role = roleWord(set.role);
  if (set.action) o.action = set.action;
  return Object.keys(o).length === 1 ? set.resources : o;
}

/** Rules cluster.yaml writes as text: attribute and date expressions, no nested rules. */
const simpleRule = (r: LocationDef["rules"][number]) =>
  r.expressions.every((e) => e.kind === "attr" || e.kind === "date");

function locationOut(loc: LocationDef): Record<string, unknown> | string {
  if (loc.set?.length) return "locations of resource sets are not in cluster.yaml yet";
  if (loc.rules.some((r) => !simpleRule(r)))
    return "its rules test resources, operations or nest other rules (cluster.yaml writes attribute and date rules)";
  const o: Record<string, unknown> = {};
  if (loc.rsc) o.rsc = loc.rsc;
  else if (loc.rscPattern) o["rsc-pattern"] = loc.rscPattern;
  if (loc.node !== undefined) {
    o.node = loc.node;
    o.score = scoreOut(loc.score ?? 0);
  } else o.rules = loc.rules.map((r) => ruleText(r.score === undefined && !r.scoreAttribute ? { ...r, score: 0 } : r));
  if (roleWord(loc.role)) o.role = roleWord(loc.role);
  if (loc.discovery) o["resource-discovery"] = loc.discovery;
  return o;
}

function colocationOut(c: ColocationDef): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (c.sets?.length) o.sets = c.sets.map(setOut);
  else {
    o.rsc = c.rsc;
    o.with = c.withRsc;
  }
  o.score = scoreOut(c.score);
  if (roleWord(c.rscRole)) o["rsc-role"] = roleWord(c.rscRole);
  if (roleWord(c.withRscRole)) o["with-role"] = roleWord(c.withRscRole);
  if (c.nodeAttribute && c.nodeAttribute !== "#uname") o["node-attribute"] = c.nodeAttribute;
  if (c.influence === false) o.influence = false;
  return o;
}

function orderOut(x: OrderDef): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (x.sets?.length) o.sets = x.sets.map(setOut);
  else {
    o.first = x.first;
    o.then = x.then;
    if (x.firstAction !== "start") o["first-action"] = x.firstAction;
    if (x.thenAction !== x.firstAction) o["then-action"] = x.thenAction;
  }
  if (x.kind !== "Mandatory") o.kind = x.kind;
  if (x.symmetrical !== (x.kind !== "Serialize")) o.symmetrical = x.symmetrical;
  if (x.requireAll === false) o["require-all"] = false;
  if (x.score !== undefined && x.kind === "Mandatory" && x.score <= 0) o.kind = "Optional";
  return o;
}

/** Cluster properties cluster.yaml holds elsewhere, or that need nothing in Paceline. */
const PROPERTIES_HANDLED = [
  "maintenance-mode",
  "start-failure-is-fatal",
  "stonith-enabled",
  "stonith-timeout",
  "no-quorum-policy",
  "startup-fencing",
  "stonith-action",
  "priority-fencing-delay",
  "cluster-name",
  "dc-version",
  "cluster-infrastructure",
  "have-watchdog",
  "last-lrm-refresh",
];

/** `source` names where the model came from, for the header ("a Pacemaker CIB", "crm shell configuration"). */
export function cibToClusterYaml(input: SchedulerInput, name = "imported", source = "a Pacemaker CIB"): ImportResult {
  const notImported: string[] = [];
  /** Classes a running Paceline has no agent runner for yet: such a resource is listed, not written. */
  const unsupported = (p: PrimitiveDef) =>
    !["ocf", "lsb", "heartbeat", "service", "systemd", "stonith"].includes(p.cls);
  const primitive = (p: PrimitiveDef): Record<string, unknown> => {
    const r: Record<string, unknown> = { agent: agentOf(p) };
    const successor = AGENT_SUCCESSORS[r.agent as string];
    if (successor) {
      notImported.push(`${p.id}: runs ${successor.agent}: ${successor.why}`);
      r.agent = successor.agent;
    }
    const params = flat(p.params);
    if (Object.keys(params).length) r.params = params;
    const o = ops(p.ops);
    if (o) r.ops = o;
    if (Object.keys(p.utilization).length) notImported.push(`utilization of ${p.id}: not in cluster.yaml yet`);
    const m = flat(p.meta);
    if (m.container)
      notImported.push(
        `${p.id} runs inside ${m.container} (meta container): kept as meta, but Paceline does not restart a container for what runs in it`,
      );
    if (m["remote-node"])
      notImported.push(
        `${p.id} holds guest node ${m["remote-node"]} (meta remote-node): guest nodes are not run by Paceline`,
      );
    return { ...r, ...meta(p.meta) };
  };
  const group = (g: GroupDef, fencing: (p: PrimitiveDef) => void): Record<string, unknown> | undefined => {
    g.children.filter(isFencing).forEach(fencing); // Pacemaker groups fencing devices only to place them
    const members = g.children.filter((c) => !isFencing(c));
    if (!members.length) return undefined;
    return { ...meta(g.meta), members: Object.fromEntries(members.map((c) => [c.id, primitive(c)])) };
  };
  const resources: Record<string, unknown> = {};
  const devices: Record<string, unknown> = {};
  /** Groups of fencing devices (Pacemaker 1.0 tried a group's devices in order of their `priority`). */
  const deviceGroups: PrimitiveDef[][] = [];
  const fencingRscs = new Set<string>();
  const isFencing = (p: PrimitiveDef) => p.cls === "stonith";
  const members = new Set(input.nodes.filter((n) => n.type === "member").map((n) => n.name));
  const addDevice = (p: PrimitiveDef) => {
    fencingRscs.add(p.id);
    const r = fenceDevice(p, members);
    if ("device" in r) devices[p.id] = r.device;
    else notImported.push(`fencing device ${p.id} (${p.type}): ${r.why}`);
    const provides = [...p.params, ...p.meta].map((set) => set.values.provides).find((v) => v !== undefined);
    if (provides === "unfencing")
      notImported.push(
        `fencing device ${p.id}: provides unfencing, which Paceline does not do yet (fence_scsi, fence_mpath)`,
      );
    if ("device" in r && r.device["password-file"])
      notImported.push(
        `fencing device ${p.id}: its password is not copied; write it to ${String(r.device["password-file"])} (mode 600)`,
      );
  };
  for (const def of input.resources) {
    const prims = (d: ResourceDef): PrimitiveDef[] =>
      d.kind === "primitive" ? [d] : d.kind === "group" ? d.children : d.kind === "clone" ? prims(d.child) : [];
    const skip = prims(def).find(unsupported);
    if (skip) notImported.push(`${def.kind} ${def.id}: class ${skip.cls} (${skip.id}) is not run by Paceline yet`);
    else if (def.kind === "primitive" && isFencing(def)) addDevice(def);
    else if (def.kind === "primitive") resources[def.id] = primitive(def);
    else if (def.kind === "group") {
      const g = group(def, addDevice);
      if (g) resources[def.id] = g;
      else {
        fencingRscs.add(def.id);
        deviceGroups.push(def.children);
      }
    } else if (def.kind === "clone") {
      const child = def.child;
      const body = child.kind === "group" ? group(child, addDevice) : isFencing(child) ? undefined : primitive(child);
      if (!body) {
        if (child.kind === "primitive") addDevice(child);
        notImported.push(`clone ${def.id}: a cloned fencing device needs no clone in Paceline (any node may fence)`);
        continue;
      }
      const [key, options] = cloneOptions(def, child.id, notImported);
      resources[child.id] = { ...body, ...meta(def.meta), [key]: options };
    } else notImported.push(`${def.kind} ${def.id}: bundles (containers) are not in cluster.yaml yet`);
  }
  const aboutFencing = (id: string | undefined) => id !== undefined && fencingRscs.has(id);
  // What a constraint may name: the imported resources, their members, their clones' ids.
  const known = new Set<string>();
  const promotableIds = new Set<string>();
  for (const [id, r] of Object.entries(resources) as Array<[string, Record<string, unknown>]>) {
    known.add(id);
    for (const m of Object.keys((r.members as Record<string, unknown> | undefined) ?? {})) known.add(m);
    const c = (r.clone ?? r.promotable) as { id?: string } | true | undefined;
    const cloneId = c === true || !c?.id ? `${id}-clone` : c.id;
    if (c) known.add(cloneId);
    if (r.promotable) promotableIds.add(id).add(cloneId);
  }
  const nodeNames = new Set(input.nodes.filter((n) => n.type === "member").map((n) => n.name));
  /** The first resource (or node) a constraint names that was not imported. */
  const missing = (ids: Array<string | undefined>, sets: ResourceSet[] = [], node?: string) => {
    const rsc = [...ids, ...sets.flatMap((x) => x.resources)].find((id) => id !== undefined && !known.has(id));
    if (rsc) return `it names ${rsc}, which was not imported`;
    if (node !== undefined && !nodeNames.has(node))
      return `node ${node} is not a cluster member (a remote or guest node)`;
    return undefined;
  };
  const location: unknown[] = [];
  for (const loc of input.locations) {
    if (aboutFencing(loc.rsc)) {
      notImported.push(`location ${loc.id}: places a fencing device; Paceline never fences a node from itself`);
      continue;
    }
    const gone = loc.rscPattern ? undefined : missing([loc.rsc], loc.set ?? [], loc.node);
    const o = gone ?? locationOut(loc);
    if (typeof o === "string") notImported.push(`location ${loc.id}: ${o}`);
    else location.push(o);
  }
  const colocate: unknown[] = [];
  for (const c of input.colocations) {
    if (aboutFencing(c.rsc) || aboutFencing(c.withRsc)) {
      notImported.push(`colocation ${c.id}: about a fencing device (Paceline places none)`);
      continue;
    }
    const roleless = [
      [c.rsc, c.rscRole],
      [c.withRsc, c.withRscRole],
    ].find(([id, role]) => id && roleWord(role) && !promotableIds.has(id));
    const gone =
      missing([c.rsc, c.withRsc], c.sets) ??
      (roleless ? `it gives ${roleless[0]} a role, but ${roleless[0]} is not promotable` : undefined);
    if (gone) notImported.push(`colocation ${c.id}: ${gone}`);
    else colocate.push(colocationOut(c));
  }
  const order: unknown[] = [];
  for (const o of input.orders) {
    if (aboutFencing(o.first) || aboutFencing(o.then)) {
      notImported.push(`order ${o.id}: about a fencing device (Paceline starts none)`);
      continue;
    }
    const gone = missing([o.first, o.then], o.sets);
    if (gone) notImported.push(`order ${o.id}: ${gone}`);
    else order.push(orderOut(o));
  }
  for (const t of input.tickets)
    notImported.push(`ticket constraint ${t.id} (${t.ticket}): tickets are not in cluster.yaml yet`);
  if (Object.keys(input.tags).length)
    notImported.push(`tags ${Object.keys(input.tags).join(", ")}: not in cluster.yaml yet`);
  const defaults = meta(input.rscDefaults);
  const doc: Record<string, unknown> = {
    cluster: input.properties["cluster-name"] ?? name,
    nodes: Object.fromEntries(
      input.nodes
        .filter((n) => n.type === "member")
        .map((n) => {
          const attributes = flat(n.attrs);
          return [n.name, Object.keys(attributes).length ? { attributes } : {}];
        }),
    ),
  };
  const policy = input.properties["no-quorum-policy"];
  if (policy && ["stop", "freeze", "ignore", "demote"].includes(policy)) doc.quorum = { "no-quorum-policy": policy };
  else if (policy)
    notImported.push(`cluster property no-quorum-policy=${policy}: Paceline has stop, freeze, ignore, demote`);
  if (Object.keys(defaults).length) doc.defaults = defaults;
  const opDefaults = flat(input.opDefaults);
  if (opDefaults.timeout || opDefaults["on-fail"])
    doc["op-defaults"] = {
      ...(opDefaults.timeout ? { timeout: seconds(opDefaults.timeout) } : {}),
      ...(opDefaults["on-fail"] ? { "on-fail": opDefaults["on-fail"] } : {}),
    };
  const props: Record<string, unknown> = {};
  if (isTrueText(input.properties["maintenance-mode"])) props["maintenance-mode"] = true;
  if (isFalseText(input.properties["start-failure-is-fatal"])) props["start-failure-is-fatal"] = false;
  if (Object.keys(props).length) doc.properties = props;
  doc.resources = resources;
  if (location.length) doc.location = location;
  if (colocate.length) doc.colocate = colocate;
  if (order.length) doc.order = order;
  const fencing: Record<string, unknown> = {};
  const fenceProps = input.properties;
  if (isFalseText(fenceProps["stonith-enabled"])) fencing.enabled = false;
  else if (Object.keys(devices).length === 0 && !isTrueText(fenceProps["have-watchdog"]))
    notImported.push(
      'stonith-enabled without any fence device: Pacemaker starts and stops nothing in such a cluster ("resource start-up disabled"); written without fencing — add fencing devices',
    );
  if (fenceProps["stonith-timeout"]) fencing.timeout = seconds(fenceProps["stonith-timeout"]);
  if (isFalseText(fenceProps["startup-fencing"])) fencing["startup-fencing"] = false;
  const action = fenceProps["stonith-action"]?.toLowerCase();
  if (action === "off" || action === "poweroff") fencing.action = "off";
  if (fenceProps["priority-fencing-delay"]) fencing["priority-delay"] = seconds(fenceProps["priority-fencing-delay"]);
  if (Object.keys(devices).length) fencing.devices = devices;
  const levels = fencingLevels(input, devices, deviceGroups, notImported);
  if (Object.keys(levels).length) fencing.levels = levels;
  if (Object.keys(fencing).length) doc.fencing = fencing;
  for (const [k, v] of Object.entries(input.properties)) {
    if (PROPERTIES_HANDLED.includes(k)) continue;
    notImported.push(
      k === "crmd-transition-delay"
        ? `cluster property ${k}=${v}: not needed (the DC schedules once every member has reported)`
        : `cluster property ${k}=${v}`,
    );
  }
  const header = [
    `# Imported from ${source} by paceline config import.`,
    ...(notImported.length ? ["# Not carried over, and why:", ...notImported.map((n) => `#   - ${n}`)] : []),
  ].join("\n");
  return { yaml: `${header}\n${stringify(doc, { lineWidth: 120 })}`, notImported };
}

/** The escalation per node: the fencing topology, else (Pacemaker 1.0) each group of devices for one node in the
 * order of their `priority`. */
function fencingLevels(
  input: SchedulerInput,
  devices: Record<string, unknown>,
  deviceGroups: PrimitiveDef[][],
  notImported: string[],
): Record<string, string[][]> {
  const levels: Record<string, string[][]> = {};
  const byTarget = new Map<string, NonNullable<SchedulerInput["fencingLevels"]>>();
  for (const l of input.fencingLevels ?? []) {
    if (!l.target) {
      notImported.push(`fencing level ${l.id}: targets by pattern or attribute are not in cluster.yaml yet`);
      continue;
    }
    byTarget.set(l.target, [...(byTarget.get(l.target) ?? []), l]);
  }
  const members = new Set(input.nodes.filter((n) => n.type === "member").map((n) => n.name));
  for (const [target, list] of byTarget) {
    if (!members.has(target)) {
      notImported.push(`fencing levels of ${target}: not a cluster member (a remote or guest node)`);
      continue;
    }
    const missing = list.flatMap((l) => l.devices).filter((d) => !devices[d]);
    // A topology with a device left out would escalate differently: keep it whole or not at all.
    if (missing.length)
      notImported.push(
        `fencing levels of ${target}: device(s) ${[...new Set(missing)].join(", ")} could not be imported, so its levels are left out`,
      );
    else levels[target] = [...list].sort((a, b) => a.index - b.index).map((l) => l.devices);
  }
  if (byTarget.size) return levels;
  for (const members of deviceGroups) {
    const imported = members.filter((m) => devices[m.id]);
    const targetsOf = (id: string) => {
      const d = devices[id] as { targets?: string[]; "host-map"?: Record<string, string> };
      return d.targets ?? Object.keys(d["host-map"] ?? {});
    };
    const targets = [...new Set(imported.flatMap((m) => targetsOf(m.id)))];
    if (imported.length < members.length || targets.length !== 1) continue;
    const priority = (p: PrimitiveDef) => Number({ ...flat(p.meta), ...flat(p.params) }.priority ?? 0);
    levels[targets[0]!] = [...imported].sort((a, b) => priority(a) - priority(b)).map((m) => [m.id]);
  }
  return levels;
}
