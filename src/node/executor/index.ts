// The executor: one AgentRunner per primitive, plus the checks `config validate` and the daemon run before starting.

import { existsSync } from "node:fs";
import type { ClusterConfig, PrimitiveConfig } from "../../config/model.js";
import { agentName, isNativeAwsEip, isNativeVip, primitivesOf } from "../../config/model.js";
import type { Problem } from "../../config/problems.js";
import { DEFAULT_AGENT_DIRS, HeartbeatAgent, LsbAgent, OcfAgent, type AgentDirs, type AgentRunner } from "./agents.js";
import { CommandAgent, ExecScriptAgent, type ChildExit } from "./exec-agent.js";
import { checkParams, parseMetadata, type AgentMetadata } from "./metadata.js";
import { runProcess } from "./run-process.js";
import { fenceAgentMetadata, fenceAgentPath, isExternalPlugin, isStonith2Plugin } from "./fence-agent.js";
import { SystemdAgent } from "./systemd-agent.js";
import { AwsEipAgent, preloadAwsSdk } from "./aws-eip-agent.js";
import { VipAgent } from "./vip-agent.js";

export { DEFAULT_AGENT_DIRS, type AgentDirs, type AgentRunner } from "./agents.js";
export { CommandAgent, type ChildExit, type ProcessIdentity } from "./exec-agent.js";

export interface ExecutorOptions {
  dirs?: AgentDirs;
  /** Where supervised commands write their output. */
  logDir: string;
  onChildExit?: (rscId: string, exit: ChildExit) => void;
}

/** Loads, before the daemon joins the cluster, the code its built-in agents need that would otherwise hold the
 * event loop at their first operation. */
export async function preloadAgentCode(config: ClusterConfig): Promise<void> {
  if (primitivesOf(config).some(isNativeAwsEip)) await preloadAwsSdk();
}

export function createAgent(rsc: PrimitiveConfig, opts: ExecutorOptions): AgentRunner {
  const dirs = opts.dirs ?? DEFAULT_AGENT_DIRS;
  if (isNativeVip(rsc)) return new VipAgent(rsc);
  if (isNativeAwsEip(rsc)) return new AwsEipAgent(rsc);
  switch (rsc.agent.class) {
    case "ocf":
      return new OcfAgent(rsc, dirs);
    case "lsb":
      return new LsbAgent(rsc, dirs);
    case "systemd":
      return new SystemdAgent(rsc);
    case "heartbeat":
      return new HeartbeatAgent(rsc, dirs);
    case "exec":
      if (rsc.exec?.command)
        return new CommandAgent(rsc, rsc.exec, opts.logDir, (exit) => opts.onChildExit?.(rsc.id, exit));
      return new ExecScriptAgent(rsc, rsc.exec!);
  }
}

const metadataCache = new Map<string, AgentMetadata | Error>();

export async function agentMetadata(
  rsc: PrimitiveConfig,
  dirs: AgentDirs = DEFAULT_AGENT_DIRS,
): Promise<AgentMetadata> {
  const agent = new OcfAgent(rsc, dirs);
  const where = agent.locate();
  if ("error" in where) throw new Error(where.error);
  const key = where.path;
  const cached = metadataCache.get(key);
  if (cached instanceof Error) throw cached;
  if (cached) return cached;
  const r = await runProcess({
    file: where.path,
    args: ["meta-data"],
    env: agent.metadataEnv(),
    timeoutMs: 10_000,
    tailBytes: 1 << 20,
  });
  let result: AgentMetadata | Error;
  if (r.spawnError || r.timedOut || r.exitCode !== 0)
    result = new Error(
      `${agentName(rsc.agent)} meta-data failed: ${r.spawnError ?? (r.timedOut ? "timed out" : `exit code ${r.exitCode}`)}`,
    );
  else {
    try {
      result = parseMetadata(r.stdout);
    } catch (e) {
      result = e as Error;
    }
  }
  metadataCache.set(key, result);
  if (result instanceof Error) throw result;
  return result;
}

/** Checks that every agent exists and can run, and that OCF parameters match the agent's meta-data. */
export async function checkAgents(
  config: ClusterConfig,
  file: string,
  dirs: AgentDirs = DEFAULT_AGENT_DIRS,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const pathOf = (r: PrimitiveConfig) => (r.group ? `resources.${r.group}.members.${r.id}` : `resources.${r.id}`);
  await Promise.all(
    primitivesOf(config).map(async (rsc) => {
      const runner = createAgent(rsc, { dirs, logDir: "/nonexistent" });
      const where = runner.locate();
      if ("error" in where) {
        problems.push({ file, path: `${pathOf(rsc)}.agent`, message: where.error, severity: "error" });
        return;
      }
      if (rsc.agent.class !== "ocf" || isNativeVip(rsc) || isNativeAwsEip(rsc)) return;
      try {
        const meta = await agentMetadata(rsc, dirs);
        for (const p of checkParams(meta, rsc.params))
          problems.push({ file, path: `${pathOf(rsc)}.params.${p.param}`, message: p.message, severity: "error" });
      } catch (e) {
        problems.push({ file, path: `${pathOf(rsc)}.agent`, message: (e as Error).message, severity: "error" });
      }
    }),
  );
  await Promise.all(
    config.fencing.devices
      .filter((d) => d.agent !== "manual" && d.agent !== "guard")
      .map(async (d) => {
        const path = `fencing.devices.${d.name}`;
        let program: string;
        try {
          program = fenceAgentPath(d.agent);
        } catch (e) {
          problems.push({ file, path: `${path}.agent`, message: (e as Error).message, severity: "error" });
          return;
        }
        if (!existsSync(program)) {
          problems.push({
            file,
            path: `${path}.agent`,
            message: `fence agent ${d.agent} is not installed here (${program}; Debian: apt install fence-agents)`,
            severity: "error",
          });
          return;
        }
        try {
          const meta = await fenceAgentMetadata(d.agent);
          // What Paceline itself supplies: the action, the plug from the host map, the password from its file/env.
          const external = isExternalPlugin(d.agent);
          const glue = external || isStonith2Plugin(d.agent);
          const given = {
            ...d.params,
            ...(glue ? {} : { action: "-" }),
            ...(d.password ? { [external ? "passwd" : "password"]: "-" } : {}),
            ...(!glue && Object.values(d.targets).some(Boolean) ? { plug: "-" } : {}),
          };
          for (const p of checkParams(meta, given))
            problems.push({ file, path: `${path}.params.${p.param}`, message: p.message, severity: "error" });
        } catch (e) {
          problems.push({ file, path: `${path}.agent`, message: (e as Error).message, severity: "error" });
        }
      }),
  );
  return problems;
}
