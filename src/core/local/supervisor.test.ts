import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import type { ClusterConfig } from "../../config/model.js";
import type { OpResult } from "../operation.js";
import { durableOf, initialState, step } from "./supervisor.js";
import type { Input, Output, SupervisorState } from "./types.js";

type Loose<T> = T extends unknown ? Omit<T, "nowMs"> & { nowMs?: number } : never;
const ok = (reason = "ok"): OpResult => ({ rc: 0, status: "done", reason, durationMs: 1 });
const rc = (code: number, reason = `rc ${code}`): OpResult => ({ rc: code, status: "done", reason, durationMs: 1 });
const timeout: OpResult = { rc: 1, status: "timeout", reason: "timed out after 1s", durationMs: 1000 };

/** Drives the supervisor like the daemon does, answering operations from a script; records a readable transcript. */
class Harness {
  state: SupervisorState;
  nowMs = 1_000_000;
  transcript: string[] = [];
  logs: string[] = [];
  pending: Array<Extract<Output, { type: "exec" }>> = [];
  hooks: Array<Extract<Output, { type: "hook" }>> = [];
  monitors = new Map<string, number>();
  exited = false;
  /** What an operation returns: by "rsc action", default ok / probe not running. */
  answers = new Map<string, OpResult[]>();

  constructor(readonly config: ClusterConfig, durable?: ReturnType<typeof durableOf>) {
    this.state = initialState(config, durable, this.nowMs);
  }
  static of(yaml: string, durable?: ReturnType<typeof durableOf>): Harness {
    const r = loadConfigText(yaml);
    assert.ok(r.config, r.problems.map((p) => p.message).join("\n"));
    return new Harness(r.config, durable);
  }
  send(input: Loose<Input>): void {
    const { state, outputs } = step(this.config, this.state, { nowMs: this.nowMs, ...input } as Input);
    this.state = state;
    for (const o of outputs) {
      if (o.type === "exec") { this.pending.push(o); this.transcript.push(`${o.rsc} ${o.action}`); }
      if (o.type === "hook") { this.hooks.push(o); this.transcript.push(`hook ${o.purpose} ${o.env.PACELINE_ACTION} ${o.rsc}`); }
      if (o.type === "monitor-start") this.monitors.set(o.rsc, o.epoch);
      if (o.type === "monitor-stop") this.monitors.delete(o.rsc);
      if (o.type === "log") this.logs.push(o.text);
      if (o.type === "exit") { this.exited = true; this.transcript.push("exit"); }
      if (o.type === "reboot") this.transcript.push("reboot");
    }
  }
  answer(key: string, ...results: OpResult[]): this { this.answers.set(key, [...(this.answers.get(key) ?? []), ...results]); return this; }
  /** Completes every pending operation and hook until nothing is left. */
  settle(): this {
    for (let guard = 0; (this.pending.length || this.hooks.length) && guard < 1000; guard++) {
      const op = this.pending.shift();
      if (op) {
        const queue = this.answers.get(`${op.rsc} ${op.action}`);
        const result = queue?.length ? queue.shift()! : op.action === "probe" ? rc(7, "not running") : ok();
        this.send({ type: "op-done", opId: op.opId, result });
        continue;
      }
      const h = this.hooks.shift()!;
      this.send({ type: "hook-done", hookId: h.hookId, ok: true, reason: "exit code 0" });
    }
    return this;
  }
  boot(): this { this.send({ type: "boot" }); return this.settle(); }
  monitorFails(rsc: string, result = rc(7, "not running")): this {
    this.send({ type: "monitor-result", rsc, epoch: this.monitors.get(rsc)!, result });
    return this.settle();
  }
  take(): string[] { const t = this.transcript; this.transcript = []; return t; }
  role(id: string) { return this.state.rsc[id]!.role; }
}

const GROUP = `
resources:
  app:
    members:
      ip: { exec: { command: sleep 1 }, monitor: 5s }
      fs: { exec: { command: sleep 1 }, monitor: 5s }
      db: { exec: { command: sleep 1 }, monitor: 5s }
  web: { exec: { command: sleep 1 }, monitor: 5s }
`;

test("boot probes everything, then starts groups in order and independent resources alongside", () => {
  const h = Harness.of(GROUP);
  h.send({ type: "boot" });
  assert.deepEqual(h.take(), ["ip probe", "fs probe", "db probe", "web probe"]);
  h.settle();
  assert.deepEqual(h.take(), ["ip start", "web start", "fs start", "db start"]);
  assert.deepEqual([...h.monitors.keys()].sort(), ["db", "fs", "ip", "web"]);
});

test("a failed group member restarts with everything after it: stop in reverse, start in order", () => {
  const h = Harness.of(GROUP).boot();
  h.take();
  h.monitorFails("fs");
  assert.deepEqual(h.take(), ["db stop", "fs stop", "fs start", "db start"]);
  assert.equal(h.state.rsc.fs!.failCount, 1);
  assert.equal(h.state.rsc.ip!.failCount, 0);
  assert.ok(h.logs.includes("fs: monitor failed (not running); restarting, attempt 1"), h.logs.join("\n"));
});

test("restart limit: restarts until migration-threshold, then the final action, with pre-recovery scripts", () => {
  const h = Harness.of(`
resources:
  svc: { exec: { command: sleep 1 }, monitor: 1s, migration-threshold: 3, pre-recovery-script: /pre.sh, final-action: { script: /final.sh } }
`).boot();
  h.take();
  h.monitorFails("svc").monitorFails("svc");
  assert.deepEqual(h.take(), ["hook pre-recovery RESTART svc", "svc stop", "svc start", "hook pre-recovery RESTART svc", "svc stop", "svc start"]);
  assert.equal(h.hooks.length, 0);
  h.send({ type: "monitor-result", rsc: "svc", epoch: h.monitors.get("svc")!, result: rc(7, "not running") });
  const hook = h.hooks[0]!;
  assert.equal(hook.env.PACELINE_ACTION, "FINALACTION");
  assert.equal(hook.env.PACELINE_RESTART_COUNT, "2");
  assert.equal(hook.env.PACELINE_FAIL_COUNT, "3");
  assert.equal(hook.env.PACELINE_MONITOR_NAME, "monitor");
  h.settle();
  assert.deepEqual(h.take(), ["hook pre-recovery FINALACTION svc", "hook final-action FINALACTION svc", "svc stop"]);
  assert.equal(h.role("svc"), "stopped");
  assert.ok(h.logs.some((l) => l.includes("giving up after 3 failures (migration-threshold 3): final action: run /final.sh")), h.logs.join("\n"));
  // Nothing restarts it until cleanup.
  h.send({ type: "tick", nowMs: h.nowMs + 3_600_000 });
  assert.deepEqual(h.take(), []);
  h.send({ type: "admin", command: { kind: "cleanup", id: "svc" } });
  h.settle();
  assert.deepEqual(h.take(), ["svc start"]);
  assert.equal(h.state.rsc.svc!.failCount, 0);
});

test("a stop that times out with on-fail=block leaves it unmanaged and touches nothing else", () => {
  const h = Harness.of(GROUP.replace("fs: { exec: { command: sleep 1 }, monitor: 5s }", "fs: { exec: { command: sleep 1 }, ops: { monitor: { interval: 5s }, stop: { on-fail: block } } }")).boot();
  h.take();
  h.answer("fs stop", timeout);
  h.monitorFails("fs");
  assert.deepEqual(h.take(), ["db stop", "fs stop"]);
  assert.equal(h.role("fs"), "failed");
  assert.match(h.state.rsc.fs!.blocked!, /stop failed: timed out/);
  assert.equal(h.role("ip"), "started");
  assert.equal(h.role("web"), "started");
  assert.equal(h.role("db"), "stopped");
  h.send({ type: "tick", nowMs: h.nowMs + 60_000 });
  assert.deepEqual(h.take(), [], "nothing is retried while blocked");
  assert.ok(h.logs.some((l) => l.includes("fs: stop failed (timed out after 1s); blocked: Paceline no longer manages fs")), h.logs.join("\n"));
  // The human fixes it; cleanup re-probes and recovery resumes.
  h.send({ type: "admin", command: { kind: "cleanup", id: "fs" } });
  h.settle();
  assert.deepEqual(h.take(), ["fs probe", "fs start", "db start"]);
});

test("start failure is fatal by default: no retry loop, final action", () => {
  const h = Harness.of(`
resources:
  svc: { exec: { command: sleep 1 }, final-action: stop-daemon }
  other: { exec: { command: sleep 1 } }
`);
  h.answer("svc start", rc(1, "generic error"));
  h.boot();
  assert.deepEqual(h.take(), ["svc probe", "other probe", "svc start", "other start", "svc stop", "other stop", "exit"]);
  assert.ok(h.logs.some((l) => l.includes("svc: start failed (generic error); giving up after a fatal failure")), h.logs.join("\n"));
});

test("shutdown stops in reverse order and exits; a daemon restart adopts what still runs", () => {
  const h = Harness.of(GROUP).boot();
  h.take();
  h.monitorFails("web");
  const durable = durableOf(h.state);
  // A new daemon over the same state: probes find everything running, nothing restarts, fail counts persist.
  const h2 = new Harness(h.config, durable);
  h2.answer("ip probe", ok()).answer("fs probe", ok()).answer("db probe", ok()).answer("web probe", ok());
  h2.boot();
  assert.deepEqual(h2.take(), ["ip probe", "fs probe", "db probe", "web probe"]);
  assert.equal(h2.state.rsc.web!.failCount, 1);
  h2.send({ type: "shutdown" });
  h2.settle();
  assert.deepEqual(h2.take(), ["web stop", "db stop", "fs stop", "ip stop", "exit"]);
});

test("failure-timeout forgets failures and asks to be woken for it", () => {
  const h = Harness.of(`
resources:
  svc: { exec: { command: sleep 1 }, monitor: 1s, migration-threshold: 1, failure-timeout: 60s }
`).boot();
  h.take();
  h.send({ type: "monitor-result", rsc: "svc", epoch: h.monitors.get("svc")!, result: rc(7, "not running") });
  const { outputs } = step(h.config, structuredClone(h.state), { type: "tick", nowMs: h.nowMs });
  assert.deepEqual(outputs.filter((o) => o.type === "wake-at"), [{ type: "wake-at", atMs: h.nowMs + 60_000 }]);
  h.settle();
  assert.deepEqual(h.take(), ["svc stop"]);
  h.send({ type: "tick", nowMs: h.nowMs + 60_000 });
  h.settle();
  assert.deepEqual(h.take(), ["svc start"]);
});

test("built-in monitor: failures in a row before recovery; a group target restarts the whole group", () => {
  const h = Harness.of(GROUP + `
monitors:
  genw: { type: custom, script: /genw.sh, failures: 2, recover: app }
`).boot();
  h.take();
  assert.equal(h.state.monitors.genw!.active, true);
  h.send({ type: "builtin-result", monitor: "genw", ok: false, reason: "exit code 1" });
  assert.deepEqual(h.take(), []);
  h.send({ type: "builtin-result", monitor: "genw", ok: false, reason: "exit code 1" });
  h.settle();
  assert.deepEqual(h.take(), ["db stop", "fs stop", "ip stop", "ip start", "fs start", "db start"]);
  assert.equal(h.state.rsc.app!.failCount, 1);
});

test("a child exit is a failure at once; on-fail=ignore and on-fail=stop behave as named", () => {
  const h = Harness.of(`
resources:
  a: { exec: { command: sleep 1 }, ops: { monitor: { interval: 5s, on-fail: ignore } } }
  b: { exec: { command: sleep 1 }, ops: { monitor: { interval: 5s, on-fail: stop } } }
`).boot();
  h.take();
  h.send({ type: "child-exit", rsc: "a", reason: "exited (signal SIGKILL)" });
  h.send({ type: "child-exit", rsc: "b", reason: "exited (signal SIGKILL)" });
  h.settle();
  assert.deepEqual(h.take(), ["b stop"]);
  assert.equal(h.role("a"), "started");
  assert.equal(h.role("b"), "stopped");
});

test("recovery-script attempts come before restarts (PACELINE_ACTION=RECOVERY)", () => {
  const h = Harness.of(`
resources:
  svc: { exec: { command: sleep 1 }, pre-recovery-script: /pre.sh }
monitors:
  chk: { type: custom, script: /chk.sh, recover: svc, recovery-script-attempts: 1 }
`).boot();
  h.take();
  h.send({ type: "builtin-result", monitor: "chk", ok: false, reason: "exit code 1" });
  h.settle();
  assert.deepEqual(h.take(), ["hook pre-recovery RECOVERY svc"]);
  assert.equal(h.state.rsc.svc!.failCount, 0);
  h.send({ type: "builtin-result", monitor: "chk", ok: false, reason: "exit code 1" });
  h.settle();
  assert.deepEqual(h.take(), ["hook pre-recovery RESTART svc", "svc stop", "svc start"]);
});

test("final actions: stop-group holds the whole group stopped; reboot asks the shell to reboot", () => {
  const h = Harness.of(GROUP.replace("app:\n", "app:\n    final-action: stop-group\n    migration-threshold: 1\n"));
  h.boot().take();
  h.monitorFails("db");
  assert.deepEqual(h.take(), ["db stop", "fs stop", "ip stop"]);
  assert.match(h.state.rsc.app!.heldStopped!, /final action after db failed/);
  const r = Harness.of("resources:\n  svc: { exec: { command: sleep 1 }, monitor: 1s, migration-threshold: 1, final-action: reboot }\n").boot();
  r.take();
  r.monitorFails("svc");
  assert.deepEqual(r.take(), ["reboot", "svc stop"]);
});

test("maintenance mode probes and reports but starts nothing", () => {
  const h = Harness.of("properties: { maintenance-mode: true }\n" + GROUP).boot();
  assert.deepEqual(h.take(), ["ip probe", "fs probe", "db probe", "web probe"]);
});
