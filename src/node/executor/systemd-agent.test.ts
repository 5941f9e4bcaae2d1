// systemd:UNIT resources against a stand-in for systemctl (systemd is not PID 1 where the tests run): the stand-in
// keeps each unit's state in a file, answers `show` as systemctl does, exits as systemctl exits (5: no such unit,
// 1: the job failed), and takes a moment to settle (activating → active, deactivating → inactive).

import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { SystemdAgent } from "./systemd-agent.js";
import { createAgent } from "./index.js";
import { cleanupDir, tempDir } from "../../../test/helpers.js";

const dir = tempDir("systemd");
const units = `${dir}/units`;
const savedPath = process.env.PATH;

const FAKE_SYSTEMCTL = `#!/bin/sh
# A stand-in for systemctl: units are files in ${units} (NAME.unit = exists; NAME.state = ActiveState).
verb=$1; unit=$2
[ "$verb" = show ] && unit=$3
f="${units}/$unit"
settle() { (sleep 0.3; echo "$1" > "$f.state") >/dev/null 2>&1 & }
case "$verb" in
  show)
    if [ -f "$f.unit" ]; then echo "LoadState=loaded"; else echo "LoadState=not-found"; fi
    echo "ActiveState=$(cat "$f.state" 2>/dev/null || echo inactive)"
    exit 0 ;;
  start)
    [ -f "$f.unit" ] || { echo "Failed to start $unit: Unit $unit not found." >&2; exit 5; }
    if grep -q fail "$f.unit"; then echo failed > "$f.state"
      echo "Job for $unit failed because the control process exited with error code." >&2; exit 1; fi
    echo activating > "$f.state"; settle active; exit 0 ;;
  stop)
    [ -f "$f.unit" ] || { echo "Failed to stop $unit: Unit $unit not loaded." >&2; exit 5; }
    echo deactivating > "$f.state"; settle inactive; exit 0 ;;
esac
exit 1
`;

before(() => {
  mkdirSync(units, { recursive: true });
  writeFileSync(`${dir}/systemctl`, FAKE_SYSTEMCTL, { mode: 0o755 });
  writeFileSync(`${units}/web.service.unit`, "");
  writeFileSync(`${units}/broken.service.unit`, "fail");
  process.env.PATH = `${dir}:${savedPath ?? ""}`;
});
after(() => {
  process.env.PATH = savedPath;
  cleanupDir(dir);
});

const agent = (unit: string) => {
  const c = loadConfigText(`resources:\n  r: { agent: "systemd:${unit}" }\n`).config!;
  return createAgent(c.resources[0] as never, { logDir: dir }) as SystemdAgent;
};
const run = (a: SystemdAgent, action: "start" | "stop" | "monitor" | "probe", timeoutMs = 5000) =>
  a.run({ action, timeoutMs, intervalMs: action === "monitor" ? 10_000 : 0 });

test("a systemd unit starts once it has settled, is monitored by its state, and stops", async () => {
  const web = agent("web");
  assert.equal(web.unit, "web.service");
  assert.equal((await run(web, "probe")).rc, 7);
  const t0 = Date.now();
  const started = await run(web, "start");
  assert.equal(started.rc, 0, started.reason);
  assert.ok(Date.now() - t0 >= 250, "start waited for activating → active");
  assert.equal((await run(web, "monitor")).rc, 0);
  const stopped = await run(web, "stop");
  assert.equal(stopped.rc, 0, stopped.reason);
  assert.equal((await run(web, "monitor")).rc, 7);
});

test("a missing unit is not installed (rc 5); a failing start is an error; a start that never settles times out", async () => {
  const missing = agent("nosuch");
  assert.equal((await run(missing, "probe")).rc, 5);
  assert.equal((await run(missing, "start")).rc, 5);
  assert.equal((await run(missing, "stop")).rc, 0, "nothing to stop");
  const broken = await run(agent("broken"), "start");
  assert.equal(broken.rc, 1);
  assert.match(broken.reason, /exit code 1/);
  const slow = await run(agent("web"), "start", 250);
  assert.equal(slow.status, "timeout", slow.reason);
  assert.ok(existsSync(`${units}/web.service.state`));
});
