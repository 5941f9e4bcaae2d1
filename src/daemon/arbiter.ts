// `paceline arbiter`: the tie-breaker on a third machine (corosync-qnetd's role). It reads the cluster's own
// cluster.yaml (same key, same `dead`, so its lease matches what the nodes assume), listens on quorum.arbiter, and
// answers each node's request with core/membership/arbiter.ts. It holds no other state: a restart waits one lease.

import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { ClusterConfig } from "../config/model.js";
import { arbiterDecide, initArbiter, type ArbiterState } from "../core/membership/arbiter.js";
import { readClusterKey } from "../node/key.js";
import { monotonicMs } from "./node-daemon.js";
import { ARBITER_PORT, splitAddress } from "../node/transport.js";
import { ARBITER_NAME, decode, encode, ReplayWindow } from "../node/wire.js";

export class ArbiterDaemon {
  private sock?: Socket;
  private state!: ArbiterState;
  private readonly replay = new ReplayWindow();
  private packet = 0;
  /** A new incarnation per start, increasing across restarts (nodes refuse answers from an older life). */
  private readonly inc = Math.floor(Date.now() / 1000);
  readonly rejected: Record<string, number> = {};
  private readonly lastSaid = new Map<string, string>();
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((res) => {
    this.resolveDone = res;
  });

  constructor(
    private readonly config: ClusterConfig,
    private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  ) {}

  private log(level: string, text: string): void {
    this.out(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`);
  }

  async start(): Promise<void> {
    const address = this.config.quorum.arbiter;
    if (!address)
      throw new Error("the configuration has no quorum.arbiter address: add `quorum: { arbiter: HOST:PORT }`");
    const key = readClusterKey(this.config.heartbeat.keyFile);
    const { host, port } = splitAddress(address, ARBITER_PORT);
    const sock = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `cannot listen on ${host}:${port}: ${e.code === "EADDRNOTAVAIL" ? "this host has no such address" : e.code === "EADDRINUSE" ? "the port is taken (another arbiter?)" : e.message}`,
          ),
        ),
      );
      sock.bind(port, host, () => resolve());
    });
    sock.on("error", () => {
      /* a reply to an unreachable node; it will ask again */
    });
    this.state = initArbiter(monotonicMs());
    const leaseMs = this.config.heartbeat.deadMs;
    const nodes = new Set(this.config.nodes.map((n) => n.name));
    sock.on("message", (data, rinfo) => {
      const d = decode(key, data);
      if (!d.ok) return this.reject(d.reason);
      const { env } = d;
      if (env.cluster !== this.config.cluster) return this.reject("other-cluster");
      if (!nodes.has(env.from) || env.msg.t !== "arb-req") return this.reject("unknown-sender");
      if (env.to !== ARBITER_NAME) return this.reject("not-for-me");
      if (!this.replay.accept(env.from, env.inc, env.packet)) return this.reject("replay");
      const { reply, log } = arbiterDecide(this.state, monotonicMs(), leaseMs, env.msg);
      // A refused node asks again with every heartbeat: say it once per node and view, not every time.
      const said = `${reply.granted}:${env.msg.view.id}/${env.msg.view.leader}`;
      if (log && this.lastSaid.get(env.from) !== said) this.log(reply.granted ? "info" : "warn", log);
      this.lastSaid.set(env.from, said);
      sock.send(
        encode(key, {
          cluster: this.config.cluster,
          from: ARBITER_NAME,
          inc: this.inc,
          to: env.from,
          toInc: env.inc,
          packet: ++this.packet,
          msg: reply,
        }),
        rinfo.port,
        rinfo.address,
      );
    });
    this.sock = sock;
    this.log(
      "info",
      `Paceline arbiter for \`${this.config.cluster}\` (${[...nodes].join(", ")}) on ${host}:${port}; lease ${leaseMs} ms; lending no vote for the first ${leaseMs} ms`,
    );
  }

  private reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  shutdown(): void {
    this.sock?.close();
    this.log("info", "arbiter stopped");
    this.resolveDone(0);
  }
}
