// CLUSTERPRO's recovery ladder on a real three-node cluster (seed 004's single-server features, in a cluster):
// a supervised service killed with kill -9 is restarted where it runs; a built-in monitor (cluster.yaml
// `monitors:`) that fails twice in a row counts as a failure too; at migration-threshold the service fails over to
// another node; when no node is left, the final action runs where it failed last. Before every step the
// pre-recovery script runs on that node and writes down the CLP_* variables it got.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { MembershipStatus } from "../../src/api/types.js";
import { CLI, cleanupDir, script, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT);
const dir = tempDir("recovery");
const NODES = ["n1", "n2", "n3"];
const c = new NetnsCluster(
  3,
  1,
  "profile: fast",
  225,
  () => `
defaults:
  migration-threshold: 2
  pre-recovery-script: ${dir}/pre.sh
  final-action: { script: ${dir}/final.sh }
resources:
  svc: { exec: { command: sleep 7777 }, prefer: n1 }
monitors:
  alive: { type: custom, script: ${dir}/alive.sh, interval: 300ms, timeout: 1s, failures: 2, recover: svc, when: target-started }
`,
);

before(() => {
  if (skip) return;
  // Every node runs in its own namespace but sees the same files: the scripts say which node they ran on.
  script(
    dir,
    "pre.sh",
    `echo "$PACELINE_NODE $CLP_ACTION $CLP_RESOURCE $CLP_MONITORNAME restarts=$CLP_RESTARTCOUNT failovers=$CLP_FAILOVERCOUNT fails=$PACELINE_FAIL_COUNT" >> ${dir}/pre.log`,
  );
  script(dir, "final.sh", `echo "$PACELINE_NODE final $CLP_RESOURCE failovers=$CLP_FAILOVERCOUNT" >> ${dir}/final.log`);
  script(dir, "alive.sh", `[ ! -f ${dir}/sick-$(ip netns identify $$) ]`);
  c.setup();
});
after(async () => {
  await c.teardown();
  cleanupDir(dir);
});

const svcOf = (s: MembershipStatus) => s.resources.find((r) => r.id === "svc")!;
const runningOn = async () => svcOf(await c.node("n1").membership()).runningOn;

/** The PID of the service in a node's namespace (the supervised process: `sh -c`, or the sleep it became). */
function svcPid(n: string): number | undefined {
  const pids = execFileSync("ip", ["netns", "pids", c.ns(n)], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
  return pids.find((p) => {
    try {
      return /sleep.7777/.test(readFileSync(`/proc/${p}/cmdline`, "utf8"));
    } catch {
      return false;
    }
  });
}

const preLog = () => {
  try {
    return readFileSync(`${dir}/pre.log`, "utf8").trim().split("\n");
  } catch {
    return [];
  }
};

async function runsOnly(n: string, other?: number): Promise<number> {
  return waitFor(
    async () => {
      const on = await runningOn();
      const pid = svcPid(n);
      return on.length === 1 && on[0] === n && pid && pid !== other ? pid : undefined;
    },
    15_000,
    `svc to run on ${n}`,
  ).catch(async (e: Error) => {
    throw new Error(
      `${e.message}: ${JSON.stringify(svcOf(await c.node("n1").membership()))}\n${c.node("n1").output.slice(-3000)}`,
    );
  });
}

async function nextNode(exclude: string[]): Promise<string> {
  return waitFor(
    async () => {
      const on = await runningOn();
      return on.length === 1 && !exclude.includes(on[0]!) ? on[0] : undefined;
    },
    15_000,
    "svc to fail over",
  );
}

test(
  "restart in place, fail over at the threshold, final action when no node is left; the script sees every step",
  { skip },
  async () => {
    for (const n of NODES) c.node(n).start();
    await c.converge(NODES, NODES, "n1", true, 20_000);
    let pid = await runsOnly("n1");

    // kill -9: a 'process' failure, restarted where it runs.
    process.kill(pid, "SIGKILL");
    pid = await runsOnly("n1", pid);
    // The built-in monitor fails twice in a row on n1: the second failure there reaches the threshold.
    writeFileSync(`${dir}/sick-${c.ns("n1")}`, "");
    const second = await nextNode(["n1"]);
    rmSync(`${dir}/sick-${c.ns("n1")}`);

    // Two kills on the second node: a restart, then the failover to the last one.
    // (Waited for by the killed pid: reading the pid again after the kill may already find the restarted one
    // when spawning `ip` is slow, on a loaded machine.)
    let victim = (await waitFor(() => svcPid(second), 10_000, "the service's pid"))!;
    process.kill(victim, "SIGKILL");
    pid = await runsOnly(second, victim);
    process.kill(pid, "SIGKILL");
    const third = await nextNode(["n1", second]);

    // Two kills on the last node: a restart, then nowhere to go: the final action there.
    victim = (await waitFor(() => svcPid(third), 10_000, "the service's pid"))!;
    process.kill(victim, "SIGKILL");
    pid = await runsOnly(third, victim);
    process.kill(pid, "SIGKILL");
    await waitFor(
      () => {
        try {
          return readFileSync(`${dir}/final.log`, "utf8");
        } catch {
          return undefined;
        }
      },
      15_000,
      "the final action",
    );
    await waitFor(
      async () => (await runningOn()).length === 0 && NODES.every((n) => !svcPid(n)),
      10_000,
      "svc stopped everywhere",
    );

    assert.deepEqual(preLog(), [
      "n1 RESTART svc process restarts=1 failovers=0 fails=1",
      "n1 FAILOVER svc alive restarts=1 failovers=1 fails=2",
      `${second} RESTART svc process restarts=1 failovers=1 fails=1`,
      `${second} FAILOVER svc process restarts=1 failovers=2 fails=2`,
      `${third} RESTART svc process restarts=1 failovers=2 fails=1`,
      `${third} FINALACTION svc process restarts=1 failovers=3 fails=2`,
    ]);
    assert.equal(readFileSync(`${dir}/final.log`, "utf8"), `${third} final svc failovers=3\n`);
    const status = await c.node(second).membership();
    assert.deepEqual(svcOf(status).failCounts, { n1: 2, [second]: 2, [third]: 2 });
    assert.match(
      c.node("n1").output,
      /svc: monitor alive failed on n1 \(.*\); failing over to another node \(failover 1, after 2 failures there\)/,
    );
    assert.equal(
      status.monitors?.find((m) => m.name === "alive")?.state,
      "inactive",
      "it watches only while svc runs here",
    );

    // An operator cleans up: it runs again on its preferred node. (A node whose view is changing at that moment says
    // so and refuses — the operator runs it again; what it said is kept for the failure message.)
    const said: string[] = [];
    await waitFor(
      () => {
        try {
          execFileSync(process.execPath, [CLI, "resource", "cleanup", "svc", "--state-dir", c.node("n3").stateDir], {
            stdio: ["ignore", "pipe", "pipe"],
          });
          return true;
        } catch (e) {
          said.push(String((e as { stderr?: Buffer }).stderr ?? e).trim());
          return undefined;
        }
      },
      10_000,
      "the cleanup to be accepted",
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${said.slice(-3).join(" | ")}\n${c.node("n3").output.slice(-3000)}`);
    });
    if (said.length) console.log(`# cleanup refused ${said.length}× first: ${said[0]}`);
    await runsOnly("n1");
  },
);
