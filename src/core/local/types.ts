// Inputs, outputs and state of the single-server supervisor (core/local). Everything here is plain data: the
// daemon feeds inputs from the executor, the monitors and the clock; the simulator and the tests can feed the same.

import type { OpAction, OpResult } from "../operation.js";

export type Role = "unknown" | "stopped" | "starting" | "started" | "stopping" | "failed";

export interface FailureRecord {
  atMs: number;
  /** start, stop, monitor, probe, or the built-in monitor's name */
  source: string;
  rc: number;
  status: OpResult["status"];
  reason: string;
  output?: string;
}

export interface OpRecord { action: OpAction; atMs: number; rc: number; status: OpResult["status"]; reason: string; durationMs: number }

/** What survives a daemon restart, per resource (primitive or group). */
export interface DurableRscState {
  failCount: number;
  lastFailureMs?: number;
  failures: FailureRecord[];
  /** Set by on-fail=block or a stop failure: Paceline does not touch it until cleanup. */
  blocked?: string;
  /** Kept stopped by on-fail=stop, a final action or an admin until cleanup/enable. */
  heldStopped?: string;
  restarts: number;
  recoveries: number;
  /** The role last seen, for agents that cannot be probed (exec scripts without status). */
  lastRole: Role;
  history: OpRecord[];
}

export interface RscState extends DurableRscState {
  id: string;
  role: Role;
  /** The operation in flight, if any. */
  pending?: { opId: number; action: OpAction; sinceMs: number };
  /** A pre-recovery script in flight: the resource waits for it. */
  hookPending?: number;
  /** Restart requested (e.g. a group recovered by a monitor): stop, then start again. */
  restartRequested?: boolean;
  /** Recurring monitor activation; results from older activations are stale. */
  monitorEpoch: number;
  monitoring: boolean;
  lastMonitor?: { atMs: number; rc: number; reason: string };
}

/** A pre-recovery or final-action script in flight, the resources that wait for it, and what follows it. */
export interface PendingHook { rscIds: string[]; then?: { target: string; failure: FailureRecord } }

export interface BuiltinMonitorState { name: string; consecutiveFailures: number; lastOk?: boolean; lastReason?: string; lastCheckMs?: number; active: boolean }

export interface SupervisorState {
  mode: "booting" | "running" | "shutting-down" | "exited";
  nowMs: number;
  nextOpId: number;
  rsc: Record<string, RscState>;
  monitors: Record<string, BuiltinMonitorState>;
  /** on-fail=standby on one server: every resource stops. */
  standby?: string;
  finalActionsTaken: string[];
  hooks: Record<number, PendingHook>;
}

export type HookPurpose = "pre-recovery" | "final-action";
export type RecoveryAction = "RECOVERY" | "RESTART" | "FAILOVER" | "FINALACTION";

export type AdminCommand =
  | { kind: "cleanup"; id: string }
  | { kind: "restart"; id: string }
  | { kind: "disable"; id: string }
  | { kind: "enable"; id: string };

export type Input =
  | { type: "boot"; nowMs: number }
  | { type: "op-done"; opId: number; result: OpResult; nowMs: number }
  | { type: "monitor-result"; rsc: string; epoch: number; result: OpResult; nowMs: number }
  | { type: "child-exit"; rsc: string; reason: string; nowMs: number }
  | { type: "builtin-result"; monitor: string; ok: boolean; reason: string; nowMs: number }
  | { type: "hook-done"; hookId: number; ok: boolean; reason: string; nowMs: number }
  | { type: "admin"; command: AdminCommand; nowMs: number }
  | { type: "tick"; nowMs: number }
  | { type: "shutdown"; nowMs: number };

export type Output =
  | { type: "exec"; opId: number; rsc: string; action: "start" | "stop" | "probe"; timeoutMs: number }
  | { type: "monitor-start"; rsc: string; epoch: number; intervalMs: number; timeoutMs: number; startDelayMs: number }
  | { type: "monitor-stop"; rsc: string }
  | { type: "builtin-watch"; monitor: string; active: boolean }
  | { type: "hook"; hookId: number; rsc: string; purpose: HookPurpose; command: string; env: Record<string, string>; timeoutMs: number }
  | { type: "reboot" }
  | { type: "exit"; code: number }
  | { type: "log"; level: "info" | "warn" | "error"; rsc?: string; text: string }
  | { type: "wake-at"; atMs: number };
