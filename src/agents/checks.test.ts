import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfigText } from "../config/load.js";
import { boundedCheck, countProcesses, linkState, withTimeout } from "./checks.js";

const dir = mkdtempSync(join(tmpdir(), "paceline-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function monitor(yaml: string) {
  const r = loadConfigText(`monitors:\n  m: ${yaml}\n`);
  assert.ok(r.config, r.problems.map((p) => p.message).join("\n"));
  return r.config.monitors[0]!;
}

test("process check counts by name (argv[0] too) and by command-line pattern", async () => {
  const child = spawn("bash", ["-c", "exec -a paceline-test-daemon sleep 30"], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(countProcesses({ name: "paceline-test-daemon" }), 1);
    assert.equal(countProcesses({ pattern: "^paceline-test-daemon 30$" }), 1);
    const ok = await boundedCheck(monitor("{ type: process, name: paceline-test-daemon }"))();
    assert.deepEqual(ok, { ok: true, reason: "1 process paceline-test-daemon running" });
    const two = await boundedCheck(monitor("{ type: process, name: paceline-test-daemon, min-count: 2 }"))();
    assert.equal(two.reason, "only 1 process paceline-test-daemon running, expected at least 2");
  } finally {
    child.kill("SIGKILL");
  }
  await new Promise((r) => child.once("exit", r));
  const gone = await boundedCheck(monitor("{ type: process, name: paceline-test-daemon }"))();
  assert.deepEqual(gone, { ok: false, reason: "no process paceline-test-daemon running" });
});

test("disk check writes, syncs and reads back; a missing path fails clearly", async () => {
  const ok = await boundedCheck(monitor(`{ type: disk, path: ${dir} }`))();
  assert.equal(ok.ok, true, ok.reason);
  assert.match(ok.reason, /wrote, synced and read 4096 bytes/);
  const bad = await boundedCheck(monitor(`{ type: disk, path: ${dir}/nope }`))();
  assert.deepEqual(bad, { ok: false, reason: `cannot use ${dir}/nope: ENOENT` });
});

test("nic check reads operstate and carrier", async () => {
  assert.deepEqual(linkState("lo"), { ok: true, reason: "lo carrier present" });
  assert.deepEqual(linkState("no-such-nic0"), { ok: false, reason: "no interface no-such-nic0" });
});

test("custom check: exit 0 healthy, exit code and last line otherwise, timeout for a hang", async () => {
  assert.deepEqual(await boundedCheck(monitor("{ type: custom, script: 'true' }"))(), {
    ok: true,
    reason: "exit code 0",
  });
  assert.deepEqual(await boundedCheck(monitor("{ type: custom, script: 'echo broken >&2; exit 3' }"))(), {
    ok: false,
    reason: "exit code 3: broken",
  });
  const hung = boundedCheck(monitor("{ type: custom, script: 'sleep 30', timeout: 200ms }"));
  assert.deepEqual(await hung(), { ok: false, reason: "script hung: no answer within 200ms" });
});

test("system check reports usage against thresholds", async () => {
  const fine = await boundedCheck(monitor("{ type: system, memory: 100%, disk-usage: { /: 100 } }"))();
  assert.equal(fine.ok, true);
  assert.match(fine.reason, /^memory \d+% \(limit 100%\), disk \/ \d+% \(limit 100%\)$/);
  const over = await boundedCheck(monitor("{ type: system, memory: 1% }"))();
  assert.equal(over.ok, false);
  assert.match(over.reason, /^memory \d+% \(limit 1%\)$/);
});

test("a check that outlives its timeout fails, and fails the next run at once while still hung", async () => {
  let release: () => void = () => {};
  const hang = new Promise<void>((r) => {
    release = r;
  });
  const check = withTimeout(async () => {
    await hang;
    return { ok: true, reason: "late" };
  }, 10);
  assert.deepEqual(await check(), { ok: false, reason: "no answer within 10ms (hung?)" });
  assert.match((await check()).reason, /^previous check still hung after \d+ms$/);
  release();
  await hang;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(await check(), { ok: true, reason: "late" });
});

test("ping check: loopback answers", async () => {
  const r = await boundedCheck(monitor("{ type: ping, targets: [127.0.0.1], timeout: 2s }"))();
  assert.deepEqual(r, { ok: true, reason: "127.0.0.1 answered" });
});
