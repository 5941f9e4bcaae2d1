// The daemon's timing — heartbeats, echoes, the quorum lease — must not wait behind whatever else keeps the CPU
// busy: a heartbeat answered 200 ms late looks like a lost node and costs the cluster its lease. Like corosync (which
// runs with realtime priority), the daemon raises its scheduling priority; what it runs (agents, scripts, checks)
// goes back to the ordinary priority, so a busy service cannot starve the daemon that watches it.

import { readdirSync } from "node:fs";
import { setPriority } from "node:os";

/** The daemon's nice value: ahead of ordinary work, short of realtime. */
export const DAEMON_NICE = -10;

/** Raises every thread of this process (Linux schedules threads one by one); says what happened, for the log. */
export function raiseOwnPriority(): { ok: boolean; message: string } {
  let tids: number[];
  try {
    tids = readdirSync("/proc/self/task").map(Number);
  } catch {
    tids = [process.pid];
  }
  try {
    for (const tid of tids) setPriority(tid, DAEMON_NICE);
    return {
      ok: true,
      message: `scheduling priority raised (nice ${DAEMON_NICE}) so heartbeats keep time on a busy machine`,
    };
  } catch (e) {
    return {
      ok: false,
      message: `could not raise the scheduling priority (${(e as NodeJS.ErrnoException).code ?? String(e)}; root can): on a busy machine heartbeats may be late`,
    };
  }
}

/** What the daemon starts runs at the ordinary priority, not the daemon's. */
export function ordinaryPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, 0);
  } catch {
    // the child may be gone already
  }
}
