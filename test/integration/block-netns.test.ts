// A stop that fails without fencing (on-fail=block): the resource stays blocked where it is, nothing is started
// elsewhere, the status says what to do, and after the cause is fixed `resource cleanup` lets it move.

import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { CLI, cleanupDir, script, sleep, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, OCF_AGENTS);
const dir = tempDir("block");
// Each node's copy of the resource leaves a file named after its namespace (ip netns identify).
const c = new NetnsCluster(
  3,
  1,
  "profile: fast",
  220,
  `
resources:
  stuck:
    prefer: n1
    exec: { start: ${dir}/start.sh, stop: ${dir}/stop.sh, status: ${dir}/status.sh }
    ops: { monitor: { interval: 1s }, stop: { timeout: 1500ms, on-fail: block } }
`,
);
const cli = (n: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args, "--state-dir", c.node(n).stateDir], { encoding: "utf8" });
const upFile = (n: string) => `${dir}/${c.ns(n)}.up`;

before(() => {
  if (skip) return;
  script(dir, "start.sh", `touch ${dir}/$(ip netns identify).up`);
  script(dir, "stop.sh", `[ -f ${dir}/fail-stop ] && sleep 1000; rm -f ${dir}/$(ip netns identify).up`);
  script(dir, "status.sh", `[ -f ${dir}/$(ip netns identify).up ]`);
  c.setup();
});
after(async () => {
  await c.teardown();
  cleanupDir(dir);
});

test(
  "a stop that times out blocks the resource where it is; cleanup after the fix lets it move",
  { skip },
  async () => {
    for (const n of c.nodes) c.node(n).start();
    await c.converge(c.nodes, c.nodes, "n1");
    await waitFor(() => existsSync(upFile("n1")), 15_000, "stuck to start on n1");
    writeFileSync(`${dir}/fail-stop`, "");
    assert.equal(cli("n3", "resource", "move", "stuck", "n2").status, 0);
    const blocked = await waitFor(
      async () => {
        const r = (await c.node("n2").membership()).resources.find((x) => x.id === "stuck")!;
        return r.state === "blocked" ? r : undefined;
      },
      15_000,
      "stuck to be blocked",
    );
    assert.match(blocked.blocked!, /its stop failed on n1/);
    await sleep(2000);
    assert.ok(!existsSync(upFile("n2")), "nothing is started elsewhere while n1 may still run it");
    assert.match(cli("n2", "status").stdout, /stuck .*blocked.*paceline resource cleanup stuck/s);
    rmSync(`${dir}/fail-stop`);
    assert.equal(cli("n2", "resource", "cleanup", "stuck").status, 0);
    await waitFor(
      () => existsSync(upFile("n2")) && !existsSync(upFile("n1")),
      15_000,
      "stuck to move to n2 once cleaned up",
    );
  },
);
