// The native virtual IP (`agent: vip`, also `ocf:paceline:vip`): the address is added and removed with one `ip`
// call each, announced (gratuitous ARP, or unsolicited neighbour advertisements for IPv6) in the background, and
// monitored by its presence. Its parameters are IPaddr2's (ip, cidr_netmask, nic), so an IPaddr2 resource converts
// by changing its agent. A start takes milliseconds where IPaddr2's shell script takes a few hundred.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { ordinaryPriority } from "../priority.js";
import type { PrimitiveConfig } from "../../config/model.js";
import { vipParams, type VipParams } from "../../config/vip.js";
import type { OpResult } from "../../core/operation.js";
import { builtInPrelude, timedResult, type AgentRunner, type OpRequest } from "./agents.js";
import { OCF } from "./ocf-codes.js";
import { runProcess } from "./run-process.js";

const IP_CMD = "ip";
const SEND_ARP = "/usr/libexec/heartbeat/send_arp";
const SEND_UA = "/usr/libexec/heartbeat/send_ua";

/** IPv4/IPv6 text → bits, for subnet matching and comparing addresses written differently. */
function bitsOf(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split(".").reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n);
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    ip = `${ip.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g || "0", 16)), 0n);
}

function inSubnet(ip: string, net: string, prefix: number, family: 4 | 6): boolean {
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - prefix);
  return bitsOf(ip) >> shift === bitsOf(net) >> shift;
}

interface Address {
  dev: string;
  addr: string;
  prefix: number;
}

/** Where to add it: `nic`/`cidr_netmask` as given, else the interface whose subnet holds the address (IPaddr2's
 * findif, for the common case). */
function place(p: VipParams, addrs: Address[]): { dev: string; prefix: number } | string {
  if (p.nic && p.prefix !== undefined) return { dev: p.nic, prefix: p.prefix };
  for (const a of addrs)
    if (a.dev !== "lo" && (!p.nic || a.dev === p.nic) && inSubnet(p.ip, a.addr, a.prefix, p.family))
      return { dev: a.dev, prefix: p.prefix ?? a.prefix };
  return p.nic
    ? `${p.nic} has no ${p.family === 4 ? "IPv4" : "IPv6"} subnet holding ${p.ip}: set params.cidr_netmask`
    : `no interface has a subnet holding ${p.ip}: set params.nic and params.cidr_netmask`;
}

/** The `ip` arguments that add (start) or remove (stop) the address on `where`. */
const changeArgs = (action: "start" | "stop", p: VipParams, where: { dev: string; prefix: number }): string[] => [
  "-" + p.family,
  "addr",
  action === "start" ? "add" : "del",
  `${p.ip}/${where.prefix}`,
  "dev",
  where.dev,
  ...(action === "start" && p.family === 6 ? ["nodad"] : []),
];

export const __forTests = { bitsOf, inSubnet };

export class VipAgent implements AgentRunner {
  constructor(private readonly rsc: PrimitiveConfig) {}

  locate(): { path: string } | { error: string } {
    const p = vipParams(this.rsc.params);
    return typeof p === "string" ? { error: p } : { path: "(built in: vip)" };
  }

  async run(req: OpRequest): Promise<OpResult> {
    const done = timedResult();
    const early = builtInPrelude(req, "a VIP", done);
    if (early) return early;
    const p = vipParams(this.rsc.params);
    if (typeof p === "string") return done(OCF.ERR_CONFIGURED, p);
    try {
      if ((req.action === "start" || req.action === "stop") && p.nic && p.prefix !== undefined) {
        // With nic and cidr_netmask given, one `ip` call (a stop under load must fit its budget); an address that
        // was not where it should be (stop), or no such device (start), is left to the full look below.
        const where = { dev: p.nic, prefix: p.prefix };
        const r = await this.ipRun(changeArgs(req.action, p, where), req.timeoutMs);
        if (r.exitCode === 0) return done(OCF.SUCCESS, this.changed(req.action, p, where));
        if (req.action === "start" && /File exists/.test(r.stderr))
          return done(OCF.SUCCESS, `${p.ip} already up on ${where.dev}`);
      }
      const addrs = await this.addresses(p.family, req.timeoutMs);
      const present = addrs.find((a) => bitsOf(a.addr) === bitsOf(p.ip));
      if (req.action === "monitor" || req.action === "probe")
        return present
          ? done(OCF.SUCCESS, `${p.ip} is up on ${present.dev}`)
          : done(OCF.NOT_RUNNING, `${p.ip} is not up`);
      if (req.action === "stop") {
        if (!present) return done(OCF.SUCCESS, `${p.ip} was not up`);
        await this.ip(changeArgs("stop", p, present), req.timeoutMs);
        return done(OCF.SUCCESS, this.changed("stop", p, present));
      }
      // start
      if (present) return done(OCF.SUCCESS, `${p.ip} already up on ${present.dev}`);
      const where = place(p, addrs);
      if (typeof where === "string") return done(OCF.ERR_CONFIGURED, where);
      await this.ip(changeArgs("start", p, where), req.timeoutMs);
      return done(OCF.SUCCESS, this.changed("start", p, where));
    } catch (e) {
      return done(OCF.ERR_GENERIC, (e as Error).message);
    }
  }

  /** What a start or stop that went through did (a start is announced to the neighbours). */
  private changed(action: "start" | "stop", p: VipParams, where: { dev: string; prefix: number }): string {
    if (action === "stop") return `${p.ip} removed from ${where.dev}`;
    this.announce(p, where);
    return `${p.ip}/${where.prefix} up on ${where.dev}`;
  }

  /** Every address of the family, one `ip` call: what is up, and where a new one fits. */
  private async addresses(family: 4 | 6, timeoutMs: number): Promise<Address[]> {
    const out = await this.ip(["-o", "-" + family, "addr", "show"], timeoutMs);
    const list: Address[] = [];
    for (const line of out.split("\n")) {
      const m = line.match(/^\d+:\s+(\S+?)(?:@\S+)?\s+inet6?\s+([0-9a-fA-F.:]+)\/(\d+)/);
      if (m) list.push({ dev: m[1]!, addr: m[2]!, prefix: Number(m[3]) });
    }
    return list;
  }

  /** Neighbours learn the new owner at once (gratuitous ARP / unsolicited NA), in the background: the address is
   * usable already, so the start does not wait for it. */
  private announce(p: VipParams, where: { dev: string; prefix: number }): void {
    if (p.arpCount === 0) return;
    const [file, args] =
      p.family === 4
        ? [
            SEND_ARP,
            ["-i", String(p.arpIntervalMs), "-r", String(p.arpCount), where.dev, p.ip, "auto", "not_used", "not_used"],
          ]
        : [SEND_UA, ["-i", String(p.arpIntervalMs), "-c", String(p.arpCount), p.ip, String(where.prefix), where.dev]];
    if (!existsSync(file)) return;
    const child = spawn(file, args, { stdio: "ignore", detached: true });
    ordinaryPriority(child.pid);
    child.on("error", () => undefined);
    child.unref();
  }

  private ipRun(args: string[], timeoutMs: number) {
    return runProcess({ file: IP_CMD, args, timeoutMs: Math.min(timeoutMs, 10_000), keepPriority: true });
  }

  private async ip(args: string[], timeoutMs: number): Promise<string> {
    const r = await this.ipRun(args, timeoutMs);
    if (r.spawnError) throw new Error(`cannot run ip: ${r.spawnError}`);
    if (r.timedOut) throw new Error(`ip ${args.join(" ")} did not finish in time`);
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return r.stdout;
  }
}
