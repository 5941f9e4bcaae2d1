// ClusterConfig (cluster.yaml as loaded) → the scheduler's input, in Pacemaker's vocabulary: the one mapping between
// the two. Resources become primitives, groups and clones with their meta attributes; constraints are already in
// the scheduler's terms (the loader wrote them so); the cluster's properties become Pacemaker's.

import type {
  CloneDef,
  GroupDef,
  NodeStateDef,
  NvSet,
  OpDef,
  PrimitiveDef,
  ResourceDef,
  SchedulerInput,
} from "./cluster-model.js";
import type { CloneConfig, ClusterConfig, PrimitiveConfig, ResourceConfig, ResourceMeta } from "./model.js";

import { INFINITY_SCORE } from "./pacemaker-values.js";

const scoreText = (n: number) => (n >= INFINITY_SCORE ? "INFINITY" : n <= -INFINITY_SCORE ? "-INFINITY" : String(n));

function metaSet(id: string, meta: ResourceMeta): NvSet[] {
  const role = meta.targetRole;
  const values: Record<string, string> = {
    ...meta.extraMeta,
    "target-role": role[0]!.toUpperCase() + role.slice(1),
    "is-managed": String(meta.managed),
    "resource-stickiness": scoreText(meta.stickiness),
    "migration-threshold": scoreText(meta.migrationThreshold),
  };
  if (meta.failureTimeoutMs > 0) values["failure-timeout"] = `${Math.round(meta.failureTimeoutMs / 1000)}s`;
  if (meta.priority) values.priority = String(meta.priority);
  return [{ id: `${id}-meta`, score: 0, values }];
}

function primitive(p: PrimitiveConfig): PrimitiveDef {
  const a = p.agent;
  const ops: OpDef[] = p.ops.map((o) => ({
    id: `${p.id}-${o.name}-${o.intervalMs}${o.role ? `-${o.role}` : ""}`,
    name: o.name,
    intervalMs: o.intervalMs,
    role: o.role,
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

/** A clone's options as Pacemaker's meta attributes. */
export function cloneMeta(c: CloneConfig): Record<string, string> {
  const values: Record<string, string> = {
    "clone-max": String(c.max),
    "clone-node-max": String(c.perNode),
    interleave: String(c.interleave),
    ordered: String(c.ordered),
    "globally-unique": String(c.globallyUnique),
    notify: String(c.notify),
  };
  if (c.promotable) {
    values.promotable = "true";
    values["promoted-max"] = String(c.promotable.max);
    values["promoted-node-max"] = String(c.promotable.perNode);
  }
  return values;
}

function resource(r: ResourceConfig): ResourceDef {
  const inner: PrimitiveDef | GroupDef =
    r.kind === "primitive"
      ? primitive(r)
      : { kind: "group", id: r.id, meta: metaSet(r.id, r.meta), children: r.members.map(primitive) };
  if (!r.clone) return inner;
  const clone: CloneDef = {
    kind: "clone",
    id: r.clone.id,
    meta: [{ id: `${r.clone.id}-meta`, score: 0, values: cloneMeta(r.clone) }],
    promotable: !!r.clone.promotable,
    child: inner,
  };
  return clone;
}

export function lowerConfig(config: ClusterConfig, nodeNames: string[]): SchedulerInput {
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
  const c = config.constraints;
  return {
    nowSec: 0,
    haveQuorum: true,
    fenceDevicesElsewhere: true,
    properties: {
      "stonith-enabled": String(config.fencing.enabled),
      "stonith-action": config.fencing.action,
      "no-quorum-policy": config.quorum.noQuorumPolicy,
      "start-failure-is-fatal": String(config.properties.startFailureIsFatal),
      "maintenance-mode": String(config.properties.maintenanceMode),
    },
    rscDefaults: [],
    opDefaults: [],
    nodes,
    resources: config.resources.map(resource),
    // Copies: the caller adds its own (admin placements) to these lists.
    locations: [...c.locations],
    colocations: [...c.colocations],
    orders: [...c.orders],
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
