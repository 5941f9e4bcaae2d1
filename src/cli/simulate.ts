// `paceline simulate`: run the scheduler on a Pacemaker CIB (or, later, a cluster.yaml with what-if events) and
// show the transition — normalized like the conformance corpus (--summary), or in words, with --explain RSC
// answering "why is RSC where it is".

import { readFileSync } from "node:fs";
import { readCib } from "../config/cib.js";
import { loadConfigFile } from "../config/load.js";
import { lowerConfig } from "../config/lower.js";
import { historyKey } from "../config/model.js";
import { formatProblem } from "../config/problems.js";
import type { SchedulerInput } from "../config/cluster-model.js";
import { normalizedSummary, schedule, type ScheduleResult } from "../core/scheduler/index.js";
import { explain } from "../core/scheduler/explain.js";

export interface SimulateOptions {
  cib?: string;
  config?: string;
  summary: boolean;
  explain?: string;
  nodeFail: string[];
  standby: string[];
  opFail: string[];
  /** NODE:NAME=VALUE node attributes, there from the start (pingd, master-RSC promotion scores). */
  attrs?: string[];
  /** NODE:NAME=VALUE node attributes that change once the cluster runs (the ping target lost, a disk error). */
  setAttrs?: string[];
}

export function loadCibFile(path: string): SchedulerInput {
  let xml: string;
  try {
    xml = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  try {
    return readCib(xml);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

function describe(result: ScheduleResult): string {
  const t = result.transition;
  const lines: string[] = [];
  const n = t.actions.length + t.fences.length;
  lines.push(
    n === 0
      ? "Transition: nothing to do."
      : `Transition (${t.actions.length} action${t.actions.length === 1 ? "" : "s"}, ${t.fences.length} fence${t.fences.length === 1 ? "" : "s"}):`,
  );
  for (const f of t.fences)
    lines.push(
      `  fence ${f.node} (${f.action}): it is unclean, so nothing it held may start elsewhere until it is fenced`,
    );
  const words: Record<string, string> = {
    Start: "start",
    Stop: "stop",
    Move: "move",
    Migrate: "migrate (live)",
    Restart: "restart",
    Recover: "recover",
    Reload: "reload",
    Promote: "promote",
    Demote: "demote",
    "Re-promote": "re-promote",
  };
  for (const a of [...t.actions].sort((x, y) => x.rsc.localeCompare(y.rsc))) {
    const where =
      a.from && a.to
        ? a.from === a.to
          ? `on ${a.from}`
          : `${a.from} → ${a.to}`
        : a.to
          ? `on ${a.to}`
          : `on ${a.from}`;
    lines.push(
      `  ${words[a.verb]!.padEnd(14)} ${a.rsc.padEnd(24)} ${where}${a.blocked ? "   BLOCKED: cannot run now" : ""}`,
    );
  }
  lines.push("", "Afterwards:");
  for (const nd of t.nodes) lines.push(`  node ${nd.node}: ${nd.state}`);
  for (const p of [...t.placed].sort((x, y) => x.rsc.localeCompare(y.rsc)))
    lines.push(
      `  ${p.rsc.padEnd(24)} ${p.role.padEnd(9)} on ${p.node}${p.flags.length ? ` (${p.flags.join(", ")})` : ""}`,
    );
  return lines.join("\n");
}

/**
 * What-if on a cluster.yaml: the cluster as the configuration would run it (everything placed and started), then
 * the given events (a node fails, a node goes to standby, an operation fails), then what the scheduler does.
 */
export function whatIf(opts: SimulateOptions): { input: SchedulerInput; before: ScheduleResult; events: string[] } {
  const loaded = loadConfigFile(opts.config!);
  if (!loaded.config)
    throw new Error(
      loaded.problems
        .filter((p) => p.severity === "error")
        .map(formatProblem)
        .join("\n"),
    );
  const config = loaded.config;
  const nodes = config.nodes.length ? config.nodes.map((n) => n.name) : ["node1"];
  const input = lowerConfig(config, nodes);
  input.nowSec = Math.floor(Date.now() / 1000);
  const setAttr = (option: string, spec: string): string => {
    const m = /^([^:]+):([^=]+)=(.*)$/.exec(spec);
    if (!m) throw new Error(`${option} ${spec}: write NODE:NAME=VALUE, e.g. n1:pingd=100 or n1:master-db=10`);
    const ns = input.nodeStates.find((n) => n.uname === m[1]);
    if (!ns) throw new Error(`${option} ${spec}: no node \`${m[1]}\` (nodes: ${nodes.join(", ")})`);
    ns.transient[m[2]!] = m[3]!;
    return `${m[2]} on ${m[1]} becomes ${m[3]}`;
  };
  for (const spec of opts.attrs ?? []) setAttr("--attr", spec);
  const before = schedule(structuredClone(input));
  let callId = 1;
  for (const p of before.transition.placed) {
    const ns = input.nodeStates.find((n) => n.uname === p.node)!;
    // As a node records it: an anonymous clone's copy under its primitive's id; a promoted one was promoted.
    const id = historyKey(config, p.rsc);
    const op = (operation: string) => ({
      id: `${id}_${operation}_0`,
      operation,
      intervalMs: 0,
      rc: 0,
      status: 0,
      callId: callId++,
    });
    ns.lrm.push({ id, ops: p.role === "Promoted" ? [op("promote")] : [op("start")] });
  }
  const nodeState = (name: string) => {
    const ns = input.nodeStates.find((n) => n.uname === name);
    if (!ns) throw new Error(`no node \`${name}\` (nodes: ${nodes.join(", ")})`);
    return ns;
  };
  const events: string[] = [];
  for (const n of opts.nodeFail) {
    Object.assign(nodeState(n), { inCcm: "false", crmd: "offline", join: "down" });
    events.push(`node ${n} fails`);
  }
  for (const spec of opts.setAttrs ?? []) events.push(setAttr("--set-attr", spec));
  for (const n of opts.standby) {
    nodeState(n).transient.standby = "on";
    events.push(`node ${n} goes to standby`);
  }
  for (const spec of opts.opFail) {
    const m = /^(.+)_(start|stop|monitor|promote|demote)_(\d+)@([^=]+)=(\d+)$/.exec(spec);
    if (!m)
      throw new Error(`--op-fail ${spec}: write RSC_OPERATION_INTERVALMS@NODE=RC, e.g. web_monitor_10000@node1=7`);
    const [, rsc, op, interval, node, rc] = m;
    const ns = nodeState(node!);
    let lr = ns.lrm.find((l) => l.id === rsc);
    if (!lr) ns.lrm.push((lr = { id: rsc!, ops: [] }));
    lr.ops.push({
      id: `${rsc}_last_failure_0`,
      operation: op!,
      intervalMs: Number(interval),
      rc: Number(rc),
      status: 0,
      callId: callId++,
      lastRcChange: input.nowSec,
    });
    // As the cluster records it: a failed start (start-failure-is-fatal, the default) makes the fail count INFINITY.
    const fatal = op === "start" && !/^(false|no|0|off)$/i.test(input.properties["start-failure-is-fatal"] ?? "true");
    const earlier = ns.transient[`fail-count-${rsc}`];
    ns.transient[`fail-count-${rsc}`] =
      fatal || /^\+?INFINITY$/i.test(earlier ?? "") ? "INFINITY" : String(Number(earlier ?? 0) + 1);
    ns.transient[`last-failure-${rsc}`] = String(input.nowSec);
    events.push(
      `${rsc} ${op}${op === "monitor" ? ` (every ${Number(interval) / 1000}s)` : ""} on ${node} returns ${rc}`,
    );
  }
  return { input, before, events };
}

export function simulate(opts: SimulateOptions): string {
  if (opts.config) {
    const { input, before, events } = whatIf(opts);
    const result = schedule(input);
    if (opts.explain) return explain(result, opts.explain);
    if (opts.summary) return normalizedSummary(result.transition).join("\n");
    const start = before.transition.placed.map((p) => `${p.rsc} on ${p.node}`).join(", ") || "nothing running";
    return [
      `Starting point: ${start}.`,
      `Events: ${events.join("; ") || "none (add --node-fail, --standby, --op-fail or --set-attr)"}.`,
      "",
      describe(result),
    ].join("\n");
  }
  if (opts.nodeFail.length || opts.standby.length || opts.opFail.length || opts.setAttrs?.length)
    throw new Error("what-if events (--node-fail, --standby, --op-fail, --set-attr) work with --config cluster.yaml");
  if (!opts.cib) throw new Error("give the input: --cib FILE.xml or --config cluster.yaml");
  const result = schedule(loadCibFile(opts.cib));
  if (opts.explain) return explain(result, opts.explain);
  return opts.summary ? normalizedSummary(result.transition).join("\n") : describe(result);
}
