// Transcript tests: the escalation of seed 000 (helper → libvirt → manual) and the retry when every level fails.

import assert from "node:assert/strict";
import { test } from "node:test";
import { fenceStep, planProblems, startFencing, type FenceOutput, type FencePlan } from "./escalation.js";

const plan: FencePlan = {
  target: "node2",
  action: "reboot",
  levels: [["helper"], ["psu-a", "psu-b"], ["meatware"]],
  devices: {
    helper: { id: "helper", timeoutMs: 5000 },
    "psu-a": { id: "psu-a", timeoutMs: 20_000 },
    "psu-b": { id: "psu-b", timeoutMs: 20_000 },
    meatware: { id: "meatware", manual: true, timeoutMs: 0 },
  },
};

const said = (out: FenceOutput[]) =>
  out.map((o) =>
    o.type === "log"
      ? o.text
      : o.type === "run"
        ? `RUN ${o.device} ${o.action}${o.delayMs ? ` +${o.delayMs}` : ""}`
        : o.type === "cancel"
          ? `CANCEL ${o.device}`
          : `FENCED ${o.target} by ${o.by} in ${o.elapsedMs} ms`,
  );

test("a failing device escalates to the next level; a level needs all its devices; a person confirms last", () => {
  const { state: s, outputs } = startFencing(plan, 0);
  assert.deepEqual(said(outputs), [
    "fencing node2 (reboot) with helper (level 1 of 3, device 1 of 1)",
    "RUN helper reboot",
  ]);
  assert.deepEqual(said(fenceStep(s, { type: "result", nowMs: 800, device: "helper", ok: false, reason: "exit 5" })), [
    "fencing node2: helper failed (exit 5); level 1 failed, trying level 2",
    "fencing node2 (reboot) with psu-a (level 2 of 3, device 1 of 2)",
    "RUN psu-a reboot",
  ]);
  assert.deepEqual(said(fenceStep(s, { type: "result", nowMs: 2000, device: "psu-a", ok: true, reason: "" })), [
    "fencing node2 (reboot) with psu-b (level 2 of 3, device 2 of 2)",
    "RUN psu-b reboot",
  ]);
  assert.deepEqual(said(fenceStep(s, { type: "tick", nowMs: 21_999 })), [], "still within psu-b's timeout");
  assert.deepEqual(said(fenceStep(s, { type: "tick", nowMs: 22_000 })), [
    "CANCEL psu-b",
    "fencing node2: psu-b did not answer within 20000 ms; level 2 failed, trying level 3",
    "fencing node2: waiting for a person to power it off and confirm that it is off (meatware, level 3 of 3, device 1 of 1)",
  ]);
  assert.deepEqual(said(fenceStep(s, { type: "tick", nowMs: 3_600_000 })), [], "a person has no timeout");
  assert.deepEqual(
    said(fenceStep(s, { type: "result", nowMs: 3_600_001, device: "psu-b", ok: true, reason: "" })),
    [],
    "a late answer from a device given up on",
  );
  assert.deepEqual(said(fenceStep(s, { type: "confirm", nowMs: 3_700_000, by: "root on node1" })), [
    "FENCED node2 by manual confirmation by root on node1 in 3700000 ms",
    "node2 fenced by manual confirmation by root on node1 in 3700.0 s",
  ]);
  assert.deepEqual(fenceStep(s, { type: "tick", nowMs: 3_800_000 }), [], "done is done");
});

test("every level failing: retried after a growing pause, resources stay down; success names the device and the time", () => {
  const p: FencePlan = {
    target: "node2",
    action: "off",
    levels: [["ipmi"]],
    devices: { ipmi: { id: "ipmi", timeoutMs: 1000 } },
  };
  const { state: s } = startFencing(p, 0);
  assert.deepEqual(
    said(fenceStep(s, { type: "result", nowMs: 100, device: "ipmi", ok: false, reason: "exit 1: wrong password" })),
    [
      "fencing node2: ipmi failed (exit 1: wrong password); every level failed (round 1); trying again in 1000 ms — its resources stay stopped until it is fenced or confirmed off",
    ],
  );
  assert.deepEqual(said(fenceStep(s, { type: "tick", nowMs: 1100 })), [
    "fencing node2 (off) with ipmi (level 1 of 1, device 1 of 1, round 2)",
    "RUN ipmi off",
  ]);
  assert.match(
    said(fenceStep(s, { type: "tick", nowMs: 2100 })).join("\n"),
    /did not answer within 1000 ms; every level failed \(round 2\); trying again in 2000 ms/,
  );
  fenceStep(s, { type: "tick", nowMs: 4100 });
  assert.deepEqual(said(fenceStep(s, { type: "result", nowMs: 7300, device: "ipmi", ok: true, reason: "" })), [
    "FENCED node2 by ipmi in 7300 ms",
    "node2 fenced by ipmi in 7.3 s",
  ]);
});

test("a device delay (fence-race avoidance) comes before its timeout starts", () => {
  const p: FencePlan = {
    target: "node1",
    action: "off",
    levels: [["ipmi"]],
    devices: { ipmi: { id: "ipmi", timeoutMs: 1000, delayMs: 15_000 } },
  };
  const { state: s, outputs } = startFencing(p, 0);
  assert.deepEqual(said(outputs), [
    "fencing node1 (off) with ipmi (level 1 of 1, device 1 of 1) after a 15000 ms delay",
    "RUN ipmi off +15000",
  ]);
  assert.deepEqual(fenceStep(s, { type: "tick", nowMs: 15_999 }), [], "the delay does not eat the timeout");
  assert.match(said(fenceStep(s, { type: "tick", nowMs: 16_000 })).join("\n"), /did not answer within 1000 ms/);
});

test("a plan naming a missing device or an empty level is refused plainly", () => {
  assert.deepEqual(planProblems({ ...plan, levels: [["helper"], [], ["nope"]] }), [
    "fencing node2: every level needs at least one device",
    "fencing node2: no device called nope",
  ]);
  assert.deepEqual(planProblems(plan), []);
});
