// The daemon's state is its own: started under umask 000 with a state directory others may enter, its admin socket
// and state files are still private from the first moment, and another user cannot ask it anything; a state
// directory others may write in is refused at start, saying why.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CLI, cleanupDir, DaemonUnderTest, tempDir } from "../helpers.js";
import { ROOT, have, unmet } from "../requires.js";

const skip = unmet(ROOT, [have("/usr/bin/setpriv"), "needs setpriv (util-linux)"]);
const dir = tempDir("private");
const daemons: DaemonUnderTest[] = [];
after(async () => {
  for (const d of daemons) await d.stop().catch(() => undefined);
  cleanupDir(dir);
});
const YAML = "resources:\n  svc: { exec: { command: sleep 1000 } }\n";

test("under umask 000 the admin socket and state files are private; another user is refused", { skip }, async () => {
  chmodSync(dir, 0o755); // others may enter the directories on the way (not write in them)
  const d = new DaemonUnderTest(dir, YAML, ["sh", "-c", 'umask 000; exec "$0" "$@"']);
  mkdirSync(d.stateDir, { mode: 0o755 });
  chmodSync(d.stateDir, 0o755);
  daemons.push(d.start());
  await d.waitRsc("svc", (r) => r.role === "started");
  assert.equal(statSync(d.socket).mode & 0o777, 0o600, "the admin socket");
  for (const f of readdirSync(d.stateDir).filter((f) => f.endsWith(".json") || f.endsWith(".log")))
    assert.equal(statSync(join(d.stateDir, f)).mode & 0o077, 0, `${f} is private`);
  // As nobody: `paceline status` against this daemon's socket.
  const r = spawnSync(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "status", "--state-dir", d.stateDir],
    { encoding: "utf8" },
  );
  assert.notEqual(r.status, 0, r.stdout);
  assert.match(r.stdout + r.stderr, /EACCES|permission denied/i);
});

test("a state directory group or others may write in is refused at start, with the reason", { skip }, async () => {
  const sub = join(dir, "open");
  mkdirSync(sub);
  const d = new DaemonUnderTest(sub, YAML);
  mkdirSync(d.stateDir);
  chmodSync(d.stateDir, 0o777);
  daemons.push(d.start());
  const code = await d.exited();
  assert.notEqual(code, 0);
  assert.match(d.output, /state directory .*state is writable by its group \(mode 777\): chmod 700/);
});
