// paceline simulate on Pacemaker CIBs: the normalized summary matches Pacemaker's for cases we pass, and
// --explain says why a resource is where it is.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CLI, cleanupDir, REPO, tempDir } from "./helpers.js";
import { unmet } from "./requires.js";

const CORPUS =
  [
    join(REPO, "..", "shared", "conformance", "pacemaker-scheduler", "public"),
    "/work/shared/conformance/pacemaker-scheduler/public",
  ].find((d) => existsSync(d)) ?? "";
const skip = unmet([existsSync(CORPUS), "the conformance corpus (../shared) is not here"]);
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, "simulate", ...args], { encoding: "utf8" });
const dir = tempDir("simulate");
after(() => cleanupDir(dir));

for (const name of ["promoted-move", "simple4", "coloc-loop", "group1"]) {
  test(`simulate --summary matches Pacemaker on ${name}`, { skip }, () => {
    const r = run("--cib", join(CORPUS, "xml", `${name}.xml`), "--summary");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(CORPUS, "expected", `${name}.norm`), "utf8"));
  });
}

test("simulate --explain names what decided the placement", { skip }, () => {
  const r = run("--cib", join(CORPUS, "xml", "promoted-move.xml"), "--explain", "dummy01");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dummy01 \(placed with group grpDRBD\)/);
  assert.match(r.stdout, /bl460g1n13 +-INFINITY .*dummy01 failed once here \(migration-threshold 1\)/);
  assert.match(r.stdout, /→ runs on bl460g1n14 \(it ran on bl460g1n13\)/);
});

test("simulate refuses bad input clearly", () => {
  const bad = join(dir, "bad.xml");
  writeFileSync(bad, "<cib><configuration><resources><primitive id='x'></resources></configuration></cib>");
  const r = run("--cib", bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.xml: line 1: closing tag <\/resources> does not match <primitive>/);
  assert.match(run("--cib", join(dir, "none.xml")).stderr, /cannot read .*none\.xml: no such file/);
  assert.match(run().stderr, /give the input: --cib FILE\.xml/);
});

test("simulate --config: what-if events on a cluster.yaml", () => {
  const cfg = join(dir, "cluster.yaml");
  writeFileSync(
    cfg,
    `nodes: { node1: {}, node2: {} }
defaults: { stickiness: 100, migration-threshold: 1 }
resources:
  web:
    prefer: node1
    members:
      vip: { exec: { command: sleep 100 }, monitor: 10s }
      app: { exec: { command: sleep 100 }, monitor: 10s }
`,
  );
  const fail = run("--config", cfg, "--node-fail", "node1");
  assert.equal(fail.status, 0, fail.stderr);
  assert.match(fail.stdout, /Starting point: vip on node1, app on node1\./);
  assert.match(fail.stdout, /start +app +on node2/); // without fencing, a failed node is assumed to run nothing
  const op = run("--config", cfg, "--op-fail", "app_monitor_10000@node1=7", "--summary");
  assert.equal(
    op.stdout,
    "ACTION Move vip node1 node2\nACTION Recover app node1 node2\nNODE node1 online\nNODE node2 online\nPLACE app node2 Started\nPLACE vip node2 Started\n",
  );
  const why = run("--config", cfg, "--op-fail", "app_monitor_10000@node1=7", "--explain", "app");
  assert.match(why.stdout, /node1 +-INFINITY .*app failed once here \(migration-threshold 1\)/);
  assert.match(run("--config", cfg, "--standby", "node9").stderr, /no node `node9` \(nodes: node1, node2\)/);
});

test("seed 000 and 003 configurations: simulate explains why a resource is where it is", () => {
  const ex = (f: string) => join(REPO, "examples", f);
  const steady = run("--cib", ex("seed000-pgsql-stonith/cib.xml"), "--explain", "prmPg");
  assert.equal(steady.status, 0, steady.stderr);
  assert.match(steady.stdout, /prmPg \(placed with group grpPg\)/);
  assert.match(
    steady.stdout,
    /pm1 +INFINITY +\+200 location rsc_location-grpPg-1 .*\+INFINITY stickiness of prmPg \(it runs here\)/,
  );
  assert.match(steady.stdout, /→ runs on pm1 \(it ran on pm1\)/);
  const failed = run("--cib", ex("seed000-pgsql-stonith/cib-pgsql-failed.xml"), "--summary");
  assert.match(failed.stdout, /ACTION Recover prmPg pm1 pm2/);
  assert.match(failed.stdout, /ACTION Move prmIp pm1 pm2/);
  const eip = run("--cib", ex("seed003-aws-eip/cib.xml"), "--explain", "eip");
  assert.match(eip.stdout, /ip-10-0-0-20\S* +-INFINITY +-INFINITY node ip-10-0-0-20\S* is offline/);
  assert.match(eip.stdout, /→ runs on ip-10-0-1-20/);
});

test("a blocked stop blocks every stop below it in the group (seed 000's sfex → Filesystem → pgsql → IP): the lock and the mount stay", () => {
  const f = join(dir, "pg.yaml");
  writeFileSync(
    f,
    `cluster: pg
nodes:
  pm1: { links: [192.0.2.1] }
  pm2: { links: [192.0.2.2] }
quorum: { two-node: true }
fencing: { enabled: false }
resources:
  grpPg:
    prefer: pm1
    members:
      prmEx: { agent: ocf:heartbeat:Dummy }
      prmFs: { agent: ocf:heartbeat:Dummy }
      prmPg: { agent: ocf:heartbeat:Dummy, ops: { stop: { on-fail: block } } }
      prmIp: { agent: ocf:heartbeat:Dummy }
`,
  );
  const r = run("--config", f, "--standby", "pm1", "--op-fail", "prmPg_stop_0@pm1=1");
  assert.equal(r.status, 0, r.stderr);
  // Pacemaker: "Stop prmEx … due to unrunnable prmFs stop (blocked)": the lock and the mount stay with PostgreSQL.
  assert.match(r.stdout, /stop +prmEx +on pm1 +BLOCKED/, r.stdout);
  assert.match(r.stdout, /stop +prmFs +on pm1 +BLOCKED/, r.stdout);
  assert.match(r.stdout, /prmEx +Started +on pm1/, r.stdout);
  assert.doesNotMatch(r.stdout, /start +prm\w+ +on pm2/, r.stdout);
});
