// The scheduler: a pure, deterministic function from the cluster model (configuration + status) to a transition.

import type { SchedulerInput } from "../../config/cluster-model.js";
import { placeResources, type Placement } from "./placement.js";
import { buildTransition, type Transition } from "./transition.js";
import { buildWorkingSet, type WorkingSet } from "./working-set.js";

export type { Action, Fence, Placed, Transition } from "./transition.js";

export interface ScheduleResult {
  transition: Transition;
  placement: Placement;
  workingSet: WorkingSet;
}

export function schedule(input: SchedulerInput): ScheduleResult {
  const workingSet = buildWorkingSet(input);
  const placement = placeResources(workingSet);
  return { transition: buildTransition(workingSet, placement), placement, workingSet };
}

/** The transition in the normalized form of the Pacemaker conformance corpus (one record a line, sorted). */
export function normalizedSummary(t: Transition): string[] {
  const lines: string[] = [];
  for (const a of t.actions)
    lines.push(`ACTION ${a.verb} ${a.rsc} ${a.from ?? "-"} ${a.to ?? "-"}${a.blocked ? " blocked" : ""}`);
  for (const f of t.fences) lines.push(`FENCE ${f.node} ${f.action}`);
  for (const n of t.nodes) lines.push(`NODE ${n.node} ${n.state}`);
  for (const p of t.placed)
    lines.push(`PLACE ${p.rsc} ${p.node} ${p.role}${p.flags.length ? ` flags=${p.flags.join(",")}` : ""}`);
  return lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
