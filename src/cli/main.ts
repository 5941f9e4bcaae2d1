// The paceline command line. Every subcommand validates its arguments and says plainly what went wrong.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { join, resolve } from "node:path";
import { PACEMAKER_TOOLS, runPacemakerTool, type PacemakerTool } from "./pacemaker-tools.js";
import { callDaemon, DaemonUnreachable } from "../api/client.js";
import { listenApi, socketAlive } from "../api/server.js";
import type { DaemonStatus, MembershipStatus } from "../api/types.js";
import type { ClusterConfig } from "../config/model.js";
import { ArbiterDaemon } from "../daemon/arbiter.js";
import { runFencing } from "../daemon/fence-runner.js";
import { NodeDaemon, whoAmI } from "../daemon/node-daemon.js";
import { writeClusterKey } from "../node/key.js";
import { hostname } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { IMPORT_FORMATS, importConfig, type ImportFormat } from "../config/import.js";
import { clusterToCib } from "../config/export-cib.js";
import { loadConfigFile, loadConfigText } from "../config/load.js";
import { formatProblem } from "../config/problems.js";
import { superviseDaemon } from "../daemon/supervisor.js";
import { checkAgents } from "../node/executor/index.js";
import { VERSION } from "../version.js";
import { renderMembership, renderStatus } from "./render-status.js";
import { runDemo } from "./demo.js";
import { canRunClusterDemo, runClusterDemo } from "./demo-cluster.js";
import { runLoopbackDemo } from "./demo-loopback.js";
import { listExamples, runExample } from "./demo-examples.js";
import { simulate } from "./simulate.js";

const USAGE = `Paceline ${VERSION} — high-availability cluster manager

Usage:
  paceline demo [--keep] [--single|--loopback]
                                          watch a 3-node cluster fail over (as root: namespaces and a real virtual
                                          IP; else, or --loopback, on loopback); --single: one server
  paceline demo --example NAME|list       run a seed's example for real (examples/NAME: PostgreSQL, NFS, fencing…)
  paceline daemon --config FILE [--node N] run the daemon in the foreground (logs to stdout); in a cluster a small
                                          supervisor respawns it if it dies (--no-supervise: under systemd)
  paceline keygen [-o FILE]               write a new cluster key (default /etc/paceline/authkey)
  paceline arbiter --config FILE          run the tie-breaker of quorum.arbiter (on a third machine)
  paceline fence NODE --config FILE [--off] [--yes]
                                          fence NODE from here with its configured devices and levels
                                          (reboot, or fencing.action; --off: power off)
  paceline fence confirm NODE [--yes]     (cluster) NODE is powered off: completes a manual fencing level
  paceline fence history                  (cluster) every fencing outcome the cluster knows
  paceline attribute set NAME VALUE | delete NAME
                                          set or remove one of this node's attributes (cluster mode)
  paceline status [--json]                what runs, how, and what failed
  paceline status --why ID                (cluster) every node's score for ID and what made it
  paceline config validate FILE           check a cluster.yaml (exit 0 = valid)
  paceline config import FILE… [-o F]     a CIB, crm shell text, pcs commands, or Heartbeat's ha.cf +
                                          haresources + authkeys as cluster.yaml [--from cib|crm|pcs|heartbeat]
  paceline config export --cib FILE [-o F] cluster.yaml as a Pacemaker CIB (for crm_simulate)
  paceline config push FILE               (cluster) check FILE, then the DC numbers it and every node runs it
  paceline config show                    (cluster) the configuration the cluster runs, with its epoch
  paceline resource cleanup ID            reset fail counts, re-manage and re-probe ID
  paceline resource restart|disable|enable|manage|unmanage ID
  paceline resource move ID NODE | ban ID NODE | clear ID
                                          (cluster) prefer NODE / keep off NODE / drop both
  paceline node standby|online NODE       (cluster) move everything off NODE / let it run resources again
  paceline maintenance on|off             (cluster) stop starting, stopping and recovering anything
  paceline simulate --cib FILE.xml [--summary] [--explain RSC]
                                          what Pacemaker's scheduler semantics decide for a CIB
  paceline simulate --config cluster.yaml [--node-fail N] [--standby N] [--op-fail RSC_monitor_10000@N=7]
                    [--attr N:NAME=VALUE] (a node attribute from the start: pingd, a promotion score…)
                    [--set-attr N:NAME=VALUE] (an attribute that changes: the ping target lost, a disk error)
                                          what-if: the cluster running, then these events
  paceline version

Common options:
  --state-dir DIR    daemon state (default /var/lib/paceline, or $PACELINE_STATE_DIR)
  --socket PATH      the daemon's API socket (default STATE_DIR/paceline.sock)
`;

class UsageError extends Error {}

function parse(
  args: string[],
  options: ParseArgsConfig["options"],
  positionals = 0,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        ...options,
        "state-dir": { type: "string" },
        socket: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^Unknown option '(.*?)'.*$/s, "unknown option $1"));
  }
  if (parsed.positionals.length > positionals)
    throw new UsageError(`unexpected argument \`${parsed.positionals[positionals]}\``);
  return {
    values: parsed.values as Record<string, string | boolean | string[] | undefined>,
    positionals: parsed.positionals,
  };
}

function stateDirOf(values: Record<string, unknown>): string {
  return (values["state-dir"] as string | undefined) ?? process.env.PACELINE_STATE_DIR ?? "/var/lib/paceline";
}
function socketOf(values: Record<string, unknown>): string {
  return (values.socket as string | undefined) ?? join(stateDirOf(values), "paceline.sock");
}

async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { "no-agents": { type: "boolean" } }, 1);
  const file = positionals[0];
  if (!file) throw new UsageError("which file? `paceline config validate cluster.yaml`");
  const r = loadConfigFile(file);
  const problems = [...r.problems];
  if (r.config && !values["no-agents"]) problems.push(...(await checkAgents(r.config, file)));
  for (const p of problems) console.log(formatProblem(p));
  const errors = problems.filter((p) => p.severity === "error").length;
  if (errors) {
    console.log(`${file}: ${errors} error${errors === 1 ? "" : "s"}`);
    return 1;
  }
  const prims = r.config!.resources.flatMap((x) => (x.kind === "group" ? x.members : [x])).length;
  console.log(
    `${file}: valid — ${prims} resource${prims === 1 ? "" : "s"}, ${r.config!.monitors.length} monitor${r.config!.monitors.length === 1 ? "" : "s"}`,
  );
  return 0;
}

function exportCib(args: string[]): number {
  const { values, positionals } = parse(args, { cib: { type: "boolean" }, output: { type: "string", short: "o" } }, 1);
  const file = positionals[0];
  if (!values.cib || !file) throw new UsageError("`paceline config export --cib cluster.yaml [-o cib.xml]`");
  const r = loadConfigFile(file);
  if (!r.config) {
    console.error(r.problems.map(formatProblem).join("\n"));
    return 1;
  }
  const xml = clusterToCib(r.config);
  if (values.output) writeFileSync(values.output as string, xml);
  else process.stdout.write(xml);
  return 0;
}

function importFiles(args: string[]): number {
  const { values, positionals } = parse(
    args,
    { output: { type: "string", short: "o" }, from: { type: "string" } },
    Infinity,
  );
  if (!positionals.length)
    throw new UsageError(
      "which files? `paceline config import cib.xml | crm.txt | pcs.sh | ha.cf haresources authkeys [--from cib|crm|pcs|heartbeat] [-o cluster.yaml]`",
    );
  const from = values.from as string | undefined;
  if (from !== undefined && !IMPORT_FORMATS.includes(from as ImportFormat))
    throw new UsageError(`--from ${from}: give one of ${IMPORT_FORMATS.join(", ")}`);
  let result;
  try {
    const files = positionals.map((path) => ({ path, text: readFileSync(path, "utf8") }));
    result = importConfig(files, from as ImportFormat | undefined);
  } catch (e) {
    console.error(`paceline config import: ${(e as Error).message}`);
    return 1;
  }
  for (const p of result.problems) console.error(`paceline config import: ${p}`);
  const check = loadConfigText(result.yaml, (values.output as string | undefined) ?? "imported.yaml");
  if (!check.config) {
    console.error(
      `paceline config import: the result does not validate:\n${check.problems.map(formatProblem).join("\n")}`,
    );
    return 1;
  }
  if (values.output) {
    writeFileSync(values.output as string, result.yaml);
    console.error(
      `wrote ${values.output as string}${result.notImported.length ? `; ${result.notImported.length} item(s) are not carried over: its header lists them with the reason` : ""}`,
    );
  } else process.stdout.write(result.yaml);
  return result.problems.length ? 1 : 0;
}

async function clusterDaemon(
  config: ClusterConfig,
  configYaml: string,
  values: Record<string, unknown>,
): Promise<number> {
  const me = whoAmI(config, values.node as string | undefined);
  // Agents reach this daemon through these (crm_attribute and friends: src/cli/pacemaker-tools.ts).
  process.env.PACELINE_SOCKET = resolve(socketOf(values));
  process.env.PACELINE_NODE = me;
  const d = new NodeDaemon({ config, configYaml, me, stateDir: stateDirOf(values) });
  if (await socketAlive(socketOf(values)))
    throw new Error(`another Paceline daemon is already running (it answers on ${socketOf(values)})`);
  await d.start();
  let server;
  try {
    server = await listenApi(socketOf(values), {
      status: () => d.status(),
      admin: () => ({ ok: false, message: "use the cluster commands" }),
      attribute: (name, value) => d.attribute(name, value),
      clusterAdmin: (c) => d.admin(c),
      why: (id) => d.why(id),
      pushConfig: (yaml, base) => d.pushConfig(yaml, base),
      configDoc: () => d.configDoc(),
      confirmFence: (node) => d.confirmFence(node),
    });
  } catch (e) {
    d.shutdown();
    await d.done;
    throw e;
  }
  const stop = (sig: string) => {
    console.error(`paceline: ${sig}: moving resources away, then leaving the cluster`);
    d.shutdown();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("uncaughtException", (e) =>
    console.error(`paceline: internal error (the daemon keeps running): ${e.stack ?? e.message}`),
  );
  const code = await d.done;
  server.close();
  // Agents may leave children holding our pipes (IPaddr2's send_arp): the daemon's work is done, so exit now.
  process.exit(code);
}

async function daemon(args: string[]): Promise<number> {
  const { values } = parse(args, {
    config: { type: "string", short: "c" },
    node: { type: "string" },
    "no-supervise": { type: "boolean" },
  });
  const file = values.config as string | undefined;
  if (!file) throw new UsageError("which configuration? `paceline daemon --config /etc/paceline/cluster.yaml`");
  const r = loadConfigFile(file);
  for (const p of r.problems) console.error(formatProblem(p));
  if (!r.config) {
    console.error(`paceline: not starting: ${file} has errors`);
    return 1;
  }
  if (r.config.nodes.length > 1 && !values["no-supervise"]) {
    const config = r.config;
    return superviseDaemon({
      config,
      stateDir: stateDirOf(values),
      command: [process.execPath, process.argv[1]!, "daemon", ...args, "--no-supervise"],
      log: (text) => console.error(`${new Date().toISOString()} paceline supervisor (pid ${process.pid}): ${text}`),
    });
  }
  if (r.config.nodes.length > 1) {
    try {
      return await clusterDaemon(r.config, readFileSync(file, "utf8"), values);
    } catch (e) {
      console.error(`paceline: not starting: ${(e as Error).message}`);
      return 1;
    }
  }
  for (const p of await checkAgents(r.config, file)) console.error(formatProblem(p));
  const d = new NodeDaemon({
    single: true,
    config: r.config,
    configYaml: readFileSync(file, "utf8"),
    me: (values.node as string | undefined) ?? hostname(),
    stateDir: stateDirOf(values),
  });
  const server = await listenApi(socketOf(values), {
    status: () => d.localStatus(),
    admin: (c) =>
      d.admin({ kind: c.kind, rsc: c.id }).then((a) => (a.ok ? { ok: true, message: `${c.kind} ${c.id}: done` } : a)),
  });
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1)
      return console.error(`paceline: ${sig} again: still stopping resources (they are stopped before Paceline exits)`);
    console.error(`paceline: ${sig}: stopping resources, then exiting`);
    d.shutdown();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("uncaughtException", (e) =>
    console.error(`paceline: internal error (the daemon keeps running): ${e.stack ?? e.message}`),
  );
  await d.start();
  const code = await d.done;
  server.close();
  return code;
}

async function status(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: "boolean" }, why: { type: "string" } });
  if (values.why !== undefined) {
    const r = await callDaemon<{ ok: boolean; message: string }>(
      socketOf(values),
      "GET",
      `/v1/why/${encodeURIComponent(values.why as string)}`,
    );
    console.log(r.body.message);
    return r.body.ok ? 0 : 1;
  }
  const { body } = await callDaemon<DaemonStatus | MembershipStatus>(socketOf(values), "GET", "/v1/status");
  console.log(
    values.json ? JSON.stringify(body, null, 2) : "view" in body ? renderMembership(body) : renderStatus(body),
  );
  return 0;
}

async function resource(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const verbs = ["cleanup", "restart", "disable", "enable", "manage", "unmanage", "move", "ban", "clear"];
  if (!verb || !verbs.includes(verb)) throw new UsageError(`\`paceline resource\` takes one of: ${verbs.join(", ")}`);
  const needsNode = verb === "move" || verb === "ban";
  const { values, positionals } = parse(rest, {}, needsNode ? 2 : 1);
  const [id, node] = positionals;
  if (!id) throw new UsageError(`which resource? \`paceline resource ${verb} ID${needsNode ? " NODE" : ""}\``);
  if (needsNode && !node) throw new UsageError(`${verb} to/from which node? \`paceline resource ${verb} ${id} NODE\``);
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socketOf(values),
    "POST",
    `/v1/resources/${encodeURIComponent(id)}/${verb}${needsNode ? `?node=${encodeURIComponent(node!)}` : ""}`,
  );
  console.log(body.message);
  return body.ok ? 0 : 1;
}

/** `paceline config push FILE`: checked here first (agents, parameters), then numbered and sent by the DC. */
async function pushConfig(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { "base-epoch": { type: "string" } }, 1);
  const file = positionals[0];
  if (!file) throw new UsageError("which file? `paceline config push cluster.yaml`");
  const r = loadConfigFile(file);
  const problems = [...r.problems, ...(r.config ? await checkAgents(r.config, file) : [])];
  for (const p of problems) console.error(formatProblem(p));
  if (!r.config || problems.some((p) => p.severity === "error")) {
    console.error(`paceline config push: ${file} has errors; nothing was sent`);
    return 1;
  }
  const base = values["base-epoch"] as string | undefined;
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socketOf(values),
    "PUT",
    `/v1/config${base ? `?base-epoch=${encodeURIComponent(base)}` : ""}`,
    readFileSync(file, "utf8"),
  );
  console.log(body.message);
  return body.ok ? 0 : 1;
}

async function showConfig(args: string[]): Promise<number> {
  const { values } = parse(args, {});
  const { body } = await callDaemon<{ epoch: number; yaml: string; hash: string; message?: string }>(
    socketOf(values),
    "GET",
    "/v1/config",
  );
  if (body.message) {
    console.error(body.message);
    return 1;
  }
  process.stdout.write(
    `# cluster configuration epoch ${body.epoch}${body.epoch === 0 ? " (this node's own file; nothing pushed yet)" : ""}, sha256 ${body.hash}\n${body.yaml}`,
  );
  return 0;
}

async function nodeCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== "standby" && verb !== "online") throw new UsageError("`paceline node` takes: standby NODE, online NODE");
  const { values, positionals } = parse(rest, {}, 1);
  if (!positionals[0]) throw new UsageError(`which node? \`paceline node ${verb} NODE\``);
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socketOf(values),
    "POST",
    `/v1/nodes/${encodeURIComponent(positionals[0])}/${verb}`,
  );
  console.log(body.message);
  return body.ok ? 0 : 1;
}

async function maintenance(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {}, 1);
  if (positionals[0] !== "on" && positionals[0] !== "off") throw new UsageError("`paceline maintenance on|off`");
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socketOf(values),
    "POST",
    `/v1/maintenance?on=${positionals[0] === "on"}`,
  );
  console.log(body.message);
  return body.ok ? 0 : 1;
}

async function attribute(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== "set" && verb !== "delete")
    throw new UsageError("`paceline attribute` takes: set NAME VALUE, delete NAME");
  const { values, positionals } = parse(rest, {}, verb === "set" ? 2 : 1);
  const [name, value] = positionals;
  if (!name || (verb === "set" && value === undefined))
    throw new UsageError(verb === "set" ? "`paceline attribute set NAME VALUE`" : "`paceline attribute delete NAME`");
  const path = `/v1/attributes/${encodeURIComponent(name)}${verb === "set" ? `?value=${encodeURIComponent(value!)}` : ""}`;
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socketOf(values),
    verb === "set" ? "PUT" : "DELETE",
    path,
  );
  console.log(body.message);
  return body.ok ? 0 : 1;
}

async function arbiter(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: "string", short: "c" } });
  const file = values.config as string | undefined;
  if (!file)
    throw new UsageError(
      "which configuration? `paceline arbiter --config /etc/paceline/cluster.yaml` (the cluster's own file)",
    );
  const r = loadConfigFile(file);
  for (const p of r.problems) console.error(formatProblem(p));
  if (!r.config) {
    console.error(`paceline: not starting: ${file} has errors`);
    return 1;
  }
  const a = new ArbiterDaemon(r.config);
  try {
    await a.start();
  } catch (e) {
    console.error(`paceline: not starting: ${(e as Error).message}`);
    return 1;
  }
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => a.shutdown());
  return a.done;
}

const CONFIRM_WARNING = (
  node: string,
) => `WARNING: confirm only if ${node} is really powered off (or its cluster software and services are
certainly stopped). If it is still running, its services may now start on a second node and corrupt shared data.`;

/** Asks a person to confirm NODE is off (seed 000's meatware warning), unless --yes was given. */
async function askConfirm(target: string, yes: boolean): Promise<boolean> {
  console.log(CONFIRM_WARNING(target));
  if (yes) {
    console.log("--yes given: confirmed.");
    return true;
  }
  if (!process.stdin.isTTY) {
    console.log(`no terminal to ask on; run again with --yes once ${target} is off`);
    return false;
  }
  const rl = (await import("node:readline/promises")).createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`Is ${target} powered off? Type yes to confirm: `);
  rl.close();
  return answer.trim() === "yes";
}

async function fence(args: string[]): Promise<number> {
  if (args[0] === "confirm") {
    const { values, positionals } = parse(args.slice(1), { yes: { type: "boolean" } }, 1);
    const target = positionals[0];
    if (!target) throw new UsageError("`paceline fence confirm NODE [--yes]` (tells the cluster NODE is powered off)");
    if (!(await askConfirm(target, values.yes === true))) return 1;
    const { body } = await callDaemon<{ ok: boolean; message: string }>(
      socketOf(values),
      "POST",
      `/v1/fence/${encodeURIComponent(target)}/confirm`,
    );
    console.log(body.message);
    return body.ok ? 0 : 1;
  }
  if (args[0] === "history") {
    const { values } = parse(args.slice(1), {});
    const { body } = await callDaemon<MembershipStatus>(socketOf(values), "GET", "/v1/status");
    const h = body.fencing?.history ?? [];
    if (h.length === 0) console.log("no fencing has happened");
    for (const r of h)
      console.log(
        `${new Date(r.atSec * 1000).toISOString().replace("T", " ").slice(0, 19)}  ${r.target}  ${r.ok ? `fenced by ${r.by}` : `FAILED (${r.by}): ${r.reason}`}${r.ok ? ` — ${r.reason}` : ""}`,
      );
    return 0;
  }
  const { values, positionals } = parse(
    args,
    { config: { type: "string", short: "c" }, off: { type: "boolean" }, yes: { type: "boolean" } },
    1,
  );
  const node = positionals[0];
  const file = values.config as string | undefined;
  if (!node || !file)
    throw new UsageError("`paceline fence NODE --config cluster.yaml [--off] [--yes]` (fences NODE from this machine)");
  const r = loadConfigFile(file);
  for (const p of r.problems) console.error(formatProblem(p));
  if (!r.config) return 1;
  const confirm = (target: string) => askConfirm(target, values.yes === true);
  try {
    const done = await runFencing({
      config: r.config.fencing,
      target: node,
      action: values.off === true ? "off" : r.config.fencing.action, // (fencing.action: off makes --off the default)
      log: (level, text) =>
        console.log(
          `${new Date().toISOString().slice(11, 19)} ${level === "info" ? "" : `${level.toUpperCase()} `}${text}`,
        ),
      confirm,
    });
    console.log(`${node} is fenced (${done.by}).`);
    return 0;
  } catch (e) {
    console.error(`paceline fence: ${(e as Error).message}`);
    return 1;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "daemon":
        return await daemon(rest);
      case "status":
        return await status(rest);
      case "config":
        if (rest[0] === "validate") return await validate(rest.slice(1));
        if (rest[0] === "import") return importFiles(rest.slice(1));
        if (rest[0] === "export") return exportCib(rest.slice(1));
        if (rest[0] === "push") return await pushConfig(rest.slice(1));
        if (rest[0] === "show") return await showConfig(rest.slice(1));
        throw new UsageError(
          "`paceline config` takes: validate FILE, import FILE… [-o cluster.yaml], export --cib FILE [-o cib.xml], push FILE, show",
        );
      case "resource":
        return await resource(rest);
      case "node":
        return await nodeCommand(rest);
      case "maintenance":
        return await maintenance(rest);
      case "attribute":
        return await attribute(rest);
      case "pacemaker-tool": {
        const [tool, ...toolArgs] = rest;
        if (!PACEMAKER_TOOLS.includes(tool as PacemakerTool))
          throw new UsageError(`\`paceline pacemaker-tool\` takes one of ${PACEMAKER_TOOLS.join(", ")}`);
        return await runPacemakerTool(tool as PacemakerTool, toolArgs);
      }
      case "arbiter":
        return await arbiter(rest);
      case "fence":
        return await fence(rest);
      case "simulate": {
        const { values } = parse(rest, {
          cib: { type: "string" },
          config: { type: "string" },
          summary: { type: "boolean" },
          explain: { type: "string" },
          "node-fail": { type: "string", multiple: true },
          standby: { type: "string", multiple: true },
          "op-fail": { type: "string", multiple: true },
          attr: { type: "string", multiple: true },
          "set-attr": { type: "string", multiple: true },
        });
        const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
        try {
          console.log(
            simulate({
              cib: values.cib as string | undefined,
              config: values.config as string | undefined,
              summary: values.summary === true,
              explain: values.explain as string | undefined,
              nodeFail: list(values["node-fail"]),
              standby: list(values.standby),
              opFail: list(values["op-fail"]),
              attrs: list(values.attr),
              setAttrs: list(values["set-attr"]),
            }),
          );
        } catch (e) {
          console.error(`paceline simulate: ${(e as Error).message}`);
          return 1;
        }
        return 0;
      }
      case "demo": {
        const { values } = parse(rest, {
          keep: { type: "boolean" },
          single: { type: "boolean" },
          loopback: { type: "boolean" },
          example: { type: "string" },
        });
        if (values.example === "list") {
          console.log(`examples (paceline demo --example NAME, as root, from a built checkout):\n${listExamples()}`);
          return 0;
        }
        if (typeof values.example === "string")
          return await runExample(values.example, new URL("../../..", import.meta.url).pathname);
        if (values.single) return await runDemo(values.keep === true);
        return canRunClusterDemo() && !values.loopback
          ? await runClusterDemo(values.keep === true)
          : await runLoopbackDemo(values.keep === true);
      }
      case "keygen": {
        const { values } = parse(rest, { output: { type: "string", short: "o" } });
        const out = (values.output as string | undefined) ?? "/etc/paceline/authkey";
        try {
          writeClusterKey(out);
        } catch (e) {
          console.error(
            `paceline keygen: cannot write ${out}: ${(e as NodeJS.ErrnoException).code === "EEXIST" ? "it exists already (remove it first to replace the key)" : (e as Error).message}`,
          );
          return 1;
        }
        console.log(`wrote a new cluster key to ${out} (mode 600); copy it to every node`);
        return 0;
      }
      case "version":
      case "--version":
        console.log(VERSION);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command \`${cmd}\``);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`paceline: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof DaemonUnreachable) {
      console.error(`paceline: ${e.message}`);
      return 3;
    }
    throw e;
  }
}
