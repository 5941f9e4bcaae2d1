// The native virtual IP's parameters (IPaddr2's names), checked once for the configuration loader and the agent.

import { isIP } from "node:net";

export interface VipParams {
  ip: string;
  family: 4 | 6;
  /** cidr_netmask; unset: the prefix of the interface's subnet that holds the address. */
  prefix?: number;
  nic?: string;
  arpCount: number;
  arpIntervalMs: number;
}

/** The checked parameters of a native VIP, or what is wrong with them (also used by the configuration loader). */
export function vipParams(params: Record<string, string>): VipParams | string {
  const ip = params.ip;
  if (!ip) return "needs params.ip (the virtual address, e.g. 192.168.1.100)";
  const family = isIP(ip);
  if (family !== 4 && family !== 6) return `params.ip \`${ip}\` is not an IPv4 or IPv6 address`;
  const max = family === 4 ? 32 : 128;
  const rawPrefix = params.cidr_netmask;
  const prefix = rawPrefix === undefined ? undefined : Number(rawPrefix);
  if (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 1 && prefix <= max))
    return `params.cidr_netmask \`${rawPrefix}\` must be a prefix length from 1 to ${max}`;
  const nic = params.nic;
  if (nic !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(nic))
    return `params.nic \`${nic}\` is not an interface name`;
  const arpCount = params.arp_count === undefined ? 5 : Number(params.arp_count);
  if (!(Number.isInteger(arpCount) && arpCount >= 0 && arpCount <= 100))
    return `params.arp_count \`${params.arp_count}\` must be a whole number from 0 to 100`;
  const arpIntervalMs = params.arp_interval === undefined ? 200 : Number(params.arp_interval);
  if (!(Number.isInteger(arpIntervalMs) && arpIntervalMs >= 10 && arpIntervalMs <= 10_000))
    return `params.arp_interval \`${params.arp_interval}\` must be milliseconds from 10 to 10000`;
  return { ip, family, prefix, nic, arpCount, arpIntervalMs };
}
