// The coordinator alone, fed views by hand: what it decides about a node lost from its view.

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { initCoordinator, stepCoordinator, type CoordinatorInput } from "./coordinator.js";

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
