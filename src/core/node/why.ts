// `paceline status --why ID`: the scheduler's scores for a resource as this node sees the cluster (its members'
// reports), and what holds it back right now (a lost node's lease, or a fencing it waits for). A pure query.

import { findResource } from "../../config/model.js";
import { schedulerInputOf } from "../controller/scheduler-input.js";
import { explain } from "../scheduler/explain.js";
import { schedule } from "../scheduler/index.js";
import type { NodeState } from "./node.js";

export function whyText(n: NodeState, id: string): string {
  const co = n.co;
  const input = schedulerInputOf({
    config: n.config,
    admin: co.admin,
    members: co.members,
    reports: co.reports,
    attributes: co.attributes,
    dc: co.dc ?? n.me,
    wallSec: n.wallSec,
  });
  const r = findResource(n.config, id);
  const ids = r?.kind === "group" ? [r.id, ...r.members.map((m) => m.id)] : [id];
  const holds = Object.entries(co.held)
    .filter(([, h]) => h.rscs.some((x) => ids.includes(x)))
    .map(([node, h]) => {
      const what = h.rscs.filter((x) => ids.includes(x)).join(", ");
      const until = `it starts elsewhere once ${node} is fenced${co.fencing[node] ? ` (fencing: ${co.fencing[node]!.reason})` : ""}`;
      return `held: ${node} may still run ${what}; ${until}`;
    });
  return [explain(schedule(input), id), ...holds].join("\n");
}
