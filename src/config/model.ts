// The cluster model: what cluster.yaml (and later the importers) produce and every other layer consumes.
// Plain data, no behaviour, so the deterministic core can take it as an input.

import type { ColocationDef, LocationDef, OrderDef } from "./cluster-model.js";

export type OnFail = "restart" | "block" | "ignore" | "stop" | "fence" | "standby" | "demote";

export interface OpConfig {
  name: string; // start | stop | monitor | promote | …
  intervalMs: number; // 0 = one-shot
  timeoutMs: number;
  onFail: OnFail;
  enabled: boolean;
  startDelayMs: number;
  role?: string;
}

export type AgentSpec =
  | { class: "ocf"; provider: string; type: string }
  | { class: "lsb"; type: string }
  | { class: "systemd"; type: string }
  | { class: "heartbeat"; type: string }
  | { class: "exec" };

/** The built-in cloud floating IP (`agent: aws-eip`): an AWS Elastic IP moved to this node's instance. */
export const isNativeAwsEip = (r: { agent: AgentSpec }) =>
  r.agent.class === "ocf" && r.agent.provider === "paceline" && r.agent.type === "aws-eip";

/** The built-in virtual IP (`agent: vip`), not a script. */
export const isNativeVip = (r: { agent: AgentSpec }) =>
  r.agent.class === "ocf" && r.agent.provider === "paceline" && r.agent.type === "vip";

export interface ExecSpec {
  command?: string;
  start?: string;
  stop?: string;
  status?: string;
  cwd?: string;
  env: Record<string, string>;
  stopSignal: NodeJS.Signals;
}

export type FinalAction =
  | { kind: "none" }
  | { kind: "stop-group" }
  | { kind: "stop-daemon" }
  | { kind: "reboot" }
  | { kind: "script"; path: string };

export interface RecoveryPolicy {
  /** Failures on a node before the resource must leave it; Infinity = never. */
  migrationThreshold: number;
  /** 0 = failures are never forgotten. */
  failureTimeoutMs: number;
  finalAction: FinalAction;
  preRecoveryScript?: string;
  preRecoveryTimeoutMs: number;
  stickiness: number;
}

export interface ResourceMeta extends RecoveryPolicy {
  /** Importance, for priority-delay in fence races (and Pacemaker's priority meta). */
  priority: number;
  targetRole: "started" | "stopped" | "promoted" | "unpromoted";
  /** Pacemaker meta attributes cluster.yaml has no key of its own for (allow-migrate, requires, multiple-active…),
   * passed to the scheduler as they are. */
  extraMeta: Record<string, string>;
  managed: boolean;
  prefer?: string;
}

/** Copies of a top-level primitive or group on several nodes (a clone), optionally with a promoted role. */
export interface CloneConfig {
  /** The scheduler's id of the clone itself (`<id>-clone` unless given); constraints name the resource's own id. */
  id: string;
  /** Copies in all (default: one per node). */
  max: number;
  perNode: number;
  /** A copy waits only for the copy of what it is ordered after on its own node (not for every copy). */
  interleave: boolean;
  /** Copies start one after another, not in parallel. */
  ordered: boolean;
  /** Copies are different (each with its own number), not interchangeable. */
  globallyUnique: boolean;
  /** The agent hears of every copy's start, stop, promote and demote (pre and post). */
  notify: boolean;
  /** Promotable: this many copies run promoted (DRBD primary), the rest unpromoted. */
  promotable?: { max: number; perNode: number };
}

export interface PrimitiveConfig {
  kind: "primitive";
  id: string;
  agent: AgentSpec;
  params: Record<string, string>;
  args: string[];
  exec?: ExecSpec;
  ops: OpConfig[];
  meta: ResourceMeta;
  /** The group it belongs to, if any. */
  group?: string;
  /** Set on a primitive that runs as a clone: a top-level one, or a member of a cloned group (the group's). */
  clone?: CloneConfig;
}

export interface GroupConfig {
  kind: "group";
  id: string;
  members: PrimitiveConfig[];
  meta: ResourceMeta;
  clone?: CloneConfig;
}

export type ResourceConfig = PrimitiveConfig | GroupConfig;

export type MonitorType = "process" | "custom" | "disk" | "ping" | "nic" | "system";
export type MonitorAction = "restart" | "stop" | "block" | "ignore" | "final-action";

export interface MonitorConfig {
  name: string;
  type: MonitorType;
  intervalMs: number;
  timeoutMs: number;
  failures: number;
  recover?: string;
  action: MonitorAction;
  when: "always" | "target-started";
  recoveryScriptAttempts: number;
  process?: { name?: string; pattern?: string; minCount: number };
  script?: { command: string; env: Record<string, string> };
  disk?: { path: string; sizeBytes: number };
  ping?: { targets: string[] };
  nic?: { interface: string };
  system?: {
    cpuPercent?: number;
    memoryPercent?: number;
    openFilesPercent?: number;
    diskUsagePercent: Record<string, number>;
  };
}

export interface NodeConfig {
  name: string;
  links: string[];
  votes: number;
  attributes: Record<string, string>;
}

export interface HeartbeatConfig {
  intervalMs: number;
  warnMs: number;
  deadMs: number;
  initialDeadMs: number;
  maxDelayMs: number;
  /** The stop budget: a node that is losing its quorum lease begins stopping its resources this long before the
   * lease ends (survivors act once it has ended), so a stop that takes less is done before anyone takes over. */
  stopMarginMs: number;
  port: number;
  keyFile: string;
  /** How each link carries datagrams (by index, as nodes' `links`); unset: unicast to each peer's address. */
  linkModes: LinkMode[];
}

/** A heartbeat link: unicast to each peer, or one send to a multicast group or broadcast address that every node on
 * the link hears (datagrams stay sealed per receiver: each node still gets its own copy, the others drop it). */
export type LinkMode =
  | { kind: "unicast" }
  | { kind: "multicast"; group: string; ttl: number; interface?: string }
  | { kind: "broadcast"; address: string };

export interface QuorumConfig {
  twoNode: boolean;
  waitForAll: boolean;
  noQuorumPolicy: "stop" | "freeze" | "ignore" | "demote";
  /** A `paceline arbiter` at this address (host:port) lends one vote to one partition at a time. */
  arbiter?: string;
}

export interface ClusterProperties {
  startFailureIsFatal: boolean;
  maintenanceMode: boolean;
  rebootCommand?: string;
  shutdownStopTimeoutMs: number;
}

/** Reachability of outside addresses (a router), published as a node attribute the scheduler can use. */
export interface PingConfig {
  targets: string[];
  intervalMs: number;
  timeoutMs: number;
  /** attribute = answering targets × multiplier (Pacemaker's ping agent's convention). */
  multiplier: number;
  attribute: string;
  /** Resources prefer nodes reaching more targets (score = the attribute) and never run where none answers. */
  preferConnected: boolean;
}

/** A fence device: a fence-agents program (fence_ipmilan …) or `manual` (a person powers the node off). */
export interface FenceDeviceConfig {
  name: string;
  agent: string;
  params: Record<string, string>;
  /** Where the password comes from (never written in cluster.yaml itself). */
  password?: { file: string } | { env: string };
  /** Nodes it can fence → the plug (port, VM name) to give the agent for it; "" = none (e.g. a node's own BMC). */
  targets: Record<string, string>;
  timeoutMs: number;
  /** Fence-race avoidance: wait `delayMs` plus a random part up to `delayMaxMs` before acting. */
  delayMs: number;
  delayMaxMs: number;
}

export interface FencingConfig {
  enabled: boolean;
  timeoutMs: number;
  /** Fencing a node running more resource priority than the fencer waits this long (priority-fencing-delay). */
  priorityDelayMs: number;
  /** Nodes never seen since the cluster started are fenced before anything starts (Pacemaker's startup-fencing). */
  startupFencing: boolean;
  /** What fencing a node asks its devices for: reboot (the default) or off, which leaves it off until a person
   * powers it on (Pacemaker's stonith-action). */
  action: "reboot" | "off";
  devices: FenceDeviceConfig[];
  /** Per node: device names per level, in escalation order. */
  levels: Record<string, string[][]>;
}

export interface ClusterConfig {
  cluster: string;
  nodes: NodeConfig[];
  heartbeat: HeartbeatConfig;
  quorum: QuorumConfig;
  ping?: PingConfig;
  fencing: FencingConfig;
  properties: ClusterProperties;
  /** Top-level resources in start order (groups hold their members). */
  resources: ResourceConfig[];
  monitors: MonitorConfig[];
  /** Constraints, already in the scheduler's own terms (ids of clones where a cluster.yaml names a cloned
   * resource): `location`, `colocate` and `order` of cluster.yaml, and the `prefer`/`ping` shorthands. */
  constraints: Constraints;
}

export interface Constraints {
  locations: LocationDef[];
  colocations: ColocationDef[];
  orders: OrderDef[];
}

/** Every primitive in start order, group members in place. */
export function primitivesOf(config: Pick<ClusterConfig, "resources">): PrimitiveConfig[] {
  return config.resources.flatMap((r) => (r.kind === "group" ? r.members : [r]));
}

const clonedPrims = new WeakMap<object, Set<string>>();
/** How a node keeps a scheduler resource's history: a copy of an anonymous clone ("ping:2") under its primitive's
 * id ("ping") — the copies are interchangeable, and a node runs at most the copies its history shows. */
export function historyKey(config: Pick<ClusterConfig, "resources">, name: string): string {
  let set = clonedPrims.get(config.resources);
  if (!set) {
    set = new Set(
      config.resources
        .filter((r) => r.clone && !r.clone.globallyUnique)
        .flatMap((r) => (r.kind === "group" ? r.members : [r]).map((p) => p.id)),
    );
    clonedPrims.set(config.resources, set);
  }
  const m = /^(.+):\d+$/.exec(name);
  return m && set.has(m[1]!) ? m[1]! : name;
}

export function findResource(config: Pick<ClusterConfig, "resources">, id: string): ResourceConfig | undefined {
  for (const r of config.resources) {
    if (r.id === id) return r;
    if (r.kind === "group") {
      const m = r.members.find((x) => x.id === id);
      if (m) return m;
    }
  }
  return undefined;
}

export function opOf(rsc: PrimitiveConfig, name: string): OpConfig | undefined {
  return rsc.ops.find((o) => o.name === name);
}

/** An operation without a configured timeout gets this one (Pacemaker's default too). */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;
/** A fence device without a configured timeout gets this one. */
export const DEFAULT_FENCE_DEVICE_TIMEOUT_MS = 20_000;

/** The timeout of a one-shot operation (a probe is a one-shot monitor): its own op, else that op's recurring one. */
export function opTimeoutMs(rsc: PrimitiveConfig | undefined, action: string): number {
  const name = action === "probe" ? "monitor" : action;
  const ops = rsc?.ops.filter((o) => o.name === name) ?? [];
  return (ops.find((o) => o.intervalMs === 0) ?? ops[0])?.timeoutMs ?? DEFAULT_OP_TIMEOUT_MS;
}

export function agentName(a: AgentSpec): string {
  switch (a.class) {
    case "ocf":
      return `ocf:${a.provider}:${a.type}`;
    case "lsb":
      return `lsb:${a.type}`;
    case "systemd":
      return `systemd:${a.type}`;
    case "heartbeat":
      return `heartbeat:${a.type}`;
    case "exec":
      return "exec";
  }
}
