// The small process `paceline daemon` keeps in front of a cluster daemon (as systemd's Restart= would): it
// respawns the daemon when it dies, so a crash costs a restart, not a failover (the new daemon finds its resources
// running and rejoins under the same lease). If the daemon keeps dying, it stops this node's resources itself —
// the majority will start them elsewhere once this node's lease has run out — and gives up.

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { ClusterConfig } from "../config/model.js";
import { opOf, primitivesOf } from "../config/model.js";
import { CommandAgent, createAgent, type ProcessIdentity } from "../node/executor/index.js";
import { readJsonState } from "../node/store.js";

/** Dying this soon after a restart means the daemon is not staying up. */
const UNSTABLE_MS = 10_000;
const GIVE_UP_AFTER = 5;

export interface SupervisorOptions {
  config: ClusterConfig;
  stateDir: string;
  /** The command that runs the daemon itself (this program with --no-supervise). */
  command: string[];
  log: (text: string) => void;
}

/** Stops every resource of this node, last first (group members in reverse), with the agents' own stop. */
export async function stopAllHere(config: ClusterConfig, stateDir: string, log: (text: string) => void): Promise<void> {
  // The agents wait on unref'd timers (a daemon has other work keeping it alive; this process has none).
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await stopEach(config, stateDir, log);
  } finally {
    clearInterval(keepAlive);
  }
}

async function stopEach(config: ClusterConfig, stateDir: string, log: (text: string) => void): Promise<void> {
  const saved = readJsonState(join(stateDir, "processes.json"), (v): v is { processes: Record<string, ProcessIdentity> } => typeof (v as { processes?: unknown })?.processes === "object");
  for (const p of primitivesOf(config).reverse()) {
    const agent = createAgent(p, { logDir: join(stateDir, "logs") });
    const ident = saved.kind === "ok" ? saved.value.processes[p.id] : undefined;
    if (agent instanceof CommandAgent && ident) agent.adopt(ident);
    const r = await agent.run({ action: "stop", timeoutMs: opOf(p, "stop")?.timeoutMs ?? 20_000, intervalMs: 0 });
    log(`${p.id}: ${r.rc === 0 ? "stopped" : `STOP FAILED: ${r.reason}`}`);
    if (agent instanceof CommandAgent) agent.dispose();
  }
}

export function superviseDaemon(o: SupervisorOptions): Promise<number> {
  return new Promise((resolve) => {
    let child: ChildProcess | undefined;
    let stopping = false;
    let lastRestartMs = -Infinity;
    let quickDeaths = 0;
    const run = () => {
      child = spawn(o.command[0]!, o.command.slice(1), { stdio: "inherit" });
      child.once("exit", (code, signal) => void died(code, signal));
    };
    const died = async (code: number | null, signal: NodeJS.Signals | null) => {
      if (stopping || code === 0) return resolve(code ?? 0);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const unstable = Date.now() - lastRestartMs < UNSTABLE_MS;
      quickDeaths = unstable ? quickDeaths + 1 : 0;
      if (quickDeaths >= GIVE_UP_AFTER) {
        o.log(`the daemon ${how}, ${quickDeaths} times in a row within ${UNSTABLE_MS / 1000} s of starting: stopping this node's resources and giving up`);
        await stopAllHere(o.config, o.stateDir, o.log);
        return resolve(1);
      }
      if (unstable) {
        // It is not staying up: it may not make it back before its lease runs out, so nothing may run here meanwhile.
        o.log(`the daemon ${how} again soon after starting: stopping this node's resources before restarting it`);
        await stopAllHere(o.config, o.stateDir, o.log);
      } else o.log(`the daemon ${how}: restarting it at once (it finds its resources running and keeps them if it rejoins in time)`);
      lastRestartMs = Date.now();
      if (!stopping) run();
      else resolve(1);
    };
    const forward = (sig: NodeJS.Signals) => { stopping = true; child?.kill(sig); };
    process.on("SIGTERM", () => forward("SIGTERM"));
    process.on("SIGINT", () => forward("SIGINT"));
    run();
  });
}
