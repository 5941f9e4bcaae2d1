// Watching a virtual IP in a NetnsCluster: who answers it over HTTP (the test web server says its own address),
// and a sampler that reads every namespace's local addresses every 50 ms and records any moment it is on two nodes.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { sleep, waitFor } from "./helpers.js";
import { PARKED_SLEEP, type NetnsCluster } from "./netns-cluster.js";

/** A web server for an exec resource: answers with its node's address on the VIP's subnet. */
export const webServerSource = (subnetPrefix: string, vip: string) => `const http = require("http"), os = require("os");
const me = Object.values(os.networkInterfaces()).flat().find((a) => a.address.startsWith("${subnetPrefix}") && a.address !== "${vip}");
http.createServer((q, s) => s.end(me ? me.address : "?")).listen(8080, "0.0.0.0");
`;

export class VipProbe {
  constructor(
    readonly c: NetnsCluster,
    readonly vip: string,
  ) {}

  /** Which node the VIP answers from (the last octet of the address it reports → node name), or undefined. */
  whoAnswers(timeoutMs = 300): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = request({ host: this.vip, port: 8080, path: "/", timeout: timeoutMs }, (res) => {
        let body = "";
        res.on("data", (b: Buffer) => (body += b.toString()));
        res.on("end", () => resolve(this.c.nodes[Number(body.split(".")[3]) - 1]));
      });
      req.on("error", () => resolve(undefined));
      req.on("timeout", () => {
        req.destroy();
        resolve(undefined);
      });
      req.end();
    });
  }

  ipAddr(n: string): Promise<string> {
    return new Promise((resolve) =>
      execFile("ip", ["-n", this.c.ns(n), "-o", "addr", "show"], (e, out) => resolve(e ? "" : out)),
    );
  }

  async holds(n: string): Promise<boolean> {
    return (await this.ipAddr(n)).includes(`${this.vip}/`);
  }

  /** Waits until the VIP answers from `n`; returns how long that took. On failure, says what every node shows. */
  async answeredBy(n: string, timeoutMs = 15_000): Promise<number> {
    const t0 = Date.now();
    try {
      await waitFor(async () => (await this.whoAnswers()) === n, timeoutMs, `the VIP to answer from ${n}`, 50);
    } catch (e) {
      const st = await Promise.all(
        this.c.nodes.map((x) =>
          this.c
            .node(x)
            .membership()
            .then((s) => `${x}: ${JSON.stringify(s.resources.map((r) => [r.id, r.state, r.runningOn]))}`)
            .catch(() => `${x}: down`),
        ),
      );
      throw new Error(
        `${(e as Error).message}\n${st.join("\n")}\n--- n2 ---\n${this.c.node("n2").output.slice(-3000)}`,
      );
    }
    return Date.now() - t0;
  }

  /** Resolves with the first of `nodes` the VIP answers from. */
  answeredByAny(nodes: string[], timeoutMs = 15_000): Promise<number> {
    return waitFor(
      async () => {
        const who = await this.whoAnswers();
        return who && nodes.includes(who) ? true : undefined;
      },
      timeoutMs,
      `the VIP to answer from one of ${nodes.join(", ")}`,
      50,
    ).then(() => 0);
  }

  sampler(): Sampler {
    return new Sampler(this);
  }
}

/** How often the sampler looks at every node (`PACELINE_SAMPLE_MS`; the load test samples every 20 ms). */
export const SAMPLE_MS = Number(process.env.PACELINE_SAMPLE_MS ?? 50);
/** A sample's reads of all nodes must fall within this (a clean move's gap between removal and addition is larger). */
const MAX_SPREAD_MS = 5;

/** `exclude`: powered-off nodes (their namespace, and what was configured in it, outlives them).
 *
 * One sample must see every node at (nearly) the same moment: a clean move removes the address on one node a few
 * milliseconds before another adds it, so readings spread over a longer time can show it on both. Running `ip addr`
 * per node did spread them (100–200 ms on a loaded machine, and one such sample once failed a test). Instead a
 * process parked in each namespace lets the sampler read that namespace's local addresses from
 * /proc/PID/net/fib_trie: no process is spawned per sample, the nodes are read one after the other within about a
 * millisecond, and the reading time of each is kept so that a sample whose reads spread wider is not counted. */
export class Sampler {
  overlaps: string[] = [];
  /** When each overlap was sampled (ms since the epoch). */
  overlapTimes: number[] = [];
  samples = 0;
  /** Samples not counted because reading every node took longer than MAX_SPREAD_MS (a preempted sampler). */
  spread = 0;
  /** Samples that saw the VIP on some node (none at all would mean the sampler sees nothing). */
  seen = 0;
  exclude = new Set<string>();
  private running = true;
  private done: Promise<void>;
  private readonly startedMs = Date.now();
  private readonly parked = new Map<string, ChildProcess>();
  /** The VIP as a local address in fib_trie's listing. */
  private readonly local: RegExp;
  constructor(private readonly probe: VipProbe) {
    this.local = new RegExp(`\\|-- ${probe.vip.replace(/\./g, "\\.")}\\n\\s+/32 host LOCAL`);
    this.done = (async () => {
      // A fixed cadence: a timer that fires late (a loaded machine) is made up by a shorter wait next time, up to
      // one period of debt, so the samples keep the asked rate on average instead of drifting slower.
      let nextMs = performance.now();
      while (this.running) {
        const at = Date.now();
        const t0 = performance.now();
        const holders = probe.c.nodes.filter((n) => !this.exclude.has(n) && this.holdsNow(n));
        const spreadMs = performance.now() - t0;
        this.samples++;
        if (holders.length > 0) this.seen++;
        if (spreadMs > MAX_SPREAD_MS) this.spread++;
        else if (holders.length > 1) {
          this.overlaps.push(`${new Date(at).toISOString().slice(11, 23)} ${holders.join("+")}`);
          this.overlapTimes.push(at);
        }
        nextMs = Math.max(nextMs + SAMPLE_MS, performance.now() - SAMPLE_MS);
        await sleep(Math.max(0, nextMs - performance.now()));
      }
    })();
  }

  /** The address is local to node n right now (false while its parked process is being replaced). */
  private holdsNow(n: string): boolean {
    const p = this.parked.get(n);
    if (p?.pid && p.exitCode === null && p.signalCode === null) {
      try {
        const trie = readFileSync(`/proc/${p.pid}/net/fib_trie`, "utf8");
        return this.local.test(trie);
      } catch {
        /* it just died (the node was powered off): park another */
      }
    }
    this.park(n);
    return false;
  }

  private park(n: string): void {
    const old = this.parked.get(n);
    if (old && old.exitCode === null && old.signalCode === null && !old.killed) return; // still starting
    const child = spawn("ip", ["netns", "exec", this.probe.c.ns(n), "sleep", PARKED_SLEEP], { stdio: "ignore" });
    child.on("error", () => undefined);
    this.parked.set(n, child);
  }

  /** Stops sampling and reports the counts (`npm run test:load` adds them up; `excused` marks an expected window). */
  async stop(excused = false): Promise<void> {
    this.running = false;
    await this.done;
    for (const p of this.parked.values()) p.kill("SIGKILL");
    const achievedMs = Math.round((Date.now() - this.startedMs) / Math.max(1, this.samples));
    console.log(
      `# vip-sampler: ${this.samples} samples every ${achievedMs} ms (asked ${SAMPLE_MS}; ${this.spread} not counted, read over more than ${MAX_SPREAD_MS} ms), ${this.seen} saw the VIP, ${this.overlaps.length} on two nodes${excused ? " (excused: a frozen node without fencing)" : ""}`,
    );
  }
}
