// The README's first command: `paceline demo` must work on a fresh machine — the three-node cluster as root with
// resource-agents installed, the single-server demo otherwise — and leave nothing behind.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { CLI } from "../helpers.js";
import { canRunClusterDemo } from "../../src/cli/demo-cluster.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";

test(
  "paceline demo (cluster): the VIP fails over twice, and every namespace and link is removed",
  { skip: unmet(ROOT, OCF_AGENTS, [canRunClusterDemo(), "the cluster demo cannot run here"]) },
  () => {
    const r = spawnSync(process.execPath, [CLI, "demo"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr);
    assert.match(r.stdout, /answers: "hello from n1"/);
    assert.equal(r.stdout.match(/>>> Failover: /g)?.length, 2, r.stdout.slice(-3000));
    assert.doesNotMatch(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }), /pl-demo-/);
    assert.doesNotMatch(execFileSync("ip", ["link"], { encoding: "utf8" }), /pl-demo-/);
  },
);

test("paceline demo --loopback (what a non-root user gets): the service fails over to another node and everything stops", () => {
  const r = spawnSync(process.execPath, [CLI, "demo", "--loopback"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr);
  assert.match(r.stdout, /answers: "hello from n1"/);
  assert.match(r.stdout, />>> Failover: "hello from n[23]"/);
  assert.match(r.stdout, /web\s+exec\s+started on n[23]/, "it stays there when n1 comes back");
});

test("paceline demo --single: a killed and a frozen service recover", () => {
  const r = spawnSync(process.execPath, [CLI, "demo", "--single"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr);
  assert.match(r.stdout, /Recovered from the hang/);
});

test("paceline demo --example: lists every example folder that has a README, runs one, refuses an unknown one", () => {
  const list = spawnSync(process.execPath, [CLI, "demo", "--example", "list"], { encoding: "utf8" });
  assert.equal(list.status, 0, list.stderr);
  const names = [...list.stdout.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
  const root = new URL("../../..", import.meta.url).pathname;
  const withReadme = readdirSync(`${root}/examples`).filter((e) => existsSync(`${root}/examples/${e}/README.md`));
  for (const e of withReadme) assert.ok(names.includes(e), `examples/${e} has no demo`);
  for (const n of names) assert.ok(existsSync(`${root}/examples/${n}`), `demo ${n} has no examples/ folder`);
  const bad = spawnSync(process.execPath, [CLI, "demo", "--example", "nope"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no example `nope`; the examples are:\n {2}seed000-pgsql/);
  // The single-server one needs no root and runs in seconds: the demo runs the example's own test.
  const run = spawnSync(process.execPath, [CLI, "demo", "--example", "hulft-single-server"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stdout.slice(-3000) + run.stderr);
  assert.match(run.stdout, /HULFT single-server example runs and restarts a killed HULFT daemon/);
});
