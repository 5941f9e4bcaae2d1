// crm shell configuration text (`crm configure show`, or the file given to `crm configure load`) → the scheduler's
// model, the same one a CIB is read into; cibToClusterYaml then writes it as cluster.yaml. Statements: node,
// primitive, group, clone, ms, location (score or rules), colocation, order, property, rsc_defaults, op_defaults,
// fencing_topology. What cannot be read is collected with its line number, never guessed.

import type {
  ColocationDef,
  LocationDef,
  OpDef,
  OrderDef,
  PrimitiveDef,
  ResourceDef,
  ResourceSet,
  Rule,
  SchedulerInput,
} from "./cluster-model.js";
import { emptySchedulerInput, nvSet } from "./cluster-model.js";
import { parsePacemakerIntervalMs, parsePacemakerScore } from "./pacemaker-values.js";
import { logicalLines, parseRule, roleName, splitWords } from "./rule-text.js";

export interface CrmReadResult {
  input: SchedulerInput;
  problems: string[];
}

/** Statements with their first line number: continuation lines joined, blank lines and comments dropped. */
function statements(text: string): Array<{ line: number; words: string[] }> {
  return logicalLines(text)
    .filter((l) => l.text.trim() !== "" && !l.text.trim().startsWith("#"))
    .map((l) => ({ line: l.line, words: splitWords(l.text).words }));
}

const KEYWORDS = ["params", "meta", "utilization", "op", "attributes", "rule"];

/** key=value words until the next keyword. */
function pairs(ws: string[], from: number): { values: Record<string, string>; next: number } {
  const values: Record<string, string> = {};
  let i = from;
  for (; i < ws.length && !KEYWORDS.includes(ws[i]!); i++) {
    const eq = ws[i]!.indexOf("=");
    if (eq > 0) values[ws[i]!.slice(0, eq)] = ws[i]!.slice(eq + 1);
  }
  return { values, next: i };
}

const nv = nvSet;

class CrmReader {
  readonly problems: string[] = [];
  readonly input: SchedulerInput = emptySchedulerInput();
  private readonly prims = new Map<string, PrimitiveDef>();

  problem(line: number, message: string): void {
    this.problems.push(`line ${line}: ${message}`);
  }

  primitive(line: number, ws: string[]): void {
    const [id, agent] = [ws[1], ws[2]];
    if (!id || !agent) return this.problem(line, "write: primitive ID CLASS:PROVIDER:TYPE [params …] [op …]");
    const parts = agent.split(":");
    const p: PrimitiveDef = {
      kind: "primitive",
      id,
      cls: parts[0]!,
      provider: parts.length === 3 ? parts[1] : undefined,
      type: parts.at(-1)! || (ws[3] ?? ""),
      meta: [],
      params: [],
      utilization: {},
      ops: [],
    };
    // "stonith: external/ipmi" (a blank after the colon) names the type in the next word.
    let i = 3;
    if (parts.at(-1) === "" && ws[3] && !KEYWORDS.includes(ws[3])) {
      p.type = ws[3];
      i = 4;
    }
    if (p.cls === "ocf" && !p.provider) p.provider = "heartbeat";
    while (i < ws.length) {
      const kw = ws[i]!;
      if (kw === "op") {
        const name = ws[i + 1];
        const { values, next } = pairs(ws, i + 2);
        if (!name) return this.problem(line, "`op` needs a name (start, stop, monitor…)");
        const { interval, timeout, role, "on-fail": onFail, enabled, ...rest } = values;
        const op: OpDef = {
          id: `${id}-${name}-${interval ?? "0"}`,
          name,
          intervalMs: parsePacemakerIntervalMs(interval),
          role: role ? (roleName(role) ?? role) : undefined,
          onFail,
          enabled: !/^(false|no|0|off)$/i.test(enabled ?? "true"),
          timeoutMs: timeout ? parsePacemakerIntervalMs(timeout) : undefined,
          meta: rest,
        };
        p.ops.push(op);
        i = next;
      } else if (kw === "params" || kw === "meta" || kw === "utilization") {
        const { values, next } = pairs(ws, i + 1);
        if (kw === "params") p.params.push(...nv(`${id}-params`, values));
        else if (kw === "meta") p.meta.push(...nv(`${id}-meta`, values));
        else p.utilization = values;
        i = next;
      } else {
        this.problem(line, `primitive ${id}: unexpected \`${kw}\` (expected params, meta, utilization or op)`);
        return;
      }
    }
    this.prims.set(id, p);
    this.input.resources.push(p);
  }

  /** Takes a defined primitive out of the top level, for a group or clone. */
  take(line: number, id: string): PrimitiveDef | ResourceDef | undefined {
    const at = this.input.resources.findIndex((r) => r.id === id);
    if (at < 0) {
      this.problem(line, `\`${id}\` is not defined (or is in two groups or clones)`);
      return undefined;
    }
    return this.input.resources.splice(at, 1)[0];
  }

  group(line: number, ws: string[]): void {
    const id = ws[1];
    if (!id) return this.problem(line, "write: group ID RSC …");
    const children: PrimitiveDef[] = [];
    let i = 2;
    for (; i < ws.length && !KEYWORDS.includes(ws[i]!); i++) {
      const r = this.take(line, ws[i]!);
      if (r?.kind === "primitive") children.push(r);
      else if (r) this.problem(line, `group ${id}: ${ws[i]} is a ${r.kind}, and a group holds primitives only`);
    }
    const { values } = ws[i] === "meta" ? pairs(ws, i + 1) : { values: {} as Record<string, string> };
    this.input.resources.push({ kind: "group", id, meta: nv(`${id}-meta`, values), children });
  }

  clone(line: number, ws: string[], promotable: boolean): void {
    const [id, childId] = [ws[1], ws[2]];
    if (!id || !childId) return this.problem(line, `write: ${ws[0]} ID RSC [meta …]`);
    const child = this.take(line, childId);
    if (!child) return;
    if (child.kind !== "primitive" && child.kind !== "group")
      return this.problem(line, `${ws[0]} ${id}: ${childId} is a ${child.kind}; a clone holds a primitive or a group`);
    const { values } = ws[3] === "meta" ? pairs(ws, 4) : { values: {} as Record<string, string> };
    if (/^(true|yes|1)$/i.test(values.promotable ?? "")) promotable = true;
    this.input.resources.push({ kind: "clone", id, meta: nv(`${id}-meta`, values), promotable, child });
  }

  /** RSC or RSC:ROLE (or RSC:ACTION for orders); {role}RSC is crm's older spelling. */
  ref(word: string): { id: string; tag?: string } {
    const braces = /^\{(\w+)\}(.+)$/.exec(word);
    if (braces) return { id: braces[2]!, tag: braces[1] };
    const colon = word.lastIndexOf(":");
    return colon > 0 ? { id: word.slice(0, colon), tag: word.slice(colon + 1) } : { id: word };
  }

  location(line: number, ws: string[]): void {
    const [id, rscWord] = [ws[1], ws[2]];
    if (!id || !rscWord) return this.problem(line, "write: location ID RSC SCORE: NODE, or location ID RSC rule …");
    const { id: rsc, tag } = this.ref(rscWord);
    const loc: LocationDef = { id, rsc, rules: [], role: tag ? roleName(tag) : undefined };
    if (ws[3] === "rule") {
      // Each `rule` word starts one rule: rule [$role=R] SCORE: EXPR …
      const chunks: string[][] = [];
      for (const w of ws.slice(3)) {
        if (w === "rule") chunks.push([]);
        else chunks.at(-1)!.push(w);
      }
      chunks.forEach((c, i) => {
        const r = parseRule(c.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(" "), `${id}-rule-${i}`, 0);
        if (typeof r === "string") this.problem(line, `location ${id}: rule \`${c.join(" ")}\`: ${r}`);
        else loc.rules.push(r as Rule);
      });
    } else {
      const scoreWord = ws[3];
      const node = ws[4];
      if (!scoreWord?.endsWith(":") || !node) return this.problem(line, `location ${id}: write RSC SCORE: NODE`);
      loc.score = parsePacemakerScore(scoreWord.slice(0, -1));
      loc.node = node;
    }
    this.input.locations.push(loc);
  }

  colocation(line: number, ws: string[]): void {
    const [id, scoreWord] = [ws[1], ws[2]];
    if (!id || !scoreWord?.endsWith(":"))
      return this.problem(line, "write: colocation ID SCORE: RSC[:ROLE] WITH-RSC[:ROLE]");
    const score = parsePacemakerScore(scoreWord.slice(0, -1));
    const refs = ws.slice(3).filter((w) => !w.includes("="));
    if (refs.length < 2) return this.problem(line, `colocation ${id}: name two resources`);
    const c: ColocationDef = { id, score, nodeAttribute: "#uname" };
    if (refs.length === 2 && !refs.some((r) => /[()[\]]/.test(r))) {
      const [a, b] = refs.map((r) => this.ref(r));
      Object.assign(c, {
        rsc: a!.id,
        withRsc: b!.id,
        rscRole: a!.tag ? roleName(a!.tag) : undefined,
        withRscRole: b!.tag ? roleName(b!.tag) : undefined,
      });
    } else c.sets = this.sets(id, refs, false);
    const attr = ws.find((w) => w.startsWith("node-attribute="));
    if (attr) c.nodeAttribute = attr.split("=")[1]!;
    this.input.colocations.push(c);
  }

  /** A resource list with ( ) for unordered sets; with more than two, crm means a sequential set. */
  sets(id: string, refs: string[], actions: boolean): ResourceSet[] {
    const out: ResourceSet[] = [];
    let cur: ResourceSet | undefined;
    for (let w of refs) {
      const open = w.startsWith("(") || w.startsWith("[");
      const close = w.endsWith(")") || w.endsWith("]");
      w = w.replace(/^[([]|[)\]]$/g, "");
      if (open || !cur) {
        cur = { id: `${id}-set-${out.length}`, resources: [], sequential: !open, requireAll: true };
        out.push(cur);
      }
      if (w) {
        const r = this.ref(w);
        cur.resources.push(r.id);
        if (r.tag) {
          if (actions) cur.action = r.tag;
          else cur.role = roleName(r.tag);
        }
      }
      if (close) cur = undefined;
    }
    return out;
  }

  order(line: number, ws: string[]): void {
    const [id, head] = [ws[1], ws[2]];
    if (!id || !head?.endsWith(":"))
      return this.problem(line, "write: order ID KIND|SCORE: FIRST[:ACTION] THEN[:ACTION]");
    const k = head.slice(0, -1);
    const kinds: Record<string, OrderDef["kind"]> = {
      mandatory: "Mandatory",
      optional: "Optional",
      serialize: "Serialize",
    };
    const kind = kinds[k.toLowerCase()] ?? (parsePacemakerScore(k) > 0 ? "Mandatory" : "Optional");
    const refs = ws.slice(3).filter((w) => !w.includes("="));
    const sym = ws.find((w) => w.startsWith("symmetrical="));
    if (refs.length < 2) return this.problem(line, `order ${id}: name what comes first and what follows`);
    const o: OrderDef = {
      id,
      firstAction: "start",
      thenAction: "start",
      kind,
      symmetrical: sym ? /^(true|yes|1)$/i.test(sym.split("=")[1]!) : kind !== "Serialize",
    };
    if (refs.length === 2 && !refs.some((r) => /[()[\]]/.test(r))) {
      const [a, b] = refs.map((r) => this.ref(r));
      Object.assign(o, {
        first: a!.id,
        then: b!.id,
        firstAction: a!.tag ?? "start",
        thenAction: b!.tag ?? a!.tag ?? "start",
      });
    } else o.sets = this.sets(id, refs, true);
    this.input.orders.push(o);
  }

  /** fencing_topology [NODE:] dev1,dev2 dev3 … — a blank starts the next level, a comma joins devices in one. */
  fencingTopology(ws: string[]): void {
    let target: string | undefined;
    let index = 1;
    for (const w of ws.slice(1)) {
      if (w.endsWith(":")) {
        target = w.slice(0, -1);
        index = 1;
        continue;
      }
      this.input.fencingLevels ??= [];
      this.input.fencingLevels.push({
        id: `fl-${target ?? "all"}-${index}`,
        index: index++,
        target,
        devices: w.split(","),
      });
    }
  }

  read(text: string): void {
    // `crm configure show` prints groups and clones before their primitives: containers are built after the rest.
    const all = statements(text);
    const containers = (k: string[]) => all.filter((x) => k.includes(x.words[0]!));
    for (const { line, words: ws } of all) {
      const kw = ws[0]!;
      switch (kw) {
        case "group":
        case "clone":
        case "ms":
          break;
        case "node": {
          const name = ws[1]?.startsWith("$id=") ? ws[2] : ws[1];
          if (!name) {
            this.problem(line, "write: node NAME");
            break;
          }
          const at = ws.indexOf("attributes");
          const { values } = at > 0 ? pairs(ws, at + 1) : { values: {} };
          this.input.nodes.push({
            id: name.replace(/:.*/, ""),
            name: name.replace(/:.*/, ""),
            type: "member",
            attrs: nv(`${name}-attrs`, values),
            utilization: {},
            score: 0,
          });
          break;
        }
        case "primitive":
          this.primitive(line, ws);
          break;
        case "location":
          this.location(line, ws);
          break;
        case "colocation":
        case "collocation":
          this.colocation(line, ws);
          break;
        case "order":
          this.order(line, ws);
          break;
        case "property":
          Object.assign(this.input.properties, pairs(ws, 1).values);
          break;
        case "rsc_defaults":
          this.input.rscDefaults.push(...nv("rsc-options", pairs(ws, 1).values));
          break;
        case "op_defaults":
          this.input.opDefaults.push(...nv("op-options", pairs(ws, 1).values));
          break;
        case "fencing_topology":
          this.fencingTopology(ws);
          break;
        default:
          this.problem(line, `\`${kw}\` is not a crm configure statement Paceline reads`);
      }
    }
    for (const { line, words: ws } of containers(["group"])) this.group(line, ws);
    for (const { line, words: ws } of containers(["clone", "ms"])) this.clone(line, ws, ws[0] === "ms");
    // Nodes named only in constraints and topology (crm shows `node` lines, but a hand-written file may not).
    const named = new Set(this.input.nodes.map((n) => n.name));
    const mentioned = [
      ...this.input.locations.map((l) => l.node),
      ...(this.input.fencingLevels ?? []).map((l) => l.target),
      ...this.input.locations.flatMap((l) =>
        l.rules.flatMap((r) =>
          r.expressions.map((e) =>
            e.kind === "attr" && e.attribute === "#uname" && e.op === "eq" ? e.value : undefined,
          ),
        ),
      ),
    ].filter((n): n is string => !!n && !named.has(n));
    for (const n of new Set(mentioned))
      this.input.nodes.push({ id: n, name: n, type: "member", attrs: [], utilization: {}, score: 0 });
  }
}

export function readCrm(text: string): CrmReadResult {
  const r = new CrmReader();
  r.read(text);
  return { input: r.input, problems: r.problems };
}
