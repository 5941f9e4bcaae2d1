// UDP heartbeat links: one socket per link, bound to this node's address on that link; every message goes to
// each peer's address on the link(s) asked for — or, on a multicast or broadcast link, to the group (broadcast
// address), which a second socket per link listens on. Datagrams stay sealed for one receiver each (wire.ts): on a
// shared link every node hears every copy and quietly drops the others' and its own. Rejects are counted, not fatal.

import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { LinkMode } from "../config/model.js";
import type { ArbiterReply, ArbiterRequest, Message } from "../core/membership/types.js";
import { ARBITER_NAME, decode, encode, ReplayWindow, type Envelope, type Probe } from "./wire.js";

export interface TransportOptions {
  cluster: string;
  me: string;
  inc: number;
  key: Buffer;
  port: number;
  /** Our address on each link. */
  links: string[];
  /** Every peer's address on each link. */
  peers: Record<string, string[]>;
  /** How each link carries datagrams (missing: unicast). */
  linkModes?: LinkMode[];
  onMessage: (link: number, env: Envelope & { msg: Message }) => void;
  /** How often to measure each link's round-trip time to each peer (0 = never). */
  probeEveryMs?: number;
  /** The arbiter's address (host:port), if any, and what to do with its answers. */
  arbiter?: string;
  onArbiterReply?: (reply: ArbiterReply) => void;
  /** Told at most every REJECTS_SAID_EVERY_MS, when datagrams were refused since: how many, and why. */
  onRejects?: (counts: Record<string, number>) => void;
}

/** Asked of the kernel per socket: a burst of junk (or a stalled event loop) must not push real heartbeats out of
 * the queue. Linux grants up to net.core.rmem_max; status shows what it granted. */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;
const REJECTS_SAID_EVERY_MS = 10_000;

export interface TransportStats {
  sent: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
  rejected: Record<string, number>;
  /** The receive buffer the kernel granted each link's socket (bytes). */
  recvBufferBytes: number[];
  /** Smoothed round-trip time per peer and link, in ms (undefined until a probe came back). */
  rttMs: Record<string, Array<number | undefined>>;
}

/** "10.0.0.1" or "10.0.0.1:5405" or "[fe80::1]:5405" → host and port. */
export function splitAddress(addr: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const v4 = /^([^:]+):(\d+)$/.exec(addr);
  if (v4) return { host: v4[1]!, port: Number(v4[2]) };
  return { host: addr, port: defaultPort };
}

export const ARBITER_PORT = 5406;

export const emptyTransportStats = (): TransportStats => ({
  sent: 0,
  received: 0,
  bytesSent: 0,
  bytesReceived: 0,
  rejected: {},
  recvBufferBytes: [],
  rttMs: {},
});

export class UdpTransport {
  private readonly sockets: Socket[] = [];
  /** Per shared (multicast, broadcast) link: the socket bound to the group or broadcast address. */
  private readonly listeners: Array<Socket | undefined> = [];
  /** Packet numbers per receiver. */
  private readonly packets = new Map<string, number>();
  /** Each sender's incarnation as last accepted from it (what our datagrams to it carry as `toInc`). */
  private readonly peerInc = new Map<string, number>();
  private readonly replay = new ReplayWindow();
  readonly stats: TransportStats = emptyTransportStats();
  /** Per link: the source addresses a datagram may come from (the peers' on that link, the arbiter's). */
  private readonly sources: Array<Set<string>> = [];
  private rejectsSince: Record<string, number> = {};
  private rejectsSaidMs = 0;
  private probeId = 0;
  /** Probes in flight: "peer#link#id" → when sent (performance.now()). */
  private readonly probes = new Map<string, number>();
  private probeTimer?: NodeJS.Timeout;

  /** This node's address on each link (its own broadcasts come back from it). */
  private readonly ownHosts: string[];

  constructor(private readonly o: TransportOptions) {
    this.ownHosts = o.links.map((a) => splitAddress(a, 0).host);
  }

  async start(): Promise<void> {
    for (let link = 0; link < this.o.links.length; link++) {
      const { host, port } = splitAddress(this.o.links[link]!, this.o.port);
      // No reuseAddr: a second daemon for the same node must fail to bind, not silently share the port.
      const sock = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
      const sources = new Set(Object.values(this.o.peers).map((a) => splitAddress(a[link] ?? "", 0).host));
      if (this.o.arbiter) sources.add(splitAddress(this.o.arbiter, ARBITER_PORT).host);
      this.sources.push(sources);
      sock.on("message", (data, rinfo) => this.receive(link, data, rinfo.address));
      sock.on("error", () => {
        /* a send to an unreachable peer; the failure detector notices silence */
      });
      await new Promise<void>((resolve, reject) => {
        const fail = (e: NodeJS.ErrnoException) => {
          this.close();
          sock.close();
          const why =
            e.code === "EADDRINUSE"
              ? "the port is taken (is another Paceline daemon running for this node?)"
              : e.code === "EADDRNOTAVAIL"
                ? "this host has no such address (is this the right node? give --node NAME)"
                : e.message;
          reject(new Error(`cannot listen on heartbeat link ${link} (${host}:${port}): ${why}`));
        };
        sock.once("error", fail);
        sock.bind(port, host, () => {
          sock.off("error", fail);
          resolve();
        });
      });
      try {
        sock.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        /* the system's default, then */
      }
      this.stats.recvBufferBytes.push(sock.getRecvBufferSize());
      this.sockets.push(sock);
      this.listeners.push(await this.listenShared(link, sock, host, port));
    }
    if (this.o.probeEveryMs) this.probeTimer = setInterval(() => this.probe(), this.o.probeEveryMs);
  }

  /** A multicast link joins its group on this node's address (IPv6: on its interface); a broadcast link listens
   * on the broadcast address. Sends go out of the unicast socket, set up for the group here. */
  private async listenShared(link: number, sender: Socket, host: string, port: number): Promise<Socket | undefined> {
    const mode = this.o.linkModes?.[link];
    if (!mode || mode.kind === "unicast") return undefined;
    const at = mode.kind === "multicast" ? mode.group : mode.address;
    const v6 = isIPv6(at);
    const where = v6 ? `::%${mode.kind === "multicast" ? (mode.interface ?? "") : ""}` : host;
    if (mode.kind === "multicast") {
      sender.setMulticastInterface(where);
      sender.setMulticastTTL(mode.ttl);
      sender.setMulticastLoopback(false);
    } else sender.setBroadcast(true);
    const sock = createSocket({ type: v6 ? "udp6" : "udp4" });
    sock.on("message", (data, rinfo) => this.receive(link, data, rinfo.address, true));
    sock.on("error", () => {
      /* as the unicast socket's */
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => {
        this.close();
        sock.close();
        reject(new Error(`cannot listen on heartbeat link ${link} (${mode.kind} ${at}:${port}): ${e.message}`));
      };
      sock.once("error", fail);
      sock.bind(port, at, () => {
        sock.off("error", fail);
        try {
          if (mode.kind === "multicast") sock.addMembership(mode.group, where);
        } catch (e) {
          return fail(e as Error);
        }
        resolve();
      });
    });
    try {
      sock.setRecvBufferSize(RECV_BUFFER_BYTES);
    } catch {
      /* the system's default, then */
    }
    return sock;
  }

  /** The ports it listens on, one per link (useful when they were given as 0). */
  get ports(): number[] {
    return this.sockets.map((s) => s.address().port);
  }

  private probe(): void {
    const now = performance.now();
    for (const [key, sentAt] of this.probes) if (now - sentAt > 10_000) this.probes.delete(key); // never answered
    for (const peer of Object.keys(this.o.peers)) {
      for (let link = 0; link < this.sockets.length; link++) {
        const id = ++this.probeId;
        this.probes.set(`${peer}#${link}#${id}`, now);
        this.sendOne(peer, link, { t: "probe", from: this.o.me, inc: this.o.inc, id, reply: false });
      }
    }
  }

  private answerProbe(link: number, env: Envelope, p: Probe): void {
    if (!p.reply)
      return this.sendOne(env.from, link, { t: "probe", from: this.o.me, inc: this.o.inc, id: p.id, reply: true });
    const key = `${env.from}#${link}#${p.id}`;
    const sentAt = this.probes.get(key);
    if (sentAt === undefined) return;
    this.probes.delete(key);
    const rtt = performance.now() - sentAt;
    const row = (this.stats.rttMs[env.from] ??= []);
    const prev = row[link];
    row[link] = prev === undefined ? rtt : 0.8 * prev + 0.2 * rtt; // smoothed like TCP's SRTT
  }

  private reject(reason: string): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.rejectsSince[reason] = (this.rejectsSince[reason] ?? 0) + 1;
    const now = performance.now();
    if (this.o.onRejects && now - this.rejectsSaidMs >= REJECTS_SAID_EVERY_MS) {
      this.rejectsSaidMs = now;
      this.o.onRejects(this.rejectsSince);
      this.rejectsSince = {};
    }
  }

  /** Cheapest checks first (where it came from, then the header, then the seal): a flood costs little each. */
  private receive(link: number, data: Buffer, source?: string, shared = false): void {
    this.stats.bytesReceived += data.length;
    // On a shared link this node hears its own broadcasts: nothing to count.
    if (shared && source === this.ownHosts[link]) return;
    if (source !== undefined && !this.sources[link]?.has(source)) return this.reject("unknown-address");
    const d = decode(this.o.key, data);
    if (!d.ok) return this.reject(d.reason);
    const env = d.env;
    if (env.cluster !== this.o.cluster) return this.reject("other-cluster");
    const fromArbiter = env.from === ARBITER_NAME && !!this.o.arbiter;
    if (env.from === this.o.me || (!this.o.peers[env.from] && !fromArbiter)) return this.reject("unknown-sender");
    // Sealed for another node (a datagram captured on its way there and sent here), or for an earlier life of this
    // one (captured before this daemon started, when its windows were empty): not for us. On a shared link the
    // copies for the other members arrive here by design: dropped without a word.
    if (env.to !== this.o.me) return shared && this.o.peers[env.to] ? undefined : this.reject("not-for-me");
    if (env.toInc !== 0 && env.toInc !== this.o.inc) return this.reject("earlier-life");
    if (!this.replay.accept(env.from, env.inc, env.packet)) return this.reject("replay");
    if (env.inc > (this.peerInc.get(env.from) ?? 0)) this.peerInc.set(env.from, env.inc);
    this.stats.received++;
    if (env.msg.t === "arb-reply")
      return fromArbiter && env.msg.to === this.o.me ? this.o.onArbiterReply?.(env.msg) : this.reject("unknown-sender");
    if (env.msg.t === "arb-req") return this.reject("unknown-sender"); // only the arbiter takes requests
    if (env.msg.t === "probe") return this.answerProbe(link, env, env.msg);
    this.o.onMessage(link, env as Envelope & { msg: Message });
  }

  send(to: string | "*", link: number | "all", msg: Message): void {
    const targets = to === "*" ? Object.keys(this.o.peers) : [to];
    const links = link === "all" ? this.sockets.map((_, i) => i) : [link];
    for (const peer of targets) for (const l of links) this.sendOne(peer, l, msg);
  }

  /** To the arbiter over every link: whichever path works carries it (the reply comes back the same way). */
  sendToArbiter(msg: ArbiterRequest): void {
    if (!this.o.arbiter) return;
    const { host, port } = splitAddress(this.o.arbiter, ARBITER_PORT);
    for (const sock of this.sockets) this.seal(sock, host, port, ARBITER_NAME, msg);
  }

  private sendOne(peer: string, link: number, msg: Message | Probe): void {
    const addr = this.o.peers[peer]?.[link];
    const sock = this.sockets[link];
    if (!addr || !sock) return;
    const mode = this.o.linkModes?.[link];
    const { host, port } = splitAddress(addr, this.o.port);
    const shared = mode?.kind === "multicast" ? mode.group : mode?.kind === "broadcast" ? mode.address : undefined;
    this.seal(sock, shared ?? host, shared ? this.o.port : port, peer, msg);
  }

  /** Every datagram is sealed for one receiver with its own packet number (replay protection). */
  private seal(sock: Socket, host: string, port: number, to: string, msg: Message | Probe | ArbiterRequest): void {
    const packet = (this.packets.get(to) ?? 0) + 1;
    this.packets.set(to, packet);
    const data = encode(this.o.key, {
      cluster: this.o.cluster,
      from: this.o.me,
      inc: this.o.inc,
      to,
      toInc: this.peerInc.get(to) ?? 0,
      packet,
      msg,
    });
    sock.send(data, port, host);
    this.stats.sent++;
    this.stats.bytesSent += data.length;
  }

  close(): void {
    clearInterval(this.probeTimer);
    for (const s of [...this.sockets, ...this.listeners]) s?.close();
  }
}
