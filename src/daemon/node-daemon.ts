// A cluster node's daemon: the shell around core/node. It feeds the core everything that happens (datagrams,
// stream messages, agent and fence-device results, requests from the API, the clock) and carries out what the core
// asks (send, run an agent or a fence device, ping, write a state file, wake me at t). It decides nothing.

import { randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import type { ClusterConfig } from "../config/model.js";
import { findResource, primitivesOf, type MonitorConfig, type PrimitiveConfig } from "../config/model.js";
import { boundedCheck, type Check } from "../agents/checks.js";
import { commandSpec } from "../node/executor/agents.js";
import { runProcess } from "../node/executor/run-process.js";
import { docOfMessage, hashOf, parseConfigText, parseDoc } from "../config/doc.js";
import { pingOnce } from "../agents/checks.js";
import type { ConfigDoc } from "../core/node/config-sync.js";
import { initNode, stepNode, tickMs, type NodeState } from "../core/node/node.js";
import type { DurableFailures, NodeEffect, NodeInputBody, NodeRequest, StoredState } from "../core/node/types.js";
import type { AdminCommand, AdminState, ControlMessage } from "../core/controller/types.js";
import type { OpResult } from "../core/operation.js";
import { readClusterKey } from "../node/key.js";
import {
  CommandAgent,
  createAgent,
  preloadAgentCode,
  type AgentDirs,
  type AgentRunner,
  type ProcessIdentity,
} from "../node/executor/index.js";
import { runFenceAgent } from "../node/executor/fence-agent.js";
import { isLeaseRecord, privateStateDir, readJsonState, StateFile } from "../node/store.js";
import { StreamHub } from "../node/stream.js";
import { emptyTransportStats, UdpTransport } from "../node/transport.js";
import { raiseOwnPriority } from "../node/priority.js";
import { LatestFile, LineSink } from "../node/async-output.js";
import { printableLine } from "../util/printable.js";
import { attemptSpec, guardPings } from "./fence-runner.js";
import { nodeStatus } from "../api/node-status.js";
import { whyText } from "../core/node/why.js";
import type { DaemonStatus, EventLine, MembershipStatus } from "../api/types.js";
import { singleStatus } from "../api/single-status.js";
import { VERSION } from "../version.js";

export interface NodeDaemonOptions {
  /** Single-server mode: a one-node cluster with no heartbeat links, no key and no membership traffic. */
  single?: boolean;
  config: ClusterConfig;
  /** The text `config` was read from: the cluster's configuration epoch 0 until one is pushed. */
  configYaml: string;
  me: string;
  stateDir: string;
  dirs?: AgentDirs;
  out?: (line: string) => void;
}

/** The clock the core runs on: the machine's monotonic clock (CLOCK_MONOTONIC: never steps with NTP, the same in
 * every process), in ms. The lease record is read by the next daemon and the supervisor, so it must be machine-wide. */
export const monotonicMs = () => Number(process.hrtime.bigint() / 1_000_000n);

/** Which node this is: --node, else the host name. */
export function whoAmI(config: ClusterConfig, asked?: string): string {
  const name = asked ?? hostname();
  if (!config.nodes.some((n) => n.name === name)) {
    throw new Error(
      `this host is \`${name}\`, which is not a node of the configuration (nodes: ${config.nodes.map((n) => n.name).join(", ")}); give --node NAME`,
    );
  }
  return name;
}

/** The port of the node stream: the heartbeat port + 1. */
export const streamPort = (config: ClusterConfig) => config.heartbeat.port + 1;

/** The histogram samples with a timer of this period and records the whole period: the lag is what exceeds it. */
const LAG_SAMPLE_MS = 10;
const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LAG_SAMPLE_MS);
const EVENTS_KEPT = 200;

const isProcesses = (v: unknown): v is { processes: Record<string, ProcessIdentity> } =>
  typeof (v as { processes?: unknown })?.processes === "object";
const isAdmin = (v: unknown): v is { admin: AdminState } =>
  typeof (v as { admin?: { epoch?: unknown } })?.admin?.epoch === "number";
const isDoc = (v: unknown): v is { doc: ConfigDoc } =>
  typeof (v as { doc?: { epoch?: unknown } })?.doc?.epoch === "number";
/** state.json: version 2 (failures per resource); version 1 (single-server mode before the one node core) has the
 * same fail counts under the same key. */
const isFailures = (v: unknown): v is { resources: Record<string, DurableFailures> } =>
  typeof (v as { resources?: unknown })?.resources === "object" && (v as { resources: unknown }).resources !== null;

export class NodeDaemon {
  private s!: NodeState;
  private transport?: UdpTransport;
  private hub?: StreamHub;
  /** The configuration the core runs: a single server's names this node as its one node. */
  readonly config: ClusterConfig;
  private readonly agents = new Map<string, AgentRunner>();
  private readonly checks = new Map<string, { config: MonitorConfig; run: Check }>();
  private savedProcesses: Record<string, ProcessIdentity> = {};
  private wakeTimer?: NodeJS.Timeout;
  private readonly events: EventLine[] = [];
  private readonly sinceMs = Date.now();
  private nextRequest = 1;
  private readonly waiting = new Map<number, (r: { ok: boolean; message: string }) => void>();
  private closed = false;
  private readonly adminFile: StateFile<{ admin: AdminState }>;
  private readonly configFile: StateFile<{ doc: ConfigDoc }>;
  /** Supervised commands' PIDs (+ start times), so a restarted daemon finds the ones that outlived it. */
  private readonly processFile: StateFile<{ processes: Record<string, ProcessIdentity> }>;
  private readonly leasePath: string;
  private readonly failuresFile: StateFile<{ version: 2; resources: Record<string, DurableFailures> }>;
  private readonly eventsFile: string;
  /** Log lines and the often-written lease record leave without making the event loop wait (async-output.ts). */
  private readonly eventLog: LineSink;
  private readonly stdout = new LineSink({ fd: 1 });
  private readonly leaseFile: LatestFile;
  /** Heartbeats are sent from this event loop: a stalled loop looks like a dead node to peers, so it is measured. */
  private readonly loopLag = monitorEventLoopDelay({ resolution: LAG_SAMPLE_MS });
  /** Why the cluster's ping last could not run (undefined: it ran). */
  private pingCannotRun: string | undefined;
  private resolveDone!: (code: number) => void;
  readonly done = new Promise<number>((res) => {
    this.resolveDone = res;
  });

  constructor(private readonly o: NodeDaemonOptions) {
    privateStateDir(o.stateDir);
    mkdirSync(join(o.stateDir, "logs"), { recursive: true, mode: 0o700 });
    this.adminFile = new StateFile(join(o.stateDir, "admin.json"));
    this.configFile = new StateFile(join(o.stateDir, "config.json"));
    this.processFile = new StateFile(join(o.stateDir, "processes.json"));
    this.leasePath = join(o.stateDir, "lease.json");
    this.failuresFile = new StateFile(join(o.stateDir, "state.json"));
    this.eventsFile = join(o.stateDir, "events.log");
    this.eventLog = new LineSink({ path: this.eventsFile });
    this.leaseFile = new LatestFile(this.leasePath, (err) =>
      this.event("error", `cannot write the lease state file in ${o.stateDir}: ${err.message}`),
    );
    this.config =
      o.single && o.config.nodes.length === 0
        ? { ...o.config, nodes: [{ name: o.me, links: [], votes: 1, attributes: {} }] }
        : o.config;
  }

  async start(): Promise<void> {
    const { me } = this.o;
    const config = this.config;
    const priority = raiseOwnPriority();
    this.event(priority.ok ? "info" : "warn", priority.message);
    if (this.o.single) {
      this.s = this.initCore(0);
      this.event(
        "info",
        `Paceline ${VERSION} single-server daemon on ${me} (pid ${process.pid}), config \`${config.cluster}\`: ${primitivesOf(config).length} resources, ${config.monitors.length} monitors`,
      );
      this.feed({ type: "boot", stored: this.readStored() });
      return;
    }
    // (Before any heartbeat: loading it later would stall this node's heartbeats at its first operation.)
    await preloadAgentCode(config);
    const linkless = config.nodes.filter((n) => n.links.length === 0).map((n) => n.name);
    if (linkless.length)
      throw new Error(
        `cannot run as a cluster: node(s) ${linkless.join(", ")} have no heartbeat link address (nodes.NAME.links: [10.0.0.1, ...])`,
      );
    const key = readClusterKey(config.heartbeat.keyFile);
    // Each start is a new incarnation, remembered across restarts so peers can tell a restart from a delayed packet.
    const incFile = new StateFile<{ incarnation: number }>(join(this.o.stateDir, "incarnation.json"));
    const prev = readJsonState(
      incFile.path,
      (v): v is { incarnation: number } => typeof (v as { incarnation?: unknown })?.incarnation === "number",
    );
    const inc = (prev.kind === "ok" ? prev.value.incarnation : 0) + 1;
    this.s = this.initCore(inc);
    const self = config.nodes.find((n) => n.name === me)!;
    const peers = Object.fromEntries(config.nodes.filter((n) => n.name !== me).map((n) => [n.name, n.links]));
    this.transport = new UdpTransport({
      cluster: config.cluster,
      me,
      inc,
      key,
      port: config.heartbeat.port,
      links: self.links,
      linkModes: config.heartbeat.linkModes,
      peers,
      onMessage: (link, env) => this.feed({ type: "datagram", link, msg: env.msg }),
      probeEveryMs: Math.max(1000, config.heartbeat.intervalMs),
      arbiter: config.quorum.arbiter,
      onArbiterReply: (reply) => this.feed({ type: "arbiter-reply", reply }),
      onRejects: (counts) =>
        this.event(
          "warn",
          `heartbeat datagrams refused since the last such line (at most one every 10 s): ${Object.entries(counts)
            .map(([why, n]) => `${n} ${why}`)
            .join(", ")} (docs/security.md says what each means)`,
        ),
    });
    this.hub = new StreamHub({
      cluster: config.cluster,
      me,
      inc,
      key,
      port: streamPort(config),
      listen: self.links,
      peers,
      onMessage: (from, msg) => this.onStream(from, msg),
    });
    await this.transport.start();
    try {
      await this.hub.start();
    } catch (e) {
      this.transport.close();
      throw e;
    }
    this.loopLag.enable();
    this.event(
      "info",
      `Paceline ${VERSION} cluster node ${me} (incarnation ${inc}) of \`${config.cluster}\`: ${config.nodes.length} nodes, ${self.links.length} link(s), heartbeat every ${config.heartbeat.intervalMs} ms, dead after ${config.heartbeat.deadMs} ms`,
    );
    this.feed({ type: "boot", stored: this.readStored() });
  }

  /** A new life of this node's core (a single server does not count incarnations: nobody else hears of them). */
  private initCore(inc: number): NodeState {
    if (inc > 0)
      new StateFile<{ incarnation: number }>(join(this.o.stateDir, "incarnation.json")).save({ incarnation: inc });
    const doc = { epoch: 0, yaml: this.o.configYaml, hash: hashOf(this.o.configYaml) };
    return initNode({
      me: this.o.me,
      inc: Math.max(1, inc),
      config: this.config,
      doc,
      seed: randomInt(2 ** 31),
      nowMs: monotonicMs(),
    });
  }

  /** What the previous lives of this node left in the state directory. */
  private readStored(): StoredState {
    const saved = readJsonState(this.processFile.path, isProcesses);
    if (saved.kind === "ok") this.savedProcesses = saved.value.processes;
    const stored: StoredState = { problems: [] };
    const admin = readJsonState(this.adminFile.path, isAdmin);
    if (admin.kind === "ok") stored.admin = admin.value.admin;
    if (admin.kind === "corrupt")
      stored.problems!.push(
        `administrative state was unreadable (${admin.error}); moved to ${admin.movedTo}; the DC's copy will be taken`,
      );
    const doc = readJsonState(this.configFile.path, isDoc);
    if (doc.kind === "ok" && doc.value.doc.epoch > 0)
      stored.config = { doc: doc.value.doc, parsed: parseDoc(doc.value.doc) };
    // A previous daemon of this node that died holding resources left when it last held its lease.
    const lease = readJsonState(this.leasePath, isLeaseRecord);
    if (lease.kind === "ok") stored.lease = lease.value;
    const failures = readJsonState(this.failuresFile.path, isFailures);
    if (failures.kind === "ok") stored.failures = failures.value.resources;
    if (failures.kind === "corrupt")
      stored.problems!.push(
        `state file was unreadable (${failures.error}); moved to ${failures.movedTo} and starting with empty fail counts`,
      );
    return stored;
  }

  // ---- the loop: one input in, the core decides, its effects carried out ----------------------------------------

  private feed(body: NodeInputBody): void {
    if (this.closed) return;
    let effects: NodeEffect[];
    try {
      effects = stepNode(this.s, { ...body, nowMs: monotonicMs(), wallSec: Date.now() / 1000 } as Parameters<
        typeof stepNode
      >[1]);
    } catch (e) {
      this.event("error", `internal error handling ${body.type}: ${(e as Error).stack ?? String(e)}`);
      effects = [{ type: "wake-at", atMs: monotonicMs() + tickMs(this.s) }];
    }
    for (const e of effects) {
      try {
        this.perform(e);
      } catch (err) {
        this.event("error", `internal error performing ${e.type}: ${(err as Error).message}`);
      }
    }
  }

  private perform(e: NodeEffect): void {
    switch (e.type) {
      case "datagram":
        return this.transport?.send(e.to, e.link, e.msg);
      case "to-arbiter":
        return this.transport?.sendToArbiter(e.msg);
      case "send":
        return this.hub?.send(e.to, e.msg);
      case "exec":
        return void this.exec(e.id, e.rsc, e.action, e.timeoutMs, e.intervalMs, e.env);
      case "define-agent":
        return this.defineAgent(e.rsc);
      case "fence-device":
        return void this.runDevice(e);
      case "fence-cancel":
        return; // the agent's own timeout ends it; its late answer is ignored by the core
      case "ping":
        return void this.ping(e.targets, e.timeoutMs);
      case "persist":
        return this.persist(e);
      case "reply": {
        const w = this.waiting.get(e.id);
        this.waiting.delete(e.id);
        return w?.({ ok: e.ok, message: e.message });
      }
      case "wake-at":
        return this.armWake(e.atMs);
      case "log":
        return this.event(e.level, e.text);
      case "left":
        return this.close();
      case "hook":
        return void this.hook(e);
      case "check":
        return void this.check(e.id, e.monitor);
      case "reboot":
        return void this.reboot();
    }
  }

  private async hook(e: Extract<NodeEffect, { type: "hook" }>): Promise<void> {
    const started = Date.now();
    const r = await runProcess({
      ...commandSpec(e.command),
      env: { ...process.env, ...e.env },
      timeoutMs: e.timeoutMs,
    });
    const ok = !r.spawnError && !r.timedOut && r.exitCode === 0;
    const reason = r.spawnError ?? (r.timedOut ? "timed out" : `exit code ${r.exitCode}`);
    this.event(
      ok ? "info" : "warn",
      `${e.purpose} script ${e.command} (${e.env.PACELINE_ACTION} ${e.env.PACELINE_RESOURCE}) finished in ${Date.now() - started} ms: ${reason}`,
    );
    this.feed({ type: "hook-done", id: e.id, ok, reason });
  }

  /** A built-in monitor's check (one at a time per monitor: a hung check fails the next one at once). */
  private async check(id: string, monitor: string): Promise<void> {
    const m = this.s.config.monitors.find((x) => x.name === monitor);
    if (!m)
      return this.feed({
        type: "check-done",
        id,
        ok: false,
        reason: `no monitor ${monitor} in the running configuration`,
      });
    let c = this.checks.get(monitor);
    if (!c || c.config !== m) this.checks.set(monitor, (c = { config: m, run: boundedCheck(m) }));
    const r = await c.run().catch((err: Error) => ({ ok: false, reason: err.message }));
    this.feed({ type: "check-done", id, ok: r.ok, reason: r.reason });
  }

  private async reboot(): Promise<void> {
    const cmd = this.s.config.properties.rebootCommand ?? "systemctl reboot || reboot";
    const r = await runProcess({ file: "/bin/sh", args: ["-c", cmd], timeoutMs: 60_000 });
    if (r.exitCode !== 0)
      this.event("error", `reboot command \`${cmd}\` failed: ${r.spawnError ?? `exit code ${r.exitCode}`}`);
  }

  private armWake(atMs: number): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.feed({ type: "wake" }), Math.max(0, atMs - monotonicMs()));
  }

  private onStream(from: string, raw: unknown): void {
    const msg = raw as ControlMessage;
    if (typeof msg !== "object" || msg === null || typeof msg.t !== "string") return;
    this.feed({ type: "stream", from, msg, parsed: docOfMessage(msg) });
  }

  private persist(e: Extract<NodeEffect, { type: "persist" }>): void {
    try {
      if (e.file === "admin") this.adminFile.save({ admin: e.value });
      else if (e.file === "config") this.configFile.save({ doc: e.value });
      else if (e.file === "failures") this.failuresFile.save({ version: 2, resources: e.value });
      else {
        // Written often, so not fsynced (it only matters while this machine stays up), and off the event loop.
        this.leaseFile.write(JSON.stringify(e.value));
      }
    } catch (err) {
      this.event("error", `cannot write the ${e.file} state file in ${this.o.stateDir}: ${(err as Error).message}`);
    }
  }

  // ---- agents ------------------------------------------------------------------------------------------------------

  private primitive(rsc: string): PrimitiveConfig | undefined {
    const r = findResource(this.s.config, rsc);
    return r?.kind === "primitive" ? r : undefined;
  }

  private defineAgent(rsc: string): void {
    const p = this.primitive(rsc);
    if (!p) return;
    const old = this.agents.get(rsc);
    if (old instanceof CommandAgent) old.dispose();
    const agent = createAgent(p, {
      dirs: this.o.dirs,
      logDir: join(this.o.stateDir, "logs"),
      onChildExit: (id, exit) =>
        this.feed({
          type: "child-exit",
          rsc: id,
          reason: `pid ${exit.pid} ${exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`}`,
        }),
    });
    const ident = this.savedProcesses[rsc];
    if (agent instanceof CommandAgent && ident) {
      agent.adopt(ident);
      delete this.savedProcesses[rsc];
    }
    this.agents.set(rsc, agent);
  }

  private async exec(
    id: string,
    rsc: string,
    action: Parameters<AgentRunner["run"]>[0]["action"],
    timeoutMs: number,
    intervalMs: number,
    env?: Record<string, string>,
  ): Promise<void> {
    const agent = this.agents.get(rsc);
    let result: OpResult;
    if (!agent)
      result = {
        rc: 5,
        status: "error",
        reason: "no agent for this resource here (configurations differ?)",
        durationMs: 0,
      };
    else {
      try {
        result = await agent.run({ action, timeoutMs, intervalMs, env });
      } catch (e) {
        result = { rc: 1, status: "error", reason: (e as Error).message, durationMs: 0 };
      }
    }
    if (agent instanceof CommandAgent && (action === "start" || action === "stop")) this.saveProcesses();
    this.feed({ type: "op-done", id, result });
  }

  private saveProcesses(): void {
    const processes: Record<string, ProcessIdentity> = {};
    for (const [id, a] of this.agents) {
      const ident = a instanceof CommandAgent ? a.identity() : undefined;
      if (ident) processes[id] = ident;
    }
    this.processFile.save({ processes });
  }

  private async runDevice(e: Extract<NodeEffect, { type: "fence-device" }>): Promise<void> {
    if (e.delayMs > 0) await new Promise((r) => setTimeout(r, e.delayMs));
    if (e.guard)
      return this.feed({
        type: "fence-done",
        runId: e.runId,
        device: e.device,
        ok: true,
        reason: "pinged",
        answered: await guardPings(e.guard.addresses, e.timeoutMs),
      });
    const dev = this.s.config.fencing.devices.find((d) => d.name === e.device);
    let r: { ok: boolean; reason: string };
    try {
      if (!dev) throw new Error(`no fence device ${e.device} in the running configuration`);
      r = await runFenceAgent(attemptSpec(dev, e.target), e.action);
    } catch (err) {
      r = { ok: false, reason: (err as Error).message };
    }
    this.feed({ type: "fence-done", runId: e.runId, device: e.device, ok: r.ok, reason: r.reason });
  }

  private async ping(targets: string[], timeoutMs: number): Promise<void> {
    const answers = await Promise.all(targets.map((t) => pingOnce(t, timeoutMs)));
    // A ping that cannot run counts as no answer (the node then ranks as reaching none): said once, not each round.
    const cannotRun = answers.find((a) => a.cannotRun)?.cannotRun;
    if (cannotRun !== this.pingCannotRun) {
      if (cannotRun)
        this.event(
          "error",
          `cannot ping ${targets.join(", ")}: ${cannotRun}; until it can, this node counts as reaching none of them`,
        );
      else this.event("info", `pinging ${targets.join(", ")} works again`);
      this.pingCannotRun = cannotRun;
    }
    this.feed({ type: "ping-done", answered: answers.filter((a) => a.answered).length });
  }

  // ---- requests and queries from the API ---------------------------------------------------------------------------

  private request(r: NodeRequest): Promise<{ ok: boolean; message: string }> {
    if (!this.s?.booted) return Promise.resolve({ ok: false, message: "the daemon is starting" });
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.feed({ type: "request", id, request: r });
    });
  }

  admin(command: AdminCommand) {
    return this.request({ kind: "admin", command });
  }
  attribute(name: string, value: string | undefined) {
    return this.request({ kind: "attr", name, value });
  }
  confirmFence(target: string) {
    return this.request({ kind: "fence-confirm", target });
  }
  pushConfig(yaml: string, baseEpoch?: number) {
    return this.request({ kind: "push", parsed: parseConfigText(yaml, "pushed configuration"), baseEpoch });
  }
  configDoc(): ConfigDoc | undefined {
    return this.s?.doc;
  }

  why(id: string): { ok: boolean; message: string } {
    if (!this.s?.booted) return { ok: false, message: "the daemon is starting" };
    try {
      return { ok: true, message: whyText(this.s, id) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  status(): MembershipStatus {
    return nodeStatus(this.s, monotonicMs(), {
      pid: process.pid,
      sinceMs: this.sinceMs,
      version: VERSION,
      events: [...this.events],
      transport: this.transport?.stats ?? emptyTransportStats(),
      eventLoopLagMs: {
        p50: lagMs(this.loopLag.percentile(50)),
        p99: lagMs(this.loopLag.percentile(99)),
        max: lagMs(this.loopLag.max),
      },
    });
  }

  /** Single-server status: each resource's role, fail count and why it is down, monitors, failed actions. */
  localStatus(): DaemonStatus {
    if (!this.s?.booted) throw new Error("the daemon is starting");
    return singleStatus(this.s, {
      pid: process.pid,
      sinceMs: this.sinceMs,
      version: VERSION,
      events: [...this.events],
      host: this.o.me,
      pidOf: (rsc) => {
        const a = this.agents.get(rsc);
        return a instanceof CommandAgent ? a.identity()?.pid : undefined;
      },
    });
  }

  /** A clean stop: resources move away first (the DC moves them; without quorum they are stopped here), then
   * peers are told, so they drop this node at once instead of waiting `dead` and the lease. */
  shutdown(): void {
    this.feed({ type: "shutdown" });
  }

  /** After the goodbye: a moment for the datagrams to leave, then the sockets close. */
  private close(): void {
    this.closed = true;
    clearTimeout(this.wakeTimer);
    this.loopLag.disable();
    for (const a of this.agents.values()) if (a instanceof CommandAgent) a.dispose();
    setTimeout(() => {
      this.hub?.close();
      this.transport?.close();
      this.event("info", "Paceline stopped");
      void Promise.all([this.stdout.flush(), this.eventLog.flush()]).then(() => this.resolveDone(0));
    }, 50);
  }

  private event(level: string, text: string): void {
    const line = { atMs: Date.now(), level, text };
    this.events.push(line);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
    // Agents' words reach the log and the terminal escaped (a log line is one line, and clears no screen).
    const formatted = `${new Date(line.atMs).toISOString()} ${level.toUpperCase().padEnd(5)} ${printableLine(text)}`;
    if (this.o.out) this.o.out(formatted);
    else this.stdout.write(formatted);
    // The event log is a convenience: the daemon goes on without it.
    this.eventLog.write(formatted);
  }
}
