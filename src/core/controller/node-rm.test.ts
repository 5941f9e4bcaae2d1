// One node's resource manager, fed by hand: what it does with the administrative state the DC hands it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { initNodeRm, stepNodeRm } from "./node-rm.js";
import { emptyAdmin } from "./types.js";

const config = loadConfigText(`cluster: t
nodes: { n1: { links: [10.0.0.1] }, n2: { links: [10.0.0.2] }, n3: { links: [10.0.0.3] } }
resources: { ip: { agent: ocf:heartbeat:Dummy }, db: { agent: ocf:heartbeat:Dummy } }
`).config!;

test("a node back from an absence forgets the failures a cleanup it missed was meant to clear, not later ones", () => {
  const s = initNodeRm("n2", 2);
  const failure = (atSec: number) => ({
    op: "stop" as const,
    intervalMs: 0,
    rc: 1,
    status: "done" as const,
    reason: "x",
    callId: 1,
    atSec,
  });
  // (Its failures outlived its absence on disk: ip failed before the cleanup, db after it.)
  s.history.ip = { failCount: 1_000_000, lastFailure: failure(100) };
  s.history.db = { failCount: 1, lastFailure: failure(300) };
  stepNodeRm(config, s, {
    type: "view",
    nowMs: 10,
    viewKey: "v",
    members: ["n1", "n2", "n3"],
    quorate: true,
    holdsLease: true,
    dc: "n1",
  });
  const admin = { ...emptyAdmin(), epoch: 4, cleanedSec: { ip: 200, db: 200 } };
  const out = stepNodeRm(config, s, {
    type: "message",
    nowMs: 20,
    from: "n1",
    msg: { t: "admin-state", viewKey: "v", admin },
  });
  assert.equal(s.history.ip.failCount, 0);
  assert.equal(s.history.ip.lastFailure, undefined);
  assert.equal(s.history.db.failCount, 1, "a failure after the cleanup stays");
  assert.ok(
    out.some((o) => o.type === "log" && /ip: its failures here are forgotten/.test(o.text)),
    JSON.stringify(out),
  );
  assert.ok(
    out.some((o) => o.type === "report"),
    "the DC hears of it",
  );
});
