// Pacemaker CIB XML → ClusterModel. Reads the configuration and status sections as Pacemaker's scheduler sees
// them: id-refs, templates and tags resolved, scores parsed, every lrm_rsc_op kept.

import type {
  BundleDef,
  CloneDef,
  ColocationDef,
  Expression,
  GroupDef,
  LocationDef,
  LrmResource,
  NodeDef,
  NodeStateDef,
  NvSet,
  OpDef,
  OpRecord,
  OrderDef,
  PrimitiveDef,
  ResourceDef,
  ResourceSet,
  Rule,
  SchedulerInput,
  TicketDef,
} from "./cluster-model.js";
import { HISTORY_OPERATIONS, HistoryReader, RARE_OP_ATTRIBUTES } from "./cib-history.js";
import { HistoryTableBuilder } from "./history-table.js";
import { childNamed, childrenNamed, parseXml, type XmlElement } from "./xml.js";
import {
  olderVersion,
  parsePacemakerIntervalMs as parseIntervalMs,
  parsePacemakerScore as parseCibScore,
} from "./pacemaker-values.js";

class CibReader {
  private readonly byId = new Map<string, XmlElement>();
  /** Ids are looked up within the configuration (id-refs never point into the status). */
  constructor(configuration: XmlElement) {
    const walk = (el: XmlElement) => {
      if (el.attrs.id !== undefined && !this.byId.has(el.attrs.id)) this.byId.set(el.attrs.id, el);
      el.children.forEach(walk);
    };
    walk(configuration);
  }

  /** Follows id-ref="…" to the element it names. */
  deref(el: XmlElement): XmlElement {
    const ref = el.attrs["id-ref"];
    return ref ? (this.byId.get(ref) ?? el) : el;
  }

  nvsets(parent: XmlElement | undefined, name: string): NvSet[] {
    if (!parent) return [];
    return childrenNamed(parent, name).map((raw) => {
      const el = this.deref(raw);
      const values: Record<string, string> = {};
      for (const nvRaw of childrenNamed(el, "nvpair")) {
        const nv = this.deref(nvRaw);
        const key = nvRaw.attrs.name ?? nv.attrs.name;
        if (key !== undefined && values[key] === undefined) values[key] = nv.attrs.value ?? "";
      }
      const ruleEl = childNamed(el, "rule");
      return {
        id: el.attrs.id ?? raw.attrs.id ?? "",
        score: parseCibScore(el.attrs.score),
        rule: ruleEl ? this.rule(ruleEl) : undefined,
        values,
      };
    });
  }

  rule(raw: XmlElement): Rule {
    const el = this.deref(raw);
    const expressions: Expression[] = [];
    for (const c of el.children) {
      const e = this.deref(c);
      switch (c.name) {
        case "expression":
          expressions.push({
            kind: "attr",
            attribute: e.attrs.attribute ?? "",
            op: e.attrs.operation ?? "eq",
            value: e.attrs.value,
            type: e.attrs.type,
            valueSource: e.attrs["value-source"],
          });
          break;
        case "date_expression": {
          const spec = childNamed(e, "date_spec");
          const dur = childNamed(e, "duration");
          expressions.push({
            kind: "date",
            op: e.attrs.operation ?? "in_range",
            start: e.attrs.start,
            end: e.attrs.end,
            spec: spec?.attrs,
            duration: dur?.attrs,
          });
          break;
        }
        case "rsc_expression":
          expressions.push({ kind: "rsc", cls: e.attrs.class, provider: e.attrs.provider, type: e.attrs.type });
          break;
        case "op_expression":
          expressions.push({ kind: "op", name: e.attrs.name, interval: e.attrs.interval });
          break;
        case "rule":
          expressions.push({ kind: "rule", rule: this.rule(c) });
          break;
      }
    }
    return {
      id: el.attrs.id ?? "",
      booleanOp: el.attrs["boolean-op"] === "or" ? "or" : "and",
      score: el.attrs.score !== undefined ? parseCibScore(el.attrs.score) : undefined,
      scoreAttribute: el.attrs["score-attribute"],
      role: el.attrs.role,
      expressions,
    };
  }

  ops(el: XmlElement | undefined): OpDef[] {
    if (!el) return [];
    const ops = this.deref(el);
    return childrenNamed(ops, "op").map((o) => {
      const meta: Record<string, string> = {};
      for (const set of this.nvsets(o, "meta_attributes")) Object.assign(meta, set.values);
      const params: Record<string, string> = {};
      for (const set of this.nvsets(o, "instance_attributes")) Object.assign(params, set.values);
      return {
        id: o.attrs.id ?? "",
        name: o.attrs.name ?? "",
        intervalMs: parseIntervalMs(o.attrs.interval),
        role: o.attrs.role,
        onFail: o.attrs["on-fail"] ?? meta["on-fail"],
        enabled: (o.attrs.enabled ?? meta.enabled ?? "true") !== "false",
        timeoutMs: o.attrs.timeout ? parseIntervalMs(o.attrs.timeout) : undefined,
        meta: { ...meta, ...o.attrs },
        ...(Object.keys(params).length ? { params } : {}),
      };
    });
  }

  primitive(el: XmlElement): PrimitiveDef {
    const tmplId = el.attrs.template;
    const tmpl = tmplId ? this.byId.get(tmplId) : undefined;
    const base = tmpl ? this.primitive({ ...tmpl, attrs: { ...tmpl.attrs, id: el.attrs.id ?? "" } }) : undefined;
    const ops = this.ops(childNamed(el, "operations"));
    const utilization: Record<string, string> = {};
    for (const set of this.nvsets(el, "utilization")) Object.assign(utilization, set.values);
    return {
      kind: "primitive",
      id: el.attrs.id ?? "",
      cls: el.attrs.class ?? base?.cls ?? "",
      provider: el.attrs.provider ?? base?.provider,
      type: el.attrs.type ?? base?.type ?? "",
      meta: [...this.nvsets(el, "meta_attributes"), ...(base?.meta ?? [])],
      params: [...this.nvsets(el, "instance_attributes"), ...(base?.params ?? [])],
      utilization: { ...base?.utilization, ...utilization },
      ops: [
        ...ops,
        ...(base?.ops ?? []).filter((b) => !ops.some((o) => o.name === b.name && o.intervalMs === b.intervalMs)),
      ],
    };
  }

  resource(el: XmlElement): ResourceDef | undefined {
    switch (el.name) {
      case "primitive":
        return this.primitive(el);
      case "group": {
        const id = el.attrs.id ?? "";
        if (el.children.some((c) => c.name === "group" || c.name === "clone" || c.name === "master"))
          throw new Error(`line ${el.line}: group ${id} holds a group or a clone: a group holds primitives only`);
        const g: GroupDef = {
          kind: "group",
          id,
          meta: this.nvsets(el, "meta_attributes"),
          ...inheritedParams(this.nvsets(el, "instance_attributes")),
          children: childrenNamed(el, "primitive").map((p) => this.primitive(p)),
        };
        if (g.children.length === 0) throw new Error(`line ${el.line}: group ${id} has no primitive`);
        return g;
      }
      case "clone":
      case "master": {
        const inner = el.children.find((c) => c.name === "primitive" || c.name === "group");
        if (!inner) return undefined;
        const meta = this.nvsets(el, "meta_attributes");
        const promotable =
          el.name === "master" || meta.some((s) => /^(true|yes|1|on)$/i.test(s.values.promotable ?? ""));
        const c: CloneDef = {
          kind: "clone",
          id: el.attrs.id ?? "",
          meta,
          ...inheritedParams(this.nvsets(el, "instance_attributes")),
          promotable,
          child: this.resource(inner) as PrimitiveDef | GroupDef,
        };
        return c;
      }
      case "bundle": {
        const inner = childNamed(el, "primitive");
        const runtime = el.children.find((c) => c.name === "docker" || c.name === "podman" || c.name === "rkt");
        const net = childNamed(el, "network");
        const ra = runtime?.attrs ?? {};
        const promotedMax = Number(ra["promoted-max"] ?? ra.masters ?? 0) || 0;
        const b: BundleDef = {
          kind: "bundle",
          id: el.attrs.id ?? "",
          meta: this.nvsets(el, "meta_attributes"),
          runtime: runtime?.name ?? "docker",
          replicas: Number(ra.replicas ?? (promotedMax || 1)) || 1,
          replicasPerHost: Number(ra["replicas-per-host"] ?? 1) || 1,
          promotedMax,
          ipRangeStart: net?.attrs["ip-range-start"],
          hostNetmask: net?.attrs["host-netmask"],
          hostInterface: net?.attrs["host-interface"],
          child: inner ? this.primitive(inner) : undefined,
        };
        return b;
      }
      default:
        return undefined;
    }
  }

  sets(el: XmlElement): ResourceSet[] | undefined {
    const sets = childrenNamed(el, "resource_set");
    if (sets.length === 0) return undefined;
    return sets.map((raw) => {
      const s = this.deref(raw);
      return {
        id: s.attrs.id ?? "",
        resources: childrenNamed(s, "resource_ref").map((r) => r.attrs.id ?? ""),
        sequential: s.attrs.sequential !== "false",
        requireAll: s.attrs["require-all"] !== "false",
        role: s.attrs.role,
        action: s.attrs.action,
        ordering: s.attrs.ordering,
        score: s.attrs.score !== undefined ? parseCibScore(s.attrs.score) : undefined,
      };
    });
  }
}

function lrmOp(el: XmlElement): OpRecord {
  const a = el.attrs;
  const lastRcChange = a["last-rc-change"] ?? a["last-run"];
  const plain = {
    id: a.id ?? "",
    operation: a.operation ?? "",
    intervalMs: Number(a.interval ?? 0),
    rc: Number(a["rc-code"] ?? 0),
    status: Number(a["op-status"] ?? 0),
    callId: Number(a["call-id"] ?? 0),
    lastRcChange: lastRcChange !== undefined ? Number(lastRcChange) : undefined,
    opDigest: a["op-digest"],
    featureSet: a["crm_feature_set"],
    expectedRc: expectedRcOf(a["transition-key"]),
  };
  // (Of the same two shapes as the in-place reader's records; a pending one is of the full shape.)
  if (RARE_OP_ATTRIBUTES.every((k) => a[k] === undefined) && plain.callId !== -1) return plain;
  return {
    ...plain,
    exitReason: a["exit-reason"],
    migrateSource: a["migrate_source"],
    migrateTarget: a["migrate_target"],
    restartDigest: a["op-restart-digest"],
    secureDigest: a["op-secure-digest"],
    forceRestartParams: a["op-force-restart"],
    secureParams: a["op-secure-params"],
    onNode: a["on_node"],
    pendingKey: plain.callId === -1 ? a["transition-key"] : undefined,
  };
}

function lrmResource(lr: XmlElement): LrmResource {
  const lock = lr.attrs["shutdown-lock"];
  return {
    id: lr.attrs.id ?? "",
    cls: lr.attrs.class,
    provider: lr.attrs.provider,
    type: lr.attrs.type,
    container: lr.attrs.container,
    ops: childrenNamed(lr, "lrm_rsc_op").map(lrmOp),
    ...(lock !== undefined && /^\d+$/.test(lock) ? { shutdownLockSec: Number(lock) } : {}),
  };
}

/** The expected result in a transition key "action:transition:expected-rc:uuid". */
function expectedRcOf(key: string | undefined): number | undefined {
  // (Read by position, not by a regular expression: this runs for every history entry of the status.)
  if (key === undefined) return undefined;
  const first = key.indexOf(":");
  const second = first < 0 ? -1 : key.indexOf(":", first + 1);
  const third = second < 0 ? -1 : key.indexOf(":", second + 1);
  const signed = key[first + 1] === "-" ? 1 : 0;
  if (third < 0 || !digitsAt(key, 0, first) || !digitsAt(key, first + 1 + signed, second)) return undefined;
  return digitsAt(key, second + 1, third) ? Number(key.slice(second + 1, third)) : undefined;
}
function digitsAt(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let k = from; k < to; k++) if (s.charCodeAt(k) < 48 || s.charCodeAt(k) > 57) return false;
  return true;
}

/** A group's or clone's own instance attributes, when it has any. */
const inheritedParams = (sets: NvSet[]): { params?: NvSet[] } => (sets.length ? { params: sets } : {});

/**
 * Colocation sets and tags become pairwise colocations. Within a set each member goes with the one before it
 * ("set A B" = B with A); with several sets, each set goes with the set after it (its first member).
 */
function expandColocations(list: ColocationDef[], tags: Record<string, string[]>): ColocationDef[] {
  const out: ColocationDef[] = [];
  const names = (id: string): string[] => tags[id] ?? [id];
  for (const c of list) {
    if (c.sets && c.sets.length) {
      const sets = c.sets.map((s) => ({ ...s, resources: s.resources.flatMap(names) }));
      sets.forEach((set, si) => {
        const score = set.score ?? c.score;
        if (set.sequential) {
          for (let i = 1; i < set.resources.length; i++) {
            out.push({
              ...c,
              id: `${c.id}:${set.id}:${i}`,
              sets: undefined,
              rsc: set.resources[i],
              withRsc: set.resources[i - 1],
              rscRole: set.role,
              withRscRole: set.role,
              score,
            });
          }
        }
        const next = sets[si + 1];
        if (next && next.resources.length) {
          const anchor = next.resources[0]!;
          for (const r of set.resources)
            out.push({
              ...c,
              id: `${c.id}:${set.id}->${next.id}:${r}`,
              sets: undefined,
              rsc: r,
              withRsc: anchor,
              rscRole: set.role,
              withRscRole: next.role,
              score: c.score,
            });
        }
      });
      continue;
    }
    if (c.rsc === undefined || c.withRsc === undefined) continue;
    // A template or tag on either side stands for an unordered set of the resources it names, colocated one by one
    // with the resource on the other side (each of them with it, or it with each of them). Two tags: Pacemaker
    // refuses the constraint, and so it is dropped.
    const rscTag = tags[c.rsc] !== undefined,
      withTag = tags[c.withRsc] !== undefined;
    if (rscTag && withTag) continue;
    if (withTag) for (const w of names(c.withRsc)) out.push({ ...c, id: `${c.id}:${w}`, withRsc: w });
    else for (const r of names(c.rsc)) out.push({ ...c, rsc: r });
  }
  return out;
}

/** Orders naming a tag or template act on every resource it stands for (as an unordered set). */
function expandOrderTags(list: OrderDef[], tags: Record<string, string[]>): OrderDef[] {
  return list.flatMap((o) => {
    if (o.sets || !o.first || !o.then || (!tags[o.first] && !tags[o.then])) return [o];
    const firsts = tags[o.first] ?? [o.first],
      thens = tags[o.then] ?? [o.then];
    return firsts.flatMap((f) => thens.map((t) => ({ ...o, id: `${o.id}:${f}:${t}`, first: f, then: t })));
  });
}

function parseCibDate(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s.replace(" ", "T").replace(/Z?$/, s.includes("+") || /Z$/.test(s) ? "" : "Z"));
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/** Names that would reach for an object's prototype wherever ids key a plain object: refused, where they appear. */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
const FREE_TEXT = new Set(["value", "description"]);
/**
 * Where the text may hold one, at or after `from` (−1: nowhere): a quoted reserved name, or a character reference
 * (a name spelled with &#…; is only found by the walk). Searching costs less than walking every attribute of a large
 * status section. Asked in increasing order of `from`, each match is looked for once.
 */
function reservedNameFinder(xml: string): (from: number) => number {
  const suspect = /["'](?:__proto__|constructor|prototype)["']|&#/g;
  let next = -2; // (−2: not looked for yet)
  return (from) => {
    if (next === -1 || next >= from) return next;
    suspect.lastIndex = from;
    return (next = suspect.exec(xml)?.index ?? -1);
  };
}
function refuseReservedNames(root: XmlElement): void {
  const todo = [root];
  for (let el = todo.pop(); el; el = todo.pop()) {
    for (const k in el.attrs) {
      const v = el.attrs[k]!;
      if (RESERVED.has(v) && !FREE_TEXT.has(k))
        throw new Error(`line ${el.line}: <${el.name} ${k}="${v}">: the name ${v} is reserved`);
    }
    for (const c of el.children) todo.push(c);
  }
}

/** `inPlace` false reads the histories with the general XML reader too (tests compare the two). */
export function readCib(xml: string, fallbackNowSec = Math.floor(Date.now() / 1000), inPlace = true): SchedulerInput {
  const suspectFrom = reservedNameFinder(xml);
  const checkNames = suspectFrom(0) >= 0;
  // The status section's resource histories (most of a large CIB) are read as they are parsed, never kept as XML.
  const historiesOf = new Map<XmlElement, LrmResource[]>();
  // One string per resource id, whichever node's history names it: the scheduler looks each up several times.
  const ids = new Map<string, string>();
  const keep = (lr: LrmResource, parent: XmlElement) => {
    const list = historiesOf.get(parent) ?? [];
    if (!list.length) historiesOf.set(parent, list);
    lr.id = oneId(lr.id);
    list.push(lr);
  };
  const oneId = (id: string): string => {
    const known = ids.get(id);
    if (known !== undefined) return known;
    ids.set(id, id);
    return id;
  };
  // Histories go into a table per node, read in place (unless the caller asks for objects throughout). An element
  // that may spell a reserved name is read as elements instead, for refuseReservedNames to walk: the in-place
  // reader leaves any element with a '&' or such a name in it to the XML reader.
  const history = inPlace ? new HistoryReader(xml, oneId) : undefined;
  const tables = new Map<XmlElement, HistoryTableBuilder>();
  const source = { text: xml };
  let lastTable: HistoryTableBuilder | undefined;
  const tableOf = (parent: XmlElement) => {
    let b = tables.get(parent);
    if (!b) {
      tables.set(parent, (b = new HistoryTableBuilder(source, HISTORY_OPERATIONS, lastTable?.t)));
      lastTable = b;
    }
    return b;
  };
  const root = parseXml(xml, {
    take: (el, parent) => {
      if (el.name !== "lrm_resource" || parent.name !== "lrm_resources") return false;
      if (checkNames) refuseReservedNames(el);
      const lr = lrmResource(el);
      if (history) tableOf(parent).commitWhole({ ...lr, id: oneId(lr.id) });
      else keep(lr, parent);
      return true;
    },
    direct: history && {
      element: "lrm_resource",
      parent: "lrm_resources",
      read: (at, nextAmp, parent) => {
        const odd = suspectFrom(at);
        return history.read(at, odd >= 0 && (nextAmp < 0 || odd < nextAmp) ? odd : nextAmp, tableOf(parent));
      },
    },
  });
  if (root.name !== "cib") throw new Error(`not a CIB: the root element is <${root.name}>, expected <cib>`);
  if (checkNames) refuseReservedNames(root);
  const conf = childNamed(root, "configuration");
  if (!conf) throw new Error("the CIB has no <configuration> section");
  const r = new CibReader(conf);
  const properties: Record<string, string> = {};
  for (const set of r.nvsets(childNamed(conf, "crm_config"), "cluster_property_set")) {
    for (const [k, v] of Object.entries(set.values)) if (properties[k] === undefined) properties[k] = v;
  }
  const nodes: NodeDef[] = childrenNamed(childNamed(conf, "nodes"), "node").map((n) => {
    const util: Record<string, string> = {};
    for (const set of r.nvsets(n, "utilization")) Object.assign(util, set.values);
    return {
      id: n.attrs.id ?? n.attrs.uname ?? "",
      name: n.attrs.uname ?? n.attrs.id ?? "",
      type: n.attrs.type === "remote" ? "remote" : n.attrs.type === "ping" ? "ping" : "member",
      attrs: r.nvsets(n, "instance_attributes"),
      utilization: util,
      score: parseCibScore(n.attrs.score),
    };
  });
  const rscEl = childNamed(conf, "resources");
  const resources = (rscEl?.children ?? []).map((c) => r.resource(c)).filter((x): x is ResourceDef => x !== undefined);
  const cons = childNamed(conf, "constraints");
  const locations: LocationDef[] = [];
  const colocations: ColocationDef[] = [];
  const orders: OrderDef[] = [];
  const tickets: TicketDef[] = [];
  for (const c of cons?.children ?? []) {
    const a = c.attrs;
    switch (c.name) {
      case "rsc_location":
        locations.push({
          id: a.id ?? "",
          rsc: a.rsc,
          rscPattern: a["rsc-pattern"],
          set: r.sets(c),
          role: a.role,
          node: a.node,
          score: a.score !== undefined ? parseCibScore(a.score) : undefined,
          rules: childrenNamed(c, "rule").map((x) => r.rule(x)),
          discovery: a["resource-discovery"],
        });
        break;
      case "rsc_colocation":
        colocations.push({
          id: a.id ?? "",
          rsc: a.rsc,
          withRsc: a["with-rsc"],
          rscRole: a["rsc-role"],
          withRscRole: a["with-rsc-role"],
          score: parseCibScore(a.score),
          nodeAttribute: a["node-attribute"] ?? "#uname",
          sets: r.sets(c),
          influence: a.influence === undefined ? undefined : !/^(false|no|0|off)$/i.test(a.influence),
        });
        break;
      case "rsc_order": {
        const kind =
          a.kind ?? (a.score !== undefined ? (parseCibScore(a.score) === 0 ? "Optional" : "Mandatory") : "Mandatory");
        orders.push({
          id: a.id ?? "",
          first: a.first,
          then: a.then,
          firstAction: a["first-action"] ?? "start",
          thenAction: a["then-action"] ?? a["first-action"] ?? "start",
          kind: kind === "Optional" || kind === "Serialize" ? kind : "Mandatory",
          symmetrical: a.symmetrical === undefined ? kind !== "Serialize" : !/^(false|no|0|off)$/i.test(a.symmetrical),
          score: a.score !== undefined ? parseCibScore(a.score) : undefined,
          sets: r.sets(c),
          requireAll: a["require-all"] === undefined ? undefined : !/^(false|no|0|off)$/i.test(a["require-all"]),
        });
        break;
      }
      case "rsc_ticket":
        tickets.push({
          id: a.id ?? "",
          ticket: a.ticket ?? "",
          rsc: a.rsc,
          rscRole: a["rsc-role"],
          lossPolicy: a["loss-policy"] ?? "stop",
          sets: r.sets(c),
        });
        break;
    }
  }
  const tags = Object.create(null) as Record<string, string[]>;
  for (const t of childrenNamed(childNamed(conf, "tags"), "tag"))
    tags[t.attrs.id ?? ""] = childrenNamed(t, "obj_ref").map((o) => o.attrs.id ?? "");
  // A template named in a constraint stands for every primitive made from it, as a tag does.
  const walkTemplates = (el: XmlElement) => {
    for (const c of el.children) {
      if (c.name === "primitive" && c.attrs.template) (tags[c.attrs.template] ??= []).push(c.attrs.id ?? "");
      walkTemplates(c);
    }
  };
  if (rscEl) walkTemplates(rscEl);
  const status = childNamed(root, "status");
  const nodeStates: NodeStateDef[] = childrenNamed(status, "node_state").map((ns) => {
    const transient: Record<string, string> = {};
    for (const ta of childrenNamed(ns, "transient_attributes"))
      for (const set of r.nvsets(ta, "instance_attributes")) Object.assign(transient, set.values);
    const lrmEl = childNamed(childNamed(ns, "lrm"), "lrm_resources");
    const lrm: LrmResource[] = (lrmEl && historiesOf.get(lrmEl)) ?? [];
    const table = lrmEl && tables.get(lrmEl);
    const a = ns.attrs;
    return {
      id: a.id ?? "",
      uname: a.uname,
      inCcm: a.in_ccm,
      crmd: a.crmd,
      join: a.join,
      ...(a.node_fenced !== undefined && a.node_fenced !== "0" ? { remoteFenced: true } : {}),
      expected: a.expected,
      transient,
      lrm,
      ...(table ? { history: table.finish() } : {}),
    };
  });
  const expandedColocations = expandColocations(colocations, tags);
  const ticketStates: Record<string, Record<string, string>> = {};
  for (const t of childrenNamed(childNamed(status ?? root, "tickets"), "ticket_state"))
    ticketStates[t.attrs.id ?? ""] = { ...t.attrs };
  const hq = root.attrs["have-quorum"];
  const executionDate = root.attrs["execution-date"];
  return {
    nowSec: /^\d+$/.test(executionDate ?? "") ? Number(executionDate) : (parseCibDate(executionDate) ?? fallbackNowSec),
    haveQuorum: hq === undefined ? false : /^(true|1|yes|on)$/i.test(hq),
    digestsRecorded: true,
    maskedSecrets: true,
    failCountNames: olderVersion(root.attrs.crm_feature_set, [3, 0, 13]) ? "per-resource" : "per-operation",
    dcUuid: root.attrs["dc-uuid"],
    properties,
    rscDefaults: r.nvsets(childNamed(conf, "rsc_defaults"), "meta_attributes"),
    opDefaults: r.nvsets(childNamed(conf, "op_defaults"), "meta_attributes"),
    nodes,
    resources,
    locations,
    colocations: expandedColocations,
    orders: expandOrderTags(orders, tags),
    tickets,
    ticketStates,
    nodeStates,
    tags,
    fencingLevels: childrenNamed(childNamed(conf, "fencing-topology"), "fencing-level").map((l) => ({
      id: l.attrs.id ?? "",
      index: Number(l.attrs.index ?? 0),
      target: l.attrs.target,
      devices: (l.attrs.devices ?? "")
        .split(",")
        .map((d) => d.trim())
        .filter(Boolean),
    })),
  };
}
