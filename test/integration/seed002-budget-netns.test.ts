// Seed 002 ("budget HA", Heartbeat v1) for real, on two nodes that are network namespaces: heartbeats on a dedicated
// link (link 0), the service on the public link (link 1) where the router is; the service group (IPaddr2 + a web
// server) behind the cluster address; ipfail's ping placement; a power switch per node (the seed's stonith_host);
// two-node quorum and nice_failback (auto-failback off), as imported from its ha.cf. The seed quotes ~15 s for
// hb_standby to hand the service over; `paceline node standby` is timed here (figures printed, not asserted), then
// the active node is powered off and fenced, and the service comes back on the other.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { CLI, cleanupDir, script, sleep, tempDir } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { alive, FENCE_NETNS, fencingYaml, haveNsenter } from "../fence-netns.js";
import { VipProbe, webServerSource } from "../vip-probe.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, OCF_AGENTS, [haveNsenter, "needs nsenter (util-linux)"]);
const SUBNET = 233;
const VIP = `10.${SUBNET}.1.100`;
const dir = tempDir("seed002");
const c = new NetnsCluster(
  2,
  2,
  "profile: fast",
  SUBNET,
  (cl) => `
quorum: { two-node: true }
properties: { auto-failback: false }
ping: { targets: [10.${SUBNET}.1.254], interval: 500ms, timeout: 400ms }
resources:
  group1:
    prefer: n1
    members:
      ip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth1 }, monitor: 2s }
      www: { exec: { command: "${process.execPath} ${dir}/www.cjs" }, monitor: 1s }
${fencingYaml(cl, `${dir}/fence_netns`)}`,
);
const probe = new VipProbe(c, VIP);
const cli = (n: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args, "--state-dir", c.node(n).stateDir], { encoding: "utf8" });

before(() => {
  if (skip) return;
  writeFileSync(`${dir}/www.cjs`, webServerSource(`10.${SUBNET}.1.`, VIP));
  script(dir, "fence_netns", FENCE_NETNS);
  c.setup();
});
after(async () => {
  await c.teardown();
  cleanupDir(dir);
});

test(
  "seed 002: standby hands the service over (timed), nice_failback keeps it there, a power-off is fenced and recovered",
  { skip },
  async () => {
    for (const n of c.nodes) c.node(n).start();
    await c.converge(c.nodes, c.nodes, "n1");
    await probe.answeredBy("n1", 30_000);
    const sampler = probe.sampler();
    let standbyMs = 0,
      powerOffMs = 0;
    try {
      // hb_standby: everything moves to the other node.
      const t0 = Date.now();
      const r = cli("n2", "node", "standby", "n1");
      assert.equal(r.status, 0, r.stdout + r.stderr);
      await probe.answeredBy("n2");
      standbyMs = Date.now() - t0;
      // Back online: nice_failback (auto-failback off) leaves the service where it is.
      assert.equal(cli("n2", "node", "online", "n1").status, 0);
      await sleep(2000);
      assert.equal(await probe.whoAnswers(1000), "n2", "auto-failback off: it stays on n2");
      // The active node loses power: it is fenced (the seed's stonith_host), the service comes back on n1.
      const t1 = Date.now();
      c.powerOff("n2", [`${VIP}/24`], "eth1");
      sampler.exclude.add("n2");
      await probe.answeredBy("n1", 30_000);
      powerOffMs = Date.now() - t1;
      assert.equal(alive(c, "n2"), false);
      assert.match(c.node("n1").output, /n2 fenced by power-n2/);
    } finally {
      await sampler.stop();
    }
    assert.deepEqual(sampler.overlaps, [], "the address answered from two nodes");
    console.log(
      `# seed 002: standby → service on the other node in ${standbyMs} ms (the seed's hb_standby: ~15 s); power-off → fenced and back in ${powerOffMs} ms`,
    );
  },
);
