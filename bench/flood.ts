// npm run bench:flood — the junk rate a cluster survives without a false node loss (needs root). Three daemons in
// network namespaces (no resources); an attacker namespace on the same bridge floods n1's heartbeat port with
// datagrams made to cost the most: the source address of a real peer (spoofed), a valid header, a body that fails
// only at the authentication tag. Rates step up (BENCH_FLOOD_RATES, packets/s, default 10k…200k), each for
// BENCH_FLOOD_SECONDS (default 15) per profile (BENCH_FLOOD_PROFILES, default "default,fast"); the cluster is watched
// every 100 ms: a view change or a peer seen offline is a false loss. Prints the highest rate survived; asserts
// nothing.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsCluster } from "../test/netns-cluster.js";

const RATES = (process.env.BENCH_FLOOD_RATES ?? "10000,20000,50000,100000,200000").split(",").map(Number);
const SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 15);
const PROFILES = (process.env.BENCH_FLOOD_PROFILES ?? "default,fast").split(",");
const SUBNET = 230;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Sends `rate` datagrams a second for `secs` seconds from SRC to DST:5405 (raw socket: any source address); prints
// how many it sent.
const FLOOD_PY = `import os, socket, struct, sys, time
src, dst, rate, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
pool = []
for i in range(256):
    body = bytes([0x50, 2]) + os.urandom(300)
    udp = struct.pack("!HHHH", 5405, 5405, 8 + len(body), 0) + body
    pool.append(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst)) + udp)
n, t0 = 0, time.time()
while True:
    now = time.time() - t0
    if now >= secs: break
    due = int(now * rate)
    while n < due:
        try: s.sendto(pool[n & 255], (dst, 0))
        except OSError: pass
        n += 1
    time.sleep(0.0005)
print(n)
`;

async function floodOnce(c: NetnsCluster, atkNs: string, dir: string, rate: number): Promise<string | undefined> {
  const before = await Promise.all(c.nodes.map((n) => c.node(n).membership()));
  const views = before.map((s) => s.view.id);
  const flood = spawn(
    "ip",
    [
      "netns",
      "exec",
      atkNs,
      "python3",
      `${dir}/flood.py`,
      c.addr("n2", 0),
      c.addr("n1", 0),
      String(rate),
      String(SECONDS),
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let sentText = "";
  flood.stdout.on("data", (b: Buffer) => (sentText += b.toString()));
  const done = new Promise<void>((r) => flood.on("exit", () => r()));
  let finished = false;
  void done.then(() => (finished = true));
  const t0 = Date.now();
  let loss: string | undefined;
  while (!finished) {
    await sleep(100);
    for (const [i, n] of c.nodes.entries()) {
      const s = await c.node(n).membership();
      const offline = s.nodes.filter((x) => x.state !== "online").map((x) => x.name);
      if (!loss && (s.view.id !== views[i] || offline.length))
        loss = `after ${((Date.now() - t0) / 1000).toFixed(1)} s ${n} saw ${offline.length ? `${offline.join(", ")} offline` : `view ${s.view.id}`}`;
    }
  }
  const sent = Number(sentText.trim()) || 0;
  const r = (await c.node("n1").membership()).packets;
  console.log(
    `    ${rate} /s asked, ${Math.round(sent / SECONDS)} /s sent; n1 refused ${Object.entries(r.rejected)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}; ${loss ?? "no false loss"}`,
  );
  return loss;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) return console.log("bench:flood needs root (network namespaces)");
  const dir = mkdtempSync(join(tmpdir(), "paceline-bench-flood-"));
  writeFileSync(`${dir}/flood.py`, FLOOD_PY);
  const rows: string[] = [];
  try {
    for (const profile of PROFILES) {
      const c = new NetnsCluster(3, 1, `profile: ${profile}`, SUBNET);
      const atkNs = `${c.ns("n1")}-atk`;
      const atkVeth = `${c.hostVeth("n1", 0)}a`;
      try {
        c.setup();
        execFileSync("ip", ["netns", "add", atkNs]);
        execFileSync("ip", ["link", "add", atkVeth, "type", "veth", "peer", "name", "eth0", "netns", atkNs]);
        execFileSync("ip", ["link", "set", atkVeth, "master", c.bridge(0), "up"]);
        execFileSync("ip", ["-n", atkNs, "link", "set", "eth0", "up"]);
        execFileSync("ip", ["-n", atkNs, "addr", "add", `10.${SUBNET}.0.200/24`, "dev", "eth0"]);
        for (const n of c.nodes) c.node(n).start();
        await c.converge(c.nodes, c.nodes, "n1", true, 60_000);
        const buf = (await c.node("n1").membership()).packets.recvBufferBytes;
        console.log(`  ${profile} profile (receive buffer granted: ${buf.join(", ")} bytes)`);
        let survived = 0;
        let failedAt = "";
        for (const rate of RATES) {
          const loss = await floodOnce(c, atkNs, dir, rate);
          if (loss) {
            failedAt = `; at ${rate} /s: ${loss}`;
            break;
          }
          survived = rate;
          await sleep(2000);
        }
        rows.push(`${profile} profile: survives ${survived} junk datagrams/s at n1 without a false loss${failedAt}`);
      } finally {
        try {
          execFileSync("ip", ["link", "del", atkVeth]);
          execFileSync("ip", ["netns", "del", atkNs]);
        } catch {
          /* not made */
        }
        await c.teardown();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    "\njunk flood (spoofed peer source, valid header, bad tag) at one node, 3 nodes, 2 cores shared with the sender:",
  );
  for (const r of rows) console.log(`  ${r}`);
}

await main();
