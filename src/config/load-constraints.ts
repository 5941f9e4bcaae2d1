// cluster.yaml's `location:`, `colocate:` and `order:` lists → the scheduler's constraints. A cloned resource is
// named by its own id; the constraint is about its clone (the scheduler's id for it). Short forms:
//   colocate: ["web with db", "INFINITY: web with promoted data"]
//   order:    ["db then web", "promote data then start web", "Optional: a then b"]
// Problems are reported through `problem(path, message)`; nothing is thrown.

import type { ColocationDef, LocationDef, OrderDef, ResourceSet, Rule } from "./cluster-model.js";
import type { Constraints, PingConfig, ResourceConfig } from "./model.js";
import { INFINITY_SCORE } from "./pacemaker-values.js";
import { parseRule, roleName, scoreOf, words } from "./rule-text.js";
import { didYouMean } from "../util/suggest.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
type Report = (path: string, message: string, severity?: "error" | "warning") => void;

const ACTIONS = ["start", "stop", "promote", "demote"];
const KINDS = { mandatory: "Mandatory", optional: "Optional", serialize: "Serialize" } as const;

/** The ids a constraint may name, each → the scheduler's id (a clone's own id for a cloned resource). */
export function constraintTargets(resources: ResourceConfig[]): Map<string, { schedId: string; promotable: boolean }> {
  const out = new Map<string, { schedId: string; promotable: boolean }>();
  for (const r of resources) {
    const promotable = !!r.clone?.promotable;
    out.set(r.id, { schedId: r.clone?.id ?? r.id, promotable });
    if (r.clone) out.set(r.clone.id, { schedId: r.clone.id, promotable });
    // A cloned group's members run in every copy: constraints name the group.
    if (r.kind === "group" && !r.clone) for (const m of r.members) out.set(m.id, { schedId: m.id, promotable: false });
  }
  return out;
}

class ConstraintReader {
  readonly out: Constraints = { locations: [], colocations: [], orders: [] };
  private readonly ids = new Set<string>();
  constructor(
    private readonly targets: ReturnType<typeof constraintTargets>,
    private readonly nodeNames: string[],
    private readonly problem: Report,
  ) {}

  id(want: unknown, fallback: string, path: string): string {
    let id = typeof want === "string" ? want : fallback;
    if (typeof want === "string" && this.ids.has(id)) this.problem(path, `constraint id \`${id}\` is used twice`);
    for (let i = 2; this.ids.has(id); i++) id = `${fallback}-${i}`;
    this.ids.add(id);
    return id;
  }

  rsc(name: unknown, path: string): { schedId: string; promotable: boolean } | undefined {
    if (typeof name !== "string" || name === "") {
      this.problem(path, "name a resource");
      return undefined;
    }
    const t = this.targets.get(name);
    if (!t) this.problem(path, `no resource \`${name}\`${didYouMean(name, [...this.targets.keys()])}`);
    return t;
  }

  role(v: unknown, path: string, target?: { promotable: boolean }): string | undefined {
    if (v === undefined) return undefined;
    const r = roleName(String(v));
    if (!r) this.problem(path, `\`${String(v)}\` is not a role: use started, promoted or unpromoted`);
    else if ((r === "Promoted" || r === "Unpromoted") && target && !target.promotable)
      this.problem(path, `role ${r.toLowerCase()} needs a promotable resource (promotable: on the resource)`);
    return r;
  }

  score(v: unknown, path: string, fallback: number): number {
    if (v === undefined) return fallback;
    const s = scoreOf(String(v));
    if (s === undefined) this.problem(path, `\`${String(v)}\` is not a score: write an integer, INFINITY or -INFINITY`);
    return s ?? fallback;
  }

  sets(raw: unknown, path: string, withActions: boolean): ResourceSet[] | undefined {
    if (!Array.isArray(raw) || raw.length === 0) {
      this.problem(path, "`sets` is a list of sets, each a list of resources or { resources: [...], … }");
      return undefined;
    }
    return raw.map((s, i): ResourceSet => {
      const p = `${path}[${i}]`;
      const o: Obj = Array.isArray(s) ? { resources: s } : isObj(s) ? s : {};
      const list = Array.isArray(o.resources) ? o.resources : [];
      if (list.length === 0) this.problem(p, "a set needs at least one resource");
      const resources = list.map((r, j) => this.rsc(r, `${p}.resources[${j}]`)?.schedId ?? String(r));
      const action = typeof o.action === "string" ? o.action : undefined;
      if (action !== undefined && (!withActions || !ACTIONS.includes(action)))
        this.problem(
          `${p}.action`,
          withActions ? `an action is one of ${ACTIONS.join(", ")}` : "only order sets have actions",
        );
      return {
        id: `${path.replace(/[^A-Za-z0-9_-]+/g, "-")}-set-${i}`,
        resources,
        sequential: o.sequential !== false,
        requireAll: o["require-all"] !== false,
        role: this.role(o.role, `${p}.role`),
        action,
      };
    });
  }

  location(raw: unknown, path: string): void {
    if (!isObj(raw)) {
      this.problem(path, "a location is { rsc: ID, node: NODE, score: N } or { rsc: ID, rules: [RULE, …] }");
      return;
    }
    const target = raw["rsc-pattern"] === undefined ? this.rsc(raw.rsc, `${path}.rsc`) : undefined;
    if (raw["rsc-pattern"] !== undefined) {
      try {
        new RegExp(String(raw["rsc-pattern"]).replace(/^!/, ""));
      } catch (e) {
        this.problem(`${path}.rsc-pattern`, `not a regular expression: ${(e as Error).message}`);
      }
    }
    const id = this.id(raw.id, `location-${String(raw.rsc ?? "pattern")}`, `${path}.id`);
    const role = this.role(raw.role, `${path}.role`, target);
    const node = typeof raw.node === "string" ? raw.node : undefined;
    if (node !== undefined && this.nodeNames.length && !this.nodeNames.includes(node))
      this.problem(`${path}.node`, `no node \`${node}\`${didYouMean(node, this.nodeNames)}`);
    const rulesRaw = raw.rules === undefined ? [] : Array.isArray(raw.rules) ? raw.rules : [raw.rules];
    if ((node === undefined) === (rulesRaw.length === 0))
      this.problem(path, "a location gives either `node` (with `score`) or `rules`, not both and not neither");
    const rules: Rule[] = [];
    rulesRaw.forEach((r, i) => {
      const rule = this.rule(r, `${path}.rules[${i}]`, `${id}-rule-${i}`);
      if (rule) rules.push(rule);
    });
    const discovery = typeof raw["resource-discovery"] === "string" ? raw["resource-discovery"] : undefined;
    const def: LocationDef = {
      id,
      rsc: target?.schedId,
      rscPattern: raw["rsc-pattern"] !== undefined ? String(raw["rsc-pattern"]) : undefined,
      role,
      node,
      score: node !== undefined ? this.score(raw.score, `${path}.score`, INFINITY_SCORE) : undefined,
      rules,
      discovery,
    };
    this.out.locations.push(def);
  }

  /** A rule: text (`-INFINITY: not_defined pingd or pingd lte 0`) or { score, role, expression }. */
  rule(raw: unknown, path: string, id: string): Rule | undefined {
    let text: string;
    let score: number | undefined;
    if (typeof raw === "string") text = raw;
    else if (isObj(raw) && typeof raw.expression === "string") {
      text = raw.expression;
      if (raw["score-attribute"] !== undefined) text = `${String(raw["score-attribute"])}: ${text}`;
      else score = this.score(raw.score, `${path}.score`, INFINITY_SCORE);
      if (raw.role !== undefined) text = `$role=${String(raw.role)} ${text}`;
    } else {
      this.problem(
        path,
        'a rule is text such as "-INFINITY: not_defined pingd or pingd lte 0", or { score, expression }',
      );
      return undefined;
    }
    const r = parseRule(text, id, score ?? INFINITY_SCORE);
    if (typeof r === "string") {
      this.problem(path, `rule \`${text}\`: ${r}`);
      return undefined;
    }
    return r;
  }

  colocate(raw: unknown, path: string): void {
    let o: Obj;
    if (typeof raw === "string") {
      const parsed = this.colocationText(raw, path);
      if (!parsed) return;
      o = parsed;
    } else if (isObj(raw)) o = raw;
    else {
      this.problem(path, 'a colocation is "A with B" or { rsc: A, with: B, score: INFINITY }');
      return;
    }
    const score = this.score(o.score, `${path}.score`, INFINITY_SCORE);
    if (o.sets !== undefined) {
      const sets = this.sets(o.sets, `${path}.sets`, false);
      if (!sets) return;
      this.out.colocations.push({
        id: this.id(o.id, `colocate-set-${this.out.colocations.length}`, `${path}.id`),
        score,
        nodeAttribute: typeof o["node-attribute"] === "string" ? o["node-attribute"] : "#uname",
        sets,
        influence: o.influence === undefined ? undefined : o.influence !== false,
      });
      return;
    }
    const a = this.rsc(o.rsc, `${path}.rsc`);
    const b = this.rsc(o.with, `${path}.with`);
    if (!a || !b) return;
    if (a.schedId === b.schedId) this.problem(path, "a resource cannot be colocated with itself");
    const def: ColocationDef = {
      id: this.id(o.id, `colocate-${String(o.rsc)}-with-${String(o.with)}`, `${path}.id`),
      rsc: a.schedId,
      withRsc: b.schedId,
      rscRole: this.role(o["rsc-role"], `${path}.rsc-role`, a),
      withRscRole: this.role(o["with-role"], `${path}.with-role`, b),
      score,
      nodeAttribute: typeof o["node-attribute"] === "string" ? o["node-attribute"] : "#uname",
      influence: o.influence === undefined ? undefined : o.influence !== false,
    };
    this.out.colocations.push(def);
  }

  /** "[SCORE:] A with [ROLE] B" → the object form. */
  colocationText(text: string, path: string): Obj | undefined {
    const ws = words(text);
    if (typeof ws === "string") return void this.problem(path, ws);
    const o: Obj = {};
    if (ws[0]?.endsWith(":")) o.score = ws.shift()!.slice(0, -1);
    const at = ws.indexOf("with");
    const rest = at >= 0 ? ws.slice(at + 1) : [];
    if (at !== 1 || rest.length < 1 || rest.length > 2) {
      this.problem(path, `\`${text}\`: write "A with B", "A with promoted B" or "-INFINITY: A with B"`);
      return undefined;
    }
    o.rsc = ws[0];
    if (rest.length === 2) o["with-role"] = rest[0];
    o.with = rest.at(-1);
    return o;
  }

  order(raw: unknown, path: string): void {
    let o: Obj;
    if (typeof raw === "string") {
      const parsed = this.orderText(raw, path);
      if (!parsed) return;
      o = parsed;
    } else if (isObj(raw)) o = raw;
    else {
      this.problem(path, 'an order is "A then B", "promote A then start B" or { first: A, then: B }');
      return;
    }
    const kindText = String(o.kind ?? "Mandatory").toLowerCase();
    const kind = KINDS[kindText as keyof typeof KINDS];
    if (!kind) this.problem(`${path}.kind`, "the kind is Mandatory, Optional or Serialize");
    const symmetrical = o.symmetrical === undefined ? kind !== "Serialize" : o.symmetrical !== false;
    if (o.sets !== undefined) {
      const sets = this.sets(o.sets, `${path}.sets`, true);
      if (!sets) return;
      this.out.orders.push({
        id: this.id(o.id, `order-set-${this.out.orders.length}`, `${path}.id`),
        firstAction: "start",
        thenAction: "start",
        kind: kind ?? "Mandatory",
        symmetrical,
        sets,
      });
      return;
    }
    const first = this.rsc(o.first, `${path}.first`);
    const then = this.rsc(o.then, `${path}.then`);
    const firstAction = typeof o["first-action"] === "string" ? o["first-action"] : "start";
    const thenAction = typeof o["then-action"] === "string" ? o["then-action"] : firstAction;
    for (const [k, v] of [
      ["first-action", firstAction],
      ["then-action", thenAction],
    ] as const)
      if (!ACTIONS.includes(v)) this.problem(`${path}.${k}`, `\`${v}\` is not an action: use ${ACTIONS.join(", ")}`);
    if (!first || !then) return;
    if (first.schedId === then.schedId && firstAction === thenAction)
      this.problem(path, "a resource cannot be ordered after itself");
    for (const [t, action, k] of [
      [first, firstAction, "first-action"],
      [then, thenAction, "then-action"],
    ] as const)
      if ((action === "promote" || action === "demote") && !t.promotable)
        this.problem(`${path}.${k}`, `${action} needs a promotable resource (promotable: on the resource)`);
    const def: OrderDef = {
      id: this.id(o.id, `order-${String(o.first)}-then-${String(o.then)}`, `${path}.id`),
      first: first.schedId,
      then: then.schedId,
      firstAction,
      thenAction,
      kind: kind ?? "Mandatory",
      symmetrical,
      requireAll: o["require-all"] === undefined ? undefined : o["require-all"] !== false,
      score: o.score === undefined ? undefined : this.score(o.score, `${path}.score`, 0),
    };
    this.out.orders.push(def);
  }

  /** "[KIND:] [ACTION] A then [ACTION] B" → the object form. */
  orderText(text: string, path: string): Obj | undefined {
    const ws = words(text);
    if (typeof ws === "string") return void this.problem(path, ws);
    const o: Obj = {};
    if (ws[0]?.endsWith(":")) o.kind = ws.shift()!.slice(0, -1);
    const at = ws.indexOf("then");
    const before = at >= 0 ? ws.slice(0, at) : ws;
    const after = at >= 0 ? ws.slice(at + 1) : [];
    const bad = () =>
      this.problem(path, `\`${text}\`: write "A then B", "promote A then start B" or "Optional: A then B"`);
    if (at < 0 || before.length < 1 || before.length > 2 || after.length < 1 || after.length > 2) return void bad();
    o.first = before.at(-1);
    if (before.length === 2) o["first-action"] = before[0];
    o.then = after.at(-1);
    if (after.length === 2) o["then-action"] = after[0];
    else if (before.length === 2) o["then-action"] = "start";
    return o;
  }
}

export function loadConstraints(
  raw: { location?: unknown; colocate?: unknown; order?: unknown },
  resources: ResourceConfig[],
  nodeNames: string[],
  problem: Report,
): Constraints {
  const reader = new ConstraintReader(constraintTargets(resources), nodeNames, problem);
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  list(raw.location).forEach((x, i) => reader.location(x, `location[${i}]`));
  list(raw.colocate).forEach((x, i) => reader.colocate(x, `colocate[${i}]`));
  list(raw.order).forEach((x, i) => reader.order(x, `order[${i}]`));
  return reader.out;
}

/** The shorthands as constraints: `prefer: NODE` (a location of 100) and `ping` with prefer-connected (Heartbeat's
 * ipfail as Pacemaker writes it: never where no target answers, otherwise prefer more answers). Clones run
 * everywhere: the ping rule is for the services. */
export function shorthandLocations(resources: ResourceConfig[], ping: PingConfig | undefined): LocationDef[] {
  const out: LocationDef[] = [];
  for (const r of resources.flatMap((x) => (x.kind === "group" ? [x, ...x.members] : [x]))) {
    if (r.meta.prefer)
      out.push({ id: `${r.id}-prefers-${r.meta.prefer}`, rsc: r.id, node: r.meta.prefer, score: 100, rules: [] });
  }
  if (!ping?.preferConnected) return out;
  const attribute = ping.attribute;
  for (const r of resources.filter((x) => !x.clone)) {
    out.push({
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
    out.push({
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
  return out;
}
