// The small process `paceline daemon` keeps in front of a cluster daemon (as systemd's Restart= would): it respawns
// the daemon when it dies, so a crash costs a restart, not a failover, and it keeps the lease's promise while no
// daemon runs: the lease keeper (core/node/keeper.ts) decides when this node's resources must be stopped here.

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { ClusterConfig } from "../config/model.js";
import { opTimeoutMs, primitivesOf } from "../config/model.js";
import { initKeeper, KEEPER_PARAMS, keeperStep, type KeeperEffect, type KeeperInput } from "../core/node/keeper.js";
import type { LeaseRecord } from "../core/controller/types.js";
import { CommandAgent, createAgent, type ProcessIdentity } from "../node/executor/index.js";
import { raiseOwnPriority } from "../node/priority.js";
import { isLeaseRecord, readJsonState } from "../node/store.js";
import { monotonicMs } from "./node-daemon.js";

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
    const saved = readJsonState(
      join(stateDir, "processes.json"),
      (v): v is { processes: Record<string, ProcessIdentity> } =>
        typeof (v as { processes?: unknown })?.processes === "object",
    );
    for (const p of primitivesOf(config).reverse()) {
      const agent = createAgent(p, { logDir: join(stateDir, "logs") });
      const ident = saved.kind === "ok" ? saved.value.processes[p.id] : undefined;
      if (agent instanceof CommandAgent && ident) agent.adopt(ident);
      const r = await agent.run({ action: "stop", timeoutMs: opTimeoutMs(p, "stop"), intervalMs: 0 });
      log(`${p.id}: ${r.rc === 0 ? "stopped" : `STOP FAILED: ${r.reason}`}`);
      if (agent instanceof CommandAgent) agent.dispose();
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/** When the daemon last recorded holding its quorum lease (the machine's monotonic clock), if ever. */
export function leaseRecord(stateDir: string): LeaseRecord | undefined {
  const r = readJsonState(join(stateDir, "lease.json"), isLeaseRecord);
  return r.kind === "ok" ? r.value : undefined;
}

export function superviseDaemon(o: SupervisorOptions): Promise<number> {
  // The keeper's stop must begin on time on a busy machine, like the daemon's heartbeats: the same raised priority
  // (the daemon it spawns inherits it; agents go back to the ordinary one).
  const priority = raiseOwnPriority();
  if (!priority.ok) o.log(priority.message);
  return new Promise((resolve) => {
    const p = KEEPER_PARAMS;
    const s = initKeeper(monotonicMs());
    let child: ChildProcess | undefined;
    let timer: NodeJS.Timeout | undefined;
    const feed = (input: KeeperInput) => {
      for (const e of keeperStep(p, s, input)) perform(e);
    };
    const perform = (e: KeeperEffect) => {
      switch (e.type) {
        case "spawn":
          return run();
        case "stop-all":
          return void stopAllHere(o.config, o.stateDir, o.log).then(() =>
            feed({ type: "stopped", nowMs: monotonicMs() }),
          );
        case "wake-at":
          clearTimeout(timer);
          timer = setTimeout(
            () => feed({ type: "lease", nowMs: monotonicMs(), lease: leaseRecord(o.stateDir) }),
            Math.min(Math.max(0, e.atMs - monotonicMs()), 100),
          );
          return;
        case "log":
          return o.log(e.text);
        case "exit":
          clearTimeout(timer);
          return resolve(e.code);
      }
    };
    const run = () => {
      child = spawn(o.command[0]!, o.command.slice(1), { stdio: "inherit" });
      feed({ type: "started", nowMs: monotonicMs() });
      child.once("exit", (code, signal) =>
        feed({
          type: "exited",
          nowMs: monotonicMs(),
          code,
          how: signal ? `was killed by ${signal}` : `exited with code ${code}`,
          lease: leaseRecord(o.stateDir),
        }),
      );
    };
    const forward = (sig: NodeJS.Signals) => {
      feed({ type: "signal", nowMs: monotonicMs() });
      child?.kill(sig);
    };
    process.on("SIGTERM", () => forward("SIGTERM"));
    process.on("SIGINT", () => forward("SIGINT"));
    run();
  });
}
