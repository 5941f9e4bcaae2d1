// Watching a virtual IP in a NetnsCluster: who answers it over HTTP (the test web server says its own address),
// and a sampler that runs `ip addr` in every namespace every 50 ms and records any moment it is on two nodes.

import { execFile } from "node:child_process";
import { request } from "node:http";
import { sleep, waitFor } from "./helpers.js";
import type { NetnsCluster } from "./netns-cluster.js";

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

/** `exclude`: powered-off nodes (their namespace, and what was configured in it, outlives them). */
export class Sampler {
  overlaps: string[] = [];
  /** When each overlap was sampled (ms since the epoch). */
  overlapTimes: number[] = [];
  samples = 0;
  exclude = new Set<string>();
  private running = true;
  private done: Promise<void>;
  private readonly startedMs = Date.now();
  constructor(probe: VipProbe) {
    this.done = (async () => {
      while (this.running) {
        const at = Date.now();
        const holders = (
          await Promise.all(probe.c.nodes.map(async (n) => ((await probe.holds(n)) && !this.exclude.has(n) ? n : "")))
        ).filter(Boolean);
        this.samples++;
        if (holders.length > 1) {
          this.overlaps.push(`${new Date(at).toISOString().slice(11, 23)} ${holders.join("+")}`);
          this.overlapTimes.push(at);
        }
        await sleep(Math.max(0, SAMPLE_MS - (Date.now() - at)));
      }
    })();
  }
  /** Stops sampling and reports the counts (`npm run test:load` adds them up; `excused` marks an expected window). */
  async stop(excused = false): Promise<void> {
    this.running = false;
    await this.done;
    const achievedMs = Math.round((Date.now() - this.startedMs) / Math.max(1, this.samples));
    console.log(
      `# vip-sampler: ${this.samples} samples every ${achievedMs} ms (asked ${SAMPLE_MS}), ${this.overlaps.length} on two nodes${excused ? " (excused: a frozen node without fencing)" : ""}`,
    );
  }
}
