// What the daemon's API returns. The CLI and (later) the web dashboard render these; they never reach inside the
// daemon.

export interface ResourceStatus {
  id: string;
  kind: "primitive" | "group";
  group?: string;
  agent?: string;
  role: string;
  managed: boolean;
  blocked?: string;
  heldStopped?: string;
  /** Why it does not run, when it should not. */
  whyDown?: string;
  failCount: number;
  migrationThreshold: number | "INFINITY";
  failureTimeoutMs: number;
  pending?: { action: string; sinceMs: number };
  monitorIntervalMs?: number;
  lastMonitor?: { atMs: number; rc: number; reason: string };
  pid?: number;
  members?: ResourceStatus[];
}

export interface MonitorStatus {
  name: string;
  type: string;
  target?: string;
  intervalMs: number;
  active: boolean;
  state: "ok" | "failing" | "failed" | "unknown" | "inactive";
  consecutiveFailures: number;
  failuresBeforeAction: number;
  lastReason?: string;
  lastCheckMs?: number;
}

export interface FailedAction {
  rsc: string;
  source: string;
  rc: number;
  status: string;
  reason: string;
  atMs: number;
  output?: string;
}

export interface EventLine {
  atMs: number;
  level: string;
  rsc?: string;
  text: string;
}

export interface DaemonStatus {
  cluster: string;
  node: string;
  mode: string;
  pid: number;
  sinceMs: number;
  nowMs: number;
  version: string;
  maintenance: boolean;
  standby?: string;
  resources: ResourceStatus[];
  monitors: MonitorStatus[];
  failedActions: FailedAction[];
  finalActions: string[];
  events: EventLine[];
}

export interface LinkStatus {
  link: number;
  address?: string;
  state: "up" | "warn" | "down";
  lastHeardMsAgo?: number;
  rttMs?: number;
}

export interface PeerNodeStatus {
  name: string;
  state: "online" | "offline" | "unclean";
  /** Offline because the cluster fenced it (powered off by a device or confirmed by a person). */
  fenced?: boolean;
  inView: boolean;
  incarnation: number;
  links: LinkStatus[];
  /** Node attributes (this node's own, or as of the peer's last heartbeat), e.g. pingd. */
  attributes: Record<string, string>;
}

/** A resource in a cluster, as the members' reports show it. */
export interface ClusterResourceStatus {
  id: string;
  kind: "primitive" | "group";
  agent?: string;
  runningOn: string[];
  /** A promotable clone's copies running promoted (the rest of runningOn are unpromoted). */
  promotedOn?: string[];
  /** It runs as a clone: one copy per node (or `max`), interchangeable. */
  clone?: { promotable: boolean };
  /** started | stopped | FAILED | blocked | starting | stopping | probing | partly started */
  state: string;
  pending?: { op: string; node: string };
  failed: Array<{ node: string; op: string; rc: number; reason: string; atSec: number }>;
  failCounts: Record<string, number>;
  managed: boolean;
  disabled: boolean;
  blocked?: string;
  /** Waiting for a lost node's lease before it may start elsewhere. */
  heldFor?: string;
  /** Kept stopped, or left alone, because of a failure (a built-in monitor's action, a final action) until cleanup. */
  held?: string;
  members?: ClusterResourceStatus[];
}

export interface MembershipStatus {
  cluster: string;
  node: string;
  incarnation: number;
  pid: number;
  sinceMs: number;
  version: string;
  view: { id: number; leader: string; members: string[] };
  quorate: boolean;
  votes: { present: number; needed: number; expected: number };
  /** The arbiter, if configured, and whether it lends its vote to this node's view right now. */
  arbiter?: { address: string; voteHeld: boolean };
  dc?: string;
  nodes: PeerNodeStatus[];
  packets: {
    sent: number;
    received: number;
    bytesSent: number;
    bytesReceived: number;
    rejected: Record<string, number>;
    /** The receive buffer the kernel granted each heartbeat socket (bytes; capped by net.core.rmem_max). */
    recvBufferBytes: number[];
  };
  /** Delay of this daemon's event loop (heartbeats are sent from it), in ms. */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  events: EventLine[];
  resources: ClusterResourceStatus[];
  /** This node's built-in monitors (cluster.yaml `monitors:`). */
  monitors?: MonitorStatus[];
  /** Nodes being fenced (how long, why) and every fencing outcome the cluster knows. */
  fencing?: {
    enabled: boolean;
    pending: Array<{ target: string; reason: string; running: boolean; elapsedMs: number }>;
    history: Array<{ target: string; ok: boolean; by: string; atSec: number; reason: string }>;
  };
  /** Standby nodes, move/ban constraints, maintenance (the cluster's administrative state). */
  admin?: {
    epoch: number;
    standby: string[];
    maintenance: boolean;
    placements: Array<{ rsc: string; node: string; kind: string }>;
    resources: Record<string, { disabled?: boolean; unmanaged?: boolean }>;
  };
}
