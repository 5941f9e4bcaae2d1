// Seed 000's shared-disk group for real: sfex (a lock on a shared disk) → Filesystem (ext4 on a shared disk) → a
// service, on three nodes that are network namespaces, each with its own host name and mount namespace, both
// disks loop devices every node sees. The service's stop fails:
//  - without fencing (on-fail=block): the stop blocks, and so do the stops below it: the lock and the mount stay
//    with the node where the service may still run; nothing starts elsewhere; after the fix, cleanup moves all;
//  - with fencing (on-fail=fence): the node is powered off before the lock is taken and the disk mounted elsewhere.
// A sampler reads, every 100 ms, the lock's owner from the disk (sfex_stat) and where the filesystem is mounted
// (each node's /proc/PID/mounts): never mounted on two nodes, never mounted where the lock is not held.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ClusterResourceStatus } from "../../src/api/types.js";
import { CLI, cleanupDir, script, sleep, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { alive, FENCE_NETNS, fencingYaml, haveNsenter } from "../fence-netns.js";
import { have, OCF_AGENTS, ROOT, unmet } from "../requires.js";
import { DiskWatch, SharedDisks } from "../shared-disk.js";

const skip = unmet(
  ROOT,
  OCF_AGENTS,
  [have("/usr/lib/ocf/resource.d/heartbeat/sfex") && have("/usr/sbin/sfex_init"), "resource-agents' sfex is missing"],
  [have("/usr/lib/ocf/resource.d/heartbeat/Filesystem"), "resource-agents' Filesystem is missing"],
  [have("/sbin/mkfs.ext4") || have("/usr/sbin/mkfs.ext4"), "mkfs.ext4 (e2fsprogs) is missing"],
  [haveNsenter, "needs nsenter (util-linux)"],
  [have("/usr/bin/gcc"), "needs gcc (to build the sysrq stand-in)"],
);
const dir = tempDir("sfex");
const MNT = `${dir}/mnt`;
const disks = new SharedDisks(dir, MNT);

before(() => {
  if (skip) return;
  disks.setup();
  script(dir, "fence_netns", FENCE_NETNS);
  // The service writes to the shared disk (it needs the mount); its stop fails while fail-stop exists.
  script(dir, "svc-start.sh", `echo "$(uname -n)" >> ${MNT}/writers && touch ${dir}/$(uname -n).up`);
  script(dir, "svc-stop.sh", `[ -f ${dir}/fail-stop ] && exit 1; rm -f ${dir}/$(uname -n).up`);
  script(dir, "svc-status.sh", `[ -f ${dir}/$(uname -n).up ]`);
});
after(() => {
  disks.teardown();
  cleanupDir(dir);
});

function groupYaml(stopOnFail: "block" | "fence"): string {
  return `
resources:
  shared:
    prefer: n1
    members:
      lock: { agent: ocf:heartbeat:sfex, params: { device: ${disks.lockDisk}, index: "1", collision_timeout: "1", monitor_interval: "1", lock_timeout: "4" }, monitor: 2s }
      fs: { agent: ocf:heartbeat:Filesystem, params: { device: ${disks.dataDisk}, directory: ${MNT}, fstype: ext4 }, monitor: 2s }
      svc:
        exec: { start: ${dir}/svc-start.sh, stop: ${dir}/svc-stop.sh, status: ${dir}/svc-status.sh }
        ops: { monitor: { interval: 1s }, stop: { timeout: 1500ms, on-fail: ${stopOnFail} } }
`;
}

const lockOwner = () => disks.lockOwner();
const mountedOn = (c: NetnsCluster) => disks.mountedOn(c);
const nodeLike = () => disks.nodeLike();

const member = (rs: ClusterResourceStatus[], id: string) =>
  rs.flatMap((r) => [r, ...(r.members ?? [])]).find((r) => r.id === id);
const cli = (c: NetnsCluster, n: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args, "--state-dir", c.node(n).stateDir], { encoding: "utf8" });

async function startOnN1(c: NetnsCluster): Promise<void> {
  c.setup();
  for (const n of c.nodes) c.node(n).start();
  await c.converge(c.nodes, c.nodes, "n1");
  await waitFor(() => existsSync(`${dir}/n1.up`), 30_000, "the group to start on n1");
  assert.equal(lockOwner(), "n1");
  assert.deepEqual(mountedOn(c), ["n1"]);
}

test(
  "a service's stop fails and blocks (no fencing): the lock and the mount stay with it on n1; cleanup moves all",
  { skip },
  async () => {
    const c = new NetnsCluster(3, 1, "profile: fast", 227, groupYaml("block"), false, nodeLike());
    const watch = new DiskWatch(c, disks);
    try {
      await startOnN1(c);
      writeFileSync(`${dir}/fail-stop`, "");
      assert.equal(cli(c, "n3", "resource", "move", "shared", "n2").status, 0);
      await waitFor(
        async () => member((await c.node("n2").membership()).resources, "svc")?.state === "blocked",
        15_000,
        "svc's failed stop to block it",
      );
      await sleep(3000);
      assert.equal(lockOwner(), "n1", "the lock stays with the node where the service may still run");
      assert.deepEqual(mountedOn(c), ["n1"], "the filesystem stays mounted there, nowhere else");
      assert.ok(!existsSync(`${dir}/n2.up`) && !existsSync(`${dir}/n3.up`), "nothing started elsewhere");
      const s = await c.node("n2").membership();
      for (const id of ["lock", "fs"])
        assert.notEqual(member(s.resources, id)?.state, "stopped", `${id} is not stopped under a blocked svc`);

      rmSync(`${dir}/fail-stop`);
      assert.equal(cli(c, "n2", "resource", "cleanup", "svc").status, 0);
      await waitFor(() => existsSync(`${dir}/n2.up`), 30_000, "the group to move to n2 after cleanup");
      assert.equal(lockOwner(), "n2");
      assert.deepEqual(mountedOn(c), ["n2"]);
      // Read through n2's mount namespace: what both wrote, one after the other, on the one disk.
      const writers = readFileSync(`/proc/${c.node("n2").proc!.pid}/root${MNT}/writers`, "utf8");
      assert.deepEqual(writers.trim().split("\n"), ["n1", "n2"]);
    } finally {
      watch.stop();
      await c.teardown();
    }
    assert.deepEqual(watch.bad(), [], "mounted on two nodes, or without the lock");
  },
);

test(
  "a service's stop fails with fencing: n1 is powered off before the lock is taken and the disk mounted elsewhere",
  { skip },
  async () => {
    rmSync(`${dir}/fail-stop`, { force: true });
    for (const n of ["n1", "n2", "n3"]) rmSync(`${dir}/${n}.up`, { force: true });
    const c = new NetnsCluster(
      3,
      1,
      "profile: fast",
      228,
      (cl) => groupYaml("fence") + fencingYaml(cl, `${dir}/fence_netns`),
      false,
      nodeLike(),
    );
    const watch = new DiskWatch(c, disks);
    try {
      await startOnN1(c);
      writeFileSync(`${dir}/fail-stop`, "");
      const t0 = Date.now();
      assert.equal(cli(c, "n3", "resource", "move", "shared", "n2").status, 0);
      const fencedAt = await waitFor(() => !alive(c, "n1") && Date.now(), 20_000, "n1 to be fenced");
      rmSync(`${dir}/fail-stop`);
      const at = await waitFor(
        () => (existsSync(`${dir}/n2.up`) ? "n2" : existsSync(`${dir}/n3.up`) ? "n3" : undefined),
        30_000,
        "the group on a peer",
      );
      const lockedAt = watch.firstHeldBy(at, t0);
      assert.ok(lockedAt !== undefined && lockedAt >= fencedAt, "the lock was taken only after n1 was off");
      assert.deepEqual(mountedOn(c), [at]);
      console.log(
        `# stop failure → n1 fenced ${fencedAt - t0} ms → lock on ${at} ${lockedAt - t0} ms (sfex waits out lock_timeout 4 s)`,
      );
    } finally {
      watch.stop();
      await c.teardown();
    }
    assert.deepEqual(watch.bad(), [], "mounted on two nodes, or without the lock");
  },
);
