// Runs a fence agent from Debian's fence-agents (fence_ipmilan, fence_virsh, …) the way they expect: options as
// key=value lines on stdin (never on the command line, where `ps` would show a password), `action=` one of
// reboot/off/on/status/monitor/metadata. Exit 0 = done (status: on), 2 = status off, anything else = failure.
// Secret values are removed from everything this returns, so they never reach logs or status.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseMetadata, type AgentMetadata } from "./metadata.js";
import { runProcess, type RunResult } from "./run-process.js";

export const FENCE_AGENT_DIR = "/usr/sbin";
/** cluster-glue `external/NAME` plugins (seed 000's external/libvirt, external/ipmi, …). */
export const EXTERNAL_PLUGIN_DIR = "/usr/lib/stonith/plugins";

export interface FenceAgentSpec {
  /** fence_NAME (looked up in /usr/sbin), external/NAME (a cluster-glue plugin) or an absolute path. */
  agent: string;
  /** The node to fence: cluster-glue plugins take it as an argument (fence-agents take `plug`). */
  target?: string;
  /** Where cluster-glue plugins live (default /usr/lib/stonith/plugins). */
  pluginDir?: string;
  params: Record<string, string>;
  /** Parameter names whose values are secret (passwords): passed on stdin, redacted everywhere else. */
  secret?: string[];
  timeoutMs: number;
}

export type FenceAction = "reboot" | "off" | "on" | "status" | "monitor";

export interface FenceAgentResult {
  ok: boolean;
  /** For status: the power state the agent reported. */
  power?: "on" | "off";
  /** One plain sentence: what happened (secrets removed). */
  reason: string;
  durationMs: number;
}

export const isExternalPlugin = (agent: string) => /^external\/[A-Za-z0-9_.-]+$/.test(agent);
/** cluster-glue's compiled plugins (`stonith2/apcsmart`, …): run through its `stonith` command. */
export const isStonith2Plugin = (agent: string) => /^stonith2\/[A-Za-z0-9_]+$/.test(agent);
export const STONITH_CMD = "/usr/sbin/stonith";

export function fenceAgentPath(agent: string, pluginDir = EXTERNAL_PLUGIN_DIR): string {
  if (agent.startsWith("/")) return agent;
  if (isExternalPlugin(agent)) return `${pluginDir}/${agent}`;
  if (isStonith2Plugin(agent)) return `${pluginDir}/${agent}.so`;
  if (!/^fence_[A-Za-z0-9_-]+$/.test(agent)) {
    const compiled = /^[A-Za-z0-9_]+$/.test(agent) && existsSync(`${pluginDir}/stonith2/${agent}.so`);
    throw new Error(
      `\`${agent}\` is not a fence agent name (fence_ipmilan, fence_virsh, …)${compiled ? `; cluster-glue's ${agent} plugin is written stonith2/${agent}` : ""}`,
    );
  }
  return `${FENCE_AGENT_DIR}/${agent}`;
}

/** A stonith2 plugin's option names, in the order its `stonith -F` file takes their values. */
async function stonith2Options(agent: string, timeoutMs: number): Promise<string[]> {
  const r = await runProcess({ file: STONITH_CMD, args: ["-t", agent.slice("stonith2/".length), "-n"], timeoutMs });
  if (r.exitCode !== 0)
    throw new Error(
      `${agent} did not list its options (${r.spawnError ?? (r.timedOut ? "timed out" : `exit ${r.exitCode}`)})`,
    );
  return r.stdout.split(/\s+/).filter(Boolean);
}

/** A stonith2 plugin through cluster-glue's `stonith` command: options as name=value arguments, or — when one is
 * secret — as a private file (`-F`, values in the plugin's order), so that no password shows in `ps`. */
async function runStonith2(
  spec: FenceAgentSpec,
  action: FenceAction,
  redact: (t: string) => string,
): Promise<FenceAgentResult> {
  const host = spec.params.plug ?? spec.target;
  const options = Object.fromEntries(Object.entries(spec.params).filter(([k]) => k !== "plug"));
  const command = action === "reboot" ? "reset" : action;
  const status = action === "status" || action === "monitor";
  if (!status && !host) return { ok: false, reason: `${spec.agent} needs the node to fence`, durationMs: 0 };
  let file: string | undefined;
  try {
    let optionArgs: string[];
    if ((spec.secret ?? []).some((k) => k in options)) {
      const order = await stonith2Options(spec.agent, spec.timeoutMs);
      const values = order.map((k) => options[k] ?? "");
      const spaced = order.slice(0, -1).find((k) => /\s/.test(options[k] ?? ""));
      if (spaced)
        return {
          ok: false,
          reason: `${spec.agent}: ${spaced} contains white space (not before its last option)`,
          durationMs: 0,
        };
      file = join(mkdtempSync(join(tmpdir(), "paceline-stonith-")), "options");
      writeFileSync(file, values.join(" ") + "\n", { mode: 0o600 });
      optionArgs = ["-F", file];
    } else optionArgs = Object.entries(options).map(([k, v]) => `${k}=${v}`);
    const r = await runProcess({
      file: STONITH_CMD,
      args: ["-t", spec.agent.slice("stonith2/".length), ...optionArgs, ...(status ? ["-S"] : ["-T", command, host!])],
      env: pluginEnv(spec.agent, {}),
      timeoutMs: spec.timeoutMs,
      reapGroup: true,
    });
    return outcome(spec, r, status ? "the device answers" : `${command} done`, redact);
  } catch (e) {
    return { ok: false, reason: redact((e as Error).message), durationMs: 0 };
  } finally {
    if (file) rmSync(dirname(file), { recursive: true, force: true });
  }
}

/** Masks every secret in a text that may have been cut at either end (an output tail, a shortened line): whole
 * occurrences, and the part of one left at a cut edge (a secret's end at the start, its beginning at the end). */
export function maskSecrets(text: string, secrets: string[]): string {
  let t = secrets.reduce((acc, v) => acc.split(v).join("******"), text);
  for (const v of secrets)
    for (let k = v.length - 1; k >= 1; k--) {
      if (t.startsWith(v.slice(-k))) t = `******${t.slice(k)}`;
      if (t.endsWith(v.slice(0, k))) t = `${t.slice(0, t.length - k)}******`;
    }
  return t;
}

function redactor(spec: FenceAgentSpec): (text: string) => string {
  const secrets = (spec.secret ?? []).map((k) => spec.params[k]).filter((v): v is string => !!v);
  return (text) => maskSecrets(text, secrets);
}

/** The agent's own words on failure: its last meaningful stderr line (Python's deprecation chatter skipped), secrets
 * masked before the output's tail and before the line are cut, and after. */
function lastWords(output: string, redact: (t: string) => string): string {
  const lines = redact(output)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/DeprecationWarning|^from pipes import/.test(l));
  return redact((lines.at(-1) ?? "").replace(/^(\d{4}-\d\d-\d\d [\d:,]+ )?(ERROR|WARNING): /, "").slice(0, 300));
}

const AGENT_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" };
/** Where cluster-glue keeps the helpers its plugins call: in their PATH, as its stonith(8) command puts it. */
export const GLUE_HELPERS_DIR = "/usr/share/cluster-glue";
/** Paceline's ha_log.sh, found before cluster-glue's: a plugin's log lines go to its stderr, where a failure's
 * reason is read, instead of a logging daemon or syslog that may not be there. */
const LOG_SHIM_DIR = fileURLToPath(new URL("../../../../bin/cluster-glue", import.meta.url));

/** A cluster-glue plugin's environment, as its own `stonith` command gives it: the helpers in PATH, the log tag,
 * its options as variables. */
function pluginEnv(agent: string, params: Record<string, string>) {
  return { ...AGENT_ENV, PATH: `${LOG_SHIM_DIR}:${GLUE_HELPERS_DIR}:${AGENT_ENV.PATH}`, HA_LOGTAG: agent, ...params };
}

/** One run's outcome as a result; `done` says what exit 0 means for this action. */
function outcome(
  spec: FenceAgentSpec,
  r: RunResult,
  done: string,
  redact: (t: string) => string,
  special?: FenceAgentResult,
): FenceAgentResult {
  const durationMs = Math.round(r.durationMs);
  if (r.spawnError) return { ok: false, reason: redact(`could not run ${spec.agent}: ${r.spawnError}`), durationMs };
  if (r.timedOut)
    return { ok: false, reason: `${spec.agent} did not finish within ${spec.timeoutMs} ms (killed)`, durationMs };
  if (special) return { ...special, durationMs };
  if (r.exitCode === 0) return { ok: true, reason: done, durationMs };
  const words = lastWords(r.stderr, redact) || lastWords(r.stdout, redact);
  return { ok: false, reason: redact(`exit ${r.exitCode ?? r.signal}${words ? `: ${words}` : ""}`), durationMs };
}

export async function runFenceAgent(spec: FenceAgentSpec, action: FenceAction): Promise<FenceAgentResult> {
  const redact = redactor(spec);
  const bad = Object.entries(spec.params).find(([k, v]) => /[\n=]/.test(k) || v.includes("\n"));
  if (bad)
    return { ok: false, reason: `parameter ${bad[0]} contains a newline or '=' in its name; not run`, durationMs: 0 };
  if (isStonith2Plugin(spec.agent)) return runStonith2(spec, action, redact);
  if (isExternalPlugin(spec.agent)) {
    // cluster-glue's convention: `plugin COMMAND [HOST]`, options as environment variables, exit 0 = done.
    const command = action === "reboot" ? "reset" : action === "monitor" ? "status" : action;
    const host = spec.params.plug ?? spec.target;
    if (command !== "status" && !host)
      return { ok: false, reason: `${spec.agent} needs the node to fence`, durationMs: 0 };
    const r = await runProcess({
      file: fenceAgentPath(spec.agent, spec.pluginDir),
      args: command === "status" ? [command] : [command, host!],
      env: pluginEnv(spec.agent, spec.params),
      timeoutMs: spec.timeoutMs,
      reapGroup: true,
    });
    return outcome(spec, r, `${command} done`, redact);
  }
  const stdin = [`action=${action}`, ...Object.entries(spec.params).map(([k, v]) => `${k}=${v}`)].join("\n") + "\n";
  const r = await runProcess({
    file: fenceAgentPath(spec.agent),
    args: [],
    stdin,
    timeoutMs: spec.timeoutMs,
    env: AGENT_ENV,
    reapGroup: true,
  });
  const power =
    action === "status" && (r.exitCode === 0 || r.exitCode === 2) ? (r.exitCode === 0 ? "on" : "off") : undefined;
  return outcome(
    spec,
    r,
    `${action} done`,
    redact,
    power ? { ok: true, power, reason: `power is ${power}`, durationMs: 0 } : undefined,
  );
}

export async function fenceAgentMetadata(agent: string, timeoutMs = 10_000): Promise<AgentMetadata> {
  if (isStonith2Plugin(agent))
    return {
      name: agent,
      parameters: (await stonith2Options(agent, timeoutMs)).map((name) => ({ name, required: false, unique: false })),
      actions: [],
    };
  if (isExternalPlugin(agent)) {
    // cluster-glue plugins list their option names; none is marked required in a way we can rely on.
    const r = await runProcess({
      file: fenceAgentPath(agent),
      args: ["getconfignames"],
      env: pluginEnv(agent, {}),
      timeoutMs,
    });
    if (r.exitCode !== 0)
      throw new Error(
        `${agent} did not list its options (${r.spawnError ?? (r.timedOut ? "timed out" : `exit ${r.exitCode}`)})`,
      );
    return {
      name: agent,
      parameters: r.stdout
        .split(/\s+/)
        .filter(Boolean)
        .map((name) => ({ name, required: false, unique: false })),
      actions: [],
    };
  }
  const r = await runProcess({
    file: fenceAgentPath(agent),
    args: [],
    stdin: "action=metadata\n",
    timeoutMs,
    tailBytes: 1 << 20,
  });
  if (r.exitCode !== 0 || !r.stdout.includes("<resource-agent"))
    throw new Error(`${agent} gave no metadata (${r.spawnError ?? (r.timedOut ? "timed out" : `exit ${r.exitCode}`)})`);
  return parseMetadata(r.stdout);
}
