// `paceline demo` without root: the same three-node cluster on this machine's loopback (nodes on 127.0.1.1-3,
// real daemons, real heartbeats and failover), without namespaces. The service's floating address is
// 127.0.0.100:PORT, which only one web server can hold at a time, so whoever answers there is the node running it.
// The demo powers the active node off (kill -9 of its supervisor, daemon and service) and shows another node take over.

import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callDaemon } from "../api/client.js";
import type { MembershipStatus } from "../api/types.js";
import { writeClusterKey } from "../node/key.js";
import { renderMembership } from "./render-status.js";
import { askService, sleep, startNode, stopNodes, until } from "./demo-common.js";

const NODES = ["n1", "n2", "n3"];
const FLOATING = "127.0.0.100";

// The web server learns its node from its parent, the node's daemon (`--node nX` on its command line).
const WEB_JS = `const http = require("http"), fs = require("fs");
let node = "?";
try { const a = fs.readFileSync("/proc/" + process.ppid + "/cmdline", "utf8").split("\\0"); node = a[a.indexOf("--node") + 1] || "?"; } catch {}
http.createServer((q, s) => s.end("hello from " + node + "\\n")).listen(Number(process.argv[2]), "${FLOATING}");
`;

/** Every process of one node: its supervisor and all it started (the daemon, the service), recursively. */
function nodePids(supervisor: number): number[] {
  const all = [supervisor];
  for (let i = 0; i < all.length; i++) {
    try {
      all.push(
        ...execFileSync("pgrep", ["-P", String(all[i])], { encoding: "utf8" })
          .split("\n")
          .filter(Boolean)
          .map(Number),
      );
    } catch {
      /* no children */
    }
  }
  return all;
}

export async function runLoopbackDemo(keep: boolean): Promise<number> {
  const say = (text: string) => console.log(`\n>>> ${text}`);
  const dir = mkdtempSync(join(tmpdir(), "paceline-demo-"));
  const base = 20_000 + Math.floor(Math.random() * 20_000);
  const port = base + 10;
  const procs = new Map<string, ChildProcess>();
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
  });
  process.once("SIGTERM", () => {
    interrupted = true;
  });
  process.stdout.on("error", () => undefined);
  const start = (n: string) => {
    mkdirSync(join(dir, n), { recursive: true });
    procs.set(n, startNode(n, [], ["--config", join(dir, "cluster.yaml"), "--state-dir", join(dir, n)]));
  };
  const ask = (p: number) => askService(FLOATING, p);
  const status = (n: string) =>
    callDaemon<MembershipStatus>(join(dir, n, "paceline.sock"), "GET", "/v1/status").then((r) => r.body);
  let code = 0;
  try {
    writeClusterKey(join(dir, "authkey"));
    writeFileSync(join(dir, "web.js"), WEB_JS);
    writeFileSync(
      join(dir, "cluster.yaml"),
      `cluster: demo
heartbeat: { profile: fast, port: ${base}, key-file: ${join(dir, "authkey")} }
nodes:
${NODES.map((n, i) => `  ${n}: { links: [127.0.1.${i + 1}] }`).join("\n")}
resources:
  web: { exec: { command: "${process.execPath} ${join(dir, "web.js")} ${port}" }, monitor: 1s, prefer: n1 }
defaults: { stickiness: 100, migration-threshold: 1 }
`,
    );
    say(
      `Paceline cluster demo on loopback (run as root for network namespaces and a real virtual IP): nodes n1-n3 on\n    127.0.1.1-3, fast heartbeat profile; service \`web\` answers on ${FLOATING}:${port}, which only one node can hold.\n    Config: ${join(dir, "cluster.yaml")}`,
    );
    for (const n of NODES) start(n);
    const first = await until(() => ask(port), 30_000);
    if (!first) throw new Error(`${FLOATING}:${port} did not answer within 30 s`);
    say(`http://${FLOATING}:${port}/ answers: "${first}"`);
    const active = first.split(" ").at(-1)!;
    say(`Powering ${active} off (kill -9 of its supervisor, daemon and service)…`);
    const t0 = Date.now();
    for (const pid of nodePids(procs.get(active)!.pid!)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    const second = await until(async () => {
      const a = await ask(port);
      return a && !a.endsWith(active) ? a : undefined;
    }, 30_000);
    if (!second) throw new Error("the service did not come back on a survivor");
    say(
      `Failover: "${second}" ${Date.now() - t0} ms after the power-off (detection + waiting out ${active}'s lease + starting it).`,
    );
    say(`Bringing ${active} back: it rejoins, and the service stays where it is (stickiness).`);
    start(active);
    await until(async () => {
      const s = await status(active).catch(() => undefined);
      return s?.quorate && s.view.members.length === 3 ? s : undefined;
    }, 20_000);
    await sleep(1000);
    say(`What \`paceline status\` shows on ${active}:`);
    console.log(
      renderMembership(await status(active))
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
    );
    if (keep && !interrupted) {
      say(
        `The cluster keeps running. Try, in another terminal:\n    curl http://${FLOATING}:${port}/\n    npx paceline status --state-dir ${join(dir, "n2")}\n    npx paceline node standby n2 --state-dir ${join(dir, "n1")}\n    Press Ctrl-C to stop and remove everything.`,
      );
      while (!interrupted) await sleep(200);
    }
  } catch (e) {
    console.error(`demo failed: ${(e as Error).message}`);
    code = 1;
  } finally {
    say("Stopping the cluster.");
    await stopNodes(procs.values());
    for (const p of procs.values())
      if (p.pid)
        for (const pid of nodePids(p.pid)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            /* gone */
          }
        }
    rmSync(dir, { recursive: true, force: true });
  }
  return code;
}
