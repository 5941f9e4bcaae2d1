// The lease keeper: what `paceline daemon` (the small supervisor in front of the node daemon) decides. The cluster
// lets a node keep its resources only while it holds its quorum lease; a live daemon stops them itself when the
// lease is gone. A dead daemon cannot, so the keeper does it for it: when the daemon dies it is respawned at once,
// and if no daemon has held the lease again by the time a live one would have started stopping (the last record's
// keep-until: the lease's end less the stop budget), the keeper stops the node's resources itself, whatever the
// respawn is doing. A
// daemon that keeps dying is given up on, after stopping everything. Deterministic: the supervisor reads the lease
// record and the clock, runs the agents' stops and spawns the daemon.

import type { LeaseRecord } from "../controller/types.js";

export interface KeeperParams {
  /** Dying this soon after a start counts as not staying up. */
  unstableMs: number;
  /** Quick deaths in a row before giving up. */
  giveUpAfter: number;
}

export interface KeeperState {
  daemon: "running" | "dead" | "gave-up";
  startedMs: number;
  quickDeaths: number;
  /** The lease record when the daemon last died (its successor holding a newer one cancels the stop). */
  diedHeldAtMs?: number;
  /** Stop the node's resources at this time unless a daemon holds the lease again. */
  stopAtMs?: number;
  stopping: boolean;
  /** Asked to stop (a signal): the daemon is not respawned. */
  closing: boolean;
}

export type KeeperInput =
  | { type: "started"; nowMs: number }
  /** The daemon exited; `lease`: its lease record (undefined: it never held the lease). */
  | { type: "exited"; nowMs: number; how: string; code: number | null; lease?: LeaseRecord }
  /** The lease record, read again (a respawned daemon renews it once it holds the lease). */
  | { type: "lease"; nowMs: number; lease?: LeaseRecord }
  | { type: "wake"; nowMs: number }
  /** The keeper's own stop of the resources finished. */
  | { type: "stopped"; nowMs: number }
  | { type: "signal"; nowMs: number };

export type KeeperEffect =
  | { type: "spawn" }
  | { type: "stop-all" }
  /** Read the lease record again at this time (while a stop is pending). */
  | { type: "wake-at"; atMs: number }
  | { type: "log"; text: string }
  | { type: "exit"; code: number };

export const KEEPER_PARAMS: KeeperParams = { unstableMs: 10_000, giveUpAfter: 5 };

export function initKeeper(nowMs: number): KeeperState {
  return { daemon: "running", startedMs: nowMs, quickDeaths: 0, stopping: false, closing: false };
}

export function keeperStep(p: KeeperParams, s: KeeperState, input: KeeperInput): KeeperEffect[] {
  const out: KeeperEffect[] = [];
  const log = (text: string) => out.push({ type: "log", text });
  const now = input.nowMs;
  switch (input.type) {
    case "started":
      s.daemon = "running";
      s.startedMs = now;
      break;
    case "signal":
      s.closing = true;
      break;
    case "exited": {
      if (s.closing || input.code === 0) {
        out.push({ type: "exit", code: input.code ?? 0 });
        return out;
      }
      s.daemon = "dead";
      s.quickDeaths = now - s.startedMs < p.unstableMs ? s.quickDeaths + 1 : 0;
      s.diedHeldAtMs = input.lease?.heldAtMs;
      if (s.quickDeaths >= p.giveUpAfter) {
        s.daemon = "gave-up";
        log(
          `the daemon ${input.how}, ${s.quickDeaths} times in a row within ${p.unstableMs / 1000} s of starting: stopping this node's resources and giving up`,
        );
        s.stopping = true;
        out.push({ type: "stop-all" });
        return out;
      }
      if (input.lease) {
        // Exactly when a live daemon would have begun stopping, had no echo come since its last record.
        s.stopAtMs = Math.min(s.stopAtMs ?? Infinity, input.lease.keepUntilMs);
        log(
          `the daemon ${input.how}: restarting it at once; it keeps this node's resources only if it holds the quorum lease again within ${Math.max(0, s.stopAtMs - now)} ms, else they are stopped here`,
        );
      } else log(`the daemon ${input.how} before it ever held the quorum lease: restarting it at once`);
      out.push({ type: "spawn" });
      break;
    }
    case "lease":
      if (s.stopAtMs !== undefined && input.lease && input.lease.heldAtMs > (s.diedHeldAtMs ?? -Infinity)) {
        s.stopAtMs = undefined;
        log("the restarted daemon holds the quorum lease again: it keeps this node's resources");
      }
      break;
    case "stopped":
      s.stopping = false;
      if (s.daemon === "gave-up") {
        out.push({ type: "exit", code: 1 });
        return out;
      }
      break;
    case "wake":
      break;
  }
  if (s.stopAtMs !== undefined && now >= s.stopAtMs && !s.stopping) {
    s.stopAtMs = undefined;
    s.stopping = true;
    log(
      "no daemon has held the quorum lease since the crash, and the others may take over now: stopping this node's resources here so nothing runs twice",
    );
    out.push({ type: "stop-all" });
  }
  if (s.stopAtMs !== undefined) out.push({ type: "wake-at", atMs: s.stopAtMs });
  return out;
}
