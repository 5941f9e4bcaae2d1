// Heartbeat's mcast and bcast links (issue 13): three nodes whose only heartbeat link is a multicast group, and
// three whose only link is the subnet's broadcast address. Each datagram stays sealed for one receiver: every node
// hears every copy on a shared link and drops the others' (and its own) without counting them as refused. A node
// powered off is lost, and its resource starts on a survivor; nothing is refused along the way.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { NetnsCluster } from "../netns-cluster.js";
import { waitFor } from "../helpers.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, OCF_AGENTS);
const NODES = ["n1", "n2", "n3"];
const RESOURCES = `
resources:
  svc: { agent: ocf:heartbeat:Dummy, monitor: 1s, prefer: n1 }
`;
const multicast = new NetnsCluster(
  3,
  1,
  "profile: fast, links: [{ multicast: 239.192.7.1 }]",
  224,
  RESOURCES,
  false,
  true,
);
const broadcast = new NetnsCluster(
  3,
  1,
  "profile: fast, links: [{ broadcast: 10.225.0.255 }]",
  225,
  RESOURCES,
  false,
  true,
);

before(() => {
  if (skip) return;
  for (const c of [multicast, broadcast]) {
    c.setup();
    // A bridge that snoops IGMP without a querier may stop flooding the group: a plain switch floods it.
    execFileSync("ip", ["link", "set", "dev", c.bridge(0), "type", "bridge", "mcast_snooping", "0"]);
  }
});
after(async () => {
  await multicast.teardown();
  await broadcast.teardown();
});

async function runsOn(c: NetnsCluster, via: string): Promise<string[]> {
  const s = await c.node(via).membership();
  return s.resources.find((r) => r.id === "svc")?.runningOn ?? [];
}

for (const [kind, c] of [
  ["multicast", multicast],
  ["broadcast", broadcast],
] as const) {
  test(
    `a ${kind}-only heartbeat: three nodes agree, nothing is refused, a powered-off node's resource moves`,
    { skip },
    async () => {
      for (const n of NODES) c.node(n).start();
      await c.converge(NODES, NODES, "n1", true, 30_000);
      await waitFor(async () => (await runsOn(c, "n2")).join() === "n1", 20_000, "svc to start on n1");
      for (const n of NODES) {
        const s = await c.node(n).membership();
        assert.deepEqual(s.packets.rejected, {}, `${n} refused nothing`);
        assert.ok(s.packets.received > 20, `${n} heard its peers (${s.packets.received} datagrams)`);
      }
      c.powerOff("n1");
      await c.converge(["n2", "n3"], ["n2", "n3"], "n2", true, 15_000);
      const at = await waitFor(
        async () => {
          const on = await runsOn(c, "n2");
          return on.length === 1 && on[0] !== "n1" ? on[0] : undefined;
        },
        20_000,
        "svc to start on a survivor",
      );
      assert.ok(at === "n2" || at === "n3");
      for (const n of ["n2", "n3"]) assert.deepEqual((await c.node(n).membership()).packets.rejected, {});
    },
  );
}
