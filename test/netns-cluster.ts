// A cluster of Paceline daemons, each in its own network namespace, joined by one bridge per heartbeat link in the
// root namespace. Used by the integration tests and bench:membership. Everything it creates carries a tag unique to
// this process and is deleted by teardown(), which is safe to call after a partial setup.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import type { MembershipStatus } from "../src/api/types.js";
import { killEveryProcessIn } from "../src/cli/netns-procs.js";
import { writeClusterKey } from "../src/node/key.js";
import { cleanupDir, DaemonUnderTest, script, tempDir, waitFor } from "./helpers.js";

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
const quietly = (f: () => unknown) => {
  try {
    f();
  } catch {
    /* already gone or never made */
  }
};

export const haveNft = (() => {
  try {
    execFileSync("nft", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();
export const summary = (s: MembershipStatus) =>
  `${s.node}: view ${s.view.id} [${s.view.members.join(",")}] quorate=${s.quorate} dc=${s.dc ?? "-"}`;

let clusters = 0;
/** How long the VIP sampler's process parked in each namespace sleeps: also how it is told apart from the node's own
 * processes (it is the test's, not the node's: a powered-off node has none of its own). */
export const PARKED_SLEEP = "2147481";
/** A command line (NUL-separated, from /proc/PID/cmdline) is the sampler's parked process. */
export const isParked = (cmdline: string) => cmdline === `sleep\0${PARKED_SLEEP}\0`;
/** Where resource-agents keeps the helper programs of its agents (sfex_daemon…). */
const HA_BIN = "/usr/libexec/heartbeat";

export class NetnsCluster {
  readonly nodes: string[];
  readonly links: number[];
  readonly daemons = new Map<string, DaemonUnderTest>();
  private readonly tag: string;
  private dir = "";

  /** `subnet`: the second octet of 10.X.link.node, distinct per cluster that may run at once; `moreYaml`: extra
   * top-level cluster.yaml lines (or a function of this cluster, for lines that name its namespaces). Each bridge has
   * address 10.X.link.254 (a "router" to ping). */
  /** `supervised`: daemons run under `paceline daemon`'s supervisor (which respawns them); otherwise the tests
   * restart them themselves. `ownHosts`: each node also has its own host name (a UTS namespace: uname -n is the
   * node's name) and its own resource-agents scratch directories (HA_RSCTMP and HA_VARRUN, and HA_BIN as links to
   * the real helpers), so agents that tell nodes apart by host name or find their daemons with pgrep (sfex) behave
   * as on separate machines; `haBin` replaces some of those helpers with scripts of the test's. */
  constructor(
    nodeCount: number,
    linkCount: number,
    private readonly heartbeat: string,
    private readonly subnet: number,
    private readonly moreYaml: string | ((c: NetnsCluster) => string) = "",
    private readonly supervised = false,
    private readonly ownHosts: boolean | { haBin: Record<string, string> } = false,
  ) {
    this.nodes = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
    this.links = Array.from({ length: linkCount }, (_, l) => l);
    this.tag = `${process.pid.toString(36)}${(clusters++).toString(36)}`;
  }

  ns(n: string): string {
    return `pl-${this.tag}-${n}`;
  }
  bridge(l: number): string {
    return `plb${l}${this.tag}`;
  }
  /** The root-namespace end of node n's veth on link l (set it down to cut that link). */
  hostVeth(n: string, l: number): string {
    return `pl${this.tag}${n}l${l}`;
  }
  addr(n: string, l: number): string {
    return `10.${this.subnet}.${l}.${this.nodes.indexOf(n) + 1}`;
  }
  node(n: string): DaemonUnderTest {
    return this.daemons.get(n)!;
  }
  /** The end of every node's log, each under its name: what a failed wait prints. */
  logs(chars = 2500): string {
    return this.nodes.map((n) => `--- ${n} ---\n${this.node(n).output.slice(-chars)}`).join("\n");
  }
  /** Under supervision: the PID of the daemon itself (the supervisor's child). */
  daemonPid(n: string): number | undefined {
    const sup = this.node(n).proc?.pid;
    try {
      return Number(readFileSync(`/proc/${sup}/task/${sup}/children`, "utf8").trim().split(/\s+/)[0]) || undefined;
    } catch {
      return undefined;
    }
  }
  gateway(l: number): string {
    return `10.${this.subnet}.${l}.254`;
  }
  /** Cuts or restores node n's link l (from the root namespace, as a pulled cable would). */
  setLink(n: string, l: number, state: "up" | "down"): void {
    ip("link", "set", this.hostVeth(n, l), state);
  }

  setup(): this {
    this.dir = tempDir("cluster");
    for (const l of this.links) {
      ip("link", "add", this.bridge(l), "type", "bridge");
      ip("link", "set", this.bridge(l), "up");
      ip("addr", "add", `${this.gateway(l)}/24`, "dev", this.bridge(l));
    }
    for (const n of this.nodes) {
      ip("netns", "add", this.ns(n));
      ip("-n", this.ns(n), "link", "set", "lo", "up");
      for (const l of this.links) {
        ip("link", "add", this.hostVeth(n, l), "type", "veth", "peer", "name", `eth${l}`, "netns", this.ns(n));
        ip("link", "set", this.hostVeth(n, l), "master", this.bridge(l), "up");
        ip("-n", this.ns(n), "link", "set", `eth${l}`, "up");
        ip("-n", this.ns(n), "addr", "add", `${this.addr(n, l)}/24`, "dev", `eth${l}`);
      }
    }
    const key = `${this.dir}/authkey`;
    writeClusterKey(key);
    const yaml = `cluster: netns
heartbeat: { ${this.heartbeat}, key-file: ${key} }
${typeof this.moreYaml === "function" ? this.moreYaml(this) : this.moreYaml}
nodes:
${this.nodes.map((n) => `  ${n}: { links: [${this.links.map((l) => this.addr(n, l)).join(", ")}] }`).join("\n")}
`;
    for (const n of this.nodes) {
      this.daemons.set(
        n,
        new DaemonUnderTest(
          mkdirSync(`${this.dir}/${n}`, { recursive: true })!,
          yaml,
          ["ip", "netns", "exec", this.ns(n), ...(this.ownHosts ? this.ownHost(n) : [])],
          ["--node", n, ...(this.supervised ? [] : ["--no-supervise"])],
        ),
      );
    }
    return this;
  }

  /** The wrapper that gives node n its own host name and agent scratch directories (see `ownHosts`). */
  private ownHost(n: string): string[] {
    const rsctmp = mkdirSync(`${this.dir}/${n}/rsctmp`, { recursive: true })!;
    const bin = mkdirSync(`${this.dir}/${n}/habin`, { recursive: true })!;
    const own = typeof this.ownHosts === "object" ? this.ownHosts.haBin : {};
    for (const f of existsSync(HA_BIN) ? readdirSync(HA_BIN) : [])
      if (!own[f]) symlinkSync(`${HA_BIN}/${f}`, `${bin}/${f}`);
    for (const [f, body] of Object.entries(own)) script(bin, f, body);
    return [
      "env",
      `HA_RSCTMP=${rsctmp}`,
      `HA_VARRUN=${rsctmp}`,
      `HA_BIN=${bin}`,
      "unshare",
      "--uts",
      "sh",
      "-c",
      'hostname "$0" && exec "$@"',
      n,
    ];
  }

  async teardown(): Promise<void> {
    for (const d of this.daemons.values()) {
      quietly(() => d.proc?.kill("SIGCONT")); // a failed SIGSTOP test must not leave it stopped
      const t0 = Date.now();
      await d.stop().catch(() => undefined);
      if (process.env.PACELINE_TEST_DEBUG)
        console.log(`# stopped ${d.dir} in ${Date.now() - t0} ms\n${d.output.slice(-1500).replace(/^/gm, "# ")}`);
    }
    for (const n of this.nodes) {
      killEveryProcessIn(this.ns(n)); // deleting a namespace kills nothing in it; a test that leaves one must not hang
      for (const l of this.links) quietly(() => ip("link", "del", this.hostVeth(n, l)));
      quietly(() => ip("netns", "del", this.ns(n)));
    }
    for (const l of this.links) quietly(() => ip("link", "del", this.bridge(l)));
    if (this.dir) cleanupDir(this.dir);
  }

  /** Power-off: every process of node n dies, its links go down, and the addresses given (its VIPs, which lived in
   * its memory; the namespace outlives its processes) are removed from `dev`. */
  powerOff(n: string, addresses: string[] = [], dev = "eth0"): void {
    killEveryProcessIn(this.ns(n), isParked);
    for (const l of this.links) this.setLink(n, l, "down");
    for (const a of addresses) quietly(() => execFileSync("ip", ["-n", this.ns(n), "addr", "del", a, "dev", dev]));
  }

  /** Loads nftables input rules inside a node's namespace (its own table, removed with `unfilter`). */
  filter(n: string, rules: string): void {
    execFileSync("ip", ["netns", "exec", this.ns(n), "nft", "-f", "-"], {
      input: `table inet plfault {\n chain input {\n  type filter hook input priority 0;\n  ${rules}\n }\n}\n`,
    });
  }
  unfilter(n: string): void {
    execFileSync("ip", ["netns", "exec", this.ns(n), "nft", "delete", "table", "inet", "plfault"]);
  }

  /** Every node running with every link up, and all of them in one quorate view with `dc`: the state each test of a
   * shared cluster starts from, whatever ran before it (or when it runs alone with --test-name-pattern). */
  async ready(dc = "n1", timeoutMs = 30_000): Promise<MembershipStatus[]> {
    for (const n of this.nodes) {
      for (const l of this.links) this.setLink(n, l, "up");
      const p = this.node(n).proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) this.node(n).start();
    }
    return this.converge(this.nodes, this.nodes, dc, true, timeoutMs);
  }

  /** Waits until every listed node reports this membership: the same view, this DC, quorum as given. */
  async converge(
    nodes: string[],
    members: string[],
    dc: string | undefined,
    quorate = true,
    timeoutMs = 15_000,
    pollMs = 50,
  ): Promise<MembershipStatus[]> {
    let last: string[] = [];
    try {
      return await waitFor(
        async () => {
          const all = await Promise.all(nodes.map((n) => this.node(n).membership()));
          last = all.map(summary);
          const want = [...members].sort().join();
          const ok =
            all.every((s) => [...s.view.members].sort().join() === want && s.quorate === quorate && s.dc === dc) &&
            new Set(all.map((s) => `${s.view.id}/${s.view.leader}`)).size === 1;
          return ok ? all : undefined;
        },
        timeoutMs,
        `${nodes.join(",")} to agree on [${members.join(",")}], DC ${dc ?? "none"}`,
        pollMs,
      );
    } catch (e) {
      throw new Error(
        `${(e as Error).message}\nlast seen:\n  ${last.join("\n  ")}\n--- ${nodes[0]} output ---\n${this.node(nodes[0]!).output.slice(-2500)}`,
      );
    }
  }
}
