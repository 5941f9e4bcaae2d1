// Properties every transition must have, on random clusters: determinism, no placement on a -INFINITY node, no
// non-clone resource active twice, and mandatory order respected (a "then" never starts while its "first" cannot run).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LocationDef, NodeStateDef, OrderDef, ResourceDef, SchedulerInput } from "../../config/cluster-model.js";
import { normalizedSummary, schedule } from "./index.js";
import { INF } from "./scores.js";

const RUNS = Number(process.env.PACELINE_PROPERTY_RUNS ?? 200);

const arbCluster: fc.Arbitrary<SchedulerInput> = fc
  .record({
    nodeCount: fc.integer({ min: 1, max: 5 }),
    rscCount: fc.integer({ min: 1, max: 8 }),
    groupSplit: fc.integer({ min: 0, max: 8 }),
    locations: fc.array(
      fc.record({ rsc: fc.nat(7), node: fc.nat(4), score: fc.constantFrom(-INF, -100, 0, 50, 100, INF) }),
      { maxLength: 8 },
    ),
    orders: fc.array(fc.record({ first: fc.nat(7), then: fc.nat(7) }), { maxLength: 4 }),
    running: fc.array(fc.record({ rsc: fc.nat(7), node: fc.nat(4), rc: fc.constantFrom(0, 0, 0, 1, 7) }), {
      maxLength: 10,
    }),
    offline: fc.array(fc.nat(4), { maxLength: 2 }),
    stickiness: fc.constantFrom(0, 100, INF),
  })
  .map(({ nodeCount, rscCount, groupSplit, locations, orders, running, offline, stickiness }) => {
    const nodes = Array.from({ length: nodeCount }, (_, i) => ({
      id: `n${i}`,
      name: `n${i}`,
      type: "member" as const,
      attrs: [],
      utilization: {},
      score: 0,
    }));
    const prim = (i: number) => ({
      kind: "primitive" as const,
      id: `r${i}`,
      cls: "ocf",
      provider: "pacemaker",
      type: "Dummy",
      meta: [],
      params: [],
      utilization: {},
      ops: [],
    });
    const resources: ResourceDef[] = [];
    const split = Math.min(groupSplit, rscCount);
    if (split >= 2)
      resources.push({ kind: "group", id: "g", meta: [], children: Array.from({ length: split }, (_, i) => prim(i)) });
    for (let i = split >= 2 ? split : 0; i < rscCount; i++) resources.push(prim(i));
    const locs: LocationDef[] = locations
      .filter((l) => l.rsc < rscCount && l.node < nodeCount)
      .map((l, i) => ({ id: `l${i}`, rsc: `r${l.rsc}`, node: `n${l.node}`, score: l.score, rules: [] }));
    const ords: OrderDef[] = orders
      .filter((o) => o.first < rscCount && o.then < rscCount && o.first !== o.then)
      .map((o, i) => ({
        id: `o${i}`,
        first: `r${o.first}`,
        then: `r${o.then}`,
        firstAction: "start",
        thenAction: "start",
        kind: "Mandatory" as const,
        symmetrical: true,
      }));
    const nodeStates: NodeStateDef[] = nodes
      .filter((_, i) => !offline.includes(i))
      .map((n) => ({
        id: n.id,
        uname: n.name,
        inCcm: "true",
        crmd: "online",
        join: "member",
        expected: "member",
        transient: {},
        lrm: running
          .filter((r) => r.rsc < rscCount && `n${r.node}` === n.name)
          .map((r) => ({
            id: `r${r.rsc}`,
            ops: [
              {
                id: `r${r.rsc}_start_0`,
                operation: "start",
                intervalMs: 0,
                rc: r.rc,
                status: r.rc === 0 ? 0 : 4,
                callId: 1,
              },
            ],
          })),
      }));
    return {
      nowSec: 1_700_000_000,
      haveQuorum: true,
      properties: { "stonith-enabled": "false" },
      rscDefaults: [{ id: "d", score: 0, values: { "resource-stickiness": String(stickiness) } }],
      opDefaults: [],
      nodes,
      resources,
      locations: locs,
      colocations: [],
      orders: ords,
      tickets: [],
      ticketStates: {},
      nodeStates,
      tags: {},
    };
  });

test("the scheduler is deterministic", () => {
  fc.assert(
    fc.property(arbCluster, (input) => {
      assert.deepEqual(
        normalizedSummary(schedule(input).transition),
        normalizedSummary(schedule(structuredClone(input)).transition),
      );
    }),
    { numRuns: RUNS },
  );
});

test("nothing is placed where its score is -INFINITY, and no primitive ends up active twice", () => {
  fc.assert(
    fc.property(arbCluster, (input) => {
      const { transition } = schedule(input);
      const banned = new Set(input.locations.filter((l) => l.score! <= -INF).map((l) => `${l.rsc}@${l.node}`));
      const seen = new Set<string>();
      for (const p of transition.placed) {
        if (p.flags.length === 0)
          assert.ok(!banned.has(`${p.rsc}@${p.node}`), `${p.rsc} placed on ${p.node} despite -INFINITY`);
        assert.ok(!seen.has(p.rsc), `${p.rsc} active on two nodes`);
        seen.add(p.rsc);
      }
    }),
    { numRuns: RUNS },
  );
});

test("mandatory order: a resource does not start (unblocked) while what it follows will not run", () => {
  fc.assert(
    fc.property(arbCluster, (input) => {
      const { transition } = schedule(input);
      const active = new Set(transition.placed.filter((p) => p.flags.length === 0).map((p) => p.rsc));
      for (const o of input.orders) {
        const started = transition.actions.some(
          (a) => a.rsc === o.then && (a.verb === "Start" || a.verb === "Move") && !a.blocked,
        );
        if (started) assert.ok(active.has(o.first!), `${o.then} starts but ${o.first} (mandatory first) will not run`);
      }
    }),
    { numRuns: RUNS },
  );
});
