// The DC's waves with clones and orders: what may run now, and what waits for the next schedule.

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import type { Action, Verb } from "../scheduler/transition.js";
import { dependenciesOf, nextWave, type WaveView } from "./plan.js";

const config = loadConfigText(`
nodes:
  n1: { links: [10.0.0.1] }
  n2: { links: [10.0.0.2] }
resources:
  data: { agent: ocf:pacemaker:Stateful, promotable: true }
  web:
    members:
      vip: { agent: ocf:heartbeat:Dummy }
      app: { agent: ocf:heartbeat:Dummy }
colocate: ["web with promoted data"]
order: ["promote data then start web"]
`).config!;
const deps = dependenciesOf(config);

const act = (verb: Verb, rsc: string, from: string | null, to: string | null): Action => ({
  verb,
  rsc,
  from,
  to,
  blocked: false,
});
/** Runs: "rsc@node" started, "rsc@node*" promoted. */
const viewOf = (runs: string[]): WaveView => ({
  runningOn: (rsc, node, promoted) =>
    runs.includes(`${rsc}@${node}*`) || (!promoted && runs.includes(`${rsc}@${node}`)),
  runningAnywhere: (rsc, promoted) => runs.some((r) => r.startsWith(`${rsc}@`) && (!promoted || r.endsWith("*"))),
  mayRunOn: (rsc, node) => runs.some((r) => r.replace(/\*$/, "") === `${rsc}@${node}`),
});
const wave = (actions: Action[], runs: string[]) =>
  nextWave(actions, deps, viewOf(runs)).map((w) => `${w.op} ${w.rsc}@${w.node}`);

test("a group ordered after promotion starts once the copy beside it is promoted", () => {
  // Nothing runs: the copy to be promoted starts first; the group waits for the promotion.
  const fresh = [act("Promote", "data", null, "n1"), act("Start", "data", null, "n2"), act("Start", "vip", null, "n1")];
  fresh.push(act("Start", "app", null, "n1"));
  assert.deepEqual(wave(fresh, []), ["start data@n1", "start data@n2"]);
  // Started, not yet promoted: the promotion alone.
  assert.deepEqual(
    wave(
      [act("Promote", "data", "n1", "n1"), act("Start", "vip", null, "n1"), act("Start", "app", null, "n1")],
      ["data@n1", "data@n2"],
    ),
    ["promote data@n1"],
  );
  // Promoted: the group, member by member.
  assert.deepEqual(wave([act("Start", "vip", null, "n1"), act("Start", "app", null, "n1")], ["data@n1*", "data@n2"]), [
    "start vip@n1",
  ]);
});

test("moving the promotion: the group stops, the copy is demoted, then the other copy is promoted", () => {
  const move = [
    act("Demote", "data", "n1", "n1"),
    act("Promote", "data", "n2", "n2"),
    act("Move", "vip", "n1", "n2"),
    act("Move", "app", "n1", "n2"),
  ];
  const runs = ["data@n1*", "data@n2", "vip@n1", "app@n1"];
  assert.deepEqual(wave(move, runs), ["stop app@n1"]);
  assert.deepEqual(wave(move.slice(0, 3), ["data@n1*", "data@n2", "vip@n1"]), ["stop vip@n1"]);
  assert.deepEqual(wave(move.slice(0, 2), ["data@n1*", "data@n2"]), ["demote data@n1"]);
  assert.deepEqual(wave([act("Promote", "data", "n2", "n2")], ["data@n1", "data@n2"]), ["promote data@n2"]);
});

test("a promoted copy that stops is demoted first; a failed one is stopped at once", () => {
  assert.deepEqual(wave([act("Stop", "data", "n1", null)], ["data@n1*"]), ["demote data@n1"]);
  assert.deepEqual(wave([act("Recover", "data", "n1", "n1")], []), ["stop data@n1"]);
});

test("the promoted copy is not demoted while the group it carries may still run anywhere", () => {
  // The group's stop failed on n1 (blocked): nothing below it moves.
  const actions = [act("Demote", "data", "n1", "n1"), { ...act("Stop", "vip", "n1", null), blocked: true }];
  assert.deepEqual(wave(actions, ["data@n1*", "vip@n1"]), []);
  // On another node the group is no reason to keep this copy promoted.
  assert.deepEqual(wave([act("Demote", "data", "n1", "n1")], ["data@n1*", "vip@n2"]), ["demote data@n1"]);
});

test("a group whose middle member is stopped still stops its last member before its first", () => {
  // (Seen in the simulator, seed 2428 --promotable: the VIP had died; lock and app were stopped in one wave.)
  const three = loadConfigText(`
nodes: { n1: { links: [10.0.0.1] }, n2: { links: [10.0.0.2] } }
resources:
  web:
    members:
      lock: { agent: ocf:heartbeat:Dummy }
      vip: { agent: ocf:heartbeat:Dummy }
      app: { agent: ocf:heartbeat:Dummy }
`).config!;
  const stops = [act("Stop", "lock", "n1", null), act("Stop", "app", "n1", null)];
  const ops = (actions: Action[], runs: string[]) =>
    nextWave(actions, dependenciesOf(three), viewOf(runs)).map((w) => `${w.op} ${w.rsc}@${w.node}`);
  assert.deepEqual(ops(stops, ["lock@n1", "app@n1"]), ["stop app@n1"]);
  assert.deepEqual(ops(stops.slice(0, 1), ["lock@n1"]), ["stop lock@n1"], "then the first, once the last is down");
});
