// cluster.yaml's model → the full cluster model the scheduler reads (Pacemaker's vocabulary). Used by
// `paceline simulate --config` today and by the cluster controller next.

import type {
  GroupDef,
  LocationDef,
  NodeStateDef,
  NvSet,
  OpDef,
  PrimitiveDef,
  ResourceDef,
  SchedulerInput,
} from "./cluster-model.js";
import type { ClusterConfig, PrimitiveConfig, ResourceMeta } from "./model.js";

import { INFINITY_SCORE } from "./pacemaker-values.js";

const scoreText = (n: number) => (n >= INFINITY_SCORE ? "INFINITY" : n <= -INFINITY_SCORE ? "-INFINITY" : String(n));

function metaSet(id: string, meta: ResourceMeta): NvSet[] {
  const values: Record<string, string> = {
    "target-role": meta.targetRole === "stopped" ? "Stopped" : "Started",
    "is-managed": String(meta.managed),
    "resource-stickiness": scoreText(meta.stickiness),
    "migration-threshold": scoreText(meta.migrationThreshold),
  };
  if (meta.failureTimeoutMs > 0) values["failure-timeout"] = `${Math.round(meta.failureTimeoutMs / 1000)}s`;
  return [{ id: `${id}-meta`, score: 0, values }];
}

function primitive(p: PrimitiveConfig): PrimitiveDef {
  const a = p.agent;
  const ops: OpDef[] = p.ops.map((o) => ({
    id: `${p.id}-${o.name}-${o.intervalMs}`,
    name: o.name,
    intervalMs: o.intervalMs,
    onFail: o.onFail,
    enabled: o.enabled,
    timeoutMs: o.timeoutMs,
    meta: {},
  }));
  return {
    kind: "primitive",
    id: p.id,
    cls: a.class === "exec" ? "exec" : a.class,
    provider: a.class === "ocf" ? a.provider : undefined,
    type: a.class === "exec" ? "exec" : a.type,
    meta: metaSet(p.id, p.meta),
    params: [{ id: `${p.id}-params`, score: 0, values: p.params }],
    utilization: {},
    ops,
  };
}

export function lowerConfig(config: ClusterConfig, nodeNames: string[]): SchedulerInput {
  const resources: ResourceDef[] = config.resources.map((r) => {
    if (r.kind === "primitive") return primitive(r);
    const g: GroupDef = { kind: "group", id: r.id, meta: metaSet(r.id, r.meta), children: r.members.map(primitive) };
    return g;
  });
  const locations: LocationDef[] = [];
  for (const r of config.resources.flatMap((x) => (x.kind === "group" ? [x, ...x.members] : [x]))) {
    if (r.meta.prefer)
      locations.push({ id: `${r.id}-prefers-${r.meta.prefer}`, rsc: r.id, node: r.meta.prefer, score: 100, rules: [] });
  }
  const ping = config.ping;
  if (ping?.preferConnected) {
    const attribute = ping.attribute;
    for (const r of config.resources) {
      // Heartbeat's ipfail as Pacemaker writes it: never where no target answers; otherwise prefer more answers.
      locations.push({
        id: `${r.id}-needs-${attribute}`,
        rsc: r.id,
        rules: [
          {
            id: `${r.id}-no-${attribute}`,
            booleanOp: "or",
            score: -INFINITY_SCORE,
            expressions: [
              { kind: "attr", attribute, op: "not_defined" },
              { kind: "attr", attribute, op: "lte", value: "0", type: "number" },
            ],
          },
        ],
      });
      locations.push({
        id: `${r.id}-prefers-${attribute}`,
        rsc: r.id,
        rules: [
          {
            id: `${r.id}-by-${attribute}`,
            booleanOp: "and",
            scoreAttribute: attribute,
            expressions: [{ kind: "attr", attribute, op: "defined" }],
          },
        ],
      });
    }
  }
  const nodes = nodeNames.map((name) => {
    const n = config.nodes.find((x) => x.name === name);
    return {
      id: name,
      name,
      type: "member" as const,
      attrs: [{ id: `${name}-attrs`, score: 0, values: n?.attributes ?? {} }],
      utilization: {},
      score: 0,
    };
  });
  return {
    nowSec: 0,
    haveQuorum: true,
    properties: {
      "stonith-enabled": String(config.fencing.enabled),
      "no-quorum-policy": "stop",
      "start-failure-is-fatal": String(config.properties.startFailureIsFatal),
      "maintenance-mode": String(config.properties.maintenanceMode),
    },
    rscDefaults: [],
    opDefaults: [],
    nodes,
    resources,
    locations,
    colocations: [],
    orders: [],
    tickets: [],
    ticketStates: {},
    tags: {},
    nodeStates: nodeNames.map((name): NodeStateDef => ({
      id: name,
      uname: name,
      inCcm: "true",
      crmd: "online",
      join: "member",
      expected: "member",
      transient: {},
      lrm: [],
    })),
  };
}
