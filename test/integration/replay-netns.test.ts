// Someone on the cluster network without the key, replaying what they captured (docs/security.md). Three daemons in
// network namespaces (fast profile, native VIP, no fencing); the heartbeats are captured on the nodes' cables for a
// few seconds, then an attacker namespace on the same bridge sends them again, from their original source addresses:
//  - to the other nodes than the ones they were for: every one refused (`not-for-me`), nothing changes;
//  - after n1's daemon is killed, all of n1's datagrams, to everyone, in a loop: n1 leaves the view on time;
//  - to n1, cut off from the others, all of their datagrams in a loop: n1 loses quorum on time and the VIP is never
//    on two nodes.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, script, sleep, tempDir, waitFor } from "../helpers.js";
import { haveNft, NetnsCluster } from "../netns-cluster.js";
import { Sampler, VipProbe } from "../vip-probe.js";
import { ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, [haveNft, "needs nftables"]);
const SUBNET = 229;
const VIP = `10.${SUBNET}.0.100`;
const ATTACKER = `10.${SUBNET}.0.200`;
/** The bridge-level cut's table (named for this process: tests may run side by side). */
const CUT = `plcut${process.pid}`;
const dir = tempDir("replay");
const c = new NetnsCluster(
  3,
  1,
  "profile: fast",
  SUBNET,
  `
resources:
  vip: { agent: vip, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 1s, prefer: n1 }
`,
);
const atkNs = () => `${c.ns("n1")}-atk`;
const atkVeth = () => `${c.hostVeth("n1", 0)}a`;

// Captures the UDP heartbeats (port 5405) crossing some interfaces: one line per datagram, "src dst payload-hex".
const CAPTURE_PY = `import socket, struct, sys, time
path, secs, ifaces = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
socks = []
for i in ifaces:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3)); s.bind((i, 0)); s.setblocking(False); socks.append(s)
seen, out, end = set(), open(path, "w"), time.time() + secs
while time.time() < end:
    got = False
    for s in socks:
        try: pkt = s.recv(65535)
        except BlockingIOError: continue
        got = True
        if pkt[12:14] != b"\\x08\\x00": continue
        ip = pkt[14:]; ihl = (ip[0] & 15) * 4
        if ip[9] != 17: continue
        udp = ip[ihl:]
        if struct.unpack("!H", udp[2:4])[0] != 5405: continue
        line = "%s %s %s" % (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), udp[8:].hex())
        if line not in seen: seen.add(line); out.write(line + "\\n")
    if not got: time.sleep(0.001)
`;
// Sends captured datagrams again, in a loop for a while, from their original source address (spoofed: a raw socket,
// as anyone on the segment can), to their destination ("same") or to others ("to" rewrites it).
const REPLAY_PY = `import socket, struct, sys, time
path, secs, to = sys.argv[1], float(sys.argv[2]), sys.argv[3]
pkts = [l.split() for l in open(path)]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW); n = 0
def packet(src, dst, payload):
    udp = struct.pack("!HHHH", 5405, 5405, 8 + len(payload), 0) + payload
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst)) + udp
end = time.time() + secs
while time.time() < end:
    for src, dst, hexp in pkts:
        for d in ([dst] if to == "same" else to.split(",")):
            try: s.sendto(packet(src, d, bytes.fromhex(hexp)), (d, 0)); n += 1
            except OSError: pass
        time.sleep(0.001)
print(n)
`;

const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: "utf8" });
const quietly = (f: () => unknown) => {
  try {
    f();
  } catch {
    /* gone */
  }
};

before(() => {
  if (skip) return;
  script(dir, "capture.py", CAPTURE_PY);
  script(dir, "replay.py", REPLAY_PY);
  c.setup();
  sh("ip", "netns", "add", atkNs());
  sh("ip", "link", "add", atkVeth(), "type", "veth", "peer", "name", "eth0", "netns", atkNs());
  sh("ip", "link", "set", atkVeth(), "master", c.bridge(0), "up");
  sh("ip", "-n", atkNs(), "link", "set", "eth0", "up");
  sh("ip", "-n", atkNs(), "addr", "add", `${ATTACKER}/24`, "dev", "eth0");
});
after(async () => {
  quietly(() => sh("ip", "link", "del", atkVeth()));
  quietly(() => sh("ip", "netns", "del", atkNs()));
  await c.teardown();
  cleanupDir(dir);
});

/** Captures every node's heartbeats for `secs` seconds; returns the lines. */
function capture(file: string, secs: number): string[] {
  execFileSync("python3", [
    `${dir}/capture.py`,
    `${dir}/${file}`,
    String(secs),
    ...c.nodes.map((n) => c.hostVeth(n, 0)),
  ]);
  return readFileSync(`${dir}/${file}`, "utf8").trim().split("\n").filter(Boolean);
}

/** Replays a capture from the attacker's namespace for `secs` seconds (in the background). */
function replay(file: string, secs: number, to: string): Promise<number> {
  const p = spawn("ip", ["netns", "exec", atkNs(), "python3", `${dir}/replay.py`, `${dir}/${file}`, String(secs), to], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  p.stdout.on("data", (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => p.on("exit", () => resolve(Number(out.trim()) || 0)));
}

const only = (lines: string[], from: string, to?: string) =>
  lines.filter((l) => l.startsWith(`${c.addr(from, 0)} `) && (!to || l.split(" ")[1] === c.addr(to, 0)));
const rejected = async (n: string, reason: string) => (await c.node(n).membership()).packets.rejected[reason] ?? 0;

test(
  "heartbeats captured on their way to one node and sent to another are all refused; the cluster does not notice",
  { skip },
  async () => {
    for (const n of c.nodes) c.node(n).start();
    await c.converge(c.nodes, c.nodes, "n1");
    const lines = capture("all.txt", 2);
    const toN2 = only(lines, "n1", "n2");
    assert.ok(toN2.length > 10, `captured ${lines.length} datagrams, ${toN2.length} from n1 to n2`);
    writeFileSync(`${dir}/n1-to-n2.txt`, toN2.join("\n") + "\n");
    const before3 = await rejected("n3", "not-for-me");
    const sent = await replay("n1-to-n2.txt", 2, c.addr("n3", 0));
    await sleep(200);
    const refused = (await rejected("n3", "not-for-me")) - before3;
    console.log(`# ${sent} datagrams n1→n2 replayed to n3: ${refused} refused as not for it`);
    assert.ok(sent > 0);
    assert.equal(refused, sent, "every replayed datagram refused");
    await c.converge(c.nodes, c.nodes, "n1");
  },
);

test(
  "a killed node's captured heartbeats, replayed to every node in a loop, do not keep it in the view",
  { skip },
  async () => {
    const lines = capture("n1.txt", 2);
    const fromN1 = only(lines, "n1");
    writeFileSync(`${dir}/from-n1.txt`, fromN1.join("\n") + "\n");
    c.node("n1").proc!.kill("SIGKILL");
    const t0 = Date.now();
    const replaying = replay("from-n1.txt", 6, [c.addr("n2", 0), c.addr("n3", 0)].join(","));
    await c.converge(["n2", "n3"], ["n2", "n3"], "n2", true, 4000);
    console.log(`# n1 killed; its heartbeats replayed to n2 and n3: dropped from the view after ${Date.now() - t0} ms`);
    await replaying;
    c.node("n1").start();
    await c.converge(c.nodes, c.nodes, "n1", true, 15_000);
  },
);

test(
  "a node cut off from the others, fed their captured heartbeats in a loop, loses quorum on time: the VIP is never on two nodes",
  { skip },
  async () => {
    const probe = new VipProbe(c, VIP);
    await waitFor(() => probe.holds("n1"), 15_000, "the VIP on n1");
    const lines = capture("others.txt", 2);
    writeFileSync(`${dir}/others.txt`, [...only(lines, "n2"), ...only(lines, "n3")].join("\n") + "\n");
    const sampler = new Sampler(probe);
    // The bridge carries nothing between n1 and n2/n3 any more (a cut in the switch); the attacker still reaches n1.
    const [v1, v2, v3] = c.nodes.map((n) => `"${c.hostVeth(n, 0)}"`);
    execFileSync("nft", ["-f", "-"], {
      input: `table bridge ${CUT} {
  chain forwarding {
    type filter hook forward priority 0;
    iifname ${v1} oifname { ${v2}, ${v3} } drop
    iifname { ${v2}, ${v3} } oifname ${v1} drop
  }
}
`,
    });
    try {
      const t0 = Date.now();
      const replaying = replay("others.txt", 5, c.addr("n1", 0));
      await waitFor(async () => !(await probe.holds("n1")), 5000, "n1 to give the VIP up");
      const gaveUpMs = Date.now() - t0;
      await waitFor(async () => (await probe.holds("n2")) || (await probe.holds("n3")), 10_000, "the VIP elsewhere");
      await replaying;
      await sampler.stop();
      console.log(`# n1 cut off and fed replays: gave the VIP up after ${gaveUpMs} ms`);
      assert.deepEqual(sampler.overlaps, [], "the VIP on two nodes");
      assert.ok((await rejected("n1", "not-for-me")) + (await rejected("n1", "replay")) > 0);
    } finally {
      quietly(() => execFileSync("nft", ["delete", "table", "bridge", CUT]));
    }
  },
);
