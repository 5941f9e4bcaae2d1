// Placement: every resource's score on every node (availability, location constraints and rules, stickiness,
// fail counts, colocations), then the choice of node, in Pacemaker's way: a colocation's primary is placed before
// its dependents, and the primary weighs its dependents' preferences.

import type { ColocationDef, LocationDef } from "../../config/cluster-model.js";
import { evalNvSets, ruleMatches, withSubmatches, type RuleContext } from "./rules.js";
import { addScore, INF } from "./scores.js";
import { frozen, isStonith, primitivesOf, type SNode, type SRsc, type WorkingSet } from "./working-set.js";

export type Scores = Map<string, number>; // node name → score

/** Why each score is what it is, for `simulate --explain`. */
export interface ScoreNote {
  node: string;
  delta: number;
  why: string;
}

export interface Placement {
  /** Chosen node per primitive id, clone instances included (null = stopped). */
  assigned: Map<string, string | null>;
  /** Clone instances (primitive ids) chosen to be promoted. */
  promoted: Set<string>;
  /** Final allocation scores per top-level resource (for --explain). */
  scores: Map<string, Scores>;
  notes: Map<string, ScoreNote[]>;
}

/** Does the location constraint name this id? For `rsc-pattern`, the match (its groups fill %0–%9 in the rule's
 * attribute names), or [] for an inverted pattern ("!regex": every id the expression does not match). */
function matchesRsc(ws: WorkingSet, loc: LocationDef, id: string): readonly string[] | undefined {
  if (loc.rsc !== undefined)
    return loc.rsc === id || (ws.input.tags[loc.rsc]?.includes(id) ?? false) ? NO_SUBMATCHES : undefined;
  if (loc.rscPattern !== undefined) {
    const invert = loc.rscPattern.startsWith("!");
    let m: RegExpExecArray | null;
    try {
      m = new RegExp(invert ? loc.rscPattern.slice(1) : loc.rscPattern).exec(id);
    } catch {
      return undefined;
    }
    if (invert) return m ? undefined : NO_SUBMATCHES;
    return m ? m.map((g) => g ?? "") : undefined;
  }
  if (loc.set)
    return loc.set.some((s) => s.resources.some((x) => x === id || (ws.input.tags[x]?.includes(id) ?? false)))
      ? NO_SUBMATCHES
      : undefined;
  return undefined;
}
const NO_SUBMATCHES: readonly string[] = [];

/** Negative when node a has more capacity left than b in more of a's capacity attributes, positive when fewer. */
function roomCompare(a: SNode, b: SNode): number {
  let more = 0;
  for (const k of Object.keys(a.utilization)) {
    const x = a.remaining[k] ?? 0,
      y = b.remaining[k] ?? 0;
    if (x > y) more--;
    else if (x < y) more++;
  }
  return more;
}

const isPromotedRole = (role: string | undefined): boolean => role !== undefined && /^(promoted|master)$/i.test(role);
const isUnpromotedRole = (role: string | undefined): boolean =>
  role !== undefined && /^(unpromoted|slave)$/i.test(role);

/** It holds a guest node (its remote-node, or a bundle's replica). */
const isContainer = (ws: WorkingSet, p: SRsc): boolean => [...ws.guestOf.values()].includes(p.id);

function canHost(ws: WorkingSet, n: SNode): boolean {
  // and its connection placed (Placer.remoteUp)
  if (n.remoteConnection) return !n.unclean && !n.standby && !n.shutdown && !n.maintenance;
  return n.online && !n.unclean && !n.standby && !n.pending && !n.shutdown && !n.maintenance;
}

class Placer {
  readonly assigned = new Map<string, string | null>();
  readonly unitAssigned = new Map<string, string[]>();
  readonly promoted = new Set<string>();
  /** Nodes where a promotable clone has a promoted instance. */
  readonly promotedNodes = new Map<string, string[]>();
  readonly scores = new Map<string, Scores>();
  readonly notes = new Map<string, ScoreNote[]>();
  private readonly inProgress = new Set<string>();
  /** The scores of units being placed, as far as they are worked out (their primaries are placed one by one, and
   * each placed primary's colocation narrows them before the next primary weighs them as a dependent's). */
  private readonly partialScores = new Map<string, Scores>();
  private readonly unitOf = new Map<string, SRsc>();
  private byUnit: Map<SRsc, ColocationDef[]> | undefined;
  private readonly asDependent = new Map<SRsc, ColocationDef[]>();
  private readonly asPrimary = new Map<SRsc, ColocationDef[]>();

  /** Location constraints by the resource id they name (tags expanded); pattern ones are checked for all. */
  private readonly locationsById = new Map<string, LocationDef[]>();
  private readonly locationsForAll: LocationDef[] = [];

  constructor(readonly ws: WorkingSet) {
    const add = (id: string, loc: LocationDef) => {
      for (const x of [id, ...(ws.input.tags[id] ?? [])]) {
        const list = this.locationsById.get(x) ?? [];
        if (!list.includes(loc)) list.push(loc);
        this.locationsById.set(x, list);
      }
    };
    for (const loc of ws.input.locations) {
      if (loc.rsc !== undefined) add(loc.rsc, loc);
      else if (loc.set) for (const set of loc.set) for (const r of set.resources) add(r, loc);
      else this.locationsForAll.push(loc);
    }
    for (const r of ws.resources) {
      this.unitOf.set(r.id, r);
      for (const c of primitivesOf(r)) {
        this.unitOf.set(c.id, r);
        this.unitOf.set(c.baseId, r);
        if (c.parent) {
          this.unitOf.set(c.parent.id, r);
          this.unitOf.set(c.parent.baseId, r);
        }
      }
    }
    for (const [tag, ids] of Object.entries(ws.input.tags)) {
      const first = ids.map((i) => this.unitOf.get(i)).find(Boolean);
      if (first && !this.unitOf.has(tag)) this.unitOf.set(tag, first);
    }
  }

  /** The unit whose scores are being explained right now (nested computations do not add notes). */
  private noting?: string;

  note(unit: SRsc, node: string, delta: number, why: string): void {
    if (unit.id !== this.noting) return;
    let list = this.notes.get(unit.id);
    if (!list) this.notes.set(unit.id, (list = []));
    list.push({ node, delta, why });
  }

  locationsFor(p: SRsc, unit: SRsc): LocationDef[] {
    const ids = [p.id, p.baseId, p.parent?.id, p.parent?.baseId, unit.id, unit.baseId].filter((x): x is string => !!x);
    const found = new Set<LocationDef>();
    for (const id of ids) for (const l of this.locationsById.get(id) ?? []) found.add(l);
    for (const l of this.locationsForAll) found.add(l);
    // keep configuration order
    return this.ws.input.locations.length <= found.size * 4
      ? this.ws.input.locations.filter((l) => found.has(l))
      : [...found].sort((a, b) => this.ws.input.locations.indexOf(a) - this.ws.input.locations.indexOf(b));
  }

  /** Nodes where a promotable clone has an instance that is not promoted. */
  unpromotedNodes(clone: SRsc): string[] {
    const nodes: string[] = [];
    for (const inst of clone.children) {
      const first = primitivesOf(inst)[0];
      const node = first && this.assigned.get(first.id);
      if (node && !this.promoted.has(first.id)) nodes.push(node);
    }
    return [...new Set(nodes)];
  }

  /** A remote/guest node can host resources when its connection resource is placed. */
  remoteUp(n: SNode): boolean {
    const conn = this.ws.byId.get(n.remoteConnection!);
    if (!conn) return false;
    let unit = conn;
    while (unit.parent) unit = unit.parent;
    if (this.inProgress.has(unit.id) && !this.unitAssigned.has(unit.id)) return n.online;
    return this.place(unit).length > 0;
  }

  /** The resource a location constraint names for this primitive — itself, its group (counted once, on the first
   * member) or its clone — with the pattern's submatches; undefined when it names none of them. A pattern is matched
   * against top-level resources only, as Pacemaker does. */
  locationTarget(loc: LocationDef, p: SRsc, unit: SRsc): { rsc: SRsc; submatches: readonly string[] } | undefined {
    const ws = this.ws;
    const topOnly = loc.rscPattern !== undefined;
    const named = (r: SRsc): readonly string[] | undefined =>
      topOnly && r.parent
        ? undefined
        : (matchesRsc(ws, loc, r.id) ?? (r.baseId !== r.id ? matchesRsc(ws, loc, r.baseId) : undefined));
    let m = named(p);
    if (m) return { rsc: p, submatches: m };
    const group = p.parent && p.parent.kind === "group" ? p.parent : undefined;
    if (group && group.children[0]?.id === p.id && (m = named(group))) return { rsc: group, submatches: m };
    const clone = unit.kind === "clone" ? unit : undefined;
    if (clone && (group ? group.children[0]?.id === p.id : true) && (m = named(clone)))
      return { rsc: clone, submatches: m };
    return undefined;
  }

  /** What a location rule about `target` is evaluated against on node n: the node's attributes, and for
   * value-source=param / meta the resource's parameters there (evaluated on that node) and meta attributes. */
  ruleContext(target: { rsc: SRsc; submatches: readonly string[] }, n: SNode): RuleContext {
    const ws = this.ws;
    const def = target.rsc.def;
    return {
      nodeAttrs: n.attrs,
      nowSec: ws.nowSec,
      params: () =>
        "params" in def && def.params ? evalNvSets(def.params, { nowSec: ws.nowSec, nodeAttrs: n.attrs }) : {},
      meta: target.rsc.meta,
      submatches: target.submatches,
    };
  }

  /** Scores of one primitive from its own constraints (no colocation), or undefined where it may not run. */
  ownScores(p: SRsc, unit: SRsc): Scores {
    const ws = this.ws;
    const s: Scores = new Map();
    // A guest's connection goes wherever its container goes, whatever symmetric-cluster says.
    for (const n of ws.nodes) if (ws.symmetric || p.implicit) s.set(n.name, 0);
    // Locked to a node that shut down (shutdown-lock): nowhere else.
    if (p.lockNode !== undefined)
      for (const n of ws.nodes)
        if (n.name !== p.lockNode && s.has(n.name)) {
          s.set(n.name, -INF);
          this.note(unit, n.name, -INF, `shutdown lock of ${p.id} to ${p.lockNode}`);
        }
    for (const loc of this.locationsFor(p, unit)) {
      if (loc.role && !/^started$/i.test(loc.role)) continue; // role=Promoted constraints decide promotion only
      const target = this.locationTarget(loc, p, unit);
      if (!target) continue;
      for (const n of ws.nodes) {
        let delta: number | undefined;
        if (loc.node !== undefined) {
          if (loc.node === n.name) delta = loc.score ?? 0;
        } else {
          for (const rule of loc.rules) {
            if (rule.role && !/^started$/i.test(rule.role)) continue;
            if (!ruleMatches(rule, this.ruleContext(target, n))) continue;
            let sc = rule.score ?? loc.score ?? 0;
            if (rule.scoreAttribute) {
              const v = n.attrs[withSubmatches(rule.scoreAttribute, target.submatches)];
              if (v === undefined) continue;
              sc = /^-?INFINITY$/i.test(v)
                ? v.startsWith("-")
                  ? -INF
                  : INF
                : Number.isNaN(parseInt(v, 10))
                  ? 0
                  : parseInt(v, 10);
            }
            delta = delta === undefined ? sc : addScore(delta, sc);
          }
        }
        if (delta === undefined) continue;
        s.set(n.name, addScore(s.get(n.name) ?? 0, delta));
        this.note(unit, n.name, delta, `location ${loc.id}${p.id !== unit.id ? ` (${p.id})` : ""}`);
      }
    }
    for (const node of p.running.keys()) {
      if (frozen(p) || !s.has(node)) continue;
      if (p.stickiness !== 0) {
        s.set(node, addScore(s.get(node)!, p.stickiness));
        this.note(unit, node, p.stickiness, `stickiness of ${p.id} (it runs here)`);
      }
    }
    for (const n of ws.nodes) {
      if (!s.has(n.name)) continue;
      const fc = p.failCount.get(n.name) ?? 0;
      if (fc >= p.migrationThreshold && fc > 0) {
        s.set(n.name, -INF);
        this.note(
          unit,
          n.name,
          -INF,
          `${p.id} failed ${fc >= INF ? "INFINITY times" : fc === 1 ? "once" : `${fc} times`} here (migration-threshold ${p.migrationThreshold >= INF ? "INFINITY" : p.migrationThreshold})`,
        );
      }
      if (n.healthScore !== 0 && !/^(true|yes|1|on)$/i.test(p.meta["allow-unhealthy-nodes"] ?? "")) {
        s.set(n.name, addScore(s.get(n.name)!, n.healthScore));
        this.note(unit, n.name, n.healthScore, `node health of ${n.name} is ${n.health}`);
      }
      if (p.banned.has(n.name)) {
        s.set(n.name, -INF);
        this.note(unit, n.name, -INF, `${p.id} cannot run here (a fatal failure in its history)`);
      }
      if (!canHost(ws, n)) {
        s.set(n.name, -INF);
        this.note(
          unit,
          n.name,
          -INF,
          `node ${n.name} is ${n.unclean ? "unclean" : n.standby ? "in standby" : n.pending ? "pending" : "offline"}`,
        );
      } else if (
        ws.bundles.instanceOnGuest.has(n.name) &&
        unit.id !== ws.bundles.instanceOnGuest.get(n.name)!.cloneId
      ) {
        s.set(n.name, -INF);
        this.note(unit, n.name, -INF, `${n.name} is a bundle's replica: only the bundle's resource runs there`);
      } else if (ws.guestOf.has(n.name) && isContainer(ws, p)) {
        s.set(n.name, -INF);
        this.note(unit, n.name, -INF, `${p.id} holds a guest node and cannot run inside another`);
      } else if (
        n.remoteConnection &&
        // (A node it may not run on anyway need not have its connection placed first.)
        (p.connectsNode !== undefined || isStonith(p) || (s.get(n.name)! > -INF && !this.remoteUp(n)))
      ) {
        s.set(n.name, -INF);
        this.note(
          unit,
          n.name,
          -INF,
          p.connectsNode || isStonith(p)
            ? `${p.id} runs on cluster nodes only`
            : `remote node ${n.name} has no connection`,
        );
      }
    }
    return s;
  }

  /** The ticket constraints (rsc_ticket) this unit depends on that do not currently allow it to run. */
  missingTickets(unit: SRsc, role: "Started" | "Promoted" = "Started"): Array<{ ticket: string; lossPolicy: string }> {
    if (this.ws.input.tickets.length === 0) return [];
    const ids = new Set(
      [
        unit.id,
        unit.baseId,
        ...primitivesOf(unit).flatMap((p) => [p.id, p.baseId, p.parent?.id, p.parent?.baseId]),
      ].filter((x): x is string => !!x),
    );
    const names = (id: string) => [
      id,
      ...Object.entries(this.ws.input.tags)
        .filter(([, v]) => v.includes(id))
        .map(([k]) => k),
    ];
    const mine = (ref: string) => [...ids].some((id) => names(id).includes(ref));
    const out: Array<{ ticket: string; lossPolicy: string }> = [];
    for (const t of this.ws.input.tickets) {
      // Which role of ours the ticket governs: the constraint's rsc-role, or the role of the set naming us.
      const refs: Array<{ ref: string; role?: string }> = [
        ...(t.rsc ? [{ ref: t.rsc, role: t.rscRole }] : []),
        ...(t.sets ?? []).flatMap((set) => set.resources.map((ref) => ({ ref, role: set.role }))),
      ];
      const hit = refs.find(
        (x) =>
          mine(x.ref) &&
          (x.role === undefined || /^started$/i.test(x.role)
            ? role === "Started"
            : isPromotedRole(x.role) && role === "Promoted"),
      );
      if (!hit) continue;
      const state = this.ws.input.ticketStates[t.ticket];
      const granted = state !== undefined && /^(true|1|yes)$/i.test(state.granted ?? "false");
      const standby = state !== undefined && /^(true|1|yes)$/i.test(state.standby ?? "false");
      // A ticket in standby gives its resources up gracefully: no fencing or freezing; a promoted role is demoted.
      if (!granted) out.push({ ticket: t.ticket, lossPolicy: t.lossPolicy });
      else if (standby)
        out.push({
          ticket: t.ticket,
          lossPolicy: t.lossPolicy !== "stop" && (role === "Promoted" || t.lossPolicy === "demote") ? "demote" : "stop",
        });
    }
    return out;
  }

  /** A unit (primitive or group) cannot run anywhere for a reason of its own (role, stop requests, tickets). */
  stoppedByPolicy(unit: SRsc): boolean {
    const prims = primitivesOf(unit);
    // A clone's copies inherit its target-role unless the resource inside sets its own.
    const roleOf = unit.kind === "clone" && unit.children[0] ? primitivesOf(unit.children[0])[0] : unit;
    if (/^stopped$/i.test((roleOf ?? unit).targetRole)) return true;
    if (/^(true|yes|1|on)$/i.test(this.ws.props["stop-all-resources"] ?? "")) return true;
    const missing = this.missingTickets(unit);
    if (missing.some((m) => m.lossPolicy !== "freeze")) return true;
    if (missing.length > 0 && !prims.some((p) => p.running.size > 0)) return true;
    // A promoted-role ticket that is not granted, with loss-policy stop: the whole resource stays stopped.
    if (unit.clone?.promotable && this.missingTickets(unit, "Promoted").some((m) => m.lossPolicy === "stop"))
      return true;
    if (unit.kind === "primitive" && (unit.stopRequested || unit.bannedEverywhere || unit.orphan)) return true;
    void prims;
    return false;
  }

  unitScores(unit: SRsc): Scores {
    if (unit.kind === "primitive") return this.ownScores(unit, unit);
    if (unit.kind === "clone") return this.cloneBaseScores(unit);
    return this.memberSum(unit.children, unit);
  }

  /** Members' scores added up (after `start`, when given): a member that would leave no node at 0 or more is not
   * counted, nor any after it (Pacemaker rolls back such a merge). */
  memberSum(members: SRsc[], unit: SRsc, start?: Scores): Scores {
    let total: Scores | undefined = start;
    for (const m of members) {
      const own = this.ownScores(m, unit);
      if (!total) {
        total = own;
        continue;
      }
      const merged: Scores = new Map();
      for (const [n, v] of total) merged.set(n, addScore(v, own.get(n) ?? (this.ws.symmetric ? 0 : -INF)));
      if ([...merged.values()].some((v) => v >= 0)) total = merged;
      else break;
    }
    return total ?? new Map();
  }

  /** Colocations where this unit depends on another, the higher-priority primary first (it is placed first). */
  colocationsAsDependent(unit: SRsc): ColocationDef[] {
    const cached = this.asDependent.get(unit);
    if (cached) return cached;
    const priorityOf = (withRsc: string) => Math.max(0, ...this.primariesOf(withRsc).map((p) => p.priority));
    const list = this.colocationsNaming(unit)
      .filter(
        (c) =>
          c.rsc !== undefined &&
          this.unitOf.get(c.rsc) === unit &&
          c.withRsc !== undefined &&
          this.primariesOf(c.withRsc).some((p) => p !== unit),
      )
      .map((c, i) => ({ c, i, priority: priorityOf(c.withRsc!) }))
      .sort((a, b) => b.priority - a.priority || a.i - b.i)
      .map(({ c }) => c);
    this.asDependent.set(unit, list);
    return list;
  }
  /** The units a colocation's "with" side names: one resource, or every resource of a tag or template. */
  primariesOf(withRsc: string): SRsc[] {
    const tag = this.ws.input.tags[withRsc];
    if (tag && !this.ws.byId.has(withRsc))
      return [...new Set(tag.map((id) => this.unitOf.get(id)).filter((u): u is SRsc => !!u))];
    const u = this.unitOf.get(withRsc);
    return u ? [u] : [];
  }

  /** Colocations where this unit is the primary, as configured. */
  colocationsAsPrimary(unit: SRsc): ColocationDef[] {
    const cached = this.asPrimary.get(unit);
    if (cached) return cached;
    const list = this.colocationsNaming(unit).filter(
      (c) =>
        c.withRsc !== undefined &&
        this.unitOf.get(c.withRsc) === unit &&
        c.rsc !== undefined &&
        this.unitOf.has(c.rsc) &&
        this.unitOf.get(c.rsc) !== unit,
    );
    this.asPrimary.set(unit, list);
    return list;
  }
  /** Colocations naming the unit on either side, in configuration order (indexed once: asked for per unit). */
  private colocationsNaming(unit: SRsc): ColocationDef[] {
    if (!this.byUnit) {
      this.byUnit = new Map();
      for (const c of this.ws.input.colocations) {
        const units = new Set([c.rsc, c.withRsc].map((id) => (id === undefined ? undefined : this.unitOf.get(id))));
        for (const u of units) {
          if (!u) continue;
          const list = this.byUnit.get(u) ?? [];
          if (!list.length) this.byUnit.set(u, list);
          list.push(c);
        }
      }
    }
    return this.byUnit.get(unit) ?? [];
  }

  /** Where a resource reads node attributes: its node, or — inside a container with
   * container-attribute-target=host — the host its container runs on. */
  attributeNode(r: SRsc, node: string): SNode {
    const own = this.ws.nodeByName.get(node)!;
    const container = this.ws.guestOf.get(node);
    if (!container || r.meta["container-attribute-target"] !== "host") return own;
    const c = this.ws.byId.get(container);
    const host = this.assigned.get(container) ?? (c ? [...c.running.keys()][0] : undefined);
    return (host && this.ws.nodeByName.get(host)) || own;
  }

  nodeAttr(node: string, attr: string): string | undefined {
    return this.ws.nodeByName.get(node)?.attrs[attr];
  }

  /** Adds the dependents' preferences (scaled by the colocation score), unless that would leave no node. */
  mergeDependents(unit: SRsc, s: Scores, factor: number, seen: Set<string>): void {
    for (const c of this.colocationsAsPrimary(unit)) {
      const dep = this.unitOf.get(c.rsc!)!;
      if (
        seen.has(dep.id) ||
        this.unitAssigned.has(dep.id) ||
        c.influence === false ||
        this.ws.connectionWithContainer.has(c.id) ||
        dep.kind === "clone" ||
        unit.kind === "clone"
      )
        continue;
      const f = factor * (c.score / INF);
      if (f === 0) continue;
      seen.add(dep.id);
      const partial = this.partialScores.get(dep.id);
      const depScores = partial ? new Map(partial) : this.unitScores(dep);
      this.mergeDependents(dep, depScores, f, seen);
      const merged: Scores = new Map(s);
      for (const [n, v] of s) {
        if (v <= -INF) continue;
        const d = depScores.get(n);
        if (d === undefined) continue;
        // Where the dependent may not (or would rather not) run, an anti-colocation does not turn that into a
        // preference for the primary.
        if (f < 0 && d < 0) continue;
        // ±INFINITY scaled by a mandatory colocation stays infinite; by an advisory one it becomes a large finite
        // score. Rounded half away from zero; a non-zero score never vanishes into 0.
        const infinite = Math.abs(d) >= INF;
        const scaled =
          infinite && Math.abs(f) >= 1
            ? Math.sign(d) * Math.sign(f) * INF
            : Math.sign(d) * Math.min(Math.abs(d), INF) * f;
        let delta = Math.sign(scaled) * Math.round(Math.abs(scaled));
        if (delta === 0 && d !== 0) delta = Math.sign(f);
        merged.set(n, addScore(v, delta));
      }
      // Kept only if some node is still allowed with it (a score of at least 0); otherwise this preference is
      // dropped, as Pacemaker rolls back an optional merge that would leave the primary nowhere to run.
      if ([...merged.values()].some((v) => v >= 0)) {
        for (const [n, v] of merged)
          if (v !== s.get(n))
            this.note(unit, n, v - (s.get(n) ?? 0), `prefers of ${dep.id} (colocated with it, ${c.id})`);
        for (const [n, v] of merged) s.set(n, v);
      }
    }
  }

  place(unit: SRsc): string[] {
    if (this.unitAssigned.has(unit.id)) return this.unitAssigned.get(unit.id)!;
    if (this.inProgress.has(unit.id)) return [];
    this.inProgress.add(unit.id);
    const outerNoting = this.noting;
    this.noting = unit.id;
    this.notes.delete(unit.id);
    // A group is placed as its first member, with what that member is colocated with, and then its other members'
    // preferences — each kept only if some node stays allowed (non-negative) with it, as Pacemaker merges them.
    const group = unit.kind === "group" && unit.children.length > 1;
    let s = group ? this.ownScores(unit.children[0]!, unit) : this.unitScores(unit);
    this.noting = undefined;
    this.partialScores.set(unit.id, s);
    this.applyPrimaries(unit, s);
    this.partialScores.delete(unit.id);
    this.noting = outerNoting;
    if (group) {
      this.noting = unit.id;
      s = this.memberSum(unit.children.slice(1), unit, s);
      this.noting = outerNoting;
    }
    if (unit.kind === "clone") {
      const nodes = this.placeClone(unit, s);
      this.inProgress.delete(unit.id);
      this.unitAssigned.set(unit.id, nodes);
      return nodes;
    }
    this.noting = unit.id;
    this.mergeDependents(unit, s, 1, new Set([unit.id]));
    this.noting = outerNoting;
    this.scores.set(unit.id, s);
    const node = this.choose(unit, s);
    this.inProgress.delete(unit.id);
    this.unitAssigned.set(unit.id, node ? [node] : []);
    this.assignMembers(unit, node);
    // Without quorum (policy stop) nothing will run, so nothing counts toward a node's load.
    const willRun = this.ws.haveQuorum || this.ws.noQuorumPolicy !== "stop";
    if (node && willRun) this.ws.nodeByName.get(node)!.assignedCount += primitivesOf(unit).length;
    return node ? [node] : [];
  }

  /** Colocations where this unit depends on another: place the other first, then follow it. */
  applyPrimaries(unit: SRsc, s: Scores): void {
    for (const c of this.colocationsAsDependent(unit)) {
      const primaries = this.primariesOf(c.withRsc!).filter((p) => p !== unit);
      const primary = primaries[0]!;
      // A single primary is placed first; a set of them (a tag) constrains only by those already placed.
      const isSet =
        primaries.length > 1 || (this.ws.input.tags[c.withRsc!] !== undefined && !this.ws.byId.has(c.withRsc!));
      // (A bundle's replicas are placed first, like a single primary.)
      const placeFirst = this.ws.bundles.bundleIds.has(c.withRsc!);
      const placedAt = primaries.map((p) =>
        isSet && !placeFirst
          ? this.unitAssigned.get(p.id)
          : this.inProgress.has(p.id) && !this.unitAssigned.has(p.id)
            ? undefined
            : this.place(p),
      );
      if (placedAt.every((w) => w === undefined)) continue; // a loop, or nothing of the set placed yet
      const where = [...new Set(placedAt.flatMap((w) => w ?? []))];
      const onRemote = (w: string) => !!this.ws.nodeByName.get(w)?.remoteConnection;
      if (this.ws.connectionWithContainer.has(c.id) && where.length > 0 && where.every(onRemote)) continue;
      // decides promotion, not placement (see promotionScore)
      if ((isPromotedRole(c.rscRole) || isUnpromotedRole(c.rscRole)) && unit.clone?.promotable) continue;
      const promotedThere = this.promotedNodes.get(primary.id) ?? [];
      const withNodes = !primary.clone?.promotable
        ? where
        : isPromotedRole(c.withRscRole)
          ? promotedThere
          : isUnpromotedRole(c.withRscRole)
            ? this.unpromotedNodes(primary)
            : where;
      const values = new Set(withNodes.map((w) => this.nodeAttr(w, c.nodeAttribute)).filter((v) => v !== undefined));
      for (const n of this.ws.nodes) {
        const v = this.nodeAttr(n.name, c.nodeAttribute);
        const same = v !== undefined && values.has(v);
        let delta = 0;
        if (c.score >= INF) delta = same ? 0 : -INF;
        else if (c.score <= -INF) delta = same ? -INF : 0;
        else if (same) delta = c.score;
        if (delta !== 0 && s.has(n.name)) {
          s.set(n.name, addScore(s.get(n.name)!, delta));
          this.noting = unit.id;
          this.note(
            unit,
            n.name,
            delta,
            `colocation ${c.id} with ${primary.id}${where.length ? ` (on ${where.join(", ")})` : " (stopped)"}`,
          );
          this.noting = undefined;
        }
      }
    }
  }

  /** A clone's scores before per-instance stickiness and fail counts: availability and its location constraints. */
  cloneBaseScores(clone: SRsc): Scores {
    // Instance 0 stands for all, without its own history (stickiness and fail counts are per instance).
    const members = primitivesOf(clone.children[0] ?? clone).map((p) => ({
      ...p,
      running: new Map(),
      failCount: new Map(),
      banned: new Set<string>(),
    }));
    return this.memberSum(members, clone);
  }

  /** Instance score on a node: the clone's score, plus stickiness where the instance runs, minus its bans. */
  instanceScore(inst: SRsc, base: Scores, node: string): number {
    let v = base.get(node);
    if (v === undefined) return -INF;
    for (const p of primitivesOf(inst)) {
      const fc = p.failCount.get(node) ?? 0;
      if ((fc > 0 && fc >= p.migrationThreshold) || p.banned.has(node)) return -INF;
      if (p.running.has(node) && !frozen(p)) v = addScore(v, p.stickiness);
    }
    return v;
  }

  placeClone(clone: SRsc, base: Scores): string[] {
    const info = clone.clone!;
    this.scores.set(clone.id, base);
    const perNode = new Map<string, number>();
    const chosen = new Map<SRsc, string | null>();
    const stopped = this.stoppedByPolicy(clone);
    const isFrozen = primitivesOf(clone).some(frozen);
    const room = (n: string) => (perNode.get(n) ?? 0) < info.nodeMax;
    const take = (inst: SRsc, n: string) => {
      chosen.set(inst, n);
      this.consume(this.ws.nodeByName.get(n)!, this.needs(inst));
      perNode.set(n, (perNode.get(n) ?? 0) + 1);
      this.ws.nodeByName.get(n)!.assignedCount += primitivesOf(inst).length;
    };
    let placedCount = 0;
    // First, instances stay where they run — but no node keeps more than its fair share, so that instances
    // spread over the nodes that can take them.
    const allowed = this.ws.nodes.filter((n) => (base.get(n.name) ?? -INF) >= 0).length;
    const fairShare = Math.min(info.nodeMax, Math.max(1, Math.ceil(info.max / Math.max(1, allowed))));
    const roomToStay = (n: string) => (perNode.get(n) ?? 0) < fairShare;
    for (const inst of clone.children) {
      const first = primitivesOf(inst)[0]!;
      if (inst.orphan) {
        chosen.set(inst, null);
        continue;
      } // beyond clone-max: stopped
      // (A copy that failed where it may still run stays there too: it is recovered in place, as Pacemaker does.)
      const here = first.running.keys().next().value;
      if (isFrozen) {
        chosen.set(inst, here ?? null);
        continue;
      }
      if (stopped || here === undefined || placedCount >= info.max) continue;
      const hereScore = this.instanceScore(inst, base, here);
      if (hereScore < 0 || !roomToStay(here) || !this.fits(this.ws.nodeByName.get(here)!, this.needs(inst))) continue;
      // It stays unless another node with room scores higher.
      const better = this.ws.nodes.find(
        (n) =>
          n.name !== here &&
          room(n.name) &&
          this.instanceScore(inst, base, n.name) > hereScore &&
          this.fits(n, this.needs(inst)),
      );
      if (better) continue;
      take(inst, here);
      placedCount++;
    }
    // The rest go where the score is best, spreading over nodes — an anonymous copy that failed, or runs on a node
    // about to be fenced, last: it stops there, and a free copy starts elsewhere.
    const lost = (inst: SRsc) =>
      primitivesOf(inst).some((p) => [...p.running].some(([n, st]) => st.failed || this.ws.nodeByName.get(n)?.unclean));
    // (Globally-unique copies are distinct resources: they move.)
    const rest = info.unique ? clone.children : [...clone.children].sort((a, b) => Number(lost(a)) - Number(lost(b)));
    for (const inst of rest) {
      if (chosen.has(inst) || stopped || isFrozen || placedCount >= info.max) continue;
      const byNode = (name: string) => this.ws.nodeByName.get(name)!;
      const candidates = this.ws.nodes
        .map((n) => n.name)
        .filter((n) => room(n) && this.instanceScore(inst, base, n) >= 0 && this.fits(byNode(n), this.needs(inst)));
      if (candidates.length === 0) continue;
      candidates.sort(
        (a, b) =>
          this.instanceScore(inst, base, b) - this.instanceScore(inst, base, a) ||
          (perNode.get(a) ?? 0) - (perNode.get(b) ?? 0) ||
          this.tieBreak(byNode(a), byNode(b)),
      );
      take(inst, candidates[0]!);
      placedCount++;
    }
    for (const inst of clone.children) this.assignMembers(inst, chosen.get(inst) ?? null);
    if (info.promotable) this.promote(clone, chosen);
    return [...new Set([...chosen.values()].filter((n): n is string => !!n))];
  }

  /** Promotion score of an instance on its node: its promotion attribute, role=Promoted locations and colocations. */
  /** `promotedPull`: what dependents of the promoted role prefer, per node (dependentsPull). */
  promotionScore(clone: SRsc, inst: SRsc, node: string, promotedPull: Scores): number {
    const first = primitivesOf(inst)[0]!;
    const n = this.attributeNode(first, node);
    const known = first.statusName.get(node);
    const attr =
      (known !== undefined ? n.attrs[`master-${known}`] : undefined) ??
      n.attrs[`master-${first.id}`] ??
      n.attrs[`master-${first.baseId}`];
    const current = first.running.get(node);
    if (first.noPromote.has(node)) return -INF;
    let score: number;
    if (attr !== undefined)
      score = /^-?INFINITY$/i.test(attr) ? (attr.startsWith("-") ? -INF : INF) : parseInt(attr, 10) || 0;
    // No promotion score, even where it is promoted now: it is not promoted unless a role=Promoted location says so
    // (Pacemaker's default of -1; stickiness does not lift it).
    else score = -1;
    if (current?.role === "Promoted" && first.stickiness && attr !== undefined)
      score = addScore(score, first.stickiness);
    for (const loc of this.locationsFor(first, clone)) {
      const roleOfLoc = loc.role;
      for (const rule of loc.rules.length ? loc.rules : [undefined]) {
        const role = rule?.role ?? roleOfLoc;
        const target = isPromotedRole(role) ? this.locationTarget(loc, first, clone) : undefined;
        if (!target) continue;
        if (loc.node !== undefined) {
          if (loc.node === node) score = addScore(score, loc.score ?? 0);
          continue;
        }
        if (rule && ruleMatches(rule, this.ruleContext(target, n)))
          score = addScore(score, rule.score ?? loc.score ?? 0);
      }
    }
    // Resources that must run with the promoted instance pull promotion toward where they can run.
    score = addScore(score, promotedPull.get(node) ?? 0);
    for (const c of this.colocationsAsDependent(clone)) {
      if (isUnpromotedRole(c.rscRole)) {
        // The unpromoted copy is wanted with the primary: the copy there is that much less to be promoted (never,
        // for a mandatory colocation; an anti-colocation makes it that much more).
        const primary = this.unitOf.get(c.withRsc!)!;
        const where = this.unitAssigned.get(primary.id) ?? [];
        if (where.some((w) => this.nodeAttr(w, c.nodeAttribute) === this.nodeAttr(node, c.nodeAttribute)))
          score = addScore(score, c.score >= INF ? -INF : c.score <= -INF ? INF : -c.score);
        continue;
      }
      if (!isPromotedRole(c.rscRole)) continue;
      const primary = this.unitOf.get(c.withRsc!)!;
      const where =
        isPromotedRole(c.withRscRole) && primary.clone?.promotable
          ? (this.promotedNodes.get(primary.id) ?? [])
          : (this.unitAssigned.get(primary.id) ?? []);
      const same = where.some((w) => this.nodeAttr(w, c.nodeAttribute) === this.nodeAttr(node, c.nodeAttribute));
      if (c.score >= INF) score = same ? addScore(score, INF) : -INF;
      else if (c.score <= -INF) score = same ? -INF : score;
      else if (same) score = addScore(score, c.score);
    }
    return score;
  }

  /** What ranks an instance for promotion: a copy left alone (unmanaged or blocked) while promoted stays first; else
   * its own promotion score, plus — when that is not negative — the clone's own score for the node (its location
   * constraints: a clone placed "INFINITY on node A" is promoted there first), as Pacemaker sums them. */
  /** `otherPull`: what the other dependents prefer, per node (dependentsPull). */
  finalPromotionScore(clone: SRsc, inst: SRsc, node: string, own: number, otherPull: Scores): number {
    const first = primitivesOf(inst)[0]!;
    if (frozen(first) && first.running.get(node)?.role === "Promoted") return INF;
    if (own < 0) return own;
    // The clone's own score there, with what its dependents (of any role) would rather have (Pacemaker weighs them
    // into the clone's node scores as it places it, and a promotable copy's priority adds that node score).
    return addScore(addScore(own, this.scores.get(clone.id)?.get(node) ?? 0), otherPull.get(node) ?? 0);
  }

  /** What the clone's dependents (those colocated with its promoted role, or the others) prefer on each node, scaled
   * by their colocation scores. A dependent whose preferences would leave the clone no node at 0 or more is left out,
   * as Pacemaker rolls back such a merge. */
  dependentsPull(clone: SRsc, promotedRole: boolean): Scores {
    const base = this.scores.get(clone.id) ?? new Map<string, number>();
    const pull: Scores = new Map();
    for (const c of this.colocationsAsPrimary(clone)) {
      if (isPromotedRole(c.withRscRole) !== promotedRole || c.influence === false) continue;
      if (!promotedRole && isUnpromotedRole(c.withRscRole)) continue;
      const dep = this.unitOf.get(c.rsc!)!;
      if (this.unitAssigned.has(dep.id) || dep.kind === "clone") continue;
      const depScores = this.unitScores(dep);
      const f = c.score / INF;
      const deltas = new Map<string, number>();
      for (const n of base.keys()) {
        const d = depScores.get(n);
        if (d === undefined) continue;
        const delta =
          Math.abs(d) >= INF
            ? Math.abs(f) >= 1
              ? Math.sign(d) * Math.sign(f) * INF
              : Math.trunc(Math.sign(d) * INF * f)
            : Math.trunc(d * f);
        // A dependent that cannot run here steers promotion away only when one promoted instance is all there is.
        if (delta <= -INF && clone.clone!.promotedMax > 1) continue;
        deltas.set(n, delta);
      }
      const leavesSome = [...base].some(
        ([n, b]) => b > -INF && addScore(addScore(b, pull.get(n) ?? 0), deltas.get(n) ?? 0) >= 0,
      );
      if (!leavesSome) continue;
      for (const [n, d] of deltas) pull.set(n, addScore(pull.get(n) ?? 0, d));
    }
    return pull;
  }

  promote(clone: SRsc, chosen: Map<SRsc, string | null>): void {
    const info = clone.clone!;
    if (/^(stopped|unpromoted|slave)$/i.test(clone.targetRole)) {
      this.promotedNodes.set(clone.id, []);
      return;
    }
    // Without quorum and no-quorum-policy=demote, nothing is promoted.
    if (!this.ws.haveQuorum && this.ws.noQuorumPolicy === "demote") {
      this.promotedNodes.set(clone.id, []);
      return;
    }
    const lost = this.missingTickets(clone, "Promoted");
    const freezePromoted = lost.length > 0 && lost.every((m) => m.lossPolicy === "freeze");
    if (lost.length > 0 && !freezePromoted) {
      this.promotedNodes.set(clone.id, []);
      return;
    } // no ticket, no promotion
    // (What the clone's dependents prefer, per node: the same for every copy.)
    const promotedPull = this.dependentsPull(clone, true);
    const otherPull = this.dependentsPull(clone, false);
    const candidates = clone.children
      .map((inst, i) => ({ inst, i, node: chosen.get(inst) ?? null }))
      .filter(
        (c): c is { inst: SRsc; i: number; node: string } =>
          c.node !== null &&
          !primitivesOf(c.inst).some((p) => frozen(p) && p.running.get(c.node!)?.role !== "Promoted"),
      )
      .map((c) => ({ ...c, score: this.promotionScore(clone, c.inst, c.node, promotedPull) }))
      .map((c) => ({ ...c, score: this.finalPromotionScore(clone, c.inst, c.node, c.score, otherPull) }))
      .filter((c) => c.score >= 0)
      // freeze: what is promoted stays promoted, nothing new is promoted
      .filter((c) => !freezePromoted || primitivesOf(c.inst)[0]!.running.get(c.node)?.role === "Promoted");
    // (Equal scores: the copy promoted now first, then by instance number.)
    const promotedNow = (c: { inst: SRsc; node: string }) =>
      primitivesOf(c.inst)[0]!.running.get(c.node)?.role === "Promoted" ? 1 : 0;
    candidates.sort((a, b) => b.score - a.score || promotedNow(b) - promotedNow(a) || a.i - b.i);
    const perNode = new Map<string, number>();
    const nodes: string[] = [];
    let count = 0;
    for (const c of candidates) {
      if (count >= info.promotedMax) break;
      if ((perNode.get(c.node) ?? 0) >= info.promotedNodeMax) continue;
      perNode.set(c.node, (perNode.get(c.node) ?? 0) + 1);
      count++;
      nodes.push(c.node);
      for (const p of primitivesOf(c.inst)) this.promoted.add(p.id);
    }
    this.promotedNodes.set(clone.id, nodes);
  }

  get strategy(): string {
    return this.ws.props["placement-strategy"] ?? "default";
  }

  /** What a unit needs of each capacity attribute (a group needs the sum of its members). */
  needs(unit: SRsc): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of primitivesOf(unit)) {
      if (p.def.kind !== "primitive") continue;
      for (const [k, v] of Object.entries(p.def.utilization)) out[k] = (out[k] ?? 0) + (Number(v) || 0);
    }
    return out;
  }

  fits(node: SNode, need: Record<string, number>): boolean {
    if (this.strategy === "default") return true;
    return Object.entries(need).every(([k, v]) => v <= 0 || (node.remaining[k] ?? 0) >= v);
  }

  consume(node: SNode, need: Record<string, number>): void {
    for (const [k, v] of Object.entries(need)) if (node.remaining[k] !== undefined) node.remaining[k] -= v;
  }

  /** The node with more room left in more capacity attributes than any other (the first of equals). */
  mostRoom(nodes: SNode[]): SNode | undefined {
    let best: SNode | undefined;
    for (const n of nodes) if (!best || roomCompare(n, best) < 0) best = n;
    return best;
  }

  /** Equal scores: the emptier node (by capacity with balanced, by count otherwise), then node name. */
  tieBreak(a: SNode, b: SNode): number {
    return this.loadBreak(a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** The part of the tie-break that says one node is emptier than the other (0: as empty). */
  loadBreak(a: SNode, b: SNode): number {
    if (this.strategy === "balanced") {
      const more = roomCompare(a, b);
      if (more !== 0) return more;
    }
    if (this.strategy !== "minimal") return a.assignedCount - b.assignedCount;
    return 0;
  }

  choose(unit: SRsc, s: Scores): string | null {
    if (this.stoppedByPolicy(unit)) return null;
    // A bundle's replica does not take a host where another replica of it runs and may stay (like clone copies,
    // replicas keep their hosts first; one that cannot stay takes what is left).
    for (const sibling of this.ws.bundles.siblings.get(unit.id) ?? []) {
      if (this.unitAssigned.has(sibling)) continue;
      const other = this.ws.byId.get(sibling);
      for (const host of other?.running.keys() ?? [])
        if ((this.ownScores(other!, other!).get(host) ?? -INF) > -INF && s.has(host)) s.set(host, -INF);
    }
    const prims = primitivesOf(unit);
    if (prims.some(frozen)) {
      // An unmanaged resource stays wherever it is, and its group with it (the members before it follow it there).
      const pinned = prims.find((p) => frozen(p) && p.running.size > 0) ?? prims[0]!;
      return [...pinned.running.keys()][0] ?? null;
    }
    // (A failed copy's node counts too: recovered in place when nothing else decides, as Pacemaker does.)
    const current = [...prims[0]!.running.keys()];
    const byNode = (name: string) => this.ws.nodeByName.get(name)!;
    const need = this.needs(unit);
    // The node must also have room for what is bound to follow this resource there (mandatory colocations).
    const together = { ...need };
    const seen = new Set([unit.id]);
    const addFollowers = (u: SRsc) => {
      for (const c of this.colocationsAsPrimary(u)) {
        const dep = this.unitOf.get(c.rsc!)!;
        if (c.score < INF || seen.has(dep.id) || this.unitAssigned.has(dep.id) || dep.kind === "clone") continue;
        seen.add(dep.id);
        for (const [k, v] of Object.entries(this.needs(dep))) together[k] = (together[k] ?? 0) + v;
        addFollowers(dep);
      }
    };
    if (this.strategy !== "default") addFollowers(unit);
    // Where no node has room for all of them, only the resource's own needs count (as Pacemaker does: what follows
    // it may then stay stopped).
    const allowed = [...s.entries()].filter(([, v]) => v > -INF);
    const roomForAll = allowed.some(([n]) => this.fits(byNode(n), together));
    const candidates = allowed.filter(([n, v]) => v >= 0 && this.fits(byNode(n), roomForAll ? together : need));
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => b[1] - a[1] || this.tieBreak(byNode(a[0]), byNode(b[0])));
    const best = candidates[0]!;
    // Where no node had room for all, the node with the most room left wins a tie; else where it runs now does
    // (same score, and as empty as the best).
    let chosen = best[0];
    const roomiest = roomForAll ? undefined : this.mostRoom(allowed.map(([n]) => byNode(n)));
    if (roomiest && s.get(roomiest.name) === best[1] && candidates.some(([n]) => n === roomiest.name))
      chosen = roomiest.name;
    else
      for (const c of current)
        if (
          s.get(c) === best[1] &&
          candidates.some(([n]) => n === c) &&
          this.loadBreak(byNode(c), byNode(best[0])) === 0
        ) {
          chosen = c;
          break;
        }
    this.consume(byNode(chosen), need);
    return chosen;
  }

  assignMembers(unit: SRsc, node: string | null): void {
    if (unit.kind === "primitive") {
      this.assigned.set(unit.id, node);
      return;
    }
    let blocked = node === null;
    for (const m of unit.children) {
      if (!blocked) {
        const own = this.ownScores(m, unit).get(node!);
        const stopped =
          /^stopped$/i.test(m.targetRole) ||
          m.stopRequested ||
          m.bannedEverywhere ||
          (own !== undefined && own <= -INF) ||
          (own === undefined && !this.ws.symmetric && false);
        if (stopped && !frozen(m)) blocked = true;
      }
      this.assigned.set(m.id, frozen(m) ? ([...m.running.keys()][0] ?? null) : blocked ? null : node);
    }
  }
}

/**
 * The order in which resources are placed, as Pacemaker orders them: higher priority first; then the resource
 * that is more attached to where it runs now; then, node by node (emptiest first with capacity strategies, else
 * by name), the one with the higher score there.
 */
function placementOrder(ws: WorkingSet, p: Placer): SRsc[] {
  const scores = new Map(ws.resources.map((r) => [r, p.unitScores(r)] as const));
  p.notes.clear();
  const nodes = [...ws.nodes].sort(
    (a, b) => (p.strategy === "default" ? 0 : p.tieBreak(a, b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const currentScore = (r: SRsc) => {
    const prims = primitivesOf(r);
    const cur = r.kind === "clone" ? undefined : [...(prims[0]?.running.keys() ?? [])][0];
    return cur === undefined ? -INF : (scores.get(r)!.get(cur) ?? -INF);
  };
  return [...ws.resources].sort((a, b) => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    // With the default strategy Pacemaker sorts by scores too, but ours lack its colocation merges, and
    // configuration order agrees with it more often; capacity strategies need the score order.
    if (p.strategy === "default") return 0;
    const ca = currentScore(a),
      cb = currentScore(b);
    if (ca !== cb) return cb - ca;
    for (const n of nodes) {
      const x = scores.get(a)!.get(n.name) ?? -INF,
        y = scores.get(b)!.get(n.name) ?? -INF;
      if (x !== y) return y - x;
    }
    return 0;
  });
}

export function placeResources(ws: WorkingSet): Placement {
  const p = new Placer(ws);
  // Tickets lost with loss-policy=fence: the nodes running what needed them are fenced, before anything is placed.
  if (ws.canFence) {
    for (const r of ws.resources) {
      const fenceStarted = p.missingTickets(r).some((m) => m.lossPolicy === "fence");
      const fencePromoted =
        r.clone?.promotable && p.missingTickets(r, "Promoted").some((m) => m.lossPolicy === "fence");
      if (!fenceStarted && !fencePromoted) continue;
      for (const prim of primitivesOf(r)) {
        for (const [n, st] of prim.running) {
          if (fencePromoted && !fenceStarted && st.role !== "Promoted") continue;
          const node = ws.nodeByName.get(n)!;
          node.unclean = true;
          node.fence = "reboot";
        }
      }
    }
  }
  for (const r of placementOrder(ws, p)) p.place(r);
  // Frozen without quorum: no copy is newly promoted.
  if (!ws.haveQuorum && ws.noQuorumPolicy === "freeze")
    for (const id of [...p.promoted]) {
      const r = ws.byId.get(id);
      if (![...(r?.running.values() ?? [])].some((st) => st.role === "Promoted")) p.promoted.delete(id);
    }
  return { assigned: p.assigned, promoted: p.promoted, scores: p.scores, notes: p.notes };
}
