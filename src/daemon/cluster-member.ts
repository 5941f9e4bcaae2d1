// A cluster node's daemon: runs core/membership on the node's monotonic clock with the UDP links as its transport,
// hands every change of view, quorum and DC to the controller shell (cluster-control.ts), and serves what it sees
// over the local API.

import { renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import type { ClusterConfig } from "../config/model.js";
import { findResource } from "../config/model.js";
import { pingOnce } from "../agents/checks.js";
import { attrProblem, dcOf, holdsLease, hasLeft, heard, sameView, initMember, isQuorate, linkState, quorumVotes, step } from "../core/membership/member.js";
import type { MemberState, MembershipParams, Output } from "../core/membership/types.js";
import { readClusterKey } from "../node/key.js";
import { readJsonState, StateFile } from "../node/store.js";
import { UdpTransport } from "../node/transport.js";
import { ControlShell, type ViewFacts } from "./cluster-control.js";
import type { AdminCommand } from "../core/controller/types.js";
import { clusterResources } from "../core/controller/summary.js";
import { schedulerInputOf } from "../core/controller/scheduler-input.js";
import { schedule } from "../core/scheduler/index.js";
import { explain } from "../core/scheduler/explain.js";
import type { EventLine, MembershipStatus } from "../api/types.js";
import { VERSION } from "../version.js";

export interface ClusterMemberOptions {
  config: ClusterConfig;
  /** The text `config` was read from: the cluster's configuration epoch 0 until one is pushed. */
  configYaml: string;
  me: string;
  stateDir: string;
  out?: (line: string) => void;
}

/** The clock the membership core runs on: monotonic (never steps back with NTP), in ms. Shared with the arbiter. */
export const monotonicMs = () => Math.floor(performance.timeOrigin + performance.now());

export function membershipParams(config: ClusterConfig): MembershipParams {
  const hb = config.heartbeat;
  return {
    nodes: config.nodes.map((n) => ({ name: n.name, votes: n.votes })), links: Math.max(1, config.nodes[0]?.links.length ?? 1),
    intervalMs: hb.intervalMs, warnMs: hb.warnMs, deadMs: hb.deadMs, initialDeadMs: hb.initialDeadMs, maxDelayMs: hb.maxDelayMs,
    clockDrift: 0.01, twoNode: config.quorum.twoNode, waitForAll: config.quorum.waitForAll, arbiterVotes: config.quorum.arbiter ? 1 : 0,
  };
}

/** Which node this is: --node, else the host name. */
export function whoAmI(config: ClusterConfig, asked?: string): string {
  const name = asked ?? hostname();
  if (!config.nodes.some((n) => n.name === name)) {
    throw new Error(`this host is \`${name}\`, which is not a node of the configuration (nodes: ${config.nodes.map((n) => n.name).join(", ")}); give --node NAME`);
  }
  return name;
}

/** The histogram samples with a timer of this period and records the whole period: the lag is what exceeds it. */
const LAG_SAMPLE_MS = 10;
const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LAG_SAMPLE_MS);

export class ClusterMemberDaemon {
  readonly p: MembershipParams;
  private state!: MemberState;
  private transport!: UdpTransport;
  private timer?: NodeJS.Timeout;
  private readonly events: EventLine[] = [];
  private readonly sinceMs = Date.now();
  /** Quorum as last said in the log; a loss is said only once it has lasted longer than a view change takes. */
  private saidQuorate?: boolean;
  private noQuorumSinceMs?: number;
  private stopping = false;
  private pingTimer?: NodeJS.Timeout;
  private control?: ControlShell;
  private lastFacts = "";
  /** When this daemon last recorded holding its lease (see leaseFile). */
  private leaseSavedMs = -Infinity;
  private leasePath = "";
  /** Heartbeats are sent from this event loop: a stalled loop looks like a dead node to peers, so it is measured. */
  private readonly loopLag = monitorEventLoopDelay({ resolution: LAG_SAMPLE_MS });
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((res) => { this.resolveDone = res; });

  constructor(private readonly o: ClusterMemberOptions) {
    this.p = membershipParams(o.config);
  }

  async start(): Promise<void> {
    const { config, me } = this.o;
    const linkless = config.nodes.filter((n) => n.links.length === 0).map((n) => n.name);
    if (linkless.length) throw new Error(`cannot run as a cluster: node(s) ${linkless.join(", ")} have no heartbeat link address (nodes.NAME.links: [10.0.0.1, ...])`);
    const key = readClusterKey(config.heartbeat.keyFile);
    // Each start is a new incarnation, remembered across restarts so peers can tell a restart from a delayed packet.
    const incFile = new StateFile<{ incarnation: number }>(join(this.o.stateDir, "incarnation.json"));
    const prev = readJsonState(incFile.path, (v): v is { incarnation: number } => typeof (v as { incarnation?: unknown })?.incarnation === "number");
    const inc = (prev.kind === "ok" ? prev.value.incarnation : 0) + 1;
    incFile.save({ incarnation: inc });
    const self = config.nodes.find((n) => n.name === me)!;
    this.state = initMember(this.p, me, inc, monotonicMs());
    this.transport = new UdpTransport({
      cluster: config.cluster, me, inc, key, port: config.heartbeat.port, links: self.links,
      peers: Object.fromEntries(config.nodes.filter((n) => n.name !== me).map((n) => [n.name, n.links])),
      onMessage: (link, env) => this.feed({ type: "recv", nowMs: monotonicMs(), link, msg: env.msg }),
      probeEveryMs: Math.max(1000, this.p.intervalMs),
      arbiter: config.quorum.arbiter,
      onArbiterReply: (reply) => this.feed({ type: "arbiter-reply", nowMs: monotonicMs(), reply }),
    });
    await this.transport.start();
    this.loopLag.enable();
    this.event("info", `Paceline ${VERSION} cluster node ${me} (incarnation ${inc}) of \`${config.cluster}\`: ${config.nodes.length} nodes, ${self.links.length} link(s), heartbeat every ${this.p.intervalMs} ms, dead after ${this.p.deadMs} ms`);
    this.control = new ControlShell({
      config, configYaml: this.o.configYaml, me, inc, key, stateDir: this.o.stateDir, stopMarginMs: config.heartbeat.stopMarginMs, clock: monotonicMs,
      log: (level, text) => this.event(level, text), onExit: () => this.leave(),
    });
    // A previous daemon of this node that died holding resources left when it last held its lease: the resources
    // it left running must stop within the grace of that moment unless this daemon gets the lease back in time.
    this.leasePath = join(this.o.stateDir, "lease.json");
    const lease = readJsonState(this.leasePath, (v): v is { heldAtMs: number } => typeof (v as { heldAtMs?: unknown })?.heldAtMs === "number");
    try {
      await this.control.start(lease.kind === "ok" ? lease.value.heldAtMs : undefined);
    } catch (e) {
      this.transport.close();
      throw e;
    }
    const tickMs = Math.max(10, Math.floor(this.p.intervalMs / 4));
    this.timer = setInterval(() => this.feed({ type: "tick", nowMs: monotonicMs() }), tickMs);
    this.feed({ type: "tick", nowMs: monotonicMs() });
    this.startPinging();
  }

  private feed(input: Parameters<typeof step>[2]): void {
    let outputs: Output[];
    try {
      ({ outputs } = step(this.p, this.state, input));
    } catch (e) {
      this.event("error", `internal error in membership: ${(e as Error).message}`);
      return;
    }
    for (const o of outputs) {
      if (o.type === "send") this.transport.send(o.to, o.link, o.msg);
      else if (o.type === "to-arbiter") this.transport.sendToArbiter(o.msg);
      else if (o.type === "log") this.event("info", o.text);
    }
    const now = monotonicMs();
    const q = isQuorate(this.p, this.state, now);
    if (q) this.noQuorumSinceMs = undefined;
    else this.noQuorumSinceMs ??= now;
    const lastingLoss = !q && now - this.noQuorumSinceMs! > this.p.intervalMs + this.p.maxDelayMs;
    if (!this.state.left && ((q && this.saidQuorate !== true) || (lastingLoss && this.saidQuorate !== false))) {
      this.saidQuorate = q;
      const v = this.state.view;
      const heardVotes = v.members.filter((m) => m === this.state.me || now - (this.state.peers[m]?.supportMs ?? -Infinity) <= this.p.deadMs)
        .reduce((a, m) => a + (this.p.nodes.find((n) => n.name === m)?.votes ?? 0), 0);
      const expected = this.p.nodes.reduce((a, n) => a + n.votes, 0) + (this.p.arbiterVotes ?? 0);
      const waitingMs = this.state.settleUntilMs - now;
      this.event(q ? "info" : "warn", q ? `quorate in view ${v.id}; DC is ${v.leader}`
        : waitingMs > 0 ? `no quorum yet: view ${v.id} (${v.members.join(", ")}) waits ${waitingMs} ms more for the quorum lease of what it dropped (or of this node's previous life) to run out`
        : `no quorum: view ${v.id} (${v.members.join(", ")}); ${heardVotes} of ${expected} votes heard in it within the lease${this.p.arbiterVotes ? " (+ the arbiter's, if lent)" : ""}, ${quorumVotes(this.p)} needed`);
    }
    // Off the per-packet path: the controller hears of view changes at once, of everything else on the next tick.
    if (!this.control || (input.type !== "tick" && !outputs.some((o) => o.type === "view"))) return;
    const facts = this.viewFacts(now);
    if (facts.holdsLease && now - this.leaseSavedMs >= Math.max(100, this.p.intervalMs)) {
      this.leaseSavedMs = now;
      // Written often, so not fsynced: it only matters while this machine stays up (a reboot stops the resources).
      try {
        writeFileSync(`${this.leasePath}.tmp`, JSON.stringify({ heldAtMs: now }));
        renameSync(`${this.leasePath}.tmp`, this.leasePath);
      } catch (e) {
        this.event("error", `cannot record the lease in ${this.leasePath}: ${(e as Error).message}`);
      }
    }
    const key = JSON.stringify([facts.viewKey, facts.members, facts.quorate, facts.holdsLease, facts.dc]);
    if (key !== this.lastFacts) { this.lastFacts = key; this.control.view(facts); }
    if (input.type === "tick") this.control.tick(facts.attributes);
  }

  private viewFacts(now: number): ViewFacts {
    const s = this.state;
    const attributes: Record<string, Record<string, string>> = { [s.me]: { ...s.attrs } };
    for (const [name, peer] of Object.entries(s.peers)) attributes[name] = { ...peer.attrs };
    return {
      viewKey: `${s.view.id}/${s.view.leader}/${s.view.leaderInc}`, members: [...s.view.members], quorate: isQuorate(this.p, s, now), holdsLease: holdsLease(this.p, s, now), dc: dcOf(this.p, s, now),
      leftCleanly: Object.entries(s.peers).filter(([, p]) => hasLeft(p)).map(([n]) => n), attributes,
    };
  }

  /** Why a resource is where it is, as the scheduler sees the cluster from this node's reports. */
  why(id: string): { ok: boolean; message: string } {
    if (!this.control) return { ok: false, message: "the daemon is starting" };
    const co = this.control.co;
    const input = schedulerInputOf({ config: this.control.config, admin: co.admin, members: co.members, reports: co.reports, attributes: co.attributes, dc: co.dc ?? this.o.me, wallSec: Date.now() / 1000 });
    try {
      // Beyond the scores: what holds it back right now (a lost node's lease or fencing), as this node knows it.
      const r = findResource(this.control.config, id);
      const ids = r?.kind === "group" ? [r.id, ...r.members.map((m) => m.id)] : [id];
      const holds = Object.entries(co.held).filter(([, h]) => h.rscs.some((x) => ids.includes(x)))
        .map(([node, h]) => `held: ${node} may still run ${h.rscs.filter((x) => ids.includes(x)).join(", ")}; ${h.needsFence ? `it starts elsewhere once ${node} is fenced${co.fencing[node] ? ` (fencing: ${co.fencing[node]!.reason})` : ""}` : "it starts elsewhere once that node's lease and stop margin have passed"}`);
      return { ok: true, message: [explain(schedule(input), id), ...holds].join("\n") };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  pushConfig(yaml: string, baseEpoch?: number): Promise<{ ok: boolean; message: string }> {
    if (!this.control) return Promise.resolve({ ok: false, message: "the daemon is starting" });
    return this.control.push(yaml, baseEpoch);
  }

  configDoc(): { epoch: number; yaml: string; hash: string } | undefined { return this.control?.configDoc; }

  confirmFence(node: string): { ok: boolean; message: string } {
    if (!this.o.config.nodes.some((n) => n.name === node)) return { ok: false, message: `no node \`${node}\` (nodes: ${this.o.config.nodes.map((n) => n.name).join(", ")})` };
    return this.control ? this.control.confirmFence(node) : { ok: false, message: "the daemon is starting" };
  }

  /** An administrator's change, carried out by the DC (forwarded to it from any node). */
  admin(command: AdminCommand): { ok: boolean; message: string } {
    if (!this.control) return { ok: false, message: "the daemon is starting" };
    return this.control.admin(command);
  }

  attribute(name: string, value: string | undefined): { ok: boolean; message: string } {
    const problem = attrProblem(this.state.attrs, name, value);
    if (problem) return { ok: false, message: `attribute ${name.slice(0, 64)} not set: ${problem}` };
    this.feed({ type: "attr", nowMs: monotonicMs(), name, value });
    return { ok: true, message: value === undefined ? `removed ${name} on ${this.o.me}` : `${name} = ${value} on ${this.o.me}` };
  }

  /** Reachability of the ping targets, as the configured attribute (targets answering × multiplier). */
  private startPinging(): void {
    const ping = this.o.config.ping;
    if (!ping) return;
    let busy = false;
    const round = async () => {
      if (busy || this.stopping) return;
      busy = true;
      try {
        const answers = await Promise.all(ping.targets.map((t) => pingOnce(t, ping.timeoutMs)));
        if (!this.stopping) this.feed({ type: "attr", nowMs: monotonicMs(), name: ping.attribute, value: String(answers.filter(Boolean).length * ping.multiplier) });
      } finally {
        busy = false;
      }
    };
    void round();
    this.pingTimer = setInterval(() => void round(), ping.intervalMs);
  }

  /** A clean stop: resources move away first (the DC moves them; without quorum they are stopped here), then
   * peers are told, so they drop this node at once instead of waiting `dead` and the lease. */
  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.control) this.control.shutdown();
    else this.leave();
  }

  private leave(): void {
    clearInterval(this.timer);
    clearInterval(this.pingTimer);
    this.loopLag.disable();
    if (this.transport) this.feed({ type: "leave", nowMs: monotonicMs() });
    // Give the goodbye datagrams a moment to leave before the sockets close.
    setTimeout(() => {
      this.control?.close();
      this.transport?.close();
      this.event("info", "Paceline stopped");
      this.resolveDone(0);
    }, 50);
  }

  private event(level: string, text: string): void {
    const line = { atMs: Date.now(), level, text };
    this.events.push(line);
    if (this.events.length > 200) this.events.shift();
    (this.o.out ?? ((l: string) => process.stdout.write(`${l}\n`)))(`${new Date(line.atMs).toISOString()} ${level.toUpperCase().padEnd(5)} ${text}`);
  }

  status(): MembershipStatus {
    const now = monotonicMs();
    const st = this.transport.stats;
    const s = this.state;
    const arbiterVotes = this.p.arbiterVotes ?? 0;
    const g = s.arbiterGrant;
    const arbiterHeld = !!g && sameView(g.view, s.view) && now < g.untilMs;
    const expected = this.p.nodes.reduce((a, n) => a + n.votes, 0) + arbiterVotes;
    const fenced = (node: string, inc: number) => (this.control?.co.fencedInc[node] ?? 0) >= inc && inc > 0;
    const present = s.view.members.reduce((a, m) => a + (this.p.nodes.find((n) => n.name === m)?.votes ?? 0), 0) + (arbiterHeld ? arbiterVotes : 0);
    return {
      cluster: this.o.config.cluster, node: s.me, incarnation: s.inc, pid: process.pid, sinceMs: this.sinceMs, version: VERSION,
      view: { id: s.view.id, leader: s.view.leader, members: s.view.members }, quorate: isQuorate(this.p, s, now),
      votes: { present, needed: quorumVotes(this.p), expected }, dc: dcOf(this.p, s, now),
      arbiter: this.o.config.quorum.arbiter ? { address: this.o.config.quorum.arbiter, voteHeld: arbiterHeld } : undefined,
      nodes: this.o.config.nodes.map((n) => {
        if (n.name === s.me) return { name: n.name, state: "online" as const, inView: s.view.members.includes(n.name), incarnation: s.inc, links: n.links.map((address, link) => ({ link, address, state: "up" as const })), attributes: { ...s.attrs } };
        const peer = s.peers[n.name]!;
        return {
          // Lost without saying goodbye: it may still run things until fenced or back (Pacemaker's UNCLEAN).
          // A fenced life is off for sure: offline, not unclean.
          name: n.name, state: heard(this.p, peer, now) ? "online" as const : peer.inc === 0 || hasLeft(peer) || fenced(n.name, peer.inc) ? "offline" as const : "unclean" as const,
          fenced: !heard(this.p, peer, now) && fenced(n.name, peer.inc) ? true : undefined,
          inView: s.view.members.includes(n.name), incarnation: peer.inc,
          links: n.links.map((address, link) => ({ link, address, state: linkState(this.p, peer, link, now), lastHeardMsAgo: Number.isFinite(peer.heardMs[link]!) ? now - peer.heardMs[link]! : undefined, rttMs: this.transport.stats.rttMs[n.name]?.[link] })),
          attributes: { ...peer.attrs },
        };
      }),
      packets: { sent: st.sent, received: st.received, bytesSent: st.bytesSent, bytesReceived: st.bytesReceived, rejected: st.rejected },
      eventLoopLagMs: { p50: lagMs(this.loopLag.percentile(50)), p99: lagMs(this.loopLag.percentile(99)), max: lagMs(this.loopLag.max) },
      events: [...this.events], resources: this.control ? clusterResources(this.control.config, this.control.co) : [], admin: this.control?.co.admin,
      fencing: this.control ? {
        enabled: this.control.config.fencing.enabled,
        pending: Object.entries(this.control.co.fencing).map(([target, f]) => ({ target, reason: f.reason, running: f.running, elapsedMs: now - f.sinceMs })),
        history: [...this.control.co.fenceHistory],
      } : undefined,
    };
  }
}
