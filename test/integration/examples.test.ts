// Every example validates; the seed-004 HULFT example runs with its stand-in scripts and recovers a killed daemon.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CLI, cleanupDir, DaemonUnderTest, REPO, tempDir, waitFor } from "../helpers.js";

const dirs: string[] = [];
let daemon: DaemonUnderTest | undefined;
after(async () => {
  await daemon?.stop().catch(() => undefined);
  dirs.forEach(cleanupDir);
});

const examples = readdirSync(join(REPO, "examples")).filter((e) =>
  existsSync(join(REPO, "examples", e, "cluster.yaml")),
);

for (const e of examples) {
  test(`examples/${e}/cluster.yaml validates`, () => {
    const out = execFileSync(process.execPath, [CLI, "config", "validate", join(REPO, "examples", e, "cluster.yaml")], {
      encoding: "utf8",
    });
    assert.match(out, /: valid — /);
  });
}

test("the HULFT single-server example runs and restarts a killed HULFT daemon", async () => {
  const dir = tempDir("hulft");
  dirs.push(dir);
  const run = join(dir, "run");
  cpSync(join(REPO, "examples", "hulft-single-server"), join(dir, "example"), { recursive: true });
  for (const f of readdirSync(join(dir, "example", "bin"))) {
    const p = join(dir, "example", "bin", f);
    writeFileSync(p, readFileSync(p, "utf8").replaceAll("/tmp/paceline-hulft", run));
  }
  const yaml = readFileSync(join(dir, "example", "cluster.yaml"), "utf8").replace(
    /interval: 5s, recover: exec_hulrcvd/,
    "interval: 500ms, recover: exec_hulrcvd",
  );
  daemon = new DaemonUnderTest(join(dir, "example"), yaml).start();
  for (const id of ["exec_hulrcvd", "exec_hulsndd", "exec_hulobsd"])
    await daemon.waitRsc(id, (r) => r.role === "started");
  await waitFor(
    async () => (await daemon!.status()).monitors.find((m) => m.name === "psw-hulrcvd")!.state === "ok",
    10_000,
    "process monitor ok",
  );
  const pid = Number(readFileSync(join(run, "hulrcvd.pid"), "utf8"));
  process.kill(pid, "SIGKILL");
  await daemon.waitRsc("exec_hulrcvd", (r) => r.failCount === 1 && r.role === "started", 15_000);
  const newPid = Number(readFileSync(join(run, "hulrcvd.pid"), "utf8"));
  assert.notEqual(newPid, pid);
  assert.ok(existsSync(`/proc/${newPid}`));
  const log = readFileSync(join(run, "preaction.log"), "utf8");
  assert.match(log, /MONITOR NAME : psw-hulrcvd/);
  assert.match(log, /ACTION : RESTART \(exec_hulrcvd: no process hulrcvd running\)/);
  assert.match(log, /RESTART COUNT : 1/);
  assert.equal(await daemon.stop(), 0);
  for (const name of ["hulrcvd", "hulsndd", "hulobsd"])
    assert.ok(!existsSync(join(run, `${name}.pid`)), `${name} stopped`);
});
