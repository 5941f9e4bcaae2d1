// Runs the fencing escalation for one target with real fence agents (the shell around core/fencing): builds the
// plan from cluster.yaml, starts each device the core asks for, feeds results and timeouts back, and asks a person
// when the core reaches a manual device. Used by `paceline fence` now and by the controller later.

import { readFileSync, statSync } from "node:fs";
import type { FenceDeviceConfig, FencingConfig } from "../config/model.js";
import { fenceStep, planProblems, startFencing, type FenceInput, type FenceOutput, type FencePlan, type FenceState } from "../core/fencing/escalation.js";
import { isExternalPlugin, runFenceAgent, type FenceAgentSpec } from "../node/executor/fence-agent.js";
import { guardDelayMs, guardVerdict } from "../core/fencing/guard.js";
import { pingOnce } from "../agents/checks.js";

/** The `guard` device: ping every address of the target (host-map: "10.0.0.2,10.0.100.2"), then let the core judge. */
async function runGuard(d: FenceDeviceConfig, target: string, ctx: FenceContext | undefined): Promise<{ ok: boolean; reason: string }> {
  const addresses = (d.targets[target] ?? "").split(",").map((a) => a.trim()).filter(Boolean);
  const tries = 3;
  const answered: string[] = [];
  await Promise.all(addresses.map(async (a) => {
    for (let i = 0; i < tries; i++) if (await pingOnce(a, Math.min(1000, Math.floor(d.timeoutMs / (tries + 1))))) { answered.push(a); return; }
  }));
  // Without cluster state (`paceline fence` from a shell), assume it may run something: never "off" by silence alone.
  return guardVerdict({ target, addresses, answered, targetRuns: ctx ? ctx.targetRuns(target) : ["(unknown: no cluster state here)"] });
}

/** What the cluster knows, for the `guard` device: does this node run a resource; what may the target run. */
export interface FenceContext { iRun(rsc: string): boolean; targetRuns(target: string): string[] }

export function fencePlan(f: FencingConfig, target: string, action: "reboot" | "off", ctx?: FenceContext): FencePlan {
  const levels = f.levels[target];
  if (!levels) throw new Error(`no fence device can fence ${target}: add one under fencing.devices with targets: [${target}]`);
  // The random part of a delay is drawn here (the core has no randomness): once per fencing request.
  const delayOf = (d: FenceDeviceConfig) => {
    const base = d.agent === "guard" ? guardDelayMs(d.delayMs, d.params.protect, (r) => ctx?.iRun(r) ?? false) : d.delayMs;
    return base + Math.floor(Math.random() * d.delayMaxMs);
  };
  const devices = Object.fromEntries(f.devices.map((d) => [d.name, { id: d.name, manual: d.agent === "manual", timeoutMs: d.timeoutMs, delayMs: delayOf(d) }]));
  const plan = { target, action, levels, devices };
  const problems = planProblems(plan);
  if (problems.length) throw new Error(problems.join("; "));
  return plan;
}

/** The agent invocation for a device and target: the plug from the host map, the password from its file or env. */
export function agentSpec(d: FenceDeviceConfig, target: string): FenceAgentSpec {
  const plug = d.targets[target];
  const params: Record<string, string> = plug ? { ...d.params, plug } : { ...d.params };
  let password: string | undefined;
  if (d.password && "file" in d.password) {
    const st = statSync(d.password.file);
    if ((st.mode & 0o077) !== 0) throw new Error(`password file ${d.password.file} of ${d.name} is readable by group or others; run chmod 600 ${d.password.file}`);
    password = readFileSync(d.password.file, "utf8").replace(/\r?\n$/, "");
  } else if (d.password && "env" in d.password) {
    password = process.env[d.password.env];
    if (password === undefined) throw new Error(`${d.name}: the environment variable ${d.password.env} (its password) is not set`);
  }
  // cluster-glue plugins name the password option `passwd`.
  const passwordKey = isExternalPlugin(d.agent) ? "passwd" : "password";
  return { agent: d.agent, target, params: password !== undefined ? { ...params, [passwordKey]: password } : params, secret: [passwordKey], timeoutMs: d.timeoutMs };
}

export interface FenceRunOptions {
  config: FencingConfig;
  target: string;
  action: "reboot" | "off";
  log: (level: string, text: string) => void;
  /** For the `guard` device (in the daemon; `paceline fence` from a shell has no cluster state: it knows nothing). */
  context?: FenceContext;
  /** Asked when a manual device is reached: resolve true once a person confirms the node is off. */
  confirm: (target: string) => Promise<boolean>;
}

/** Fences one node; resolves with who fenced it, or rejects when the fencing timeout ran out (not counting time
 * spent waiting for a person at a manual level) or nobody confirmed a manual level. */
export function runFencing(o: FenceRunOptions): Promise<{ by: string; elapsedMs: number }> {
  const plan = fencePlan(o.config, o.target, o.action, o.context);
  const now = () => Math.floor(performance.now());
  return new Promise((resolve, reject) => {
    const started = startFencing(plan, now());
    const state: FenceState = started.state;
    const deadline = now() + o.config.timeoutMs;
    const timer = setInterval(() => {
      const waitingForPerson = !!state.running && !!plan.devices[state.running.id]?.manual; // people get as long as they need
      if (now() > deadline && !waitingForPerson) { finish(); reject(new Error(`fencing ${o.target} did not succeed within ${o.config.timeoutMs} ms; its resources must stay stopped`)); return; }
      feed({ type: "tick", nowMs: now() });
    }, 100);
    const finish = () => clearInterval(timer);
    const perform = (outs: FenceOutput[]) => {
      for (const out of outs) {
        if (out.type === "log") o.log(out.level, out.text);
        else if (out.type === "fenced") { finish(); resolve({ by: out.by, elapsedMs: out.elapsedMs }); }
        else if (out.type === "run") {
          const dev = o.config.devices.find((d) => d.name === out.device)!;
          if (dev.agent === "guard") {
            setTimeout(() => void runGuard(dev, o.target, o.context).then((r) => {
              if (r.ok) o.log("info", `${out.device}: ${r.reason}`); // a failure is said by the escalation itself
              feed({ type: "result", nowMs: now(), device: out.device, ok: r.ok, reason: r.reason });
            }), out.delayMs);
            continue;
          }
          let spec: FenceAgentSpec;
          try { spec = agentSpec(dev, o.target); } catch (e) { queueMicrotask(() => feed({ type: "result", nowMs: now(), device: out.device, ok: false, reason: (e as Error).message })); continue; }
          setTimeout(() => void runFenceAgent(spec, out.action).then((r) => feed({ type: "result", nowMs: now(), device: out.device, ok: r.ok, reason: r.reason })), out.delayMs);
        }
        // "cancel": the agent's own timeout (runFenceAgent) ends it; its late answer is ignored by the core.
      }
      if (!state.done && state.running && plan.devices[state.running.id]?.manual && !asking) {
        asking = true;
        void o.confirm(o.target).then((yes) => {
          asking = false;
          if (yes) feed({ type: "confirm", nowMs: now(), by: "an operator" });
          else { finish(); reject(new Error(`${o.target} is not fenced: nobody confirmed it is off`)); }
        });
      }
    };
    let asking = false;
    const feed = (input: FenceInput) => { if (!state.done) perform(fenceStep(state, input)); };
    perform(started.outputs);
  });
}
