// `paceline fence NODE --config F` from a shell: the same fencing run the daemon's node core drives
// (core/fencing/run.ts), carried out here with real fence agents, the real clock, and a person at the terminal
// for a manual level. Also the one place that turns a device's configuration into an agent invocation.

import { readFileSync, statSync } from "node:fs";
import type { FenceDeviceConfig, FencingConfig } from "../config/model.js";
import {
  beginFenceRun,
  fencePlan,
  fenceRunWakeMs,
  stepFenceRun,
  type FenceRunInput,
  type FenceRunOutput,
} from "../core/fencing/run.js";
import { isExternalPlugin, runFenceAgent, type FenceAgentSpec } from "../node/executor/fence-agent.js";
import { pingOnce } from "../agents/checks.js";

/** The agent invocation for a device and target: the plug from the host map, the password from its file or env. */
export function agentSpec(d: FenceDeviceConfig, target: string): FenceAgentSpec {
  const plug = d.targets[target];
  const params: Record<string, string> = plug ? { ...d.params, plug } : { ...d.params };
  let password: string | undefined;
  if (d.password && "file" in d.password) {
    const st = statSync(d.password.file);
    if ((st.mode & 0o077) !== 0)
      throw new Error(
        `password file ${d.password.file} of ${d.name} is readable by group or others; run chmod 600 ${d.password.file}`,
      );
    password = readFileSync(d.password.file, "utf8").replace(/\r?\n$/, "");
  } else if (d.password && "env" in d.password) {
    password = process.env[d.password.env];
    if (password === undefined)
      throw new Error(`${d.name}: the environment variable ${d.password.env} (its password) is not set`);
  }
  // cluster-glue plugins name the password option `passwd`.
  const passwordKey = isExternalPlugin(d.agent) ? "passwd" : "password";
  return {
    agent: d.agent,
    target,
    params: password !== undefined ? { ...params, [passwordKey]: password } : params,
    secret: [passwordKey],
    timeoutMs: d.timeoutMs,
  };
}

/** The fencing run's deadline decides when a device has not answered (the core's timer); the shell kills the agent
 * only a while later, so a busy machine firing the kill first cannot change what the run reports. */
export const AGENT_KILL_AFTER_DEADLINE_MS = 2000;

/** The agent to run for one attempt, with the kill put behind the run's deadline. */
export function attemptSpec(d: FenceDeviceConfig, target: string): FenceAgentSpec {
  const spec = agentSpec(d, target);
  return { ...spec, timeoutMs: spec.timeoutMs + AGENT_KILL_AFTER_DEADLINE_MS };
}

/** Pings each address (three tries): the guard device's look at its target. */
export async function guardPings(addresses: string[], timeoutMs: number): Promise<string[]> {
  const tries = 3;
  const answered: string[] = [];
  await Promise.all(
    addresses.map(async (a) => {
      for (let i = 0; i < tries; i++)
        if ((await pingOnce(a, Math.min(1000, Math.floor(timeoutMs / (tries + 1))))).answered) {
          answered.push(a);
          return;
        }
    }),
  );
  return answered;
}

export interface FenceRunOptions {
  config: FencingConfig;
  target: string;
  action: "reboot" | "off";
  log: (level: string, text: string) => void;
  /** Asked when a manual device is reached: resolve true once a person confirms the node is off. */
  confirm: (target: string) => Promise<boolean>;
}

/** Fences one node from a shell (no cluster state: the guard assumes the target may run something). */
export function runFencing(o: FenceRunOptions): Promise<{ by: string; elapsedMs: number }> {
  const now = () => Math.floor(performance.now());
  const plan = fencePlan(o.config, o.target, o.action, { iRun: () => false, random: Math.random });
  const unknown = () => ["(unknown: no cluster state here)"];
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const perform = (outs: FenceRunOutput[]) => {
      for (const out of outs) {
        if (out.type === "log") o.log(out.level, out.text);
        else if (out.type === "run") void device(out);
        else if (out.type === "ask-person") {
          void o.confirm(o.target).then((yes) => {
            if (yes) feed({ type: "confirm", nowMs: now(), by: "an operator" });
            else {
              clearTimeout(timer);
              reject(new Error(`${o.target} is not fenced: nobody confirmed it is off`));
            }
          });
        } else if (out.type === "finished") {
          clearTimeout(timer);
          if (out.ok) resolve({ by: out.by, elapsedMs: out.elapsedMs });
          else reject(new Error(out.reason));
        }
        // "cancel": the agent's own timeout ends it; its late answer is ignored by the run.
      }
      if (started.run.done) return;
      clearTimeout(timer);
      timer = setTimeout(
        () => feed({ type: "tick", nowMs: now() }),
        Math.max(0, Math.min(fenceRunWakeMs(started.run), now() + 1000) - now()),
      );
    };
    const feed = (input: FenceRunInput) => perform(stepFenceRun(started.run, input, unknown));
    const device = async (out: Extract<FenceRunOutput, { type: "run" }>) => {
      await new Promise((r) => setTimeout(r, out.delayMs));
      if (out.guard)
        return feed({
          type: "device-done",
          nowMs: now(),
          device: out.device,
          ok: true,
          reason: "pinged",
          answered: await guardPings(out.guard.addresses, out.timeoutMs),
        });
      const dev = o.config.devices.find((d) => d.name === out.device)!;
      let r: { ok: boolean; reason: string };
      try {
        r = await runFenceAgent(attemptSpec(dev, o.target), out.action);
      } catch (e) {
        r = { ok: false, reason: (e as Error).message };
      }
      feed({ type: "device-done", nowMs: now(), device: out.device, ok: r.ok, reason: r.reason });
    };
    const started = beginFenceRun({
      runId: 1,
      target: o.target,
      reason: "asked from the command line",
      config: o.config,
      plan,
      nowMs: now(),
    });
    perform(started.outputs);
  });
}
