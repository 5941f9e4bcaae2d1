// `systemd:UNIT` resources, with Pacemaker's semantics: start and stop go through systemctl (which waits for the
// job), then the unit is watched until it settles — a unit still "activating" (a Type=notify service starting up,
// an ExecStartPost running) is not started yet, one "deactivating" not stopped; monitor reads ActiveState and
// LoadState (a unit that does not exist is "not installed", rc 5).

import { formatDuration } from "../../config/duration.js";
import type { PrimitiveConfig } from "../../config/model.js";
import { isRoleAction, type OpResult } from "../../core/operation.js";
import { baseEnv, notifyNotNeeded, type AgentRunner, type OpRequest } from "./agents.js";
import { OCF } from "./ocf-codes.js";
import { runProcess } from "./run-process.js";

/** How often a unit that has not settled is looked at again. */
const SETTLE_POLL_MS = 200;

export const unitName = (type: string) => (/\.[a-z]+$/.test(type) ? type : `${type}.service`);

export class SystemdAgent implements AgentRunner {
  readonly unit: string;
  constructor(rsc: PrimitiveConfig) {
    this.unit = unitName((rsc.agent as { type: string }).type);
  }

  locate(): { path: string } | { error: string } {
    return { path: "systemctl" };
  }

  private async systemctl(args: string[], timeoutMs: number) {
    return runProcess({ file: "systemctl", args, env: baseEnv(), timeoutMs: Math.max(1, timeoutMs) });
  }

  /** LoadState and ActiveState, or why they could not be read. */
  async state(timeoutMs: number): Promise<{ load: string; active: string } | { error: string; timedOut?: true }> {
    const r = await this.systemctl(["show", "--property=LoadState,ActiveState", this.unit], timeoutMs);
    if (r.spawnError) return { error: `cannot run systemctl: ${r.spawnError}` };
    if (r.timedOut) return { error: "systemctl show did not answer in time", timedOut: true };
    const props = Object.fromEntries(
      r.stdout
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
    );
    if (r.exitCode !== 0 || !props.ActiveState)
      return { error: `systemctl show ${this.unit} failed (exit code ${r.exitCode}): ${r.stderr.trim()}` };
    return { load: props.LoadState ?? "", active: props.ActiveState };
  }

  async run(req: OpRequest): Promise<OpResult> {
    const started = Date.now();
    const done = (rc: number, reason: string, status: OpResult["status"] = "done"): OpResult => ({
      rc,
      status,
      reason,
      durationMs: Date.now() - started,
    });
    const left = () => req.timeoutMs - (Date.now() - started);
    // The state is read within the operation's own time: running out of it there is the operation timing out.
    const failed = (s: { error: string; timedOut?: true }): OpResult =>
      s.timedOut
        ? done(OCF.ERR_GENERIC, `timed out after ${formatDuration(req.timeoutMs)} (${s.error})`, "timeout")
        : done(OCF.ERR_GENERIC, s.error, "error");
    if (req.action === "notify") return notifyNotNeeded();
    if (isRoleAction(req.action))
      return done(OCF.ERR_UNIMPLEMENTED, `${req.action} is not an action of a systemd unit`);
    if (req.action === "monitor" || req.action === "probe") {
      const s = await this.state(left());
      if ("error" in s) return failed(s);
      if (s.load === "not-found") return done(OCF.ERR_INSTALLED, `unit ${this.unit} does not exist`);
      if (s.active === "active" || s.active === "reloading") return done(OCF.SUCCESS, `${this.unit} is active`);
      if (s.active === "activating" || s.active === "deactivating")
        return done(OCF.ERR_GENERIC, `${this.unit} is ${s.active} (not settled)`);
      return done(OCF.NOT_RUNNING, `${this.unit} is ${s.active}`);
    }
    const verb = req.action === "start" ? "start" : "stop";
    const r = await this.systemctl([verb, this.unit], left());
    if (r.spawnError) return done(OCF.ERR_INSTALLED, `cannot run systemctl: ${r.spawnError}`, "error");
    if (r.timedOut) return done(OCF.ERR_GENERIC, `timed out after ${formatDuration(req.timeoutMs)}`, "timeout");
    if (r.exitCode !== 0) {
      const s = await this.state(Math.max(1000, left()));
      // A stop of a unit that does not run (or does not exist) has nothing to stop.
      if (verb === "stop" && !("error" in s) && (s.active === "inactive" || s.active === "failed"))
        return done(OCF.SUCCESS, `${this.unit} is ${s.active}`);
      if (!("error" in s) && s.load === "not-found") return done(OCF.ERR_INSTALLED, `unit ${this.unit} does not exist`);
      return done(
        OCF.ERR_GENERIC,
        `systemctl ${verb} ${this.unit} failed (exit code ${r.exitCode}): ${r.stderr.trim().split("\n").at(-1) ?? ""}`,
      );
    }
    // Settle: the job finished, the unit may still be on its way.
    for (;;) {
      const s = await this.state(Math.max(1, left()));
      if ("error" in s) return failed(s);
      if (verb === "start" && s.active === "active") return done(OCF.SUCCESS, `${this.unit} is active`);
      if (verb === "stop" && (s.active === "inactive" || s.active === "failed"))
        return done(OCF.SUCCESS, `${this.unit} is ${s.active}`);
      if (s.active !== "activating" && s.active !== "deactivating" && s.active !== "reloading")
        return done(OCF.ERR_GENERIC, `${this.unit} is ${s.active} after systemctl ${verb}`);
      if (left() <= SETTLE_POLL_MS)
        return done(
          OCF.ERR_GENERIC,
          `${this.unit} still ${s.active} after ${formatDuration(req.timeoutMs)}`,
          "timeout",
        );
      await new Promise((res) => setTimeout(res, SETTLE_POLL_MS));
    }
  }
}
