// `paceline config export --cib`: a cluster.yaml as a Pacemaker CIB (configuration only, empty status), from the same
// lowering the scheduler reads — so `crm_simulate -x` on it and `paceline simulate --config` on the cluster.yaml
// decide from the same configuration. Fencing devices become stonith primitives with pcmk_host_map/list, levels a
// fencing-topology. An exec resource has no Pacemaker class: it is written as ocf:paceline:exec.

import type { ClusterConfig } from "./model.js";
import type { Expression, NvSet, OpDef, ResourceDef, ResourceSet, Rule, SchedulerInput } from "./cluster-model.js";
import { lowerConfig } from "./lower.js";
import { INFINITY_SCORE } from "./pacemaker-values.js";

const esc = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** `<name a="1" …>` with the attributes that are set, in order. */
function tag(name: string, attrs: Record<string, string | number | boolean | undefined>, body?: string[]): string[] {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join("");
  if (!body?.length) return [`<${name}${a}/>`];
  return [`<${name}${a}>`, ...body.map((l) => `  ${l}`), `</${name}>`];
}

const score = (n: number | undefined) =>
  n === undefined ? undefined : n >= INFINITY_SCORE ? "INFINITY" : n <= -INFINITY_SCORE ? "-INFINITY" : String(n);

function nvsets(kind: string, sets: NvSet[]): string[] {
  return sets
    .filter((s) => Object.keys(s.values).length)
    .flatMap((s) =>
      tag(
        kind,
        { id: s.id },
        Object.entries(s.values).flatMap(([k, v]) => tag("nvpair", { id: `${s.id}-${k}`, name: k, value: v })),
      ),
    );
}

function op(o: OpDef): string[] {
  return tag("op", {
    id: o.id,
    name: o.name,
    interval: `${o.intervalMs / 1000}s`,
    timeout: o.timeoutMs !== undefined ? `${o.timeoutMs / 1000}s` : undefined,
    "on-fail": o.onFail,
    role: o.role,
    enabled: o.enabled ? undefined : "false",
  });
}

function resource(r: ResourceDef): string[] {
  switch (r.kind) {
    case "primitive": {
      const exec = r.cls === "exec";
      return tag(
        "primitive",
        { id: r.id, class: exec ? "ocf" : r.cls, provider: exec ? "paceline" : r.provider, type: r.type },
        [
          ...nvsets("instance_attributes", r.params),
          ...nvsets("meta_attributes", r.meta),
          ...(r.ops.length ? tag("operations", {}, r.ops.flatMap(op)) : []),
        ],
      );
    }
    case "group":
      return tag("group", { id: r.id }, [...nvsets("meta_attributes", r.meta), ...r.children.flatMap(resource)]);
    case "clone":
      return tag("clone", { id: r.id }, [...nvsets("meta_attributes", r.meta), ...resource(r.child)]);
    case "bundle":
      return [];
  }
}

function expression(e: Expression, id: string): string[] {
  switch (e.kind) {
    case "attr":
      return tag("expression", {
        id,
        attribute: e.attribute,
        operation: e.op,
        value: e.value,
        type: e.type,
        "value-source": e.valueSource,
      });
    case "date":
      return tag("date_expression", { id, operation: e.op, start: e.start, end: e.end }, [
        ...(e.duration ? tag("duration", { id: `${id}-duration`, ...e.duration }) : []),
        ...(e.spec ? tag("date_spec", { id: `${id}-spec`, ...e.spec }) : []),
      ]);
    case "rule":
      return rule(e.rule);
    default:
      return [];
  }
}

function rule(r: Rule): string[] {
  return tag(
    "rule",
    {
      id: r.id,
      score: r.scoreAttribute ? undefined : score(r.score ?? 0),
      "score-attribute": r.scoreAttribute,
      "boolean-op": r.booleanOp,
      role: r.role,
    },
    r.expressions.flatMap((e, i) => expression(e, `${r.id}-expr-${i}`)),
  );
}

function sets(list: ResourceSet[] | undefined): string[] {
  return (list ?? []).flatMap((s) =>
    tag(
      "resource_set",
      {
        id: s.id,
        sequential: s.sequential ? undefined : "false",
        "require-all": s.requireAll ? undefined : "false",
        role: s.role,
        action: s.action,
      },
      s.resources.flatMap((id) => tag("resource_ref", { id })),
    ),
  );
}

/** The stonith primitives and fencing topology of cluster.yaml's fencing section. */
function fencing(config: ClusterConfig): { primitives: string[]; topology: string[] } {
  const primitives = config.fencing.devices.flatMap((d) => {
    const plugs = Object.entries(d.targets);
    const params: Record<string, string> = { ...d.params };
    if (plugs.some(([, plug]) => plug)) params.pcmk_host_map = plugs.map(([n, plug]) => `${n}:${plug || n}`).join(";");
    else params.pcmk_host_list = plugs.map(([n]) => n).join(" ");
    return tag(
      "primitive",
      { id: d.name, class: "stonith", type: d.agent === "manual" ? "meatware" : d.agent },
      nvsets("instance_attributes", [{ id: `${d.name}-params`, score: 0, values: params }]),
    );
  });
  const topology = Object.entries(config.fencing.levels).flatMap(([target, levels]) =>
    levels.flatMap((devices, i) =>
      tag("fencing-level", { id: `fl-${target}-${i + 1}`, target, index: i + 1, devices: devices.join(",") }),
    ),
  );
  return { primitives, topology };
}

export function clusterToCib(config: ClusterConfig): string {
  const nodes = config.nodes.length ? config.nodes.map((n) => n.name) : ["node1"];
  const input: SchedulerInput = lowerConfig(config, nodes);
  const f = fencing(config);
  const props: Record<string, string> = { ...input.properties, "cluster-name": config.cluster };
  if (config.fencing.timeoutMs) props["stonith-timeout"] = `${config.fencing.timeoutMs / 1000}s`;
  props["startup-fencing"] = String(config.fencing.startupFencing);
  const constraints = [
    ...input.locations.flatMap((l) =>
      tag(
        "rsc_location",
        {
          id: l.id,
          rsc: l.rsc,
          "rsc-pattern": l.rscPattern,
          node: l.node,
          score: l.node !== undefined ? score(l.score) : undefined,
          role: l.role,
          "resource-discovery": l.discovery,
        },
        l.rules.flatMap(rule),
      ),
    ),
    ...input.colocations.flatMap((c) =>
      tag(
        "rsc_colocation",
        {
          id: c.id,
          rsc: c.rsc,
          "with-rsc": c.withRsc,
          score: score(c.score),
          "rsc-role": c.rscRole,
          "with-rsc-role": c.withRscRole,
          "node-attribute": c.nodeAttribute === "#uname" ? undefined : c.nodeAttribute,
          influence: c.influence === undefined ? undefined : String(c.influence),
        },
        sets(c.sets),
      ),
    ),
    ...input.orders.flatMap((o) =>
      tag(
        "rsc_order",
        {
          id: o.id,
          first: o.first,
          then: o.then,
          "first-action": o.first ? o.firstAction : undefined,
          "then-action": o.then ? o.thenAction : undefined,
          kind: o.kind,
          symmetrical: String(o.symmetrical),
          "require-all": o.requireAll === false ? "false" : undefined,
        },
        sets(o.sets),
      ),
    ),
  ];
  const configuration = [
    ...tag(
      "crm_config",
      {},
      nvsets("cluster_property_set", [{ id: "cib-bootstrap-options", score: 0, values: props }]),
    ),
    ...tag(
      "nodes",
      {},
      input.nodes.flatMap((n) => tag("node", { id: n.id, uname: n.name }, nvsets("instance_attributes", n.attrs))),
    ),
    ...tag("resources", {}, [...input.resources.flatMap(resource), ...f.primitives]),
    ...tag("constraints", {}, constraints),
    ...(f.topology.length ? tag("fencing-topology", {}, f.topology) : []),
  ];
  return [
    `<!-- Exported from cluster.yaml by paceline config export --cib -->`,
    ...tag("cib", { "validate-with": "pacemaker-3.7", admin_epoch: 0, epoch: 1, num_updates: 0 }, [
      ...tag("configuration", {}, configuration),
      "<status/>",
    ]),
    "",
  ].join("\n");
}
