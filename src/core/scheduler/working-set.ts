// Builds the scheduler's working set from a ClusterModel: node states (online, unclean, standby…), the resource
// tree with effective meta-attributes, and what each resource is doing on each node according to its operation
// history — the facts every later stage decides from.

import type {
  CloneDef,
  GroupDef,
  LrmResource,
  NodeStateDef,
  OpDef,
  OpRecord,
  PrimitiveDef,
  SchedulerInput,
} from "../../config/cluster-model.js";
import { entryAt, opsAt } from "../../config/history-table.js";
import { parsePacemakerIntervalMs } from "../../config/pacemaker-values.js";
import { type BundleInfo, expandBundles } from "./bundles.js";
import { definitionChange } from "./digests.js";
import { evalNvSets, type RuleContext } from "./rules.js";
import { addScore, INF, isTrue, parseScore } from "./scores.js";

export type Role = "Stopped" | "Started" | "Unpromoted" | "Promoted";

export interface SNode {
  id: string;
  name: string;
  index: number;
  online: boolean;
  unclean: boolean;
  /** Will be fenced in this transition (unclean and fencing allowed), or fenced for another reason. */
  fence?: "reboot" | "off";
  standby: boolean;
  pending: boolean;
  maintenance: boolean;
  shutdown: boolean;
  expectedUp: boolean;
  attrs: Record<string, string>;
  utilization: Record<string, number>;
  /** Capacity left after what the scheduler placed here so far (placement-strategy other than default). */
  remaining: Record<string, number>;
  /** How many resources the scheduler placed here (for tie-breaking). */
  assignedCount: number;
  /** Pacemaker Remote / guest node: the connection resource that brings it into the cluster. */
  remoteConnection?: string;
  /** A remote node whose established connection failed (it is reset). */
  remoteLost?: boolean;
  /** node-health-strategy: the score every resource gets here, and the worst #health-* colour. */
  healthScore: number;
  health: "green" | "yellow" | "red";
}

export interface NodeRunState {
  role: Role;
  failed: boolean;
  /** A stop failed and cannot be recovered here without fencing. */
  blocked: boolean;
  failureIgnored: boolean;
  pending?: string;
  /** The pending operation's transition key, when recorded. */
  pendingKey?: string;
  migratingFrom?: string;
}

export interface CloneInfo {
  max: number;
  nodeMax: number;
  unique: boolean;
  promotable: boolean;
  promotedMax: number;
  promotedNodeMax: number;
  interleave: boolean;
  ordered: boolean;
  /** The configured child id (primitive or group) the instances are made from. */
  childId: string;
}

export interface SRsc {
  id: string;
  kind: "primitive" | "group" | "clone";
  def: PrimitiveDef | GroupDef | CloneDef;
  /** For clone instances and their members: the configured id without the :N suffix. */
  baseId: string;
  clone?: CloneInfo;
  parent?: SRsc;
  children: SRsc[];
  /** Left as it is only because fencing is enabled without a fence device (see WorkingSet.noFenceDevice). */
  heldForFencing?: boolean;
  /** primitivesOf's answer, kept while the children stay the same (asked for in every loop of the scheduler). */
  primitivesCache?: { list: readonly SRsc[]; childCount: number };
  /** A clone's lowest instance that may still be active nowhere (while histories are read, instances only become
   * active, so the search for a free one starts here). */
  firstFreeHint?: number;
  /** A clone's instances found active on each node so far, while histories are read (for clone-node-max). */
  activeInstancesOn?: Map<string, Set<SRsc>>;
  meta: Record<string, string>;
  ops: OpDef[];
  managed: boolean;
  /** on-fail=block took effect: left alone like an unmanaged resource, shown as blocked. */
  blocked: boolean;
  /** Where the failure that blocked it happened (only a stop there clears it). */
  blockedOn?: string;
  targetRole: string;
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutSec: number;
  priority: number;
  orphan: boolean;
  /** Where it is active now (primitives), with how. */
  running: Map<string, NodeRunState>;
  failCount: Map<string, number>;
  lastFailure: Map<string, number>;
  /** migrate_to operations seen in the history (resolved once every node is read). */
  migrations: Array<{ source: string; target: string; ok: boolean }>;
  /** Nodes where its last word was a successful stop. */
  stoppedOn: Set<string>;
  /** Nodes where on-fail=demote forbids promoting it again. */
  noPromote: Set<string>;
  /** on-fail=stop recorded: keep it stopped. */
  stopRequested: boolean;
  /** Nodes it must not run on because of hard errors in its history. */
  banned: Set<string>;
  /** A hard error that forbids running anywhere (rc 6 not configured). */
  bannedEverywhere: boolean;
  /** The last start or promote is older than a param change, etc.; restart in place. */
  needsRestart: Set<string>;
  needsReload: Set<string>;
  probed: Set<string>;
  recurringFailed: boolean;
  /** The name the status used for it on each node, where that is not its id (an anonymous clone instance may be
   * recorded as rsc:3). */
  statusName: Map<string, string>;
  /** The last status name other than its id it was found under, on any node (Pacemaker keeps one such name per
   * instance, and finds the instance by it when checking for changed definitions). */
  cloneName?: string;
  /** A connection to a remote or guest node (runs on cluster nodes only). */
  connectsNode?: string;
  /** Made by the scheduler (a guest node's connection), not shown as a resource. */
  implicit?: boolean;
  /** A remote connection's reconnect_interval: how long it stays stopped after it failed. */
  reconnectIntervalMs?: number;
  /** shutdown-lock: the node it stays for (it runs nowhere else until that node returns or the lock expires). */
  lockNode?: string;
}

export interface WorkingSet {
  input: SchedulerInput;
  props: Record<string, string>;
  nodes: SNode[];
  nodeByName: Map<string, SNode>;
  resources: SRsc[]; // top level, in configuration order
  byId: Map<string, SRsc>;
  /** rsc_defaults without rules, evaluated once. */
  plainRscDefaults?: Record<string, string>;
  /** Per definition: its meta attributes worked out (see derivedMeta). */
  derivedMeta: Map<PrimitiveDef | GroupDef | CloneDef, DerivedMeta>;
  /** Guest node name → its container resource. */
  guestOf: Map<string, string>;
  /** The colocations that keep a guest's connection with its container (unless the container is on a remote node,
   * where no connection can run: then the connection runs on any cluster node). */
  connectionWithContainer: Set<string>;
  /** What the bundles were expanded into (see bundles.ts). */
  bundles: BundleInfo;
  /** Configured ids inside clones → their clone (and member index within a cloned group). */
  cloneChildOwner: Map<string, { clone: SRsc; member?: number }>;
  stonithEnabled: boolean;
  /** A fence device provides unfencing (fence_scsi, fence_mpath…): nodes are unfenced before resources run there. */
  unfencing: boolean;
  canFence: boolean;
  noQuorumPolicy: string;
  /** shutdown-lock=true: what a node that shuts down cleanly ran waits for it; a lock expires after the limit
   * (0: never). */
  shutdownLock: boolean;
  shutdownLockLimitSec: number;
  haveQuorum: boolean;
  symmetric: boolean;
  maintenanceMode: boolean;
  /** Fencing is enabled but no fence device is configured (nor watchdog self-fencing): Pacemaker starts and stops
   * nothing ("resource start-up disabled"); every resource stays as it is. */
  noFenceDevice: boolean;
  nowSec: number;
}

const PROPERTY_DEFAULTS: Record<string, string> = {
  "stonith-enabled": "true",
  "symmetric-cluster": "true",
  "no-quorum-policy": "stop",
  "stop-orphan-resources": "true",
  "stop-orphan-actions": "true",
  "start-failure-is-fatal": "true",
  "maintenance-mode": "false",
  "stonith-action": "reboot",
  "startup-fencing": "true",
  "placement-strategy": "default",
  "default-resource-stickiness": "0",
};

// ---- nodes --------------------------------------------------------------------------------------------------------

function unpackNode(ws: WorkingSet, n: SNode, ns: NodeStateDef | undefined): void {
  const fencing = ws.stonithEnabled;
  if (!ns) {
    // Never seen by the cluster: with fencing, it must be fenced before we may assume it runs nothing.
    if (fencing && isTrue(ws.props["startup-fencing"])) n.unclean = true;
    return;
  }
  const inCluster = isTrue(ns.inCcm) || (ns.inCcm !== undefined && /^\d+$/.test(ns.inCcm) && ns.inCcm !== "0");
  const peerOnline = ns.crmd === "online";
  const expected = ns.expected ?? "down";
  const terminate = n.attrs.terminate;
  const doTerminate = isTrue(terminate) || (terminate !== undefined && /^[1-9]/.test(terminate));
  n.expectedUp = expected === "member";
  if (!fencing) {
    if (inCluster && peerOnline && ns.join === "member") n.online = true;
    else if (inCluster && peerOnline && (ns.join === "pending" || ns.join === "down")) {
      n.pending = true;
      n.standby = true;
      n.online = true;
    } else if (inCluster && !peerOnline && expected === "member") n.unclean = true; // went away unexpectedly; cannot be fenced
    return;
  }
  n.online = inCluster && peerOnline;
  if (n.shutdown) {
    n.online = peerOnline;
  } else if (ns.inCcm === undefined) {
    n.unclean = true;
  } else if (ns.join === "nack") {
    n.unclean = true;
  } else if (!doTerminate && expected === "down") {
    if (inCluster || peerOnline) {
      n.standby = true;
      n.pending = true;
    }
  } else if (doTerminate && ns.join === "down" && !inCluster && !peerOnline) {
    n.online = false;
  } else if (!inCluster) {
    n.unclean = true;
  } else if (!peerOnline) {
    n.unclean = true;
  } else if (doTerminate) {
    n.unclean = true;
  } else if (ns.join === "member") {
    // active
  } else if (ns.join === "pending" || ns.join === "down") {
    n.standby = true;
    n.pending = true;
  } else {
    n.unclean = true;
  }
  if (n.unclean) n.online = false;
}

// ---- resources --------------------------------------------------------------------------------------------------

/** What a definition's meta attributes make of a resource: the same for every instance of a clone. */
interface DerivedMeta {
  inherited: Record<string, string>;
  meta: Record<string, string>;
  /** What it passes on to its members and instances. */
  pass: Record<string, string>;
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutSec: number;
  priority: number;
}

function derivedMeta(
  ws: WorkingSet,
  def: PrimitiveDef | GroupDef | CloneDef,
  parent: SRsc | undefined,
  inherited: Record<string, string>,
): DerivedMeta {
  // A clone's instances (and a cloned group's members) share one definition and what they inherit: worked out once.
  const known = ws.derivedMeta.get(def);
  if (known && known.inherited === inherited) return known;
  const ctx: RuleContext = {
    nowSec: ws.nowSec,
    rsc: def.kind === "primitive" ? { cls: def.cls, provider: def.provider, type: def.type } : undefined,
  };
  const own = evalNvSets(def.meta, ctx);
  const defaults = ws.input.rscDefaults.some((set) => set.rule)
    ? evalNvSets(ws.input.rscDefaults, ctx)
    : (ws.plainRscDefaults ??= evalNvSets(ws.input.rscDefaults, ctx));
  const meta = { ...defaults, ...inherited, ...own };
  if (def.kind === "primitive" && def.cls === "stonith" && meta.requires === undefined) meta.requires = "quorum";
  // Clone instances default to a stickiness of 1 so that they do not shuffle between equal nodes.
  // (A bundle's replicas are placed like clone instances.)
  const inClone = parent?.kind === "clone" || parent?.parent?.kind === "clone" || ws.bundles.generated.has(def.id);
  const stick =
    meta["resource-stickiness"] ??
    meta["resource_stickiness"] ??
    (inClone && ws.input.properties["default-resource-stickiness"] === undefined
      ? "1"
      : ws.props["default-resource-stickiness"]);
  const derived: DerivedMeta = {
    inherited,
    meta,
    pass: { ...inherited, ...own },
    stickiness: parseScore(stick, 0),
    migrationThreshold:
      parseScore(meta["migration-threshold"], INF) <= 0 ? INF : parseScore(meta["migration-threshold"], INF),
    failureTimeoutSec: Math.floor(parsePacemakerIntervalMs(meta["failure-timeout"]) / 1000),
    priority: parseScore(meta.priority, 0),
  };
  ws.derivedMeta.set(def, derived);
  return derived;
}

function newRsc(
  ws: WorkingSet,
  def: PrimitiveDef | GroupDef | CloneDef,
  parent: SRsc | undefined,
  inherited: Record<string, string>,
  suffix = "",
): SRsc {
  const { meta, pass, stickiness, migrationThreshold, failureTimeoutSec, priority } = derivedMeta(
    ws,
    def,
    parent,
    inherited,
  );
  const r: SRsc = {
    id: def.id + suffix,
    baseId: def.id,
    kind: def.kind,
    def,
    parent,
    children: [],
    meta,
    ops: def.kind === "primitive" ? def.ops : [],
    managed: meta["is-managed"] === undefined ? true : isTrue(meta["is-managed"]),
    blocked: false,
    targetRole: meta["target-role"] ?? "Started",
    stickiness,
    migrationThreshold,
    failureTimeoutSec,
    priority,
    orphan: false,
    running: NO_NODES_MAP as Map<string, NodeRunState>,
    failCount: NO_NODES_MAP as Map<string, number>,
    lastFailure: NO_NODES_MAP as Map<string, number>,
    stopRequested: false,
    migrations: [],
    stoppedOn: NO_NODES,
    noPromote: NO_NODES,
    banned: NO_NODES,
    bannedEverywhere: false,
    needsRestart: NO_NODES,
    needsReload: NO_NODES,
    probed: NO_NODES,
    recurringFailed: false,
    statusName: NO_NODES_MAP as Map<string, string>,
  };
  if (ws.maintenanceMode || isTrue(meta.maintenance)) r.managed = false;
  // A remote connection's reconnect_interval: after a failure it stays stopped that long (its failure timeout).
  if (def.kind === "primitive" && def.cls === "ocf" && def.provider === "pacemaker" && def.type === "remote") {
    const reconnectMs = parsePacemakerIntervalMs(evalNvSets(def.params, { nowSec: ws.nowSec }).reconnect_interval);
    if (reconnectMs > 0) {
      r.failureTimeoutSec = Math.floor(reconnectMs / 1000);
      r.reconnectIntervalMs = reconnectMs;
    }
  }
  ws.byId.set(r.id, r);
  if (def.kind === "group") {
    r.children = def.children.map((c) => newRsc(ws, c, r, pass, suffix));
  } else if (def.kind === "clone") {
    // Every node counts, remote and guest nodes included.
    const nodeCount = ws.nodes.length;
    const num = (k: string, d: number) =>
      meta[k] !== undefined && !Number.isNaN(parseInt(meta[k]!, 10)) ? parseInt(meta[k]!, 10) : d;
    const promotable = def.promotable || isTrue(meta.promotable);
    r.clone = {
      max: num("clone-max", nodeCount),
      nodeMax: num("clone-node-max", 1),
      unique: isTrue(meta["globally-unique"]),
      promotable,
      promotedMax: num("promoted-max", num("master-max", 1)),
      promotedNodeMax: num("promoted-node-max", num("master-node-max", 1)),
      interleave: isTrue(meta.interleave),
      ordered: isTrue(meta.ordered),
      childId: def.child.id,
    };
    // Only OCF agents (and fence devices) can be globally unique: a clone of anything else is anonymous whatever it
    // says, with one copy per node at most (Pacemaker warns and does the same).
    const members = def.child.kind === "group" ? def.child.children : [def.child];
    if (
      r.clone.unique &&
      members.some((m) => m.kind === "primitive" && !["ocf", "stonith"].includes(m.cls.toLowerCase()))
    ) {
      r.clone.unique = false;
      r.clone.nodeMax = 1;
      r.clone.max = Math.min(r.clone.max, nodeCount);
    }
    for (let i = 0; i < r.clone.max; i++) r.children.push(newRsc(ws, def.child, r, pass, `:${i}`));
  }
  return r;
}

/** The instance of a clone (and member of a cloned group) an lrm entry on `node` belongs to. */
function resolveStatusId(ws: WorkingSet, lrmId: string, node: SNode, active: boolean): SRsc | undefined {
  const exact = ws.byId.get(lrmId);
  const base = lrmId.includes(":") ? lrmId.replace(/:\d+$/, "") : lrmId;
  const owner = ws.cloneChildOwner.get(base);
  if (!owner) return exact?.kind === "primitive" ? exact : undefined;
  const { clone, member } = owner;
  const pick = (inst: SRsc): SRsc | undefined => (member === undefined ? inst : inst.children[member]);
  // Inside a bundle's replica, the instance is the replica's own.
  const replica = ws.bundles.instanceOnGuest.get(node.name);
  if (replica && replica.cloneId === clone.id) return clone.children[replica.index];
  if (clone.clone!.unique) {
    const m = /:(\d+)$/.exec(lrmId);
    const inst = clone.children[m ? Number(m[1]) : 0];
    return inst && pick(inst);
  }
  // A copy active on a lost node that needs no fencing to be recovered elsewhere (requires=quorum or nothing) does not
  // hold one of the clone's places: another copy may start meanwhile (unless the clone runs on every node anyway).
  const first = clone.children[0] ? primitivesOf(clone.children[0])[0] : undefined;
  const requires = first?.meta.requires ?? (ws.stonithEnabled ? "fencing" : "quorum");
  const lostCopy =
    active &&
    requires !== "fencing" &&
    requires !== "unfencing" &&
    (!node.online || node.unclean) &&
    !ws.guestOf.has(node.name) &&
    clone.clone!.max < ws.nodes.length;
  const activeOn = (inst: SRsc, where?: string) =>
    primitivesOf(inst).some((p) => (where ? p.running.has(where) || p.probed.has(where) : p.running.size > 0));
  // An instance already known on this node, else the lowest one active nowhere and not yet seen on this node —
  // unless this node already has as many active copies as clone-node-max allows: then it is an orphan.
  // (A cloned primitive is known on a node only through its own history, which marks it probed there: only a cloned
  // group's instance can be known through another member.)
  if (member !== undefined)
    for (const inst of clone.children)
      if (activeOn(inst, node.name) && !pick(inst)!.probed.has(node.name)) return pick(inst);
  const full = active && (clone.activeInstancesOn?.get(node.name)?.size ?? 0) >= clone.clone!.nodeMax;
  if (!full && !lostCopy) {
    const kids = clone.children;
    let i = clone.firstFreeHint ?? 0;
    while (i < kids.length && activeOn(kids[i]!)) i++;
    clone.firstFreeHint = i;
    for (; i < kids.length; i++) if (!activeOn(kids[i]!) && !activeOn(kids[i]!, node.name)) return pick(kids[i]!);
    // Every copy is active elsewhere: an inactive entry (a probe) still belongs to one not yet seen here; an active
    // one is a copy too many.
    if (!active) for (const inst of kids) if (!pick(inst)!.probed.has(node.name)) return pick(inst);
  }
  // More copies in the status than the clone allows: an orphan instance, to be stopped.
  const orphan = newRsc(
    ws,
    clone.def.kind === "clone" ? clone.def.child : (clone.def as never),
    clone,
    clone.meta,
    `:${clone.children.length}`,
  );
  for (const p of primitivesOf(orphan)) p.orphan = true;
  orphan.orphan = true;
  clone.children.push(orphan);
  return pick(orphan);
}

/** Most resources keep these empty: they share one set (or map) that refuses writes, until `own` gives them theirs
 * (tens of thousands of clone instances at 32 × 10 000 would otherwise each allocate ten, most never written). */
class NoNodes extends Set<string> {
  override add(): this {
    throw new Error("a shared empty set written to: give its holder a set of its own first (own(), stopOn())");
  }
}
class NoNodesMap extends Map<string, never> {
  override set(): this {
    throw new Error("a resource's shared empty map written to: replace it with ownMap() first");
  }
}
export const NO_NODES: Set<string> = new NoNodes();
const NO_NODES_MAP: Map<string, never> = new NoNodesMap();
type NodeSetField = "stoppedOn" | "noPromote" | "banned" | "needsRestart" | "needsReload" | "probed";
function own(r: SRsc, k: NodeSetField): Set<string> {
  return r[k] === NO_NODES ? (r[k] = new Set()) : r[k];
}
function ownMap<K extends "lastFailure" | "statusName" | "running" | "failCount">(r: SRsc, k: K): SRsc[K] {
  if ((r[k] as Map<string, unknown>) === NO_NODES_MAP) r[k] = new Map() as SRsc[K];
  return r[k];
}

/** A clone instance (or a member of one) found active on `node`: its clone counts it there. */
function noteActiveInstance(r: SRsc, node: string): void {
  let inst = r;
  while (inst.parent && inst.parent.kind !== "clone") inst = inst.parent;
  const clone = inst.parent;
  if (!clone) return;
  const on = (clone.activeInstancesOn ??= new Map());
  let set = on.get(node);
  if (!set) on.set(node, (set = new Set()));
  set.add(inst);
}

/** Left where it is: not managed, or blocked after a failure. */
export const frozen = (r: SRsc): boolean => !r.managed || r.blocked;

/** A fence device (class stonith). */
export const isStonith = (r: SRsc): boolean => r.def.kind === "primitive" && r.def.cls === "stonith";

export function primitivesOf(r: SRsc): readonly SRsc[] {
  const cached = r.primitivesCache;
  if (cached && cached.childCount === r.children.length) return cached.list;
  const list = r.kind === "primitive" ? [r] : r.children.flatMap(primitivesOf);
  r.primitivesCache = { list, childCount: r.children.length };
  return list;
}

// ---- history --------------------------------------------------------------------------------------------------

const OCF_OK = 0,
  OCF_NOT_RUNNING = 7,
  OCF_RUNNING_PROMOTED = 8,
  OCF_FAILED_PROMOTED = 9;
// Degraded but running (OCF 1.1): treated as running, and as promoted for 191.
const OCF_DEGRADED = 190,
  OCF_DEGRADED_PROMOTED = 191;
const EXEC_DONE = 0,
  EXEC_CANCELLED = 1,
  EXEC_ERROR = 4,
  EXEC_PENDING = -1;

function opConfig(r: SRsc, name: string, intervalMs: number): OpDef | undefined {
  return r.ops.find((o) => o.name === name && o.intervalMs === intervalMs);
}

function onFailFor(ws: WorkingSet, r: SRsc, op: OpRecord): string {
  const name = op.operation === "monitor" && op.intervalMs === 0 ? "monitor" : op.operation;
  const cfg = opConfig(r, op.operation, op.intervalMs);
  let onFail = cfg?.onFail;
  if (!onFail) {
    const defaults = evalNvSets(ws.input.opDefaults, {
      nowSec: ws.nowSec,
      op: { name: op.operation, intervalMs: op.intervalMs },
    });
    onFail = defaults["on-fail"];
  }
  // Losing an established connection to a remote node (anything but a probe or a start failing) resets the node:
  // what ran there cannot be known to have stopped.
  const remoteConnection = r.connectsNode !== undefined && !r.implicit;
  if (!onFail && remoteConnection && name !== "monitor" && op.operation !== "start") onFail = "reset-remote";
  if (!onFail && remoteConnection && op.operation === "monitor" && op.intervalMs > 0) onFail = "reset-remote";
  // A filler's failure restarts the container it lives in.
  if (!onFail && r.meta.container && ws.byId.has(r.meta.container) && !r.parent) onFail = "restart-container";
  if (!onFail) onFail = name === "stop" ? (ws.stonithEnabled ? "fence" : "block") : "restart";
  if (onFail === "fence" && !ws.stonithEnabled) onFail = "block";
  return onFail;
}

/** A resource's history on one node in the order it happened. */
function sortedByCall(ops: readonly OpRecord[]): readonly OpRecord[] {
  // Most histories are already in call order with no notify (one probe, or a start and its monitor): kept as they are.
  let inOrder = true;
  for (let k = 0; k < ops.length && inOrder; k++)
    inOrder =
      ops[k]!.operation !== "notify" &&
      ops[k]!.callId >= 0 &&
      (k === 0 ||
        ops[k]!.callId > ops[k - 1]!.callId ||
        (ops[k]!.callId === ops[k - 1]!.callId && (ops[k]!.lastRcChange ?? 0) >= (ops[k - 1]!.lastRcChange ?? 0)));
  if (inOrder) return ops;
  return ops
    .filter((o) => o.operation !== "notify")
    .sort((a, b) => {
      // pending operations (call-id -1) come last
      const ca = a.callId < 0 ? Infinity : a.callId,
        cb = b.callId < 0 ? Infinity : b.callId;
      // The same call can be recorded twice (its result and its last failure): the later change comes last.
      return ca - cb || (a.lastRcChange ?? 0) - (b.lastRcChange ?? 0);
    });
}

function unpackHistory(ws: WorkingSet, r: SRsc, node: SNode, ops: readonly OpRecord[]): void {
  // (What the loop below makes of STOPPED_PROBE, without running it for each of ~310 000 such entries.)
  if (ops === STOPPED_PROBE) {
    own(r, "probed").add(node.name);
    return;
  }
  const sorted = sortedByCall(ops);
  let state: NodeRunState | undefined;
  let failed = false;
  let failureIgnored = false;
  let blocked = false;
  // On a node already known to need fencing, failures change nothing: fencing settles them.
  const fencingAnyway = node.unclean;
  own(r, "probed").add(node.name);
  for (let op of sorted) {
    if (op.status === EXEC_CANCELLED) continue;
    const isProbe = op.operation === "monitor" && op.intervalMs === 0;
    const isMonitor = op.operation === "monitor";
    if (op.status === EXEC_PENDING || op.callId < 0) {
      if (op.operation === "start" || op.operation === "promote" || op.operation === "migrate_from")
        state = {
          role: op.operation === "promote" ? "Promoted" : "Started",
          failed: false,
          blocked: false,
          failureIgnored: false,
          pending: op.operation,
          pendingKey: op.pendingKey,
        };
      else if (state) state.pending = op.operation;
      continue;
    }
    // Older CIBs record "error" for any non-zero exit code: the exit code decides.
    if (op.status === EXEC_ERROR) op = { ...op, status: EXEC_DONE };
    // A monitor configured for role=Stopped watches a node where it must not run: "not running" is its success.
    if (isMonitor && !isProbe && /^stopped$/i.test(opConfig(r, "monitor", op.intervalMs)?.role ?? "")) {
      if (op.rc === OCF_NOT_RUNNING) {
        state = undefined;
        continue;
      }
      if (op.rc === OCF_OK) {
        state = { role: "Started", failed: true, blocked: false, failureIgnored: false };
        failed = true;
        continue;
      }
    }
    // An operation that returned the "not running" it was expected to (a start sent to learn the state): stopped.
    if (!isMonitor && op.status === EXEC_DONE && op.rc === OCF_NOT_RUNNING && op.expectedRc === OCF_NOT_RUNNING) {
      state = undefined;
      failed = false;
      continue;
    }
    if (isMonitor && op.rc === OCF_DEGRADED) op = { ...op, rc: OCF_OK };
    if (isMonitor && op.rc === OCF_DEGRADED_PROMOTED) op = { ...op, rc: OCF_RUNNING_PROMOTED };
    const expired = failureExpired(ws, r, node, op);
    // A probe may find it stopped; a recurring monitor finding it stopped is a failure — except for a resource left
    // unmanaged, which is simply taken as stopped.
    const success =
      op.status === EXEC_DONE &&
      (isProbe || (isMonitor && !r.managed && op.rc === OCF_NOT_RUNNING)
        ? op.rc === OCF_OK || op.rc === OCF_NOT_RUNNING || op.rc === OCF_RUNNING_PROMOTED
        : isMonitor
          ? op.rc === OCF_OK || op.rc === OCF_RUNNING_PROMOTED
          : op.rc === OCF_OK);
    if (success) {
      switch (op.operation) {
        case "start":
        case "migrate_from":
          state = { role: "Started", failed: false, blocked: false, failureIgnored: false };
          failed = false;
          break;
        case "promote":
          state = { role: "Promoted", failed: false, blocked: false, failureIgnored: false };
          failed = false;
          break;
        case "demote":
          state = { role: "Unpromoted", failed: false, blocked: false, failureIgnored: false };
          failed = false;
          break;
        case "stop":
          state = undefined;
          failed = false;
          blocked = false;
          if (r.blockedOn === node.name) r.blocked = false; // stopped where the failure blocked it
          own(r, "stoppedOn").add(node.name);
          break; // cleanly stopped since
        case "migrate_to":
          // The move is only done once migrate_from succeeds on the target (checked after all nodes are read);
          // until then it may still be active here, and needs recovering.
          state = { role: "Started", failed: true, blocked: false, failureIgnored: false };
          failed = true;
          if (op.migrateTarget) r.migrations.push({ source: node.name, target: op.migrateTarget, ok: true });
          break;
        case "monitor":
          if (op.rc === OCF_NOT_RUNNING) {
            state = undefined;
            failed = false;
          } // a probe found it stopped
          else if (op.rc === OCF_RUNNING_PROMOTED) state = { role: "Promoted", failed, blocked, failureIgnored };
          else if (!state || isProbe) state = { role: "Started", failed, blocked, failureIgnored };
          break;
      }
      continue;
    }
    // A failed live migration may have left it running on the target as well.
    if (op.operation === "migrate_to" && op.migrateTarget)
      r.migrations.push({ source: node.name, target: op.migrateTarget, ok: false });
    // A failure. One that blocked the resource does not expire: a human must clear it.
    if (expired && op.operation !== "stop" && onFailFor(ws, r, op) !== "block") continue;
    if (isMonitor && op.rc === OCF_FAILED_PROMOTED)
      state = { role: "Promoted", failed: true, blocked: false, failureIgnored: false };
    const onFail = onFailFor(ws, r, op);
    if (onFail === "demote" && state?.role === "Promoted") {
      // Demote in place rather than recover; it may not be promoted here again until cleaned up.
      own(r, "noPromote").add(node.name);
      continue;
    }
    // A missing agent (exec status "not installed") is a hard error: on-fail=ignore cannot keep it there.
    if (onFail === "ignore" && op.status !== 7) {
      failureIgnored = true;
      if (op.operation === "stop") state = undefined;
      else state = state ?? { role: "Started", failed: false, blocked: false, failureIgnored: true };
      if (state) state.failureIgnored = true;
      continue;
    }
    if (
      op.rc === 5 /* not installed */ ||
      op.rc === 2 /* invalid param */ ||
      op.rc === 4 /* insufficient privileges */ ||
      op.status === 7
    )
      own(r, "banned").add(node.name);
    if (op.rc === 6 /* not configured */) r.bannedEverywhere = true;
    if (isProbe && (op.status === 7 || (op.status === EXEC_DONE && op.rc === 5))) {
      // not installed here: treat as stopped, just banned
      state = undefined;
      continue;
    }
    failed = true;
    state = state ?? { role: "Started", failed: true, blocked: false, failureIgnored: false };
    if ((op.operation === "demote" || op.operation === "promote") && onFail !== "block") state.role = "Unpromoted"; // not (still) promoted
    // (start-failure-is-fatal works through the fail count the cluster sets to INFINITY, not from the history.)
    if (op.operation === "stop") {
      if (onFail === "fence" && ws.stonithEnabled) node.unclean = true;
      else blocked = true;
      // A stop that failed for good (not installed, invalid parameter, no permission) where the node cannot be
      // fenced: nothing more can be tried for this resource; it is left alone (unmanaged) and blocked.
      if ((op.rc === 2 || op.rc === 4 || op.rc === 5) && !canFenceNode(ws, node)) {
        r.managed = false;
        r.blocked = true;
      }
    }
    if (isMonitor && !isProbe) r.recurringFailed = true;
    applyOnFail(ws, r, node, op, state);
  }
  if (state) {
    state.failed = failed || state.failed;
    state.blocked = blocked;
    state.failureIgnored = failureIgnored || state.failureIgnored;
    if ((node.unclean && !node.online) || fencingAnyway) {
      state.failed = false;
      state.blocked = false;
    } // fencing settles it
    ownMap(r, "running").set(node.name, state);
  }
}

/** #health-* node attributes under node-health-strategy (migrate-on-red, only-green, progressive, custom). */
function applyHealth(ws: WorkingSet, node: SNode): void {
  const strategy = ws.props["node-health-strategy"] ?? "none";
  if (strategy === "none") return;
  const colourScore: Record<string, number> =
    strategy === "migrate-on-red"
      ? { red: -INF, yellow: 0, green: 0 }
      : strategy === "only-green"
        ? { red: -INF, yellow: -INF, green: 0 }
        : {
            red: parseScore(ws.props["node-health-red"], -INF),
            yellow: parseScore(ws.props["node-health-yellow"], 0),
            green: parseScore(ws.props["node-health-green"], 0),
          };
  let score = 0;
  for (const [k, raw] of Object.entries(node.attrs)) {
    if (!k.startsWith("#health")) continue;
    const v = raw.trim().toLowerCase();
    if (v === "red" || v === "yellow" || v === "green") {
      if (v === "red" || (v === "yellow" && node.health === "green")) node.health = v;
      score = addScore(score, colourScore[v]!);
    } else if (strategy === "progressive" || strategy === "custom") {
      score = addScore(score, parseScore(v, 0));
    }
  }
  node.healthScore = score;
}

/** A remote or guest node is online while its connection resource runs (healthy) on an online cluster node. */
function resolveRemoteNode(ws: WorkingSet, n: SNode): void {
  const conn = ws.byId.get(n.remoteConnection!);
  const where = conn
    ? [...conn.running.entries()].filter(([host, st]) => !st.failed && ws.nodeByName.get(host)?.online)
    : [];
  // An unmanaged connection leaves the node in maintenance: nothing is done there.
  if (conn && frozen(conn)) n.maintenance = true;
  // A guest is down while its container is stopped, whatever its connection's history says.
  const container = ws.byId.get(ws.guestOf.get(n.name) ?? "");
  n.online = where.length > 0 && (!container || container.running.size > 0);
  n.expectedUp = n.online;
}

/** A fence device among these resources. */
const anyFenceDevice = (defs: SchedulerInput["resources"]): boolean =>
  defs.some((d) =>
    d.kind === "primitive"
      ? d.cls === "stonith"
      : d.kind === "group"
        ? anyFenceDevice(d.children)
        : d.kind === "clone" && anyFenceDevice([d.child]),
  );

/** Whether this node could be fenced at all: fencing enabled, a device configured, and quorum (or a policy that
 * ignores it, or the node in this partition). */
function canFenceNode(ws: WorkingSet, node: SNode): boolean {
  if (!ws.stonithEnabled || ws.noFenceDevice) return false;
  return ws.haveQuorum || ws.noQuorumPolicy === "ignore" || node.online;
}

/** A node's history as read: the entries (numbered as in readNode) in the order they were, and those made into
 * objects. */
interface ReadHistory {
  node: SNode;
  ns: NodeStateDef;
  made: Map<number, LrmResource>;
  order: Int32Array;
  count: number;
}

/** What unpackHistory reads of a history entry whose one record is a probe that found the resource stopped (a
 * history table's `stoppedProbe`): its id, call id (≥ 0, not pending), time and digests play no part there. */
const STOPPED_PROBE: readonly OpRecord[] = Object.freeze([
  Object.freeze({ id: "", operation: "monitor", intervalMs: 0, rc: 7, status: 0, callId: 0 }),
]);

function looksActive(ops: OpRecord[]): boolean {
  // The last call (of equal call ids, the one recorded last) that was neither cancelled nor a notify.
  let last: OpRecord | undefined;
  for (const o of ops)
    if (o.status !== EXEC_CANCELLED && o.operation !== "notify" && (!last || o.callId >= last.callId)) last = o;
  if (!last) return false;
  if (last.operation === "stop" || last.operation === "migrate_to")
    return last.rc !== OCF_OK || last.status !== EXEC_DONE;
  return !(last.operation === "monitor" && last.rc === OCF_NOT_RUNNING && last.intervalMs === 0);
}

function applyOnFail(ws: WorkingSet, r: SRsc, node: SNode, op: OpRecord, _state: NodeRunState): void {
  const onFail = onFailFor(ws, r, op);
  if (onFail === "stop") r.stopRequested = true;
  if (onFail === "restart-container" && op.operation !== "stop") {
    const container = ws.byId.get(r.meta.container ?? "");
    if (container?.running.has(node.name)) own(container, "needsRestart").add(node.name);
  }
  if (onFail === "standby") node.standby = true;
  if (onFail === "fence" && op.operation !== "stop" && ws.stonithEnabled) node.unclean = true;
  // With a reconnect interval, a lost connection stays stopped until that interval has passed.
  if (onFail === "reset-remote" && r.reconnectIntervalMs) r.stopRequested = true;
  if (onFail === "reset-remote" && ws.stonithEnabled) {
    const remote = ws.nodeByName.get(r.connectsNode!);
    if (remote && !remoteFencedBefore(ws, remote)) {
      remote.unclean = true;
      remote.remoteLost = true;
    }
  }
  // (On a node to be fenced, fencing settles it.)
  if (onFail === "block" && (node.online || !node.unclean)) {
    r.blocked = true;
    r.blockedOn = node.name;
  }
}

/** The status says this remote node was fenced since its connection was lost. */
const remoteFencedBefore = (ws: WorkingSet, n: SNode): boolean =>
  !!ws.input.nodeStates.find((ns) => ns.uname === n.name || ns.id === n.id)?.remoteFenced;

function failureExpired(ws: WorkingSet, r: SRsc, node: SNode, op: OpRecord): boolean {
  if (r.failureTimeoutSec <= 0) return false;
  // A lost remote connection's failure is kept until the remote node has been fenced.
  if (r.reconnectIntervalMs && ws.stonithEnabled && op.operation === "monitor" && op.intervalMs > 0) {
    const remote = ws.nodeByName.get(r.connectsNode ?? "");
    if (remote && !remoteFencedBefore(ws, remote)) return false;
  }
  const last = r.lastFailure.get(node.name) ?? op.lastRcChange;
  return last !== undefined && last + r.failureTimeoutSec <= ws.nowSec;
}

/** fail-count-RSC[#op_interval] and last-failure-RSC[#…] attributes, grouped by resource id as written, and by that
 * id without a clone instance number (":N"). */
interface TransientIndex {
  exact: Map<string, TransientEntry[]>;
  anyInstance: Map<string, TransientEntry[]>;
}
type TransientEntry = { kind: "fail-count" | "last-failure"; value: string };

function indexTransient(ws: WorkingSet, transient: Record<string, string>): TransientIndex {
  const index: TransientIndex = { exact: new Map(), anyInstance: new Map() };
  const names = ws.input.failCountNames;
  const add = (map: Map<string, TransientEntry[]>, id: string, entry: TransientEntry) => {
    const list = map.get(id);
    if (list) list.push(entry);
    else map.set(id, [entry]);
  };
  for (const [k, value] of Object.entries(transient)) {
    const m = /^(fail-count|last-failure)-(.+?)(#.*)?$/.exec(k);
    if (!m) continue;
    // A Pacemaker CIB counts one style only, by its feature set (an older one: per resource; else per operation).
    if ((names === "per-resource" && m[3]) || (names === "per-operation" && !/^#.+_\d+$/.test(m[3] ?? ""))) continue;
    const entry = { kind: m[1] as TransientEntry["kind"], value };
    add(index.exact, m[2]!, entry);
    add(index.anyInstance, m[2]!.replace(/:\d+$/, ""), entry);
  }
  return index;
}

/** A resource's fail count and last failure on a node. An anonymous clone's copies are interchangeable: each counts
 * the failures recorded under the configured id with any instance number (the numbers of a clone that was unique
 * once, or of copies that have since moved), as Pacemaker does; anything else only its own. */
function failCountsFrom(ws: WorkingSet, r: SRsc, node: SNode, transient: TransientIndex): void {
  let count = 0;
  let last: number | undefined;
  const anonymous =
    (r.parent?.clone && !r.parent.clone.unique) || (r.parent?.parent?.clone && !r.parent.parent.clone.unique);
  const entries = anonymous ? transient.anyInstance.get(r.baseId) : transient.exact.get(r.id);
  if (!entries) return; // (most resources on most nodes)
  for (const { kind, value } of entries) {
    if (kind === "fail-count") count = Math.min(INF, count + parseScore(value, 0));
    else last = Math.max(last ?? 0, Number(value));
  }
  if (last !== undefined) ownMap(r, "lastFailure").set(node.name, last);
  if (count > 0 && r.failureTimeoutSec > 0 && last !== undefined && last + r.failureTimeoutSec <= ws.nowSec) count = 0;
  if (count > 0) ownMap(r, "failCount").set(node.name, count);
}

// ---- assembly ---------------------------------------------------------------------------------------------------

export function buildWorkingSet(configured: SchedulerInput): WorkingSet {
  const { input, info: bundles } = expandBundles(configured);
  const props = { ...PROPERTY_DEFAULTS, ...input.properties };
  const stonithEnabled = isTrue(props["stonith-enabled"]);
  const noQuorumPolicy = props["no-quorum-policy"] ?? "stop";
  const ws: WorkingSet = {
    input,
    bundles,
    props,
    nodes: [],
    nodeByName: new Map(),
    resources: [],
    byId: new Map(),
    derivedMeta: new Map(),
    guestOf: new Map(),
    connectionWithContainer: new Set(),
    cloneChildOwner: new Map(),
    stonithEnabled,
    unfencing: false,
    canFence: stonithEnabled && (input.haveQuorum || noQuorumPolicy === "ignore"),
    noQuorumPolicy,
    shutdownLock: isTrue(props["shutdown-lock"]),
    shutdownLockLimitSec: Math.floor(parsePacemakerIntervalMs(props["shutdown-lock-limit"]) / 1000),
    haveQuorum: input.haveQuorum,
    symmetric: isTrue(props["symmetric-cluster"]),
    maintenanceMode: isTrue(props["maintenance-mode"]),
    noFenceDevice:
      stonithEnabled &&
      !input.fenceDevicesElsewhere &&
      !isTrue(props["have-watchdog"]) &&
      !anyFenceDevice(input.resources),
    nowSec: input.nowSec,
  };
  // Remote nodes (ocf:pacemaker:remote primitives) and guest nodes (remote-node meta on a container resource).
  const remoteNames = new Map<string, { connection: string; guestOf?: string }>();
  const walkDefs = (defs: typeof input.resources) => {
    for (const d of defs) {
      if (d.kind === "group") walkDefs(d.children);
      if (d.kind !== "primitive") continue;
      if (d.cls === "ocf" && d.provider === "pacemaker" && d.type === "remote")
        remoteNames.set(d.id, { connection: d.id });
      const guest = evalNvSets(d.meta, { nowSec: input.nowSec })["remote-node"];
      if (guest) remoteNames.set(guest, { connection: guest, guestOf: d.id });
    }
  };
  walkDefs(input.resources);
  const anyUnfencingDevice = (defs: typeof input.resources): boolean =>
    defs.some((d) =>
      d.kind === "primitive"
        ? d.cls === "stonith" &&
          [d.params, d.meta].some((sets) => evalNvSets(sets, { nowSec: input.nowSec }).provides === "unfencing")
        : d.kind === "group"
          ? anyUnfencingDevice(d.children)
          : d.kind === "clone" && anyUnfencingDevice([d.child]),
    );
  ws.unfencing = stonithEnabled && anyUnfencingDevice(input.resources);
  const nodeDefs = input.nodes
    .filter((n) => n.type !== "ping")
    .map((n) => (remoteNames.has(n.name) ? { ...n, type: "remote" as const } : n));
  for (const name of remoteNames.keys()) {
    if (!nodeDefs.some((n) => n.name === name))
      nodeDefs.push({ id: name, name, type: "remote", attrs: [], utilization: {}, score: 0 });
  }
  nodeDefs.forEach((def, index) => {
    const attrs = evalNvSets(def.attrs, { nowSec: input.nowSec });
    const node: SNode = {
      id: def.id,
      name: def.name,
      index,
      online: false,
      unclean: false,
      standby: false,
      pending: false,
      maintenance: false,
      shutdown: false,
      expectedUp: false,
      attrs: {},
      utilization: Object.fromEntries(Object.entries(def.utilization).map(([k, v]) => [k, Number(v) || 0])),
      remaining: {},
      assignedCount: 0,
      healthScore: 0,
      health: "green",
    };
    node.remaining = { ...node.utilization };
    const ns = input.nodeStates.find((s) => s.id === def.id) ?? input.nodeStates.find((s) => s.uname === def.name);
    node.attrs = {
      ...attrs,
      ...(ns?.transient ?? {}),
      "#uname": def.name,
      "#id": def.id,
      "#kind": def.type === "remote" ? "remote" : "cluster",
      "#is_dc": String(input.dcUuid !== undefined && input.dcUuid === def.id),
    };
    applyHealth(ws, node);
    node.standby = isTrue(node.attrs.standby);
    node.maintenance = isTrue(node.attrs.maintenance);
    node.shutdown = node.attrs.shutdown !== undefined && node.attrs.shutdown !== "0";
    if (def.type === "remote") {
      // online once its connection runs (below)
      node.remoteConnection = remoteNames.get(def.name)?.connection ?? def.name;
    } else {
      unpackNode(ws, node, ns);
    }
    ws.nodes.push(node);
    ws.nodeByName.set(node.name, node);
  });
  for (const def of input.resources) {
    if (def.kind === "bundle") continue; // bundles are not supported yet
    const r = newRsc(ws, def, undefined, {});
    ws.resources.push(r);
    for (const p of primitivesOf(r)) {
      const d = p.def as PrimitiveDef;
      if (d.cls === "ocf" && d.provider === "pacemaker" && d.type === "remote") p.connectsNode = p.id;
      const guest = p.meta["remote-node"];
      if (guest && !ws.byId.has(guest)) {
        // The guest's connection: runs with its container, after it.
        const conn = newRsc(
          ws,
          {
            kind: "primitive",
            id: guest,
            cls: "ocf",
            provider: "pacemaker",
            type: "remote",
            meta: [],
            params: [],
            utilization: {},
            ops: [],
          },
          undefined,
          {},
        );
        conn.connectsNode = guest;
        conn.implicit = true;
        // A bundle's replica is managed (or not) as a whole.
        if (ws.bundles.replicaInstance.has(guest)) conn.managed = p.managed;
        ws.resources.push(conn);
        ws.guestOf.set(guest, p.id);
        ws.connectionWithContainer.add(`${guest}-with-${p.id}`);
        ws.input = {
          ...ws.input,
          colocations: [
            ...ws.input.colocations,
            { id: `${guest}-with-${p.id}`, rsc: guest, withRsc: p.id, score: INF, nodeAttribute: "#uname" },
          ],
          orders: [
            ...ws.input.orders,
            {
              id: `${p.id}-then-${guest}`,
              first: p.id,
              then: guest,
              firstAction: "start",
              thenAction: "start",
              kind: "Mandatory",
              symmetrical: true,
            },
          ],
        };
      }
    }
    if (def.kind === "clone") {
      ws.cloneChildOwner.set(def.child.id, { clone: r });
      if (def.child.kind === "group")
        def.child.children.forEach((m, i) => ws.cloneChildOwner.set(m.id, { clone: r, member: i }));
    }
  }
  // A resource that lives inside another (meta container=ID, a "filler") runs with it, after it.
  for (const p of ws.resources.flatMap(primitivesOf)) {
    const container = p.meta.container;
    if (!container || !ws.byId.has(container) || p.parent) continue;
    ws.input = {
      ...ws.input,
      colocations: [
        ...ws.input.colocations,
        { id: `${p.id}-in-${container}`, rsc: p.id, withRsc: container, score: INF, nodeAttribute: "#uname" },
      ],
      orders: [
        ...ws.input.orders,
        {
          id: `${container}-then-${p.id}`,
          first: container,
          then: p.id,
          firstAction: "start",
          thenAction: "start",
          kind: "Mandatory",
          symmetrical: true,
        },
      ],
    };
  }
  // History, node by node, in passes as Pacemaker reads it (so clone instances are numbered alike): cluster nodes
  // (only online ones without fencing), then each remote or guest node once its connection (and container) is
  // known to run — which may come from a node read just before — and last every node still unread.
  // Each node's entries as read (the definition-change pass below walks them again), and by place in the tables: the
  // resource the entry there resolved to when it is not a clone's (~320 000 entries at 32 nodes × 10 000 resources,
  // and the next node mostly names the same resource at the same place).
  const readNodes: ReadHistory[] = [];
  const plainIdAt: string[] = [];
  const plainAt: SRsc[] = [];
  const nodeOf = (ns: NodeStateDef) => ws.nodeByName.get(ns.uname ?? "") ?? ws.nodes.find((n) => n.id === ns.id);
  const runs = (id: string | undefined) => (ws.byId.get(id ?? "")?.running.size ?? 0) > 0;
  const readyEarly = (node: SNode): boolean =>
    node.remoteConnection
      ? runs(node.remoteConnection) && (!ws.guestOf.has(node.name) || runs(ws.guestOf.get(node.name)))
      : ws.stonithEnabled || node.online;
  const unread = input.nodeStates.filter((ns) => nodeOf(ns));
  const readNode = (ns: NodeStateDef): void => {
    const node = nodeOf(ns)!;
    if (node.remoteConnection) resolveRemoteNode(ws, node);
    // Without fencing, an offline node is assumed to run nothing; with fencing, its history stands until it is
    // fenced or shows it stopped everything.
    // (With shutdown locks, an offline node's history says what waits for it.)
    if (!node.online && !ws.stonithEnabled && !ws.shutdownLock) return;
    // Active entries claim clone instances before inactive ones (an inactive probe result claims nothing). Entries
    // are numbered: first the node's history table's (most of them probes that found the resource stopped, which
    // are never made into objects), then its list's.
    const table = ns.history;
    const inTable = table?.entries ?? 0;
    const made = new Map<number, LrmResource>();
    const active: number[] = [],
      inactive: number[] = [];
    for (let e = 0; e < inTable + ns.lrm.length; e++) {
      if (e < inTable && table!.stoppedProbe[e]) {
        inactive.push(e);
        continue;
      }
      const lr = e < inTable ? entryAt(table!, e) : ns.lrm[e - inTable]!;
      made.set(e, lr);
      (looksActive(lr.ops) ? active : inactive).push(e);
    }
    const transientByRsc = indexTransient(ws, ns.transient);
    const read: ReadHistory = { node, ns, made, order: new Int32Array(active.length + inactive.length), count: 0 };
    readNodes.push(read);
    for (let k = 0; k < active.length + inactive.length; k++) {
      const e = k < active.length ? active[k]! : inactive[k - active.length]!;
      const lr = e < inTable && table!.stoppedProbe[e] ? undefined : made.get(e);
      const id = lr ? lr.id : table!.ids[e]!;
      // The entry at this place in the previous node's table most often names the same resource: if that is not a
      // clone's, it resolves the same (a clone's instance depends on the node).
      let r: SRsc | undefined;
      if (e < inTable && plainAt[e] !== undefined && plainIdAt[e] === id) r = plainAt[e];
      else {
        r = resolveStatusId(ws, id, node, k < active.length);
        if (e < inTable && r && !ws.cloneChildOwner.has(id.includes(":") ? id.replace(/:\d+$/, "") : id)) {
          plainIdAt[e] = id;
          plainAt[e] = r;
        }
      }
      if (!r) {
        // In the status but not in the configuration: an orphan, stopped if it still runs.
        const agent = lr ?? table!.agents[table!.agent[e]!]!;
        const def: PrimitiveDef = {
          kind: "primitive",
          id,
          cls: agent.cls ?? "ocf",
          provider: agent.provider,
          type: agent.type ?? "",
          meta: [],
          params: [],
          utilization: {},
          ops: [],
        };
        r = newRsc(ws, def, undefined, {});
        r.orphan = true;
        if (!isTrue(props["stop-orphan-resources"])) r.managed = false;
        ws.resources.push(r);
      }
      if (r.kind !== "primitive") continue;
      if (id !== r.id) ownMap(r, "statusName").set(node.name, id); // (else its own id: nothing to remember)
      failCountsFrom(ws, r, node, transientByRsc);
      if (ws.shutdownLock && lr?.shutdownLockSec !== undefined && lr.shutdownLockSec > 0) {
        const expired = ws.shutdownLockLimitSec > 0 && ws.nowSec > lr.shutdownLockSec + ws.shutdownLockLimitSec;
        if (!expired) r.lockNode = node.name;
      }
      unpackHistory(ws, r, node, lr ? lr.ops : STOPPED_PROBE);
      if (r.running.has(node.name)) noteActiveInstance(r, node.name);
      // Running there with an older definition than the configuration's: restarted with the new one.
      if (lr?.definitionChanged && r.running.has(node.name)) own(r, "needsRestart").add(node.name);
      if (id !== r.id) r.cloneName = id;
      read.order[read.count++] = e;
      // Failures handled with on-fail=ignore do not count toward migration-threshold.
      const st = r.running.get(node.name);
      if (st?.failureIgnored && !st.failed) r.failCount.delete(node.name);
    }
  };
  for (let progress = true; progress;) {
    progress = false;
    for (const ns of [...unread]) {
      if (!readyEarly(nodeOf(ns)!)) continue;
      unread.splice(unread.indexOf(ns), 1);
      readNode(ns);
      progress = true;
    }
  }
  for (const ns of unread) readNode(ns);
  for (const n of ws.nodes)
    if (n.remoteConnection && !input.nodeStates.some((ns) => nodeOf(ns) === n)) resolveRemoteNode(ws, n);
  // Live migrations: completed on the target → no longer on the source; a failed migrate_to → maybe on the target.
  for (const p of ws.resources.flatMap(primitivesOf)) {
    for (const m of p.migrations) {
      const target = ws.nodeByName.get(m.target);
      if (m.ok && p.running.get(m.target) && !p.running.get(m.target)!.failed) p.running.delete(m.source);
      else if (
        !m.ok &&
        target?.online &&
        p.probed.has(m.target) &&
        !p.running.has(m.source) &&
        !p.running.has(m.target) &&
        !p.stoppedOn.has(m.target)
      ) {
        ownMap(p, "running").set(m.target, { role: "Started", failed: false, blocked: false, failureIgnored: false });
        own(p, "needsRestart").add(m.target); // in an unknown state there: restart it to be sure
      }
    }
  }
  // A container's failures include those of the resources inside it (its migration-threshold counts them all).
  for (const p of ws.resources.flatMap(primitivesOf)) {
    const container = !p.parent && p.meta.container ? ws.byId.get(p.meta.container) : undefined;
    if (!container) continue;
    for (const [n, c] of p.failCount)
      ownMap(container, "failCount").set(n, addScore(container.failCount.get(n) ?? 0, c));
  }
  // A definition changed since it started: restart or reload where it runs (nodes that can run resources only).
  // The history entry is matched to resources by id or by the instance's last other status name, as Pacemaker does.
  // (Indexed by name, then by the node each runs on: an anonymous clone's copies all share one status name.)
  const byStatusName = new Map<string, Map<string, SRsc[]>>();
  const noteStatusName = (name: string, p: SRsc) => {
    let byNode = byStatusName.get(name);
    if (!byNode) byStatusName.set(name, (byNode = new Map()));
    for (const n of p.running.keys()) {
      const list = byNode.get(n);
      if (list) list.push(p);
      else byNode.set(n, [p]);
    }
  };
  for (const p of ws.resources.flatMap(primitivesOf)) {
    if (p.orphan || p.running.size === 0) continue;
    noteStatusName(p.id, p);
    if (p.cloneName !== undefined && p.cloneName !== p.id) noteStatusName(p.cloneName, p);
  }
  // (Entries at the same place in each node's table mostly name the same resource: its lookup is remembered by
  // place.)
  const namedAt: string[] = [];
  const byNodeAt: Array<Map<string, SRsc[]> | undefined> = [];
  for (const { node, ns, made, order, count } of readNodes) {
    if (!node.online || node.unclean || node.shutdown || node.standby || node.maintenance) continue;
    const table = ns.history;
    const inTable = table?.entries ?? 0;
    for (let k = 0; k < count; k++) {
      const e = order[k]!;
      const id = e < inTable ? table!.ids[e]! : ns.lrm[e - inTable]!.id;
      let byNode: Map<string, SRsc[]> | undefined;
      if (namedAt[e] === id) byNode = byNodeAt[e];
      else {
        byNode = byStatusName.get(id);
        namedAt[e] = id;
        byNodeAt[e] = byNode;
      }
      const runningThere = byNode?.get(node.name);
      if (!runningThere) continue;
      const ops = sortedByCall(made.get(e)?.ops ?? opsAt(table!, e));
      for (const r of runningThere) {
        const change = definitionChange(ws, r, node, ops);
        // A start still pending cannot take a reload: it is restarted with the new definition.
        if (change === "restart" || (change === "reload" && r.running.get(node.name)!.pending === "start"))
          own(r, "needsRestart").add(node.name);
        else if (change === "reload") own(r, "needsReload").add(node.name);
      }
    }
  }
  if (ws.shutdownLock) applyShutdownLocks(ws);
  // In an anonymous clone, what is learnt about one instance on a node (hard errors, fail counts) holds for every
  // instance there: they are interchangeable copies.
  for (const r of ws.resources) {
    if (r.kind !== "clone" || r.clone!.unique) continue;
    const byMember = new Map<string, SRsc[]>();
    for (const p of primitivesOf(r)) byMember.set(p.baseId, [...(byMember.get(p.baseId) ?? []), p]);
    for (const copies of byMember.values()) {
      const banned = new Set(copies.flatMap((p) => [...p.banned]));
      const everywhere = copies.some((p) => p.bannedEverywhere);
      const failCount = new Map<string, number>();
      const lastFailure = new Map<string, number>();
      for (const p of copies) {
        for (const [n, c] of p.failCount) failCount.set(n, Math.max(failCount.get(n) ?? 0, c));
        for (const [n, t] of p.lastFailure) lastFailure.set(n, Math.max(lastFailure.get(n) ?? 0, t));
      }
      // (Nothing learnt, the usual case: each copy keeps its empty sets, shared or not.)
      for (const p of copies) {
        if (banned.size) p.banned = new Set(banned);
        p.bannedEverywhere = everywhere;
        if (failCount.size) p.failCount = new Map(failCount);
        if (lastFailure.size) p.lastFailure = new Map(lastFailure);
      }
    }
  }
  // Resources on a node in maintenance are left alone; multiple-active=block blocks a resource (and its group)
  // found active on several nodes.
  const inMaintenance = ws.nodes.filter((n) => n.maintenance).map((n) => n.name);
  for (const r of ws.resources) {
    for (const p of primitivesOf(r)) if (inMaintenance.some((n) => p.running.has(n))) p.managed = false;
    const multi = primitivesOf(r).filter((p) => p.running.size > 1 && p.meta["multiple-active"] === "block");
    if (multi.length) for (const p of r.kind === "group" ? primitivesOf(r) : multi) p.blocked = true;
    for (const p of multi) for (const st of p.running.values()) st.failed = true; // active twice is a failure
    // Left alone (unmanaged) while active on several nodes: shown failed everywhere it runs.
    for (const p of primitivesOf(r))
      if (!p.managed && p.running.size > 1 && !p.parent?.clone && !p.parent?.parent?.clone)
        for (const st of p.running.values()) st.failed = true;
  }
  // An offline node whose history still shows something running cannot be trusted to have stopped it: fence it.
  // (A remote node only when its connection failed: a connection that can simply be made again from another node
  // brings the node back without fencing it.)
  if (stonithEnabled) {
    for (const n of ws.nodes) {
      if (n.online || n.unclean || ws.guestOf.has(n.name) || n.maintenance) continue;
      const conn = n.remoteConnection ? ws.byId.get(n.remoteConnection) : undefined;
      // (A half-done live migration of the connection is not a failure.)
      const connFailed = [...(conn?.running.entries() ?? [])].some(
        ([host, st]) => st.failed && !conn!.migrations.some((m) => m.ok && m.source === host),
      );
      if (n.remoteConnection && !connFailed) continue;
      if (
        ws.resources
          .flatMap(primitivesOf)
          .some((p) => !p.orphan && p.managed && !ws.maintenanceMode && p.running.has(n.name))
      )
        n.unclean = true;
    }
  }
  // Without quorum, no-quorum-policy=suicide fences every node of this partition (this one included).
  if (!ws.haveQuorum && ws.noQuorumPolicy === "suicide" && stonithEnabled)
    for (const n of ws.nodes) if (n.online) n.unclean = true;
  // Fencing on, but nothing to fence with: every resource is left as it is (shown managed: it is not configured
  // otherwise).
  if (ws.noFenceDevice)
    for (const r of ws.resources)
      for (const x of [r, ...r.children, ...r.children.flatMap((c) => c.children)])
        if (x.managed) {
          x.managed = false;
          x.heldForFencing = true;
        }
  const guestResets = guestsToReset(ws);
  for (const n of ws.nodes) {
    // Without quorum, only nodes in our own membership may be fenced.
    if (n.unclean && (ws.canFence || (stonithEnabled && (n.online || ws.noQuorumPolicy === "suicide"))))
      n.fence = props["stonith-action"] === "off" || props["stonith-action"] === "poweroff" ? "off" : "reboot";
  }
  for (const n of guestResets) fenceGuest(ws, n);
  return ws;
}

/**
 * Guest nodes that must be reset: their container failed, their host is lost, or something on them asked for
 * fencing. A guest is never "unclean" the way a cluster node is — it is reset by recovering its container, and may
 * run resources again in the same transition once that succeeds.
 */
function guestsToReset(ws: WorkingSet): SNode[] {
  const out: SNode[] = [];
  for (const n of ws.nodes) {
    const container = ws.byId.get(ws.guestOf.get(n.name) ?? "");
    if (!container) continue;
    const hosts = [...(ws.byId.get(n.remoteConnection!)?.running.keys() ?? [])];
    const host = hosts.length === 1 ? ws.nodeByName.get(hosts[0]!) : undefined;
    const containerFailed = [...container.running.values()].some((st) => st.failed);
    const hostLost = !!host && !host.online && host.unclean;
    // Something still recorded as active on a guest that is down: only a reset makes sure it is not.
    const activeWhileDown =
      !n.online &&
      ws.resources.flatMap(primitivesOf).some((p) => p.managed && !p.connectsNode && p.running.has(n.name));
    if (containerFailed || hostLost || activeWhileDown || n.unclean) out.push(n);
    n.unclean = false;
  }
  return out;
}

/** "Fences" a guest node by recovering its container — possible while every node its container runs on is up or is
 * itself being fenced. What ran on the guest is then stopped by the reset. */
function fenceGuest(ws: WorkingSet, n: SNode): void {
  const container = ws.byId.get(ws.guestOf.get(n.name)!)!;
  if (!container.managed) return; // left alone: its container is not managed
  if ([...container.running.keys()].some((h) => !ws.nodeByName.get(h)?.online && !ws.nodeByName.get(h)?.fence)) return;
  n.fence = "reboot";
  n.online = false;
  // What was active there is recovered; the container too, when it failed or when anything was active there (a guest
  // reset only because its host is lost, with nothing on it, simply moves with its container).
  const active = ws.resources
    .flatMap(primitivesOf)
    .filter((p) => p.managed && !p.connectsNode && p.running.has(n.name));
  for (const p of active) p.running.get(n.name)!.failed = true;
  if (active.length) for (const st of container.running.values()) st.failed = true;
}

/** Shutdown locks (Pacemaker's shutdown-lock): a resource locked by its history stays locked unless it is active
 * somewhere after all; one active on just one node, which is shutting down cleanly, is locked to that node. Fence
 * devices and remote connections are never locked. */
function applyShutdownLocks(ws: WorkingSet): void {
  for (const p of ws.resources.flatMap(primitivesOf)) {
    if (isStonith(p) || p.connectsNode !== undefined) {
      p.lockNode = undefined;
      continue;
    }
    if (p.lockNode !== undefined) {
      if (p.running.size > 0) p.lockNode = undefined;
    } else if (p.running.size === 1) {
      const node = ws.nodeByName.get([...p.running.keys()][0]!);
      if (node?.shutdown && !node.unclean) p.lockNode = node.name;
    }
  }
}
