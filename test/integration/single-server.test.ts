// The single-server daemon end to end: real processes, real agents, real signals.

import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cleanupDir, DaemonUnderTest, killPid, script, sleep, tempDir, waitFor } from "../helpers.js";

const daemons: DaemonUnderTest[] = [];
const dirs: string[] = [];
after(async () => {
  for (const d of daemons) {
    const pids = d.proc?.pid;
    await d.stop().catch(() => undefined);
    killPid(pids);
  }
  dirs.forEach(cleanupDir);
});

function daemon(prefix: string, yaml: (dir: string) => string): DaemonUnderTest {
  const dir = tempDir(prefix);
  dirs.push(dir);
  const d = new DaemonUnderTest(dir, yaml(dir)).start();
  daemons.push(d);
  return d;
}

describe("single-server recovery", () => {
  test("kill -9 of a supervised process: restarted at once", async () => {
    const d = daemon(
      "kill",
      () => `
resources:
  svc: { exec: { command: sleep 1000 }, monitor: 10s }
`,
    );
    const first = await d.waitRsc("svc", (r) => r.role === "started" && !!r.pid);
    process.kill(first.pid!, "SIGKILL");
    const second = await d.waitRsc(
      "svc",
      (r) => r.role === "started" && !!r.pid && r.pid !== first.pid,
      5000,
      "a new svc process",
    );
    assert.equal(second.failCount, 1);
    const s = await d.status();
    assert.match(s.failedActions[0]!.reason, new RegExp(`pid ${first.pid} killed by SIGKILL`));
    assert.match(d.output, /svc: process failed \(pid \d+ killed by SIGKILL\); restarting, attempt 1/);
    killPid(second.pid);
  });

  test("SIGSTOP (a hang): the custom monitor times out and the process is restarted", async () => {
    const d = daemon(
      "hang",
      (dir) => `
resources:
  svc: { exec: { command: "${process.execPath} -e \\"try { require('fs').unlinkSync('${dir}/svc.sock') } catch {} require('net').createServer(c => c.end('ok')).listen('${dir}/svc.sock')\\"" }, ops: { stop: { timeout: 5s } } }
monitors:
  alive:
    type: custom
    script: "${script(dir, "check.sh", `exec ${process.execPath} -e "require('net').connect('${dir}/svc.sock').on('data', () => process.exit(0)).on('error', () => process.exit(1))"`)}"
    interval: 300ms
    timeout: 500ms
    failures: 2
    recover: svc
`,
    );
    const first = await d.waitRsc("svc", (r) => r.role === "started" && !!r.pid);
    await waitFor(async () => (await d.status()).monitors[0]!.state === "ok", 10_000, "monitor ok");
    process.kill(first.pid!, "SIGSTOP");
    const second = await d.waitRsc(
      "svc",
      (r) => r.role === "started" && !!r.pid && r.pid !== first.pid,
      10_000,
      "svc restarted after the hang",
    );
    assert.match(
      d.output,
      /monitor alive: check failed \(script hung: no answer within 500ms\); 1 of 2 before recovery/,
    );
    assert.match(d.output, /svc: monitor alive failed \(script hung: no answer within 500ms\); restarting, attempt 1/);
    assert.ok(
      !existsSync(`/proc/${first.pid}`) || readFileSync(`/proc/${first.pid}/stat`, "utf8").includes(") Z"),
      "the hung process is gone",
    );
    killPid(second.pid);
  });

  test("restart limit exhausted: final action runs; the pre-recovery script saw the right variables", async () => {
    const d = daemon(
      "limit",
      (dir) => `
defaults:
  migration-threshold: 3
  pre-recovery-script: ${script(dir, "pre.sh", `echo "$PACELINE_ACTION $PACELINE_RESOURCE $PACELINE_MONITOR_NAME restarts=$PACELINE_RESTART_COUNT fails=$PACELINE_FAIL_COUNT" >> ${dir}/pre.log`)}
  final-action: { script: ${script(dir, "final.sh", `echo "final $PACELINE_RESOURCE" >> ${dir}/final.log`)} }
resources:
  svc: { exec: { command: sleep 1000 } }
  other: { exec: { command: sleep 1000 } }
`,
    );
    for (let i = 0; i < 3; i++) {
      const r = await d.waitRsc(
        "svc",
        (x) => x.role === "started" && !!x.pid && x.failCount === i,
        10_000,
        `svc started with fail count ${i}`,
      );
      process.kill(r.pid!, "SIGKILL");
    }
    await waitFor(() => existsSync(join(d.dir, "final.log")), 10_000, "the final action");
    await d.waitRsc("svc", (r) => r.role === "stopped");
    assert.equal(readFileSync(join(d.dir, "final.log"), "utf8"), "final svc\n");
    assert.equal(
      readFileSync(join(d.dir, "pre.log"), "utf8"),
      [
        "RESTART svc process restarts=1 fails=1",
        "RESTART svc process restarts=2 fails=2",
        "FINALACTION svc process restarts=2 fails=3",
      ].join("\n") + "\n",
    );
    const other = await d.rsc("other");
    assert.equal(other.role, "started", "the other resource is untouched");
    const svc = await d.rsc("svc");
    assert.match(svc.whyDown!, /migration-threshold/);
    // A human cleans up: the fail count resets and it runs again.
    assert.deepEqual(await d.admin("cleanup", "svc"), { ok: true, message: "cleanup svc: done" });
    await d.waitRsc("svc", (r) => r.role === "started" && r.failCount === 0);
    assert.equal((await d.admin("cleanup", "nope")).ok, false);
  });

  test("a stop that times out with on-fail=block: unmanaged FAILED, nothing else touched", async () => {
    const d = daemon(
      "block",
      (dir) => `
resources:
  app:
    members:
      first: { exec: { command: sleep 1000 } }
      stuck:
        exec: { start: "touch ${dir}/up", stop: ${script(dir, "hang-stop.sh", "sleep 1000")}, status: ${script(dir, "status.sh", `[ -f ${dir}/up ] && [ ! -f ${dir}/down ]`)} }
        ops: { monitor: { interval: 300ms }, stop: { timeout: 700ms, on-fail: block } }
  bystander: { exec: { command: sleep 1000 } }
`,
    );
    await d.waitRsc("stuck", (r) => r.role === "started");
    const firstPid = (await d.rsc("first")).pid;
    const bystanderPid = (await d.rsc("bystander")).pid;
    script(d.dir, "down", "");
    const stuck = await d.waitRsc("stuck", (r) => !r.managed, 10_000, "stuck becomes unmanaged");
    assert.equal(stuck.role, "failed");
    assert.match(stuck.blocked!, /stop failed: timed out after 700ms/);
    await sleep(1500);
    const s = await d.status();
    const first = await d.rsc("first");
    assert.equal(first.role, "started");
    assert.equal(first.pid, firstPid, "the member before it keeps running");
    assert.equal((await d.rsc("bystander")).pid, bystanderPid);
    assert.equal(s.events.filter((e) => e.text.startsWith("stop stuck on ")).length, 1, "no second stop attempt");
  });
});

describe("bad input never takes the daemon down", () => {
  test("a bad config is refused with every problem listed", async () => {
    const d = daemon(
      "badcfg",
      () => "resources:\n  web:\n    agent: ocf:heartbeat:Dummy\n    monitor: often\n    intervall: 3\n",
    );
    assert.equal(await d.exited(), 1);
    assert.match(d.output, /cluster\.yaml:4:14: error: resources\.web\.monitor: `often` is not valid/);
    assert.match(d.output, /cluster\.yaml:5:5: error: resources\.web\.intervall: unknown key `intervall`/);
    assert.match(d.output, /not starting: .* has errors/);
  });

  test("missing agent, non-executable script, garbage output, unknown exit code, a monitor that never exits", async () => {
    const d = daemon("badagents", (dir) => {
      const noexec = script(dir, "noexec.sh", "exit 0");
      chmodSync(noexec, 0o644);
      return `
resources:
  missing: { agent: ocf:heartbeat:DoesNotExist }
  noexec: { exec: { start: ${noexec}, stop: /bin/true } }
  garbage: { exec: { start: ${script(dir, "garbage.sh", "head -c 20000 /dev/urandom; exit 77")}, stop: /bin/true } }
  fine: { exec: { command: sleep 1000 } }
monitors:
  forever: { type: custom, script: ${script(dir, "forever.sh", "sleep 1000")}, interval: 200ms, timeout: 300ms }
`;
    });
    await d.waitRsc("fine", (r) => r.role === "started");
    await d.waitRsc("garbage", (r) => r.role === "stopped" && r.failCount > 0);
    const s = await waitFor(
      async () => {
        const s = await d.status();
        return s.monitors[0]!.state !== "unknown" && s.failedActions.length >= 3 ? s : undefined;
      },
      10_000,
      "three failed starts",
    );
    const reasons = Object.fromEntries(s.failedActions.map((f) => [f.rsc, f.reason]));
    assert.match(reasons.missing!, /OCF agent ocf:heartbeat:DoesNotExist not found/);
    assert.match(reasons.noexec!, /not executable \(chmod \+x/);
    assert.match(reasons.garbage!, /generic error \(exit code 77\)/);
    assert.match(s.monitors[0]!.lastReason!, /script hung: no answer within 300ms/);
    assert.equal(s.mode, "running");
    assert.match(d.output, /error: resources\.missing\.agent: OCF agent ocf:heartbeat:DoesNotExist not found/);
  });
});

describe("state survives the daemon", () => {
  test("a restarted daemon adopts running processes and keeps fail counts", async () => {
    const d = daemon(
      "adopt",
      () => `
resources:
  svc: { exec: { command: sleep 1000 }, migration-threshold: 5 }
`,
    );
    const a = await d.waitRsc("svc", (r) => r.role === "started" && !!r.pid);
    process.kill(a.pid!, "SIGKILL");
    const b = await d.waitRsc("svc", (r) => r.role === "started" && !!r.pid && r.pid !== a.pid);
    await d.kill9();
    assert.ok(existsSync(`/proc/${b.pid}`), "resources outlive a daemon crash");
    const d2 = new DaemonUnderTest(d.dir, readFileSync(d.configPath, "utf8")).start();
    daemons.push(d2);
    const c = await d2.waitRsc("svc", (r) => r.role === "started");
    assert.equal(c.pid, b.pid, "adopted, not restarted");
    assert.equal(c.failCount, 1);
    // (The log reaches this process through a pipe, after the API has answered: on a loaded machine, later.)
    await waitFor(() => /svc: found running here/.test(d2.output), 10_000, "the adoption in the daemon's log");
    process.kill(b.pid!, "SIGKILL");
    await d2.waitRsc(
      "svc",
      (r) => r.role === "started" && !!r.pid && r.pid !== b.pid,
      5000,
      "an adopted process's death is noticed",
    );
    assert.equal(await d2.stop(), 0);
  });

  test("kill -9 of the daemon while it writes state, again and again: the state always loads", async () => {
    const dir = tempDir("crash");
    dirs.push(dir);
    // Ten flapping resources make the daemon write its state file many times a second.
    const yaml = `properties: { start-failure-is-fatal: false }\nresources:\n${Array.from({ length: 10 }, (_, i) => `  r${i}: { exec: { command: "sleep 0.2${i}" } }`).join("\n")}\n`;
    let lastTotal = 0;
    for (let round = 0; round < 8; round++) {
      const d = new DaemonUnderTest(dir, yaml).start();
      daemons.push(d);
      await waitFor(async () => (await d.status()).mode === "running", 10_000, "running");
      await sleep(100 + round * 37);
      await d.kill9();
      const text = readFileSync(join(d.stateDir, "state.json"), "utf8");
      const state = JSON.parse(text) as { resources: Record<string, { failCount: number }> };
      const total = Object.values(state.resources).reduce((a, r) => a + r.failCount, 0);
      assert.ok(total >= lastTotal, "fail counts never go back");
      lastTotal = total;
      assert.doesNotMatch(d.output, /state file was unreadable/);
    }
    assert.ok(lastTotal > 0);
  });
});
