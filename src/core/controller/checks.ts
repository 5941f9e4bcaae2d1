// Built-in monitors (cluster.yaml `monitors:`: process, custom script, disk, ping, NIC, system resources) on one
// node, as CLUSTERPRO runs them: a check that fails `failures` times in a row triggers its action on its `recover`
// target — a recovery script first if it has attempts left, then a restart (a failure of the target here, which the
// DC recovers like any other), keeping it stopped, leaving it alone, or the final action. Deterministic.

import type { ClusterConfig, MonitorConfig, PrimitiveConfig } from "../../config/model.js";
import { findResource } from "../../config/model.js";
import type { CheckState } from "./node-rm.js";

export type CheckDecision =
  | { kind: "none"; level?: "info" | "warn"; text?: string }
  /** Run the target's pre-recovery script (CLP_ACTION=RECOVERY) instead of restarting it, this time. */
  | { kind: "recovery-script"; target: string; text: string }
  /** A failure of the target on this node: recorded on `record` (a group's first member, so the whole group
   * restarts), then handled by `action`. */
  | {
      kind: "fail";
      target: string;
      record: PrimitiveConfig;
      action: "restart" | "stop" | "block" | "final-action";
      text: string;
    };

/** The primitives a monitor's target stands for (a group's members), or none. */
export function targetPrimitives(config: ClusterConfig, m: MonitorConfig): PrimitiveConfig[] {
  const r = m.recover ? findResource(config, m.recover) : undefined;
  return !r ? [] : r.kind === "group" ? r.members : [r];
}

export function checkResult(
  config: ClusterConfig,
  m: MonitorConfig,
  c: CheckState,
  ok: boolean,
  reason: string,
): CheckDecision {
  const wasOk = c.lastOk;
  c.lastOk = ok;
  c.lastReason = reason;
  if (ok) {
    c.consecutive = 0;
    return wasOk === false
      ? { kind: "none", level: "info", text: `monitor ${m.name}: healthy again (${reason})` }
      : { kind: "none" };
  }
  c.consecutive++;
  if (c.consecutive < m.failures)
    return {
      kind: "none",
      level: "warn",
      text: `monitor ${m.name}: check failed (${reason}); ${c.consecutive} of ${m.failures} before recovery`,
    };
  c.consecutive = 0;
  const prims = targetPrimitives(config, m);
  if (!m.recover || m.action === "ignore" || prims.length === 0)
    return { kind: "none", level: "warn", text: `monitor ${m.name}: failed (${reason}); no recovery configured` };
  const target = findResource(config, m.recover)!;
  if (m.action === "restart" && c.recoveries < m.recoveryScriptAttempts && target.meta.preRecoveryScript) {
    c.recoveries++;
    return {
      kind: "recovery-script",
      target: m.recover,
      text: `${m.recover}: monitor ${m.name} failed (${reason}); running the recovery script (attempt ${c.recoveries} of ${m.recoveryScriptAttempts}) before any restart`,
    };
  }
  return {
    kind: "fail",
    target: m.recover,
    record: prims[0]!,
    action: m.action,
    text: `${m.recover}: monitor ${m.name} failed (${reason})`,
  };
}

/** Whether a monitor watches now: after the probes, and (when: target-started) only while its target runs here. */
export function checkActive(
  m: MonitorConfig,
  probed: boolean,
  shuttingDown: boolean,
  runsHere: (rsc: string) => boolean,
  prims: PrimitiveConfig[],
): boolean {
  if (!probed || shuttingDown) return false;
  if (m.when !== "target-started" || !m.recover) return true;
  return prims.length > 0 && prims.every((p) => runsHere(p.id));
}
