import assert from "node:assert/strict";
import { test } from "node:test";
import { vipParams } from "../../config/vip.js";
import { __forTests } from "./vip-agent.js";

const { bitsOf, inSubnet } = __forTests;

test("addresses written differently compare equal, and subnets hold what they should", () => {
  assert.equal(bitsOf("fd00:213::20"), bitsOf("fd00:213:0:0:0:0:0:20"));
  assert.equal(bitsOf("::ffff:192.0.2.1"), bitsOf("::ffff:c000:201"));
  assert.notEqual(bitsOf("10.0.0.1"), bitsOf("10.0.0.2"));
  assert.ok(inSubnet("10.213.7.20", "10.213.7.1", 24, 4));
  assert.ok(!inSubnet("10.213.8.20", "10.213.7.1", 24, 4));
  assert.ok(inSubnet("fd00:213::20", "fd00:213::1", 64, 6));
  assert.ok(!inSubnet("fd00:214::20", "fd00:213::1", 64, 6));
});

test("a VIP's parameters: IPaddr2's names, checked with plain errors", () => {
  assert.deepEqual(vipParams({ ip: "192.0.2.10", cidr_netmask: "24", nic: "eth0" }), {
    ip: "192.0.2.10",
    family: 4,
    prefix: 24,
    nic: "eth0",
    arpCount: 5,
    arpIntervalMs: 200,
  });
  assert.match(String(vipParams({})), /needs params\.ip/);
  assert.match(String(vipParams({ ip: "fd00::1", cidr_netmask: "129" })), /from 1 to 128/);
  assert.match(String(vipParams({ ip: "10.0.0.1", nic: "eth0; rm -rf /" })), /is not an interface name/);
  assert.match(String(vipParams({ ip: "10.0.0.1", arp_count: "-1" })), /arp_count/);
});
