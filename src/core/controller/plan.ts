// From a transition (what should start, stop, move, promote…) to the operations that may run now: the next "wave".
// Stops and demotions come before starts and promotions; a stop waits for what depends on the resource to stop
// first; a start waits for what it depends on to run. The DC sends one wave, waits for its results, and schedules
// again, so every wave is computed from what really happened.
//
// Everything here is in history keys (primitive ids; a copy of an anonymous clone is its primitive's id on every
// node): the coordinator maps the scheduler's names before it asks.

import type { ClusterConfig, PrimitiveConfig, ResourceConfig } from "../../config/model.js";
import type { Action } from "../scheduler/transition.js";

export interface WaveOp {
  node: string;
  rsc: string;
  op: "start" | "stop" | "promote" | "demote";
}

/** `then` needs `rsc` first: on its own node (a group's earlier member, an interleaved clone's copy) or anywhere;
 * started, or promoted; `mandatory`: `then` may not start unless it runs (else only the order within a wave). */
export interface Dependency {
  rsc: string;
  sameNode: boolean;
  promoted: boolean;
  mandatory: boolean;
}

const STOPPING = new Set(["Stop", "Move", "Migrate", "Restart", "Recover"]);
const STARTING = new Set(["Start", "Move", "Migrate", "Restart", "Recover"]);

const primsOfRsc = (r: ResourceConfig): PrimitiveConfig[] => (r.kind === "group" ? r.members : [r]);

/** then-primitive → what it needs: a group's previous member, and every order constraint between resources. */
export function dependenciesOf(config: ClusterConfig): Map<string, Dependency[]> {
  const deps = new Map<string, Dependency[]>();
  const add = (then: string, d: Dependency) => deps.set(then, [...(deps.get(then) ?? []), d]);
  const bySchedId = new Map<string, ResourceConfig>();
  for (const r of config.resources) {
    bySchedId.set(r.clone?.id ?? r.id, r);
    if (r.kind === "group") {
      r.members.forEach((m, i) => {
        if (i > 0) add(m.id, { rsc: r.members[i - 1]!.id, sameNode: true, promoted: false, mandatory: true });
      });
      if (!r.clone) for (const m of r.members) bySchedId.set(m.id, m);
    }
  }
  for (const o of config.constraints.orders) {
    if (!o.first || !o.then || o.kind === "Serialize") continue;
    const first = bySchedId.get(o.first);
    const then = bySchedId.get(o.then);
    if (!first || !then) continue;
    // `then` starts once the whole of `first` runs (a group: its last member), itself from its first member on.
    const firstPrim = primsOfRsc(first).at(-1)!;
    const thenPrim = primsOfRsc(then)[0]!;
    add(thenPrim.id, {
      rsc: firstPrim.id,
      sameNode: !!first.clone && !!then.clone && then.clone.interleave,
      promoted: o.firstAction === "promote",
      mandatory: o.kind === "Mandatory" && (o.score === undefined || o.score > 0),
    });
  }
  return deps;
}

export interface WaveView {
  /** Known to run there (and, with `promoted`, promoted there). */
  runningOn(rsc: string, node: string, promoted?: boolean): boolean;
  /** Runs on some member (promoted, when asked). */
  runningAnywhere(rsc: string, promoted?: boolean): boolean;
  /** Might run there (running, failed, a stop that failed, an operation in flight). */
  mayRunOn(rsc: string, node: string): boolean;
}

/** `actions`: the scheduler's, in history keys, nodes without the "/Promoted" role mark. */
export function nextWave(actions: Action[], deps: Map<string, Dependency[]>, view: WaveView): WaveOp[] {
  // (A promotion that cannot follow still lets its copy start.)
  const live = actions
    .filter((a) => !a.blocked || a.startable)
    .map((a) => (a.blocked ? { ...a, verb: "Start" as const, blocked: false } : a));
  const stops: WaveOp[] = [];
  const starts: WaveOp[] = [];
  for (const a of live) {
    if (a.verb === "Demote" && a.from) stops.push({ node: a.from, rsc: a.rsc, op: "demote" });
    // A promoted copy is demoted before it stops (the next schedule stops it), unless it has failed.
    if (STOPPING.has(a.verb) && a.from)
      stops.push({ node: a.from, rsc: a.rsc, op: view.runningOn(a.rsc, a.from, true) ? "demote" : "stop" });
    if (STARTING.has(a.verb) && a.to) starts.push({ node: a.to, rsc: a.rsc, op: "start" });
    // A copy to be promoted where it does not run yet starts first (the next schedule promotes it).
    if (a.verb === "Promote" && a.to) starts.push({ node: a.to, rsc: a.rsc, op: a.from ? "promote" : "start" });
  }
  if (stops.length) {
    const direct = (rsc: string) =>
      [...deps].flatMap(([then, ds]) => ds.filter((d) => d.rsc === rsc).map((d) => ({ then, d })));
    // What depends on it, also through a resource that does not run now (a group's stopped middle member still
    // orders its last member's stop before its first's): each with the dependency the whole chain amounts to.
    const dependents = (rsc: string) => {
      const found: Array<{ then: string; d: Dependency }> = [];
      const walk = (from: string, via: Dependency | undefined) => {
        for (const { then, d } of direct(from)) {
          if (then === rsc || found.some((f) => f.then === then)) continue;
          const chain: Dependency = via
            ? {
                rsc,
                sameNode: via.sameNode && d.sameNode,
                promoted: via.promoted,
                mandatory: via.mandatory && d.mandatory,
              }
            : d;
          found.push({ then, d: chain });
          walk(then, chain);
        }
      };
      walk(rsc, undefined);
      return found;
    };
    return stops.filter((s) => {
      const mine = dependents(s.rsc);
      // Second line of defence behind the scheduler: never stop (or demote) something while what depends on it
      // may still run on this node (a dependent whose own stop failed keeps it there: the lock under a mounted
      // filesystem stays, the promoted copy under the group).
      const under = (d: Dependency) => d.sameNode || d.mandatory;
      if (mine.some(({ then, d }) => under(d) && (s.op === "stop" || d.promoted) && view.mayRunOn(then, s.node)))
        return false;
      // What depends on it stops (or demotes) first: on this node, or anywhere when the order spans nodes.
      const waits = stops.some(
        (x) => x !== s && mine.some(({ then, d }) => then === x.rsc && (!d.sameNode || x.node === s.node)),
      );
      const demoteFirst = stops.some(
        (x) => x.rsc === s.rsc && x.node === s.node && x.op === "demote" && s.op === "stop",
      );
      return !waits && !demoteFirst;
    });
  }
  return starts.filter((s) => {
    if (s.op === "promote" && starts.some((x) => x.rsc === s.rsc && x.node === s.node && x.op === "start"))
      return false;
    if (s.op === "promote") return true;
    return (deps.get(s.rsc) ?? []).every((d) => {
      // What it needs is still starting (or being promoted) in this transition: the next wave.
      if (
        starts.some((x) => x.rsc === d.rsc && (!d.sameNode || x.node === s.node) && (!d.promoted || x.op === "promote"))
      )
        return false;
      if (!d.mandatory) return true;
      return d.sameNode ? view.runningOn(d.rsc, s.node, d.promoted) : view.runningAnywhere(d.rsc, d.promoted);
    });
  });
}
