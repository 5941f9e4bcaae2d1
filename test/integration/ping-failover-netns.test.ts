// Seed 002's ipfail: heartbeats on a dedicated link (link 0), services on the public link (link 1) where the
// router is. Cutting the active node's public link leaves it in the cluster but unable to reach the router: its
// ping score drops to 0 and the group (a real IPaddr2 VIP + web server) moves to a node that can still reach it.

import assert from "node:assert/strict";

import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { VipProbe, webServerSource } from "../vip-probe.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, OCF_AGENTS);
const SUBNET = 219;
const VIP = `10.${SUBNET}.1.100`;
const dir = tempDir("ping-failover");
const c = new NetnsCluster(
  3,
  2,
  "profile: fast",
  SUBNET,
  `
ping: { targets: [10.${SUBNET}.1.254], interval: 200ms, timeout: 300ms, multiplier: 100 }
resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth1 }, monitor: 1s }
      www: { exec: { command: "${process.execPath} ${dir}/www.cjs" }, monitor: 1s }
defaults: { stickiness: 50, migration-threshold: 1 }
`,
);
const probe = new VipProbe(c, VIP);
const NODES = ["n1", "n2", "n3"];

before(() => {
  if (skip) return;
  writeFileSync(`${dir}/www.cjs`, webServerSource(`10.${SUBNET}.1.`, VIP));
  c.setup();
});
after(async () => {
  await c.teardown();
  cleanupDir(dir);
});

test(
  "the active node loses the router: the group moves to a node that reaches it; the node stays a member",
  { skip },
  async () => {
    for (const n of NODES) c.node(n).start();
    await c.converge(NODES, NODES, "n1");
    await probe.answeredBy("n1", 20_000);
    const sampler = probe.sampler();
    try {
      c.setLink("n1", 1, "down");
      await probe.answeredByAny(["n2", "n3"]);
      const s = await c.converge(NODES, NODES, "n1");
      assert.equal(s[0]!.nodes.find((n) => n.name === "n1")!.attributes.pingd, "0");
      c.setLink("n1", 1, "up");
      await waitFor(
        async () => (await c.node("n2").membership()).nodes.find((n) => n.name === "n1")!.attributes.pingd === "100",
        10_000,
        "n1 to reach the router again",
      );
      assert.notEqual(await probe.whoAnswers(), "n1", "equal scores again: stickiness keeps the group where it is");
    } finally {
      await sampler.stop();
    }
    assert.deepEqual(sampler.overlaps, []);
  },
);
