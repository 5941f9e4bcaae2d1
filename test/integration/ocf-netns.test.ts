// Debian's real OCF agents through the daemon: ocf:heartbeat:IPaddr2 adds and removes a virtual IP inside a network
// namespace this test creates (and always deletes); ocf:heartbeat:Dummy and ocf:pacemaker:Dummy in a group.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, DaemonUnderTest, tempDir } from "../helpers.js";
import { ROOT, unmet } from "../requires.js";

const NS = `pl-ipaddr2-${process.pid}`;
const haveAgents =
  existsSync("/usr/lib/ocf/resource.d/heartbeat/IPaddr2") && existsSync("/usr/lib/ocf/resource.d/pacemaker/Dummy");
const skip = unmet([haveAgents, "resource-agents / pacemaker-resource-agents are not installed"], ROOT);

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
const addrs = () => ip("-n", NS, "-4", "addr", "show", "dev", "eth0");

let dir = "";
let d: DaemonUnderTest | undefined;

before(() => {
  if (skip) return;
  ip("netns", "add", NS);
  ip("-n", NS, "link", "set", "lo", "up");
  // A veth pair whose far end is the namespace's eth0 (this kernel has no dummy interfaces); deleting the
  // namespace deletes both ends.
  ip("link", "add", `plv${process.pid}`, "type", "veth", "peer", "name", "eth0", "netns", NS);
  ip("link", "set", `plv${process.pid}`, "up");
  ip("-n", NS, "link", "set", "eth0", "up");
  ip("-n", NS, "addr", "add", "10.213.7.1/24", "dev", "eth0");
  dir = tempDir("ipaddr2");
});

after(async () => {
  if (d) {
    await d.stop().catch(() => undefined);
    if (d.proc?.exitCode === null) d.proc.kill("SIGKILL");
  }
  if (!skip) {
    try {
      ip("link", "del", `plv${process.pid}`);
    } catch {
      /* went with the namespace */
    }
    try {
      ip("netns", "del", NS);
    } catch {
      /* already gone */
    }
  }
  if (dir) cleanupDir(dir);
});

test(
  "IPaddr2 adds the virtual IP inside the namespace and removes it on stop, after Dummy agents",
  { skip },
  async () => {
    d = new DaemonUnderTest(
      dir,
      `
resources:
  service:
    members:
      dummy-hb: { agent: ocf:heartbeat:Dummy, params: { state: ${dir}/hb.state }, monitor: 1s }
      dummy-pm: { agent: ocf:pacemaker:Dummy, params: { state: ${dir}/pm.state }, monitor: 1s }
      vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: 10.213.7.10, cidr_netmask: 24, nic: eth0 }, monitor: 2s }
`,
      ["ip", "netns", "exec", NS],
    ).start();
    const vip = await d.waitRsc("vip", (r) => r.role === "started", 20_000);
    assert.equal(vip.agent, "ocf:heartbeat:IPaddr2");
    assert.match(addrs(), /inet 10\.213\.7\.10\/24/);
    assert.doesNotMatch(ip("-4", "addr", "show"), /10\.213\.7\.10/, "the VIP stays inside the namespace");
    await d.waitRsc("vip", (r) => r.lastMonitor?.rc === 0, 10_000, "a successful IPaddr2 monitor");
    // Someone removes the address behind Paceline's back: the monitor notices and IPaddr2 puts it back.
    ip("-n", NS, "addr", "del", "10.213.7.10/24", "dev", "eth0");
    await d.waitRsc("vip", (r) => r.failCount === 1 && r.role === "started", 20_000, "the VIP restored");
    assert.match(addrs(), /inet 10\.213\.7\.10\/24/);
    assert.equal(await d.stop(), 0);
    assert.doesNotMatch(addrs(), /10\.213\.7\.10/);
    assert.match(d.output, /vip: stop done[\s\S]*dummy-pm: stop done[\s\S]*dummy-hb: stop done/);
  },
);
