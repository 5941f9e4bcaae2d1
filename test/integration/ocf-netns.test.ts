// Debian's real OCF agents through the daemon: ocf:heartbeat:IPaddr2 and the native VIP add and remove virtual IPs
// inside a network namespace this test creates (and always deletes); ocf:heartbeat:Dummy and ocf:pacemaker:Dummy in
// a group.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, DaemonUnderTest, tempDir } from "../helpers.js";
import { ROOT, unmet } from "../requires.js";
import { loadConfigText } from "../../src/config/load.js";
import { formatProblem } from "../../src/config/problems.js";

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

test(
  "the native VIP (agent: vip): finds its interface, starts in milliseconds, is put back when removed, stops cleanly",
  { skip },
  async () => {
    d = new DaemonUnderTest(
      dir,
      `
resources:
  fast-vip: { agent: vip, params: { ip: 10.213.7.20 }, monitor: 1s }
  v6: { agent: vip, params: { ip: "fd00:213::20", cidr_netmask: 64, nic: eth0 }, monitor: 1s }
`,
      ["ip", "netns", "exec", NS],
    ).start();
    const vip = await d.waitRsc("fast-vip", (r) => r.role === "started", 20_000);
    assert.equal(vip.agent, "ocf:paceline:vip");
    // No nic, no netmask: eth0's 10.213.7.0/24 holds the address, so it goes there with /24 (IPaddr2's findif).
    assert.match(addrs(), /inet 10\.213\.7\.20\/24/);
    assert.doesNotMatch(ip("-4", "addr", "show"), /10\.213\.7\.20/, "the VIP stays inside the namespace");
    const took = Number(d.output.match(/fast-vip: start done \((\d+) ms\)/)?.[1]);
    console.log(`# native VIP start: ${took} ms`);
    await d.waitRsc("v6", (r) => r.role === "started", 20_000);
    assert.match(ip("-n", NS, "-6", "addr", "show", "dev", "eth0"), /inet6 fd00:213::20\/64/);
    ip("-n", NS, "addr", "del", "10.213.7.20/24", "dev", "eth0");
    await d.waitRsc("fast-vip", (r) => r.failCount === 1 && r.role === "started", 20_000, "the VIP restored");
    assert.match(addrs(), /inet 10\.213\.7\.20\/24/);
    assert.equal(await d.stop(), 0);
    assert.doesNotMatch(addrs(), /10\.213\.7\.20/);
    assert.doesNotMatch(ip("-n", NS, "-6", "addr", "show", "dev", "eth0"), /fd00:213::20/);
  },
);

test("the native VIP's parameters are checked when the configuration loads", () => {
  const problems = (params: string) =>
    loadConfigText(`resources:\n  v: { agent: vip, params: ${params} }\n`, "c.yaml").problems.map(formatProblem);
  assert.match(problems("{ nic: eth0 }").join(), /resources\.v\.params: vip: needs params\.ip/);
  assert.match(problems("{ ip: 10.0.0.300 }").join(), /params\.ip `10\.0\.0\.300` is not an IPv4 or IPv6 address/);
  assert.match(problems("{ ip: 10.0.0.3, cidr_netmask: 33 }").join(), /must be a prefix length from 1 to 32/);
  assert.deepEqual(problems("{ ip: 10.0.0.3, cidr_netmask: 24, nic: eth0 }"), []);
});
