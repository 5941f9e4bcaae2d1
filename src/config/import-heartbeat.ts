// Heartbeat v1's three files as cluster.yaml: ha.cf (nodes, links, timings, failback, ping/ipfail, stonith_host),
// haresources (one group per line, its preferred node first, resources started left to right) and authkeys (the
// scheme is reported, the secret never copied: Paceline signs with its own key). What has no equivalent is listed in
// the header with the reason.

import { stringify } from "yaml";
import type { ImportResult } from "./import-cib.js";

export interface HeartbeatFiles {
  haCf?: string;
  haresources?: string;
  authkeys?: string;
}

/** Lines without comments, continuation lines (ending in \) joined. */
function lines(text: string): string[] {
  const out: string[] = [];
  let buf = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, "").trim();
    if (line.endsWith("\\")) {
      buf += `${line.slice(0, -1)} `;
      continue;
    }
    if (`${buf}${line}`.trim()) out.push(`${buf}${line}`.trim());
    buf = "";
  }
  if (buf.trim()) out.push(buf.trim());
  return out;
}

/** Heartbeat times: seconds, or with ms; anything else is not a time (undefined). */
const duration = (v: string | undefined): string | undefined =>
  v === undefined || !/^\d+(\.\d+)?(ms)?$/.test(v) ? undefined : v.endsWith("ms") ? v : `${Number(v)}s`;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

interface HbResource {
  id: string;
  spec: Record<string, unknown>;
}

/** One haresources word as a Paceline resource. */
function resource(word: string, taken: Set<string>): HbResource {
  const [name, ...args] = word.split("::");
  const unique = (base: string) => {
    let id = base.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z_]+/, "r-");
    for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
    taken.add(id);
    return id;
  };
  if (IPV4.test(name!) || name === "IPaddr" || name === "IPaddr2") {
    // IPaddr::ip/cidr/nic/broadcast, or a bare address
    const [ip, cidr, nic] = (IPV4.test(name!) ? name! : (args[0] ?? "")).split("/");
    const params: Record<string, string> = { ip: ip ?? "" };
    if (cidr) params.cidr_netmask = cidr;
    if (nic) params.nic = nic;
    return { id: unique(`ip-${ip}`), spec: { agent: "ocf:heartbeat:IPaddr2", params, monitor: "10s" } };
  }
  if (name === "Filesystem") {
    const [device, directory, fstype, options] = args;
    const params: Record<string, string> = { device: device ?? "", directory: directory ?? "", fstype: fstype ?? "" };
    if (options) params.options = options;
    return {
      id: unique(`fs-${(directory ?? "").split("/").filter(Boolean).join("-") || "root"}`),
      spec: { agent: "ocf:heartbeat:Filesystem", params, monitor: "20s" },
    };
  }
  // drbddisk::r0 (drbd-utils' script), datadisk::drbd0, killnfsd, nfsserver…: Heartbeat v1 scripts, run as Heartbeat
  // ran them (resource.d first, then init.d).
  return {
    id: unique(args.length ? `${name}-${args.join("-")}` : name!),
    spec: { agent: word.includes("::") ? word : `heartbeat:${name}` },
  };
}

export function heartbeatToClusterYaml(files: HeartbeatFiles, name = "imported"): ImportResult {
  const notImported: string[] = [];
  const doc: Record<string, unknown> = { cluster: name };
  const nodes: string[] = [];
  const hb: Record<string, unknown> = {};
  const links: string[] = [];
  const pingTargets: string[] = [];
  let ipfail = false;
  const props: Record<string, unknown> = {};
  const devices: Record<string, unknown> = {};
  for (const line of lines(files.haCf ?? "")) {
    const [key, ...v] = line.split(/\s+/);
    switch (key) {
      case "node":
        nodes.push(...v);
        break;
      case "keepalive":
        hb.interval = duration(v[0]);
        if (hb.interval === undefined)
          notImported.push(`ha.cf keepalive ${v.join(" ")}: not a time (seconds, or with ms)`);
        break;
      case "deadtime":
        hb.dead = duration(v[0]);
        if (hb.dead === undefined) notImported.push(`ha.cf deadtime ${v.join(" ")}: not a time (seconds, or with ms)`);
        break;
      case "warntime":
        hb.warn = duration(v[0]);
        if (hb.warn === undefined) notImported.push(`ha.cf warntime ${v.join(" ")}: not a time (seconds, or with ms)`);
        break;
      case "initdead":
        hb["initial-dead"] = duration(v[0]);
        if (hb["initial-dead"] === undefined)
          notImported.push(`ha.cf initdead ${v.join(" ")}: not a time (seconds, or with ms)`);
        break;
      case "udpport":
        hb.port = Number(v[0]);
        break;
      case "ucast":
      case "bcast":
      case "mcast":
        links.push(line);
        break;
      case "serial":
        notImported.push(
          `serial ${v.join(" ")}: a serial heartbeat has no place in Paceline (its links are IP); use a second network link (a direct cable)`,
        );
        break;
      case "auto_failback":
        if (v[0] === "legacy") notImported.push("auto_failback legacy: taken as on");
        props["auto-failback"] = v[0] !== "off";
        break;
      case "nice_failback":
        props["auto-failback"] = v[0] !== "on";
        break;
      case "ping":
        pingTargets.push(...v);
        break;
      case "ping_group":
        pingTargets.push(...v.slice(1));
        break;
      case "respawn":
        if (/ipfail$/.test(v.at(-1) ?? "")) ipfail = true;
        else notImported.push(`respawn ${v.join(" ")}: run it with its own service manager (systemd)`);
        break;
      case "stonith_host": {
        // stonith_host FROM-NODE TYPE ARGS…: a cluster-glue stonith2 plugin, run through its stonith command; the
        // targets are the other node(s).
        const [from, type, ...args] = v;
        devices[`${type}-from-${from}`] = stonithHostDevice(
          `stonith_host ${v.join(" ")}`,
          type ?? "",
          args,
          notImported,
        );
        break;
      }
      case "crm":
        if (v[0] !== "no" && v[0] !== "off")
          notImported.push(`crm ${v[0]}: a Heartbeat 2 CIB cluster: import its cib.xml instead`);
        break;
      case "logfile":
      case "debugfile":
      case "logfacility":
      case "use_logd":
      case "debug":
        break; // Paceline logs to its own output and journal
      default:
        notImported.push(`ha.cf ${line}: no Paceline equivalent`);
    }
  }
  // mcast DEV GROUP PORT TTL LOOP → a multicast link; bcast DEV… → a broadcast link per device (its broadcast address
  // is the subnet's, which ha.cf does not say); ucast DEV PEER → a unicast link. Each node's own address on each
  // link is not in ha.cf either: the header asks for it.
  const modes: unknown[] = [];
  for (const l of links) {
    const [kind, ...v] = l.split(/\s+/);
    if (kind === "mcast") {
      modes.push({ multicast: v[1], ttl: Number(v[3] ?? 1) || 1 });
      hb.port = Number(v[2] ?? 694) || 694; // Heartbeat's port, so both can be told apart on a shared network
    } else if (kind === "bcast") for (let i = 0; i < v.length; i++) modes.push({ broadcast: "255.255.255.255" });
    else if (!modes.includes("unicast")) modes.push("unicast");
  }
  if (modes.some((m) => typeof m === "object" && "broadcast" in (m as object)))
    notImported.push(
      `bcast: ha.cf names devices (${links.filter((l) => l.startsWith("bcast")).join("; ")}): replace 255.255.255.255 in heartbeat.links with each link's subnet broadcast address (e.g. 10.0.0.255)`,
    );
  if (modes.length) {
    hb.links = modes;
    notImported.push(
      `links ${links.map((l) => `\`${l}\``).join(", ")}: give each node its own address on each of these ${modes.length} link(s) in nodes.NAME.links (ha.cf names devices, not addresses)`,
    );
  }
  doc.nodes = Object.fromEntries(nodes.map((n) => [n, {}]));
  // stonith_host devices fence every node but the one they are attached to.
  for (const [id, d] of Object.entries(devices)) {
    const from = id.split("-from-")[1]!;
    (d as { targets: string[] }).targets = nodes.filter((n) => n !== from);
  }
  if (Object.keys(hb).length) doc.heartbeat = { ...hb, "key-file": "/etc/paceline/authkey" };
  if (nodes.length === 2) doc.quorum = { "two-node": true };
  if (Object.keys(props).length) doc.properties = props;
  if (pingTargets.length) doc.ping = { targets: pingTargets, ...(ipfail ? {} : { "prefer-connected": false }) };
  else if (ipfail) notImported.push("respawn ipfail without ping targets: nothing to measure connectivity against");
  const resources: Record<string, unknown> = {};
  const taken = new Set<string>(nodes);
  lines(files.haresources ?? "").forEach((line, i) => {
    const [node, ...words] = line.split(/\s+/);
    const members = words.map((w) => resource(w, taken));
    if (!members.length) return;
    const id = `group${i + 1}`;
    taken.add(id);
    resources[id] = {
      ...(node && nodes.includes(node) ? { prefer: node } : {}),
      members: Object.fromEntries(members.map((m) => [m.id, m.spec])),
    };
    if (node && nodes.length && !nodes.includes(node))
      notImported.push(`haresources line ${i + 1}: preferred node ${node} is not a node of ha.cf`);
  });
  doc.resources = resources;
  if (Object.keys(devices).length) doc.fencing = { devices };
  const keys = lines(files.authkeys ?? "");
  const active = keys.find((l) => l.startsWith("auth "))?.split(/\s+/)[1];
  const method = keys.find((l) => l.split(/\s+/)[0] === active)?.split(/\s+/)[1];
  if (method)
    notImported.push(
      `authkeys ${method}: ${method === "crc" ? "crc authenticates nothing" : `${method} is a weak, old scheme`}; its secret is not copied. Paceline seals every packet with AES-256-GCM under its own key: run \`paceline keygen\` on one node and copy /etc/paceline/authkey (mode 600) to the others`,
    );
  const header = [
    "# Imported from Heartbeat v1 (ha.cf, haresources, authkeys) by paceline config import.",
    "# Heartbeat's timings are kept; Paceline's `heartbeat: { profile: default }` fails over in about 1.6 s.",
    ...(notImported.length ? ["# Not carried over, and why:", ...notImported.map((n) => `#   - ${n}`)] : []),
  ].join("\n");
  return { yaml: `${header}\n${stringify(doc, { lineWidth: 120 })}`, notImported };
}

/** The options of cluster-glue's stonith2 plugins, in the order `stonith -t TYPE -n` lists them (Debian's
 * cluster-glue): a stonith_host line gives their values in that order. */
const STONITH2_OPTIONS: Record<string, string[]> = {
  apcmaster: ["ipaddr", "login", "password"],
  apcmastersnmp: ["ipaddr", "port", "community"],
  apcsmart: ["ttydev", "hostlist"],
  baytech: ["ipaddr", "login", "password"],
  cyclades: ["ipaddr", "login", "serialport"],
  drac3: ["host", "login", "password"],
  ibmhmc: ["ipaddr"],
  null: ["hostlist"],
  nw_rpc100s: ["ttydev", "hostlist"],
  rcd_serial: ["hostlist", "ttydev", "dtr_rts", "msduration"],
  rps10: ["serial_to_targets"],
  ssh: ["hostlist"],
  wti_mpc: ["ipaddr", "port", "community", "mib-version"],
  wti_nps: ["ipaddr", "password"],
};

/** A stonith_host line as a fencing device: meatware is Paceline's manual device; a known stonith2 plugin runs as
 * itself (stonith2/TYPE), its options named (a serial device given first or last is its ttydev either way), its
 * password never copied; anything else is a manual device until replaced. */
function stonithHostDevice(line: string, type: string, args: string[], notImported: string[]): Record<string, unknown> {
  if (type === "meatware") return { agent: "manual", targets: [] };
  const names = STONITH2_OPTIONS[type];
  if (!names) {
    notImported.push(
      `${line}: ${type} is not a cluster-glue stonith2 plugin Paceline knows; written as a manual device — replace it with the fence-agents program for that power switch and its address`,
    );
    return { agent: "manual", targets: [] };
  }
  const params: Record<string, string> = {};
  const rest = [...args];
  if (names.includes("ttydev")) {
    const tty = rest.findIndex((a) => a.startsWith("/dev/"));
    if (tty >= 0) params.ttydev = rest.splice(tty, 1)[0]!;
  }
  const open = names.filter((n) => !(n in params));
  let password = false;
  open.forEach((name, i) => {
    const value = name === open.at(-1) ? rest.slice(i).join(" ") : rest[i];
    if (value === undefined || value === "") return;
    if (name === "password") password = true;
    else params[name] = value;
  });
  if (password)
    notImported.push(`${line}: its password is not copied: put it in the file password-file names (mode 600)`);
  return {
    agent: `stonith2/${type}`,
    ...(Object.keys(params).length ? { params } : {}),
    ...(password ? { "password-file": `/etc/paceline/${type}.password` } : {}),
    targets: [],
  };
}
