// The coordinator alone, fed views by hand: what it decides about a node lost from its view.

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { initCoordinator, stepCoordinator, type CoordinatorInput, type CoordinatorState } from "./coordinator.js";

const config = loadConfigText(`cluster: t
nodes: { n1: { links: [10.0.0.1] }, n2: { links: [10.0.0.2] } }
quorum: { two-node: true }
fencing: { devices: { power: { agent: fence_sim, targets: [n1, n2] } } }
resources: { ip: { agent: ocf:heartbeat:Dummy } }
`).config!;

const view = (nowMs: number, members: string[]): CoordinatorInput => ({
  type: "view",
  nowMs,
  wallSec: 1,
  viewKey: `${members.join(",")}@${nowMs}`,
  members,
  dc: "n1",
  leftCleanly: [],
  attributes: {},
});

test("a node lost before its report reached this node may run anything: it is fenced before anything starts", () => {
  // (A DC whose daemon just restarted: n2 joined its view and froze before its report arrived.)
  const s = initCoordinator("n1");
  stepCoordinator(config, { configEpoch: 0 }, s, view(1000, ["n1", "n2"]));
  const out = stepCoordinator(config, { configEpoch: 0 }, s, view(2000, ["n1"]));
  assert.ok(
    out.some((o) => o.type === "fence" && o.target === "n2"),
    JSON.stringify(out, null, 1),
  );
  assert.deepEqual(s.held.n2?.rscs, ["ip"], "what it may run waits for the fence");
  assert.ok(
    out.some((o) => o.type === "log" && /n2 is UNCLEAN .*before its report reached this node/.test(o.text)),
    JSON.stringify(out, null, 1),
  );
});

/** A view of n1 and n2 (as the coordinator gets it: already agreed, with its DC if quorate). */
const twoNodeView = (nowMs: number, viewKey: string, dc: string | undefined): CoordinatorInput => ({
  type: "view",
  nowMs,
  wallSec: 1,
  viewKey,
  members: ["n1", "n2"],
  dc,
  leftCleanly: [],
  attributes: {},
});

/** A member's report about resource ip, following `dc`; `pending`: an operation of it under way there. */
function reportOf(
  r: { node: string; viewKey: string; dc: string; nowMs: number; seq: number; failCount?: number; pending?: string },
  admin: CoordinatorState["admin"],
): CoordinatorInput {
  const pending = r.pending === undefined ? {} : { pending: { op: r.pending as "start", sinceSec: 1 } };
  return {
    type: "report",
    nowMs: r.nowMs,
    wallSec: 1,
    report: {
      node: r.node,
      inc: 1,
      viewKey: r.viewKey,
      probed: true,
      shuttingDown: false,
      seq: r.seq,
      dc: r.dc,
      history: { ip: { failCount: r.failCount ?? 0, ...pending } },
      done: [],
      refused: [],
      admin,
      config: { epoch: 0, hash: "" },
    },
  };
}

const reportsAskedOf = (out: ReturnType<typeof stepCoordinator>) =>
  out.filter((o) => o.type === "send" && o.msg.t === "report-please").map((o) => (o as { to: string }).to);

test("a DC back in the same view asks again for every report: one lost in the meantime cannot stand for ever", () => {
  // (n1 lost its quorum lease in a short partition and got it back; the view never changed. n2's report that
  // its notify was done went missing on the way: the report the DC holds still shows the notify under way.)
  const s = initCoordinator("n1");
  const step = (input: CoordinatorInput) => stepCoordinator(config, { configEpoch: 0 }, s, input);
  const report = (node: string, nowMs: number, seq: number, pending?: string) =>
    reportOf({ node, viewKey: "v7", dc: "n1", nowMs, seq, pending }, s.admin);
  step(twoNodeView(1000, "v7", "n1"));
  step(report("n1", 1500, 1));
  step(report("n2", 1500, 1, "notify"));
  step(twoNodeView(2000, "v7", undefined)); // the lease ran out
  const back = step(twoNodeView(2500, "v7", "n1"));
  assert.deepEqual(reportsAskedOf(back).sort(), ["n1", "n2"], JSON.stringify(back, null, 1));
  // The node answers with what it has now; before that, nothing is decided on the old report.
  assert.ok(
    back.some((o) => o.type === "log" && /waiting for n1, n2 to report/.test(o.text)),
    JSON.stringify(back, null, 1),
  );
  // Had the answer been lost too, an operation shown under way is asked about again now and then.
  step(report("n1", 2600, 2));
  step(report("n2", 2600, 2, "notify"));
  const later = step({ type: "tick", nowMs: 6000, wallSec: 6 });
  assert.deepEqual(reportsAskedOf(later), ["n2"], JSON.stringify(later, null, 1));
});

test("cleanups queued at a DC are carried on by the next DC: they travel in the replicated administrative state", () => {
  const n1 = initCoordinator("n1");
  const n2 = initCoordinator("n2");
  const step = (s: CoordinatorState, input: CoordinatorInput) => stepCoordinator(config, { configEpoch: 0 }, s, input);
  // (a start under way on n2 keeps the cluster busy: the cleanup waits)
  const report = (node: string, viewKey: string, dc: string, nowMs: number, seq: number, pending?: string) =>
    reportOf({ node, viewKey, dc, nowMs, seq, failCount: 1, pending }, n1.admin);
  step(n1, twoNodeView(1000, "v1", "n1"));
  step(n1, report("n1", "v1", "n1", 1100, 1));
  step(n1, report("n2", "v1", "n1", 1100, 1, "start"));
  const queued = step(n1, { type: "admin", nowMs: 1200, wallSec: 1, command: { kind: "cleanup", rsc: "ip" } });
  assert.deepEqual(n1.admin.queued, [{ kind: "cleanup", rsc: "ip" }]);
  assert.ok(
    queued.some((o) => o.type === "send" && o.to === "n2" && o.msg.t === "admin-state"),
    "the members hear of it (and keep it on disk)",
  );
  assert.ok(!queued.some((o) => o.type === "send" && o.msg.t === "do"), "nothing cleaned while a start is under way");
  // n2 becomes the DC; what it knows of the queue comes in n1's report.
  step(n2, twoNodeView(2000, "v2", "n2"));
  step(n2, report("n1", "v2", "n2", 2100, 2));
  const out = step(n2, report("n2", "v2", "n2", 2100, 2)); // the start is done
  const cleaned = out
    .filter((o) => o.type === "send" && o.msg.t === "do" && o.msg.op === "cleanup")
    .map((o) => (o as { to: string }).to);
  assert.deepEqual(cleaned.sort(), ["n1", "n2"], JSON.stringify(out, null, 1));
  assert.equal(n2.admin.queued, undefined, "done: off the queue");
  assert.equal(n2.admin.cleanedSec?.ip, 1, "and dated, for a member away now (it forgets older failures when back)");
});
