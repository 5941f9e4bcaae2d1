// From a transition (what should start, stop, move…) to the operations that may run now: the next "wave".
// Stops come before starts; a stop waits for what depends on the resource on that node (a group's later members,
// mandatory orders) to stop first; a start waits for what it depends on to run there. The DC sends one wave, waits
// for its results, and schedules again, so every wave is computed from what really happened.

import type { SchedulerInput } from "../../config/cluster-model.js";
import type { Action } from "../scheduler/transition.js";

export interface WaveOp {
  node: string;
  rsc: string;
  op: "start" | "stop" | "promote" | "demote";
}

const STOPPING = new Set(["Stop", "Move", "Migrate", "Restart", "Recover"]);
const STARTING = new Set(["Start", "Move", "Migrate", "Restart", "Recover"]);

/** rsc → the resources it needs (group predecessor, mandatory order "first"). */
export function dependenciesOf(input: SchedulerInput): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  const add = (then: string, first: string) => deps.set(then, [...(deps.get(then) ?? []), first]);
  for (const r of input.resources) {
    if (r.kind !== "group") continue;
    r.children.forEach((c, i) => {
      if (i > 0) add(c.id, r.children[i - 1]!.id);
    });
  }
  for (const o of input.orders) if (o.first && o.then && o.kind === "Mandatory") add(o.then, o.first);
  return deps;
}

/** `runningOn`: known to run there; `mayRunOn`: might (running, failed, a stop that failed, an operation in flight). */
export function nextWave(
  actions: Action[],
  deps: Map<string, string[]>,
  runningOn: (rsc: string, node: string) => boolean,
  mayRunOn: (rsc: string, node: string) => boolean = runningOn,
): WaveOp[] {
  const live = actions.filter((a) => !a.blocked);
  const stops: WaveOp[] = [];
  const starts: WaveOp[] = [];
  for (const a of live) {
    if (a.verb === "Demote" && a.from) stops.push({ node: a.from, rsc: a.rsc, op: "demote" });
    if (STOPPING.has(a.verb) && a.from) stops.push({ node: a.from, rsc: a.rsc, op: "stop" });
    if (STARTING.has(a.verb) && a.to) starts.push({ node: a.to, rsc: a.rsc, op: "start" });
    if (a.verb === "Promote" && a.to) starts.push({ node: a.to, rsc: a.rsc, op: "promote" });
  }
  if (stops.length) {
    const dependents = (rsc: string) => [...deps].filter(([, firsts]) => firsts.includes(rsc)).map(([then]) => then);
    // Second line of defence behind the scheduler: never stop something while what depends on it may still run on
    // that node (a dependent whose own stop failed keeps it there: the lock under a mounted filesystem stays).
    return stops.filter(
      (s) =>
        !(s.op === "stop" && dependents(s.rsc).some((d) => mayRunOn(d, s.node))) &&
        !stops.some(
          (x) =>
            x !== s &&
            x.node === s.node &&
            (dependents(s.rsc).includes(x.rsc) || (x.rsc === s.rsc && x.op === "demote" && s.op === "stop")),
        ),
    );
  }
  return starts.filter((s) => {
    if (s.op === "promote" && starts.some((x) => x.rsc === s.rsc && x.op === "start")) return false;
    return (deps.get(s.rsc) ?? []).every((d) => runningOn(d, s.node) && !starts.some((x) => x.rsc === d));
  });
}
