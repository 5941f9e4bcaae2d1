// A script of pcs commands (as a how-to or a shell history gives them, prompts allowed) → the scheduler's model, the
// same one a CIB is read into; cibToClusterYaml then writes it. Reads: cluster setup, property set, resource
// defaults / op defaults, resource create (params, op, meta, --group, clone, promotable), resource group add,
// resource clone / promotable, constraint location / colocation add / order, stonith create, stonith level add.
// Commands that change nothing in the configuration (cluster auth, start, status…) are skipped.

import type { OpDef, PrimitiveDef, ResourceDef, SchedulerInput } from "./cluster-model.js";
import { emptySchedulerInput, nvSet } from "./cluster-model.js";
import { parsePacemakerIntervalMs, parsePacemakerScore } from "./pacemaker-values.js";
import { logicalLines, parseRule, roleName, splitWords } from "./rule-text.js";

const nv = nvSet;

const kv = (ws: string[]): Record<string, string> =>
  Object.fromEntries(
    ws.filter((w) => w.indexOf("=") > 0).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
  );

/** pcs commands, one per entry: prompts ("[host]# ") dropped, continuation lines joined. */
function commands(text: string): Array<{ line: number; words: string[] }> {
  return logicalLines(text).flatMap((l) => {
    const at = l.text.search(/(^|[#$>]\s*)pcs\s/);
    if (at < 0) return [];
    return [{ line: l.line, words: splitWords(l.text.slice(l.text.indexOf("pcs", at))).words.slice(1) }];
  });
}

class PcsReader {
  readonly problems: string[] = [];
  readonly input: SchedulerInput = emptySchedulerInput();
  private n = 0;

  node(name: string): void {
    if (!this.input.nodes.some((x) => x.name === name))
      this.input.nodes.push({ id: name, name, type: "member", attrs: [], utilization: {}, score: 0 });
  }

  /** `resource create ID AGENT …` and `stonith create ID AGENT …`. */
  create(line: number, ws: string[], stonith: boolean): void {
    const [id, agent] = ws;
    if (!id || !agent) return void this.problems.push(`line ${line}: write: pcs resource create ID AGENT [k=v …]`);
    const parts = agent.split(":");
    const p: PrimitiveDef = {
      kind: "primitive",
      id,
      cls: stonith ? "stonith" : parts.length > 1 ? parts[0]! : "ocf",
      provider: !stonith && parts.length === 3 ? parts[1] : !stonith && parts.length === 1 ? "heartbeat" : undefined,
      type: stonith ? agent.replace(/^stonith:/, "") : parts.at(-1)!,
      meta: [],
      params: [],
      utilization: {},
      ops: [],
    };
    // Sections: params (the default), op NAME k=v…, meta k=v…, clone/promotable [k=v…]; flags start with --.
    let section = "params";
    let opName = "";
    const params: string[] = [];
    const metaWords: string[] = [];
    const cloneWords: string[] = [];
    let clone: "clone" | "promotable" | undefined;
    let group: string | undefined;
    const flushOp = (words: string[]) => {
      const v = kv(words);
      const { interval, timeout, role, "on-fail": onFail, ...rest } = v;
      const op: OpDef = {
        id: `${id}-${opName}-interval-${interval ?? "0s"}`,
        name: opName,
        intervalMs: parsePacemakerIntervalMs(interval),
        timeoutMs: timeout ? parsePacemakerIntervalMs(timeout) : undefined,
        role: role ? (roleName(role) ?? role) : undefined,
        onFail,
        enabled: true,
        meta: rest,
      };
      p.ops.push(op);
    };
    let opWords: string[] = [];
    for (let i = 2; i < ws.length; i++) {
      const w = ws[i]!;
      if (w === "--group" || w === "group") {
        group = ws[++i];
        continue;
      }
      if (w.startsWith("--")) {
        if (w === "--disabled") metaWords.push("target-role=Stopped");
        continue;
      }
      if (["params", "meta", "op", "clone", "promotable", "master"].includes(w)) {
        if (section === "op" && opName) flushOp(opWords);
        section = w === "master" ? "promotable" : w;
        if (section === "clone" || section === "promotable") clone = section;
        if (section === "op") {
          opName = ws[++i] ?? "";
          opWords = [];
        }
        continue;
      }
      if (section === "op" && !w.includes("=")) {
        flushOp(opWords); // another operation without repeating `op`: "op start … monitor …"
        opName = w;
        opWords = [];
        continue;
      }
      const buckets: Record<string, string[]> = {
        params,
        meta: metaWords,
        op: opWords,
        clone: cloneWords,
        promotable: cloneWords,
      };
      buckets[section]!.push(w);
    }
    if (section === "op" && opName) flushOp(opWords);
    p.params.push(...nv(`${id}-instance_attributes`, kv(params)));
    p.meta.push(...nv(`${id}-meta_attributes`, kv(metaWords)));
    let def: ResourceDef = p;
    if (clone)
      def = {
        kind: "clone",
        id: `${id}-clone`,
        meta: nv(`${id}-clone-meta`, kv(cloneWords)),
        promotable: clone === "promotable",
        child: p,
      };
    if (group) this.addToGroup(group, [p]);
    else this.input.resources.push(def);
  }

  addToGroup(groupId: string, prims: PrimitiveDef[]): void {
    let g = this.input.resources.find((r) => r.id === groupId);
    if (!g) this.input.resources.push((g = { kind: "group", id: groupId, meta: [], children: [] }));
    if (g.kind === "group") g.children.push(...prims);
  }

  take(id: string): PrimitiveDef | undefined {
    const at = this.input.resources.findIndex((r) => r.id === id && r.kind === "primitive");
    return at < 0 ? undefined : (this.input.resources.splice(at, 1)[0] as PrimitiveDef);
  }

  constraint(line: number, ws: string[]): void {
    const [kind, ...rest] = ws;
    const id = () => `${kind}-${++this.n}`;
    if (kind === "location") {
      const [rsc, how, ...targets] = rest;
      if (!rsc || !how) return void this.problems.push(`line ${line}: write: pcs constraint location RSC prefers NODE`);
      if (how === "rule") {
        const words = targets.filter((w) => !w.startsWith("score=") && !w.startsWith("role=") && !w.startsWith("id="));
        const score = targets.find((w) => w.startsWith("score="))?.slice(6) ?? "INFINITY";
        const role = targets.find((w) => w.startsWith("role="))?.slice(5);
        const r = parseRule(`${role ? `$role=${role} ` : ""}${score}: ${words.join(" ")}`, `${id()}-rule`);
        if (typeof r === "string") return void this.problems.push(`line ${line}: rule: ${r}`);
        this.input.locations.push({ id: id(), rsc, rules: [r] });
        return;
      }
      for (const t of targets) {
        const [node, score] = t.split("=");
        this.node(node!);
        const n = parsePacemakerScore(score ?? "INFINITY");
        this.input.locations.push({ id: id(), rsc, node, score: how === "avoids" ? -n : n, rules: [] });
      }
      return;
    }
    if (kind === "colocation" && rest[0] === "add") {
      const words = rest.slice(1).filter((w) => !w.includes("="));
      const at = words.indexOf("with");
      const a = words.slice(0, at);
      const b = words.slice(at + 1);
      const role = (x: string[]) => (x.length > 1 ? roleName(x[0]!) : undefined);
      const score = b.length > (b.length > 1 && roleName(b[0]!) ? 2 : 1) ? b.at(-1) : undefined;
      const withId = score !== undefined ? b.at(-2)! : b.at(-1)!;
      this.input.colocations.push({
        id: id(),
        rsc: a.at(-1),
        withRsc: withId,
        rscRole: role(a),
        withRscRole: b.length > 1 && roleName(b[0]!) ? roleName(b[0]!) : undefined,
        score: parsePacemakerScore(score ?? "INFINITY"),
        nodeAttribute: "#uname",
      });
      return;
    }
    if (kind === "order") {
      const words = rest.filter((w) => !w.includes("="));
      const opts = kv(rest);
      const at = words.indexOf("then");
      const a = words.slice(0, at);
      const b = words.slice(at + 1);
      const k = (opts.kind ?? "Mandatory").toLowerCase();
      const orderKind = k === "optional" ? "Optional" : k === "serialize" ? "Serialize" : "Mandatory";
      this.input.orders.push({
        id: id(),
        first: a.at(-1),
        then: b.at(-1),
        firstAction: a.length > 1 ? a[0]! : "start",
        thenAction: b.length > 1 ? b[0]! : a.length > 1 ? a[0]! : "start",
        kind: orderKind,
        symmetrical: opts.symmetrical ? !/^(false|no|0)$/i.test(opts.symmetrical) : orderKind !== "Serialize",
      });
      return;
    }
    this.problems.push(`line ${line}: pcs constraint ${ws.join(" ")}: not read (location, colocation add, order)`);
  }

  read(text: string): void {
    for (const { line, words: ws } of commands(text)) {
      const [a, b, ...rest] = ws;
      const cmd = `${a} ${b}`;
      if (cmd === "cluster setup") {
        const name = rest.indexOf("--name");
        if (name >= 0) this.input.properties["cluster-name"] = rest[name + 1]!;
        rest
          .filter((w, i) => !w.startsWith("-") && rest[i - 1] !== "--name" && !w.includes("="))
          .slice(name >= 0 ? 0 : 1) // pcs 0.10+: `cluster setup NAME NODE…`
          .forEach((n) => this.node(n.split(/\s/)[0]!));
      } else if (cmd === "property set") Object.assign(this.input.properties, kv(rest));
      else if (cmd === "resource defaults")
        this.input.rscDefaults.push(...nv("rsc_defaults-options", kv(rest[0] === "update" ? rest.slice(1) : rest)));
      else if (cmd === "resource op" && rest[0] === "defaults")
        this.input.opDefaults.push(...nv("op_defaults-options", kv(rest.slice(1))));
      else if (cmd === "resource create") this.create(line, rest, false);
      else if (cmd === "stonith create") this.create(line, rest, true);
      else if (cmd === "resource group" && rest[0] === "add") {
        const prims = rest
          .slice(2)
          .map((id) => this.take(id))
          .filter((p): p is PrimitiveDef => !!p);
        this.addToGroup(rest[1]!, prims);
      } else if (cmd === "resource clone" || cmd === "resource promotable" || cmd === "resource master") {
        const at = this.input.resources.findIndex((r) => r.id === rest[0]);
        const child = this.input.resources[at];
        if (!child || (child.kind !== "primitive" && child.kind !== "group")) {
          this.problems.push(`line ${line}: ${cmd} ${rest[0] ?? ""}: no such resource or group above`);
          continue;
        }
        this.input.resources[at] = {
          kind: "clone",
          id: `${child.id}-clone`,
          meta: nv(`${child.id}-clone-meta`, kv(rest.slice(1))),
          promotable: b !== "clone",
          child,
        };
      } else if (cmd === "stonith level" && rest[0] === "add") {
        const [, level, target, ...devices] = rest;
        this.input.fencingLevels ??= [];
        this.input.fencingLevels.push({
          id: `fl-${target}-${level}`,
          index: Number(level),
          target,
          devices: devices.flatMap((d) => d.split(",")),
        });
      } else if (a === "constraint") this.constraint(line, [b!, ...rest].filter(Boolean));
      else if (!["cluster", "status", "config", "resource", "stonith", "host", "pcsd", "quorum"].includes(a ?? ""))
        this.problems.push(`line ${line}: pcs ${ws.join(" ")}: not a configuration command Paceline reads`);
    }
  }
}

export function readPcs(text: string): { input: SchedulerInput; problems: string[] } {
  const r = new PcsReader();
  r.read(text);
  return { input: r.input, problems: r.problems };
}
