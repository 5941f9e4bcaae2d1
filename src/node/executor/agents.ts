// Resource agent classes behind one interface: OCF, LSB, Heartbeat v1 resource.d scripts and exec scripts.
// Each maps its own conventions (arguments, environment, exit codes) onto OCF results.

import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CloneConfig, PrimitiveConfig } from "../../config/model.js";
import { formatDuration } from "../../config/duration.js";
import { isRoleAction, type OpAction, type OpResult } from "../../core/operation.js";
import { OCF, ocfMeaning } from "./ocf-codes.js";
import { runProcess, type RunResult, type RunSpec } from "./run-process.js";

export interface AgentDirs {
  ocfRoot: string;
  lsbDir: string;
  heartbeatDirs: string[];
}

/** Where Paceline's own OCF agents are (the package's ocf/ folder). */
export const BUNDLED_OCF_ROOT = fileURLToPath(new URL("../../../../ocf", import.meta.url));

export const DEFAULT_AGENT_DIRS: AgentDirs = {
  ocfRoot: process.env.OCF_ROOT ?? "/usr/lib/ocf",
  lsbDir: "/etc/init.d",
  // HA_DIR: Heartbeat's own name for its configuration directory (its scripts read it the same way).
  heartbeatDirs: [`${process.env.HA_DIR ?? "/etc/ha.d"}/resource.d`, "/etc/init.d"],
};

export interface OpRequest {
  action: OpAction;
  timeoutMs: number;
  intervalMs: number;
  /** A clone notification's OCF_RESKEY_CRM_meta_notify_* variables. */
  env?: Record<string, string>;
}

/** A built-in agent's result, timed from this call. */
export function timedResult(): (rc: number, reason: string) => OpResult {
  const t0 = performance.now();
  return (rc, reason) => ({ rc, status: "done", reason, durationMs: Math.round(performance.now() - t0) });
}

/** What a built-in agent (no roles, no notifications) answers before looking at its action: a notification needs
 * nothing, a promote/demote is not one of its actions. */
export function builtInPrelude(
  req: OpRequest,
  what: string,
  done: (rc: number, reason: string) => OpResult,
): OpResult | undefined {
  if (req.action === "notify") return notifyNotNeeded();
  if (isRoleAction(req.action)) return done(OCF.ERR_UNIMPLEMENTED, `${req.action} is not an action of ${what}`);
  return undefined;
}

/** A notification to an agent class that has none: nothing to tell it. */
export const notifyNotNeeded = (): OpResult => ({
  rc: OCF.SUCCESS,
  status: "done",
  reason: "this agent class takes no notifications",
  durationMs: 0,
});

export interface AgentRunner {
  /** The program that implements this resource, or an error saying why there is none. */
  locate(): { path: string } | { error: string };
  run(req: OpRequest): Promise<OpResult>;
}

const BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Paceline's stand-ins for Pacemaker's crm_attribute, crm_master and attrd_updater (bin/pacemaker-tools). */
export const PACEMAKER_TOOLS_DIR = fileURLToPath(new URL("../../../../bin/pacemaker-tools", import.meta.url));

/** What every agent gets: a PATH, the C locale, and the daemon's own HA_* variables (HA_RSCTMP, HA_BIN, HA_debug…
 * set where it is started, as Pacemaker passes /etc/default/pacemaker's on to its agents). Under a cluster daemon
 * (PACELINE_SOCKET set) the attribute tools agents call answer through it: first in PATH, and HA_SBIN_DIR. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const ha = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("HA_")));
  const daemon = process.env.PACELINE_SOCKET
    ? {
        PACELINE_SOCKET: process.env.PACELINE_SOCKET,
        PACELINE_NODE: process.env.PACELINE_NODE ?? "",
        HA_SBIN_DIR: ha.HA_SBIN_DIR ?? PACEMAKER_TOOLS_DIR,
      }
    : {};
  const path = process.env.PATH ? `${process.env.PATH}:${BASE_PATH}` : BASE_PATH;
  return {
    ...ha,
    ...daemon,
    PATH: process.env.PACELINE_SOCKET ? `${PACEMAKER_TOOLS_DIR}:${path}` : path,
    LANG: "C",
    LC_ALL: "C",
    ...extra,
  };
}

/** Actions after which nothing the agent started may still run (a start, a promotion may leave the service). */
export const leavesNothing = (action: string) => action === "monitor" || action === "probe" || action === "stop";

export function checkExecutable(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a file`;
  } catch {
    return `${path} does not exist`;
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return `${path} is not executable (chmod +x ${path})`;
  }
  return undefined;
}

const lastLines = (r: RunResult): string => {
  const text = [r.stderr, r.stdout]
    .filter((s) => s.trim() !== "")
    .join("\n")
    .trim();
  return text.split("\n").slice(-8).join("\n");
};

/** Turns a finished process into an OpResult, given how this class maps exit codes. */
export function toOpResult(r: RunResult, timeoutMs: number, mapRc: (code: number) => number): OpResult {
  const output = lastLines(r) || undefined;
  if (r.spawnError)
    return {
      rc: OCF.ERR_INSTALLED,
      status: "error",
      reason: `cannot run the agent: ${r.spawnError}`,
      durationMs: r.durationMs,
      output,
    };
  if (r.timedOut)
    return {
      rc: OCF.ERR_GENERIC,
      status: "timeout",
      reason: `timed out after ${formatDuration(timeoutMs)}`,
      durationMs: r.durationMs,
      output,
    };
  if (r.exitCode === null)
    return { rc: OCF.ERR_GENERIC, status: "error", reason: `killed by ${r.signal}`, durationMs: r.durationMs, output };
  const rc = mapRc(r.exitCode);
  const reason = rc === r.exitCode ? ocfMeaning(rc) : `${ocfMeaning(rc)} (exit code ${r.exitCode})`;
  return { rc, status: "done", reason, durationMs: r.durationMs, output };
}

const ocfExit = (code: number): number => (code >= 0 && code <= 9 ? code : OCF.ERR_GENERIC);

abstract class ScriptAgent implements AgentRunner {
  abstract locate(): { path: string } | { error: string };
  protected abstract spec(path: string, req: OpRequest): Omit<RunSpec, "timeoutMs">;
  protected abstract mapRc(action: OpAction, code: number): number;

  /** Only OCF agents have roles to promote and demote. */
  protected readonly hasRoles: boolean = false;

  async run(req: OpRequest): Promise<OpResult> {
    if (req.action === "notify" && !this.hasRoles) return notifyNotNeeded();
    if (isRoleAction(req.action) && !this.hasRoles)
      return {
        rc: OCF.ERR_UNIMPLEMENTED,
        status: "done",
        reason: `${req.action} is not implemented by this agent class`,
        durationMs: 0,
      };
    const where = this.locate();
    if ("error" in where) return { rc: OCF.ERR_INSTALLED, status: "error", reason: where.error, durationMs: 0 };
    const r = await runProcess({
      ...this.spec(where.path, req),
      timeoutMs: req.timeoutMs,
      reapGroup: leavesNothing(req.action),
    });
    const result = toOpResult(r, req.timeoutMs, (code) => this.mapRc(req.action, code));
    if (r.exitCode !== null && r.exitCode > 9 && !r.timedOut)
      result.reason = `unknown exit code ${r.exitCode} (treated as generic error)`;
    return result;
  }
}

/** What Pacemaker tells the agent of a cloned resource about its clone (DRBD reads clone_max, notify…). */
function cloneEnv(c: CloneConfig | undefined): Record<string, string> {
  if (!c) return {};
  const env: Record<string, string> = {
    OCF_RESKEY_CRM_meta_clone_max: String(c.max),
    OCF_RESKEY_CRM_meta_clone_node_max: String(c.perNode),
    OCF_RESKEY_CRM_meta_globally_unique: String(c.globallyUnique),
    OCF_RESKEY_CRM_meta_notify: String(c.notify),
  };
  if (c.promotable) {
    // Both names: agents written before Pacemaker 2.1 read master_*.
    for (const [k, v] of [
      ["promoted_max", c.promotable.max],
      ["promoted_node_max", c.promotable.perNode],
      ["master_max", c.promotable.max],
      ["master_node_max", c.promotable.perNode],
    ] as const)
      env[`OCF_RESKEY_CRM_meta_${k}`] = String(v);
  }
  return env;
}

export class OcfAgent extends ScriptAgent {
  protected override readonly hasRoles = true;
  constructor(
    private readonly rsc: PrimitiveConfig,
    private readonly dirs: AgentDirs,
  ) {
    super();
  }

  locate(): { path: string } | { error: string } {
    if (this.rsc.agent.class !== "ocf") throw new Error("not an OCF resource");
    // Paceline's own shell agents (ocf:paceline:diskd) ship with it, in its ocf/ folder.
    const root = this.rsc.agent.provider === "paceline" ? BUNDLED_OCF_ROOT : this.dirs.ocfRoot;
    const path = join(root, "resource.d", this.rsc.agent.provider, this.rsc.agent.type);
    const problem = checkExecutable(path);
    return problem
      ? { error: `OCF agent ocf:${this.rsc.agent.provider}:${this.rsc.agent.type} not found: ${problem}` }
      : { path };
  }

  /** What an agent is told about itself, for any call. */
  private ocfEnv(): Record<string, string> {
    const a = this.rsc.agent as { provider: string; type: string };
    return {
      OCF_ROOT: this.dirs.ocfRoot,
      OCF_FUNCTIONS_DIR: join(this.dirs.ocfRoot, "lib", "heartbeat"),
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "1",
      OCF_RESOURCE_TYPE: a.type,
      OCF_RESOURCE_PROVIDER: a.provider,
    };
  }

  /** Environment for meta-data: no instance, no parameters (as Pacemaker asks it): an agent that validates what it
   * is given (exportfs) would otherwise fail, and the answer is kept for every resource of that agent. */
  metadataEnv(): NodeJS.ProcessEnv {
    return baseEnv(this.ocfEnv());
  }

  /** Environment for an action on this resource. */
  env(req: { timeoutMs: number; intervalMs: number }): NodeJS.ProcessEnv {
    const env: Record<string, string> = {
      ...this.ocfEnv(),
      OCF_RESOURCE_INSTANCE: this.rsc.id,
      OCF_RESKEY_CRM_meta_timeout: String(req.timeoutMs),
      OCF_RESKEY_CRM_meta_interval: String(req.intervalMs),
      HA_LOGTAG: `paceline-${this.rsc.id}`,
    };
    for (const [k, v] of Object.entries(this.rsc.params)) env[`OCF_RESKEY_${k}`] = v;
    Object.assign(env, cloneEnv(this.rsc.clone));
    return baseEnv(env);
  }

  protected spec(path: string, req: OpRequest) {
    return {
      file: path,
      args: [req.action === "probe" ? "monitor" : req.action],
      env: { ...this.env(req), ...(req.env ?? {}) },
    };
  }
  protected mapRc(_action: OpAction, code: number): number {
    return ocfExit(code);
  }
}

export class LsbAgent extends ScriptAgent {
  constructor(
    private readonly rsc: PrimitiveConfig,
    private readonly dirs: AgentDirs,
  ) {
    super();
  }
  locate(): { path: string } | { error: string } {
    const path = join(this.dirs.lsbDir, (this.rsc.agent as { type: string }).type);
    const problem = checkExecutable(path);
    return problem ? { error: `LSB init script not found: ${problem}` } : { path };
  }
  protected spec(path: string, req: OpRequest) {
    return {
      file: path,
      args: [req.action === "monitor" || req.action === "probe" ? "status" : req.action],
      env: baseEnv(),
    };
  }
  protected mapRc(action: OpAction, code: number): number {
    if (action === "monitor" || action === "probe") {
      // LSB status: 0 running; 1 dead but pid file exists; 2 dead but lock file exists; 3 not running; 4 unknown.
      if (code === 0) return OCF.SUCCESS;
      if (code >= 1 && code <= 3) return OCF.NOT_RUNNING;
      return OCF.ERR_GENERIC;
    }
    // LSB start/stop exit codes 1–7 share their meaning with OCF.
    return code >= 0 && code <= 7 ? code : OCF.ERR_GENERIC;
  }
}

/** Heartbeat v1 resource scripts: `script arg1 arg2 … start|stop|status` (haresources `name::arg1::arg2`). */
export class HeartbeatAgent extends ScriptAgent {
  constructor(
    private readonly rsc: PrimitiveConfig,
    private readonly dirs: AgentDirs,
  ) {
    super();
  }
  locate(): { path: string } | { error: string } {
    const name = (this.rsc.agent as { type: string }).type;
    for (const dir of this.dirs.heartbeatDirs) {
      const path = join(dir, name);
      if (!checkExecutable(path)) return { path };
    }
    return { error: `Heartbeat resource script \`${name}\` not found in ${this.dirs.heartbeatDirs.join(" or ")}` };
  }
  protected spec(path: string, req: OpRequest) {
    const action = req.action === "monitor" || req.action === "probe" ? "status" : req.action;
    return { file: path, args: [...this.rsc.args, action], env: baseEnv() };
  }
  protected mapRc(action: OpAction, code: number): number {
    return action === "monitor" || action === "probe"
      ? code === 0
        ? OCF.SUCCESS
        : OCF.NOT_RUNNING
      : code === 0
        ? OCF.SUCCESS
        : OCF.ERR_GENERIC;
  }
  override async run(req: OpRequest): Promise<OpResult> {
    const r = await super.run(req);
    // v1 status scripts often exit 0 and print "stopped"; "running" or "OK" means running.
    if (
      (req.action === "monitor" || req.action === "probe") &&
      r.status === "done" &&
      r.rc === OCF.SUCCESS &&
      r.output &&
      !/running|\bok\b/i.test(r.output) &&
      /stop/i.test(r.output)
    ) {
      return { ...r, rc: OCF.NOT_RUNNING, reason: "not running (status said stopped)" };
    }
    return r;
  }
}

/** A command line or a script path: a bare existing path runs directly, anything else through /bin/sh -c. */
export function commandSpec(command: string): { file: string; args: string[] } {
  return /\s/.test(command.trim()) ? { file: "/bin/sh", args: ["-c", command] } : { file: command.trim(), args: [] };
}
