// The arbiter's decision (corosync-qnetd's role for two-node and even-sized clusters): it lends its vote to one
// view at a time, for `leaseMs` from each request it grants. Members of that view renew it with every heartbeat;
// any other view is refused until the lease has run out, so two partitions never both count the vote. A restarted
// arbiter grants nothing for one lease (a grant from its previous life may still be believed). Deterministic.

import type { ArbiterReply, ArbiterRequest, View } from "./types.js";

export interface ArbiterState {
  startedMs: number;
  grant?: { view: View; untilMs: number };
}

const viewKey = (v: View) => `${v.id}/${v.leader}@${v.leaderInc}`;

export function initArbiter(nowMs: number): ArbiterState {
  return { startedMs: nowMs };
}

export function arbiterDecide(
  s: ArbiterState,
  nowMs: number,
  leaseMs: number,
  req: ArbiterRequest,
): { reply: ArbiterReply; log?: string } {
  const deny = (why: string) => ({
    reply: { t: "arb-reply" as const, to: req.from, inc: req.inc, seq: req.seq, view: req.view, granted: false },
    log: why,
  });
  if (!req.view.members.includes(req.from)) return deny(`refused ${req.from}: it asks for a view it is not in`);
  if (nowMs < s.startedMs + leaseMs)
    return deny(`refused ${req.from}: just started, waiting out any grant from before`);
  const g = s.grant;
  const same = g && viewKey(g.view) === viewKey(req.view);
  if (g && !same && nowMs <= g.untilMs)
    return deny(
      `refused ${req.from} (view ${req.view.id}): the vote is lent to view ${g.view.id} (${g.view.members.join(", ")}) for ${g.untilMs - nowMs} ms more`,
    );
  const log = same
    ? undefined
    : `vote lent to view ${req.view.id} (${req.view.members.join(", ")}), asked by ${req.from}`;
  s.grant = { view: req.view, untilMs: nowMs + leaseMs };
  return { reply: { t: "arb-reply", to: req.from, inc: req.inc, seq: req.seq, view: req.view, granted: true }, log };
}
