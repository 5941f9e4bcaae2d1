// `paceline demo` as root: a three-node cluster on this machine. Each node is a network namespace with its own
// Paceline daemon, joined by a bridge; a group (a real ocf:heartbeat:IPaddr2 virtual IP + a small web server)
// runs on one node. The demo powers the active node off, then cuts the next one's network, and shows the VIP
// answering from a survivor each time. Everything it creates is removed on exit, even after Ctrl-C.

import { execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callDaemon } from "../api/client.js";
import type { MembershipStatus } from "../api/types.js";
import { writeClusterKey } from "../node/key.js";
import { killEveryProcessIn } from "./netns-procs.js";
import { renderMembership } from "./render-status.js";
import { askService, sleep, startNode, stopNodes, until } from "./demo-common.js";

const NODES = ["n1", "n2", "n3"];
const NET = "10.213.0";
const VIP = `${NET}.100`;
const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
const quietly = (f: () => unknown) => {
  try {
    f();
  } catch {
    /* gone already */
  }
};

export const canRunClusterDemo = () =>
  process.getuid?.() === 0 &&
  existsSync("/usr/lib/ocf/resource.d/heartbeat/IPaddr2") &&
  (() => {
    try {
      ip("netns", "list");
      return true;
    } catch {
      return false;
    }
  })();

const WEB_JS = `const http = require("http"), os = require("os");
const me = Object.values(os.networkInterfaces()).flat().find((a) => a.address.startsWith("${NET}.") && a.address !== "${VIP}");
http.createServer((q, s) => s.end("hello from " + (me ? "n" + me.address.split(".")[3] : "?") + "\\n")).listen(8080, "0.0.0.0");
`;

const askVip = () => askService(VIP, 8080);

class DemoCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "paceline-cluster-demo-"));
  readonly procs = new Map<string, ChildProcess>();
  ns(n: string) {
    return `pl-demo-${n}`;
  }
  veth(n: string) {
    return `pl-demo-${n}`;
  }
  get bridge() {
    return "pl-demo-br";
  }
  stateDir(n: string) {
    return join(this.dir, n);
  }

  setup(): void {
    // Names are fixed, so whatever a demo killed with -9 left behind is removed first.
    for (const n of NODES) {
      quietly(() => ip("netns", "del", this.ns(n)));
      quietly(() => ip("link", "del", this.veth(n)));
    }
    quietly(() => ip("link", "del", this.bridge));
    ip("link", "add", this.bridge, "type", "bridge");
    ip("link", "set", this.bridge, "up");
    ip("addr", "add", `${NET}.254/24`, "dev", this.bridge);
    NODES.forEach((n, i) => {
      ip("netns", "add", this.ns(n));
      ip("-n", this.ns(n), "link", "set", "lo", "up");
      ip("link", "add", this.veth(n), "type", "veth", "peer", "name", "eth0", "netns", this.ns(n));
      ip("link", "set", this.veth(n), "master", this.bridge, "up");
      ip("-n", this.ns(n), "link", "set", "eth0", "up");
      ip("-n", this.ns(n), "addr", "add", `${NET}.${i + 1}/24`, "dev", "eth0");
    });
    writeClusterKey(join(this.dir, "authkey"));
    writeFileSync(join(this.dir, "web.js"), WEB_JS);
    writeFileSync(
      join(this.dir, "cluster.yaml"),
      `cluster: demo
heartbeat: { profile: fast, key-file: ${join(this.dir, "authkey")} }
nodes:
${NODES.map((n, i) => `  ${n}: { links: [${NET}.${i + 1}] }`).join("\n")}
resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 1s }
      www: { exec: { command: "${process.execPath} ${join(this.dir, "web.js")}" }, monitor: 1s }
defaults: { stickiness: 100, migration-threshold: 1 }
`,
    );
  }

  start(n: string): void {
    mkdirSync(this.stateDir(n), { recursive: true });
    this.procs.set(
      n,
      startNode(
        n,
        ["ip", "netns", "exec", this.ns(n)],
        ["--config", join(this.dir, "cluster.yaml"), "--state-dir", this.stateDir(n)],
      ),
    );
  }

  status(n: string): Promise<MembershipStatus> {
    return callDaemon<MembershipStatus>(join(this.stateDir(n), "paceline.sock"), "GET", "/v1/status").then(
      (r) => r.body,
    );
  }

  /** Every process of the node dies, its cable is pulled, and the VIP it held in memory is gone. */
  powerOff(n: string): void {
    killEveryProcessIn(this.ns(n));
    ip("link", "set", this.veth(n), "down");
    quietly(() => ip("-n", this.ns(n), "addr", "del", `${VIP}/24`, "dev", "eth0"));
  }

  setCable(n: string, state: "up" | "down"): void {
    ip("link", "set", this.veth(n), state);
  }

  async teardown(): Promise<void> {
    await stopNodes(this.procs.values());
    for (const n of NODES) {
      killEveryProcessIn(this.ns(n));
      quietly(() => ip("link", "del", this.veth(n)));
      quietly(() => ip("netns", "del", this.ns(n)));
    }
    quietly(() => ip("link", "del", this.bridge));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function runClusterDemo(keep: boolean): Promise<number> {
  const say = (text: string) => console.log(`\n>>> ${text}`);
  const c = new DemoCluster();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.stdout.on("error", () => undefined); // a closed pipe (| head) must not skip the cleanup
  let code = 0;
  try {
    c.setup();
    say(
      `Paceline cluster demo: three nodes (network namespaces ${NODES.map((n) => c.ns(n)).join(", ")}) on bridge ${c.bridge}, fast heartbeat profile.\n    Group \`web\` = virtual IP ${VIP} (ocf:heartbeat:IPaddr2) + a web server. Config: ${join(c.dir, "cluster.yaml")}`,
    );
    for (const n of NODES) c.start(n);
    const first = await until(askVip, 30_000);
    if (!first) throw new Error(`the VIP ${VIP} did not answer within 30 s`);
    say(`http://${VIP}:8080/ answers: "${first}"`);
    const active = first.split(" ").at(-1)!;
    say(`Powering ${active} off (kill -9 every process in its namespace, cable pulled)…`);
    let t0 = Date.now();
    c.powerOff(active);
    const second = await until(async () => {
      const a = await askVip();
      return a && !a.endsWith(active) ? a : undefined;
    }, 30_000);
    if (!second) throw new Error("the VIP did not come back on a survivor");
    say(
      `Failover: the VIP answers "${second}" ${Date.now() - t0} ms after the power-off (detection + waiting out ${active}'s lease + starting the group).`,
    );
    say(`Bringing ${active} back: it rejoins, and the group stays where it is (stickiness).`);
    c.setCable(active, "up");
    c.start(active);
    await until(async () => {
      const s = await c.status(active).catch(() => undefined);
      return s?.quorate && s.view.members.length === 3 ? s : undefined;
    }, 20_000);
    const holder = second.split(" ").at(-1)!;
    say(
      `Cutting ${holder}'s network: it loses quorum and stops the group itself; the two others take over once its lease has run out.`,
    );
    t0 = Date.now();
    c.setCable(holder, "down");
    const third = await until(async () => {
      const a = await askVip();
      return a && !a.endsWith(holder) ? a : undefined;
    }, 30_000);
    if (!third) throw new Error("the VIP did not come back after the network cut");
    say(`Failover: "${third}" ${Date.now() - t0} ms after the cut.`);
    c.setCable(holder, "up");
    await sleep(1500);
    say(`What \`paceline status\` shows on ${holder} (back in the cluster):`);
    console.log(
      renderMembership(await c.status(holder))
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
    );
    if (keep && !interrupted) {
      say(
        `The cluster keeps running. Try, in another terminal:\n    curl http://${VIP}:8080/\n    npx paceline status --state-dir ${c.stateDir("n2")}\n    npx paceline node standby n2 --state-dir ${c.stateDir("n1")}\n    ip link set ${c.veth("n1")} down      # pull n1's cable\n    Press Ctrl-C to stop and remove everything.`,
      );
      while (!interrupted) await sleep(200);
    }
  } catch (e) {
    console.error(`demo failed: ${(e as Error).message}`);
    code = 1;
  } finally {
    say("Stopping the cluster and removing its namespaces and bridge.");
    await c.teardown();
  }
  return code;
}
