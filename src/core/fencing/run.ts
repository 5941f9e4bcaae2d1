// One fencing of one node, start to finish (deterministic): the plan from the configuration (levels, devices, their
// delays), the escalation (escalation.ts), the overall `fencing.timeout`, the guard's verdict, and a person's
// confirmation at a manual level. The shell runs the devices it is asked to and feeds their results back; the
// node core (and `paceline fence` from a shell) drive it with the clock.

import type { FenceDeviceConfig, FencingConfig } from "../../config/model.js";
import {
  fenceStep,
  planProblems,
  startFencing,
  type FenceOutput,
  type FencePlan,
  type FenceState,
} from "./escalation.js";
import { guardDelayMs, guardVerdict } from "./guard.js";

export interface FencePlanFacts {
  /** Does this node run the resource (the guard's delay applies only where its protected resource does not run)? */
  iRun(rsc: string): boolean;
  /** A number in [0, 1) for the random part of a device delay (delay-max). */
  random(): number;
}

/** The escalation plan for `target`, or why there is none. */
export function fencePlan(
  f: FencingConfig,
  target: string,
  action: "reboot" | "off",
  facts: FencePlanFacts,
): FencePlan {
  const levels = f.levels[target];
  if (!levels)
    throw new Error(`no fence device can fence ${target}: add one under fencing.devices with targets: [${target}]`);
  const delayOf = (d: FenceDeviceConfig) => {
    const base = d.agent === "guard" ? guardDelayMs(d.delayMs, d.params.protect, facts.iRun) : d.delayMs;
    return base + Math.floor(facts.random() * d.delayMaxMs);
  };
  const devices = Object.fromEntries(
    f.devices.map((d) => [
      d.name,
      { id: d.name, manual: d.agent === "manual", timeoutMs: d.timeoutMs, delayMs: delayOf(d) },
    ]),
  );
  const plan = { target, action, levels, devices };
  const problems = planProblems(plan);
  if (problems.length) throw new Error(problems.join("; "));
  return plan;
}

/** The guard device's addresses for a target: its host-map entry, comma-separated (OS and BMC addresses). */
export const guardAddresses = (d: FenceDeviceConfig, target: string) =>
  (d.targets[target] ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);

export interface FenceRunState {
  runId: number;
  target: string;
  reason: string;
  startedMs: number;
  /** Past this (not counting a wait for a person at a manual level) the fencing has failed. */
  deadlineMs: number;
  timeoutMs: number;
  esc: FenceState;
  /** The guard devices of the plan and the addresses each pings. */
  guards: Record<string, string[]>;
  /** A person has been asked (once per manual level reached). */
  askedPerson: boolean;
  done?: { ok: boolean; by: string; reason: string; elapsedMs: number };
}

export type FenceRunInput =
  | { type: "tick"; nowMs: number }
  | { type: "device-done"; nowMs: number; device: string; ok: boolean; reason: string; answered?: string[] }
  | { type: "confirm"; nowMs: number; by: string };

export type FenceRunOutput =
  | {
      type: "run";
      device: string;
      action: "reboot" | "off";
      timeoutMs: number;
      delayMs: number;
      guard?: { addresses: string[] };
    }
  | { type: "cancel"; device: string }
  | { type: "log"; level: "info" | "warn" | "error"; text: string }
  /** A manual level is reached: someone must power the target off and confirm it. */
  | { type: "ask-person" }
  | { type: "finished"; ok: boolean; by: string; reason: string; elapsedMs: number };

export function beginFenceRun(o: {
  runId: number;
  target: string;
  reason: string;
  config: FencingConfig;
  plan: FencePlan;
  nowMs: number;
}): { run: FenceRunState; outputs: FenceRunOutput[] } {
  const guards: Record<string, string[]> = {};
  for (const d of o.config.devices) if (d.agent === "guard") guards[d.name] = guardAddresses(d, o.target);
  const started = startFencing(o.plan, o.nowMs);
  const run: FenceRunState = {
    runId: o.runId,
    target: o.target,
    reason: o.reason,
    startedMs: o.nowMs,
    deadlineMs: o.nowMs + o.config.timeoutMs,
    timeoutMs: o.config.timeoutMs,
    esc: started.state,
    guards,
    askedPerson: false,
  };
  const outputs: FenceRunOutput[] = [];
  follow(run, started.outputs, o.nowMs, outputs);
  return { run, outputs };
}

/** `targetRuns`: what the target may run, as the cluster knows now (the guard never calls a busy node off). */
export function stepFenceRun(run: FenceRunState, input: FenceRunInput, targetRuns: () => string[]): FenceRunOutput[] {
  const out: FenceRunOutput[] = [];
  if (run.done) return out;
  const now = input.nowMs;
  if (input.type === "confirm") {
    follow(run, fenceStep(run.esc, { type: "confirm", nowMs: now, by: input.by }), now, out);
    return out;
  }
  if (input.type === "device-done") {
    let { ok, reason } = input;
    if (run.guards[input.device] && input.answered) {
      ({ ok, reason } = guardVerdict({
        target: run.target,
        addresses: run.guards[input.device]!,
        answered: input.answered,
        targetRuns: targetRuns(),
      }));
      if (ok) out.push({ type: "log", level: "info", text: `${input.device}: ${reason}` }); // a failure is said by the escalation
    }
    follow(run, fenceStep(run.esc, { type: "result", nowMs: now, device: input.device, ok, reason }), now, out);
    return out;
  }
  // people get as long as they need
  const atPerson = !!run.esc.running && !!run.esc.plan.devices[run.esc.running.id]?.manual;
  if (now > run.deadlineMs && !atPerson) {
    if (run.esc.running) out.push({ type: "cancel", device: run.esc.running.id });
    finish(
      run,
      now,
      {
        ok: false,
        by: "",
        reason: `fencing ${run.target} did not succeed within ${run.timeoutMs} ms; its resources must stay stopped`,
      },
      out,
    );
    return out;
  }
  follow(run, fenceStep(run.esc, { type: "tick", nowMs: now }), now, out);
  return out;
}

function follow(run: FenceRunState, outs: FenceOutput[], nowMs: number, out: FenceRunOutput[]): void {
  for (const o of outs) {
    if (o.type === "log") out.push(o);
    else if (o.type === "cancel") out.push(o);
    else if (o.type === "run")
      out.push({ ...o, guard: run.guards[o.device] ? { addresses: run.guards[o.device]! } : undefined });
    else if (o.type === "fenced") finish(run, nowMs, { ok: true, by: o.by, reason: "" }, out);
  }
  const atPerson = !run.done && !!run.esc.running && !!run.esc.plan.devices[run.esc.running.id]?.manual;
  if (atPerson && !run.askedPerson) out.push({ type: "ask-person" });
  run.askedPerson = atPerson;
}

function finish(
  run: FenceRunState,
  nowMs: number,
  r: { ok: boolean; by: string; reason: string },
  out: FenceRunOutput[],
): void {
  run.done = { ...r, elapsedMs: nowMs - run.startedMs };
  out.push({ type: "finished", ...run.done });
}

/** When this run needs the clock next: a device's deadline, a retry round, or the overall deadline. */
export function fenceRunWakeMs(run: FenceRunState): number {
  if (run.done) return Infinity;
  return Math.min(run.deadlineMs + 1, run.esc.running?.deadlineMs ?? Infinity, run.esc.retryAtMs ?? Infinity);
}
