// The heartbeat wire format: every datagram is versioned, size-bounded, encrypted and authenticated with the
// cluster key (AES-256-GCM). Sealed inside, with the message: the cluster, the sender and its incarnation, the
// receiver and the receiver's incarnation as the sender last heard it (0: not heard yet), and a packet number
// counted per (sender, receiver), so a datagram is good once, for one receiver in one life. Decoding never throws:
// anything malformed, forged or oversized is rejected with a reason (and counted by the caller); the transport
// rejects what was not for it, and replays.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ATTR_LIMITS } from "../core/membership/member.js";
import type { ArbiterReply, ArbiterRequest, Message } from "../core/membership/types.js";

export const WIRE_VERSION = 2;
export const MAX_DATAGRAM_BYTES = 8192;
const MAX_NODES = 64;
const MAGIC = 0x50; // "P"
const HEADER = 2; // magic, version
const NONCE = 12;
const TAG = 16;

/** Round-trip probes are the transport's own business (link RTT for status), never seen by the membership core. */
export interface Probe {
  t: "probe";
  from: string;
  inc: number;
  id: number;
  reply: boolean;
}
export interface Envelope {
  cluster: string;
  from: string;
  inc: number;
  /** The receiver (a node name, or ARBITER_NAME). */
  to: string;
  /** The receiver's incarnation as the sender last heard it (0: not yet): a restarted receiver drops the old. */
  toInc: number;
  /** Counted per (sender, receiver) within the sender's incarnation. */
  packet: number;
  msg: Message | Probe | ArbiterRequest | ArbiterReply;
}
/** The sender name the arbiter uses (node names cannot contain "@"). */
export const ARBITER_NAME = "@arbiter";

export function encode(key: Buffer, env: Envelope): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const header = Buffer.from([MAGIC, WIRE_VERSION]);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(JSON.stringify(env), "utf8"), cipher.final()]);
  const out = Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
  if (out.length > MAX_DATAGRAM_BYTES) throw new Error(`message too large for one datagram (${out.length} bytes)`);
  return out;
}

export type Decoded =
  | { ok: true; env: Envelope }
  | { ok: false; reason: "short" | "magic" | "version" | "oversized" | "auth" | "malformed" };

export function decode(key: Buffer, data: Buffer): Decoded {
  if (data.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: "oversized" };
  if (data.length < HEADER + NONCE + TAG + 2) return { ok: false, reason: "short" };
  if (data[0] !== MAGIC) return { ok: false, reason: "magic" };
  if (data[1] !== WIRE_VERSION) return { ok: false, reason: "version" };
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(HEADER, HEADER + NONCE));
    decipher.setAAD(data.subarray(0, HEADER));
    decipher.setAuthTag(data.subarray(data.length - TAG));
    plain = Buffer.concat([
      decipher.update(data.subarray(HEADER + NONCE, data.length - TAG)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    return { ok: false, reason: "auth" };
  }
  try {
    const env = JSON.parse(plain) as Envelope;
    if (!isEnvelope(env)) return { ok: false, reason: "malformed" };
    return { ok: true, env };
  } catch {
    return { ok: false, reason: "malformed" };
  }
}

const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_NODES && v.every(isStr);
const isView = (v: unknown): boolean => {
  const x = v as Record<string, unknown>;
  return !!x && isInt(x.id) && isStr(x.leader) && isInt(x.leaderInc) && isNames(x.members);
};

const isAttrs = (v: unknown): boolean => {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return (
    entries.length <= ATTR_LIMITS.count &&
    entries.every(
      ([k, x]) =>
        k.length > 0 &&
        k.length <= ATTR_LIMITS.nameChars &&
        typeof x === "string" &&
        x.length <= ATTR_LIMITS.valueChars,
    )
  );
};

const isEcho = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length <= MAX_NODES &&
  v.every((e) => Array.isArray(e) && e.length === 3 && isStr(e[0]) && isInt(e[1]) && isInt(e[2]));

const isGoodbyes = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.length <= MAX_NODES &&
  v.every((e) => Array.isArray(e) && e.length === 2 && isStr(e[0]) && isInt(e[1]));

/** Even authenticated input is checked field by field: a bug elsewhere must not become a crash here. */
function isEnvelope(v: unknown): v is Envelope {
  const e = v as Record<string, unknown>;
  if (!e || !isStr(e.cluster) || !isStr(e.from) || !isInt(e.inc) || !isInt(e.packet)) return false;
  if (!isStr(e.to) || !isInt(e.toInc)) return false;
  const m = e.msg as Record<string, unknown>;
  if (m && m.t === "arb-reply")
    return (
      e.from === ARBITER_NAME &&
      isStr(m.to) &&
      isInt(m.inc) &&
      isInt(m.seq) &&
      isView(m.view) &&
      typeof m.granted === "boolean"
    );
  if (!m || m.from !== e.from || m.inc !== e.inc) return false;
  switch (m.t) {
    case "hb":
      return (
        isInt(m.seq) &&
        isView(m.view) &&
        isNames(m.hears) &&
        typeof m.settled === "boolean" &&
        isAttrs(m.attrs) &&
        isEcho(m.echo)
      );
    case "propose":
      return isView(m.view) && (m.goodbyes === undefined || isGoodbyes(m.goodbyes));
    case "ack":
      return (
        isInt(m.viewId) &&
        isStr(m.leader) &&
        isInt(m.leaderInc) &&
        isNames(m.had) &&
        isInt(m.settleLeftMs) &&
        typeof m.echo === "boolean"
      );
    case "commit":
      return isView(m.view) && isInt(m.settleLeftMs) && isNames(m.echo);
    case "leave":
      return true;
    case "probe":
      return isInt(m.id) && typeof m.reply === "boolean";
    case "arb-req":
      return isInt(m.seq) && isView(m.view);
    default:
      return false;
  }
}

/** Sliding-window replay protection per sender incarnation (like IPsec's): each packet number is taken once. A
 * receiver keeps one, for what was addressed to it: the windows are per (sender, receiver). */
export class ReplayWindow {
  private readonly latest = new Map<string, { inc: number; top: number; seen: Set<number> }>();
  constructor(private readonly size = 1024) {}
  accept(from: string, inc: number, packet: number): boolean {
    const w = this.latest.get(from);
    if (!w || inc > w.inc) {
      this.latest.set(from, { inc, top: packet, seen: new Set([packet]) });
      return true;
    }
    if (inc < w.inc) return false; // an earlier life of that node
    if (packet > w.top) {
      w.top = packet;
      w.seen.add(packet);
      for (const p of w.seen) if (p <= w.top - this.size) w.seen.delete(p);
      return true;
    }
    if (packet <= w.top - this.size || w.seen.has(packet)) return false;
    w.seen.add(packet);
    return true;
  }
}
