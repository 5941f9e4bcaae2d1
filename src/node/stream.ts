// The reliable channel between nodes, for messages too big for one heartbeat datagram (configuration, status,
// transitions). TCP, authenticated and encrypted with the cluster key:
//  - handshake: the caller sends a hello (sealed with the cluster key) naming itself, the node it calls and a fresh
//    random nonce; the callee checks it is the one called and answers with its own hello and nonce. Both derive
//    per-connection keys from the key and both nonces (HKDF), one per direction, and each proves it holds them with
//    a first frame (`confirm`) under them. Only then is the connection the peer's: a recorded or reflected hello
//    carries a nonce the other side did not just make, so whoever sends it cannot confirm, and a connection that
//    has not confirmed never takes the place of one that has;
//  - frames: 4-byte length + AES-256-GCM with a per-direction counter as nonce (TCP keeps them in order, so a
//    dropped, reordered or repeated frame fails authentication and closes the connection).
// Anything malformed closes that one connection and is counted; nothing here throws into the daemon.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { splitAddress } from "./transport.js";

export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const TAG = 16;
const IV = 12;
const HELLO_MAX = 1024;

export interface StreamOptions {
  cluster: string;
  me: string;
  inc: number;
  key: Buffer;
  port: number;
  /** Our addresses to listen on (one per link). */
  listen: string[];
  /** Each peer's addresses, tried in link order. */
  peers: Record<string, string[]>;
  onMessage: (from: string, msg: unknown) => void;
  maxFrameBytes?: number;
}

interface Hello {
  cluster: string;
  from: string;
  /** The node called (the callee's hello names the caller). */
  to: string;
  inc: number;
  nonce: string;
}

/** The first frame each side sends under the new keys: it proves it derived them from this connection's nonces. */
const CONFIRM = "paceline stream confirm v2";

function seal(key: Buffer, iv: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv("aes-256-gcm", key, iv);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

function open(key: Buffer, iv: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    return undefined;
  }
}

const counterIv = (n: number) => {
  const iv = Buffer.alloc(IV);
  iv.writeUIntBE(n, IV - 6, 6);
  return iv;
};
const frame = (body: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
};

/** One authenticated connection, either direction. */
class Conn {
  peer?: string;
  /** The peer's incarnation, from its hello. */
  peerInc = 0;
  /** The peer proved it holds this connection's keys: messages flow. */
  confirmed = false;
  private buf: Buffer = Buffer.alloc(0);
  private sendKey?: Buffer;
  private recvKey?: Buffer;
  private sendCount = 0;
  private recvCount = 0;
  private readonly myNonce = randomBytes(16);
  private readonly queue: Buffer[] = [];

  constructor(
    readonly sock: Socket,
    private readonly hub: StreamHub,
    readonly outgoingTo?: string,
  ) {
    sock.on("data", (d: Buffer) => this.data(d));
    sock.on("error", () => {
      /* closed below */
    });
    sock.on("close", () => hub.closed(this));
    // The caller speaks first; the callee answers only a hello meant for it.
    if (outgoingTo) this.sendHello(outgoingTo);
  }

  private sendHello(to: string): void {
    const iv = randomBytes(IV);
    const o = this.hub.o;
    const hello: Hello = { cluster: o.cluster, from: o.me, to, inc: o.inc, nonce: this.myNonce.toString("hex") };
    this.sock.write(frame(Buffer.concat([iv, seal(o.key, iv, Buffer.from(JSON.stringify(hello)))])));
  }

  send(msg: unknown): void {
    const plain = Buffer.from(JSON.stringify(msg));
    if (!this.sendKey) {
      this.queue.push(plain);
      return;
    }
    this.write(plain);
  }

  private write(plain: Buffer): void {
    this.sock.write(frame(seal(this.sendKey!, counterIv(++this.sendCount), plain)));
  }

  private fail(reason: string): void {
    this.hub.reject(reason);
    this.sock.destroy();
  }

  private data(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 4 && !this.sock.destroyed) {
      const len = this.buf.readUInt32BE(0);
      const limit = this.recvKey ? (this.hub.o.maxFrameBytes ?? MAX_FRAME_BYTES) + TAG : HELLO_MAX;
      if (len > limit) return this.fail(this.recvKey ? "oversized" : "bad-hello");
      if (this.buf.length < 4 + len) return;
      const body = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      if (!this.recvKey) this.hello(body);
      else this.message(body);
    }
  }

  private hello(body: Buffer): void {
    const plain = body.length > IV ? open(this.hub.o.key, body.subarray(0, IV), body.subarray(IV)) : undefined;
    if (!plain) return this.fail("auth");
    let h: Hello;
    try {
      h = JSON.parse(plain.toString()) as Hello;
    } catch {
      return this.fail("malformed");
    }
    if (
      !h ||
      typeof h.from !== "string" ||
      typeof h.to !== "string" ||
      typeof h.nonce !== "string" ||
      !/^[0-9a-f]{32}$/.test(h.nonce) ||
      typeof h.inc !== "number"
    )
      return this.fail("malformed");
    if (h.cluster !== this.hub.o.cluster) return this.fail("other-cluster");
    if (!this.hub.o.peers[h.from] || h.from === this.hub.o.me) return this.fail("unknown-sender");
    if (this.outgoingTo && h.from !== this.outgoingTo) return this.fail("unknown-sender");
    if (h.to !== this.hub.o.me) return this.fail("not-for-me"); // a hello meant for another node, sent here
    this.peer = h.from;
    this.peerInc = h.inc;
    if (!this.outgoingTo) this.sendHello(h.from);
    const theirs = Buffer.from(h.nonce, "hex");
    // Both sides derive the same two keys; each uses "its own nonce first" for the direction it sends.
    const derive = (a: Buffer, b: Buffer) =>
      Buffer.from(hkdfSync("sha256", this.hub.o.key, Buffer.concat([a, b]), "paceline stream v2", 32));
    this.sendKey = derive(this.myNonce, theirs);
    this.recvKey = derive(theirs, this.myNonce);
    this.write(Buffer.from(CONFIRM));
    for (const plainMsg of this.queue.splice(0)) this.write(plainMsg);
  }

  private message(body: Buffer): void {
    const plain = open(this.recvKey!, counterIv(++this.recvCount), body);
    if (!plain) return this.fail("auth");
    if (!this.confirmed) {
      if (plain.toString() !== CONFIRM) return this.fail("unconfirmed");
      this.confirmed = true;
      this.hub.opened(this);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(plain.toString());
    } catch {
      return this.fail("malformed");
    }
    this.hub.stats.received++;
    this.hub.o.onMessage(this.peer!, msg);
  }
}

export class StreamHub {
  private servers: Server[] = [];
  /** The connection used to send to each peer (ours or theirs, whichever authenticated). */
  private readonly byPeer = new Map<string, Conn>();
  private readonly pending = new Map<string, Conn>();
  readonly stats = { sent: 0, received: 0, rejected: {} as Record<string, number> };
  private closing = false;

  constructor(readonly o: StreamOptions) {}

  async start(): Promise<void> {
    for (const addr of this.o.listen) {
      const { host, port } = splitAddress(addr, this.o.port);
      const server = createServer((sock) => new Conn(sock, this));
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) =>
          reject(
            new Error(
              `cannot listen for node streams on ${host}:${port}: ${e.code === "EADDRINUSE" ? "the port is taken" : e.message}`,
            ),
          ),
        );
        server.listen(port, host, () => resolve());
      });
      this.servers.push(server);
    }
  }

  /** The ports it listens on (one per listen address; useful when they were given as 0). */
  get ports(): number[] {
    return this.servers.map((sv) => {
      const a = sv.address();
      return typeof a === "object" && a ? a.port : 0;
    });
  }

  reject(reason: string): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /** A connection confirmed: it is the peer's, now (a confirmed one proved its freshness, so it may take the place
   * of an older one: the peer restarted, or both called at once; never one from an earlier life of the peer). */
  opened(c: Conn): void {
    const existing = this.byPeer.get(c.peer!);
    if (!existing || existing.sock.destroyed || c.peerInc >= existing.peerInc) this.byPeer.set(c.peer!, c);
    if (c.outgoingTo) this.pending.delete(c.outgoingTo);
  }

  closed(c: Conn): void {
    if (c.peer && this.byPeer.get(c.peer) === c) this.byPeer.delete(c.peer);
    if (c.outgoingTo && this.pending.get(c.outgoingTo) === c) this.pending.delete(c.outgoingTo);
  }

  /** Sends one message to a peer, connecting if needed (queued until the handshake is done). Delivery is not
   * confirmed: callers that need it use their own acknowledgement. */
  send(peer: string, msg: unknown, link = 0): void {
    if (this.closing || !this.o.peers[peer]) return;
    let c = this.byPeer.get(peer) ?? this.pending.get(peer);
    if (!c || c.sock.destroyed) {
      const addrs = this.o.peers[peer]!;
      const { host, port } = splitAddress(addrs[Math.min(link, addrs.length - 1)]!, this.o.port);
      c = new Conn(connect({ host, port }), this, peer);
      this.pending.set(peer, c);
    }
    c.send(msg);
    this.stats.sent++;
  }

  close(): void {
    this.closing = true;
    for (const s of this.servers) s.close();
    for (const c of [...this.byPeer.values(), ...this.pending.values()]) c.sock.destroy();
  }
}
