// Watching a virtual IP in a NetnsCluster: who answers it over HTTP (the test web server says its own address),
// and a sampler that reads every namespace's local addresses every 50 ms and records any moment it is on two nodes.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { Worker } from "node:worker_threads";
import { waitFor } from "./helpers.js";
import { PARKED_SLEEP, type NetnsCluster } from "./netns-cluster.js";
import type { SamplerResult, SamplerWorkerData } from "./vip-sampler-worker.js";

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
 * millisecond, and the reading time of each is kept so that a sample whose reads spread wider is not counted. The
 * loop runs in a worker thread (vip-sampler-worker.ts) so that the test's synchronous calls do not hold it up. */
export class Sampler {
  overlaps: string[] = [];
  /** When each overlap was sampled (ms since the epoch). */
  overlapTimes: number[] = [];
  samples = 0;
  /** Samples not counted because reading every node took longer than MAX_SPREAD_MS (a preempted sampler). */
  spread = 0;
  /** Samples that saw the VIP on some node (none at all would mean the sampler sees nothing). */
  seen = 0;
  sampledMs = 0;
  readonly exclude: { add(n: string): void };
  private readonly parked = new Map<string, ChildProcess>();
  /** Per node its parked PID, then per node an exclusion flag, then the stop flag (see the worker). */
  private readonly cells: Int32Array;
  private readonly worker: Worker;
  private readonly result: Promise<SamplerResult>;
  private stopped = false;
  constructor(private readonly probe: VipProbe) {
    const nodes = probe.c.nodes;
    const shared = new SharedArrayBuffer(4 * (2 * nodes.length + 1));
    this.cells = new Int32Array(shared);
    this.exclude = { add: (n) => Atomics.store(this.cells, nodes.length + nodes.indexOf(n), 1) };
    for (const n of nodes) this.park(n);
    const data: SamplerWorkerData = { nodes, vip: probe.vip, sampleMs: SAMPLE_MS, maxSpreadMs: MAX_SPREAD_MS, shared };
    this.worker = new Worker(new URL("./vip-sampler-worker.js", import.meta.url), { workerData: data });
    this.result = new Promise((resolve, reject) => {
      this.worker.once("message", resolve);
      this.worker.once("error", reject);
    });
  }

  /** Parks a process in node n's namespace, and another whenever it dies (the node was powered off). */
  private park(n: string): void {
    const i = this.probe.c.nodes.indexOf(n);
    const child = spawn("ip", ["netns", "exec", this.probe.c.ns(n), "sleep", PARKED_SLEEP], { stdio: "ignore" });
    child.on("error", () => undefined);
    child.once("spawn", () => Atomics.store(this.cells, i, child.pid ?? 0));
    child.once("exit", () => {
      Atomics.store(this.cells, i, 0);
      if (!this.stopped) setTimeout(() => !this.stopped && this.park(n), 10);
    });
    this.parked.set(n, child);
  }

  /** Stops sampling and reports the counts (`npm run test:load` adds them up; `excused` marks an expected window). */
  async stop(excused = false): Promise<void> {
    this.stopped = true;
    Atomics.store(this.cells, this.cells.length - 1, 1);
    Object.assign(this, await this.result);
    for (const p of this.parked.values()) p.kill("SIGKILL");
    const achievedMs = Math.round(this.sampledMs / Math.max(1, this.samples));
    console.log(
      `# vip-sampler: ${this.samples} samples every ${achievedMs} ms (asked ${SAMPLE_MS}; ${this.spread} not counted, read over more than ${MAX_SPREAD_MS} ms), ${this.seen} saw the VIP, ${this.overlaps.length} on two nodes${excused ? " (excused: a frozen node without fencing)" : ""}`,
    );
  }
}
