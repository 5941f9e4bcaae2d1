// Properties every transition must have, on random clusters: determinism, no placement on a -INFINITY node, no
// non-clone resource active twice, and mandatory order respected (a "then" never starts while its "first" cannot run).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type {
  LocationDef,
  NodeStateDef,
  OrderDef,
  PrimitiveDef,
  ResourceDef,
  SchedulerInput,
} from "../../config/cluster-model.js";
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

/** A group of 3–7 members running on n1, some of them with a failed stop (on-fail=block), n1 going to standby, and
 * a few mandatory orders between the members' positions. */
const arbBlocked = fc
  .record({
    size: fc.integer({ min: 3, max: 7 }),
    failed: fc.array(fc.nat(6), { minLength: 1, maxLength: 3 }),
    orders: fc.array(fc.record({ first: fc.nat(6), then: fc.nat(6) }), { maxLength: 3 }),
  })
  .map(({ size, failed, orders }) => {
    const ids = Array.from({ length: size }, (_, i) => `m${i}`);
    const prim = (id: string): PrimitiveDef => ({
      kind: "primitive",
      id,
      cls: "ocf",
      provider: "pacemaker",
      type: "Dummy",
      meta: [],
      params: [],
      utilization: {},
      ops: [{ id: `${id}-stop`, name: "stop", intervalMs: 0, onFail: "block", enabled: true, meta: {} }],
    });
    const stuck = new Set(failed.filter((f) => f < size).map((f) => ids[f]!));
    const node = (name: string, lrm: NodeStateDef["lrm"], standby: boolean): NodeStateDef => ({
      id: name,
      uname: name,
      inCcm: "true",
      crmd: "online",
      join: "member",
      expected: "member",
      transient: standby ? { standby: "on" } : {},
      lrm,
    });
    let callId = 1;
    const lrm = ids.map((id) => ({
      id,
      ops: [
        { id: `${id}_start_0`, operation: "start", intervalMs: 0, rc: 0, status: 0, callId: callId++ },
        ...(stuck.has(id)
          ? [{ id: `${id}_last_failure_0`, operation: "stop", intervalMs: 0, rc: 1, status: 0, callId: callId++ }]
          : []),
      ],
    }));
    const input: SchedulerInput = {
      nowSec: 1_700_000_000,
      haveQuorum: true,
      properties: { "stonith-enabled": "false" },
      rscDefaults: [],
      opDefaults: [],
      nodes: ["n1", "n2"].map((n) => ({
        id: n,
        name: n,
        type: "member" as const,
        attrs: [],
        utilization: {},
        score: 0,
      })),
      resources: [{ kind: "group", id: "g", meta: [], children: ids.map(prim) }],
      locations: [],
      colocations: [],
      orders: orders
        .filter((o) => o.first < size && o.then < size && o.first < o.then)
        .map((o, i) => ({
          id: `o${i}`,
          first: ids[o.first]!,
          then: ids[o.then]!,
          firstAction: "start",
          thenAction: "start",
          kind: "Mandatory" as const,
          symmetrical: true,
        })),
      tickets: [],
      ticketStates: {},
      nodeStates: [node("n1", lrm, true), node("n2", [], false)],
      tags: {},
    };
    return { input, ids };
  });

test("a blocked stop blocks every stop that must come after it, through the group and mandatory orders", () => {
  fc.assert(
    fc.property(arbBlocked, ({ input, ids }) => {
      const { transition } = schedule(input);
      const stops = transition.actions.filter((a) => a.from === "n1" && a.verb !== "Start" && a.verb !== "Promote");
      const goes = (id: string) => stops.some((a) => a.rsc === id && !a.blocked);
      // What must be down before each member stops: the members after it, and the "then" of its orders.
      const dependents = (i: number) => [
        ...ids.slice(i + 1),
        ...input.orders.filter((o) => o.first === ids[i]).map((o) => o.then!),
      ];
      ids.forEach((id, i) => {
        if (!goes(id)) return;
        for (const d of dependents(i))
          assert.ok(
            goes(d),
            `${id} stops on n1 while ${d}, which depends on it, cannot: ${normalizedSummary(transition).join("; ")}`,
          );
      });
    }),
    { numRuns: RUNS },
  );
});
