// npm run bench:soak — false positives under stress (needs root): 3 nodes on 2 links in network namespaces,
// 20 % packet loss on every node (nftables), both CPU cores kept busy, for BENCH_SOAK_SECONDS (default 600).
// Counts view changes, moments any node saw a peer offline, and false stops of a resource (its node's lease run
// short); prints them with the worst link silence seen and the daemons' event-loop lag. BENCH_SOAK_PROFILE picks
// the heartbeat profile (default fast, the demanding one).

import { spawn, type ChildProcess } from "node:child_process";
import { cpus } from "node:os";
import { HEARTBEAT_PROFILES } from "../src/config/load.js";
import { NetnsCluster } from "../test/netns-cluster.js";

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const PROFILE = process.env.BENCH_SOAK_PROFILE ?? "fast";
const LOSS_PCT = Number(process.env.BENCH_SOAK_LOSS_PCT ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One resource, so that a lease running short shows as what a user would see: the node stopping it.
const c = new NetnsCluster(
  3,
  2,
  `profile: ${PROFILE}`,
  217,
  `resources:\n  keep: { exec: { command: "sleep 100000000" } }\n`,
);
const burners: ChildProcess[] = [];
async function cleanup(): Promise<void> {
  for (const b of burners) if (b.exitCode === null) b.kill("SIGKILL");
  await c.teardown();
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });

if (process.getuid?.() !== 0) {
  console.error("bench:soak needs root (network namespaces)");
  process.exit(1);
}
try {
  c.setup();
  for (const d of c.daemons.values()) d.start();
  const first = await c.converge(c.nodes, c.nodes, "n1", true, 120_000);
  for (const n of c.nodes) c.filter(n, `udp dport 5405 numgen random mod 100 < ${LOSS_PCT} drop`);
  for (let i = 0; i < cpus().length; i++)
    burners.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
  let viewChanges = 0;
  let offlineSightings = 0;
  let worstSilenceMs = 0;
  let worstLagMs = 0;
  const viewIds = new Map(first.map((s) => [s.node, s.view.id]));
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    await sleep(250);
    for (const n of c.nodes) {
      const s = await c.node(n).membership();
      if (s.view.id !== viewIds.get(n)) {
        viewChanges++;
        viewIds.set(n, s.view.id);
      }
      for (const p of s.nodes) {
        if (p.name === n) continue;
        if (p.state !== "online") offlineSightings++;
        // A node is lost only when every link is silent: the best link's silence is what counts.
        const best = Math.min(...p.links.map((l) => l.lastHeardMsAgo ?? Infinity));
        worstSilenceMs = Math.max(worstSilenceMs, best);
      }
      worstLagMs = Math.max(worstLagMs, s.eventLoopLagMs.max);
    }
  }
  const s = await c.node("n1").membership();
  const count = (re: RegExp) => c.nodes.reduce((a, n) => a + (c.node(n).output.match(re)?.length ?? 0), 0);
  const leaseStops = count(/quorum lease ends in \d+ ms: stopping/g);
  const moves = count(/DC: start keep on/g) - 1;
  console.log(
    `Soak: ${SECONDS} s, ${PROFILE} profile (dead ${HEARTBEAT_PROFILES[PROFILE === "fast" ? "fast" : "default"].deadMs} ms), ${LOSS_PCT} % loss on every node, ${burners.length} CPU burners`,
  );
  console.log(`  view changes seen: ${viewChanges}; peer-offline sightings: ${offlineSightings}`);
  console.log(`  false stops (a lease run short, the resource stopped): ${leaseStops}; resource moves: ${moves}`);
  console.log(
    `  longest silence of a peer on its best link: ${worstSilenceMs} ms; worst event-loop lag: ${worstLagMs.toFixed(1)} ms`,
  );
  console.log(`  n1 packets: ${s.packets.sent} sent, ${s.packets.received} received`);
} finally {
  await cleanup();
}
