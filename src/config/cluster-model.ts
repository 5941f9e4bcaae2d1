// The full cluster model in Pacemaker's vocabulary: configuration (resources, constraints, properties) and status
// (node states, operation history). The CIB importer (cib.ts) produces it from Pacemaker's XML unchanged, cluster.yaml
// will be lowered onto it, and the scheduler (core/scheduler) is a pure function of it.

import type { HistoryTable } from "./history-table.js";

export type { HistoryTable };

/** A name=value set (meta_attributes, instance_attributes, cluster_property_set) with an optional rule. */
export interface NvSet {
  id: string;
  score: number;
  rule?: Rule;
  values: Record<string, string>;
}

export type Expression =
  | { kind: "attr"; attribute: string; op: string; value?: string; type?: string; valueSource?: string }
  | {
      kind: "date";
      op: string;
      start?: string;
      end?: string;
      duration?: Record<string, string>;
      spec?: Record<string, string>;
    }
  | { kind: "rsc"; cls?: string; provider?: string; type?: string }
  | { kind: "op"; name?: string; interval?: string }
  | { kind: "rule"; rule: Rule };

export interface Rule {
  id: string;
  booleanOp: "and" | "or";
  score?: number;
  scoreAttribute?: string;
  role?: string;
  expressions: Expression[];
}

export interface OpDef {
  id: string;
  name: string;
  intervalMs: number;
  role?: string;
  onFail?: string;
  enabled: boolean;
  timeoutMs?: number;
  meta: Record<string, string>;
  /** The op's own instance attributes (OCF_CHECK_LEVEL…): passed to the agent for this op only. */
  params?: Record<string, string>;
}

export interface PrimitiveDef {
  kind: "primitive";
  id: string;
  cls: string;
  provider?: string;
  type: string;
  meta: NvSet[];
  params: NvSet[];
  utilization: Record<string, string>;
  ops: OpDef[];
}
export interface GroupDef {
  kind: "group";
  id: string;
  meta: NvSet[];
  /** Instance attributes every member inherits (Pacemaker passes them to the members' agents). */
  params?: NvSet[];
  children: PrimitiveDef[];
}
export interface CloneDef {
  kind: "clone";
  id: string;
  /** Instance attributes every instance inherits. */
  params?: NvSet[];
  meta: NvSet[];
  promotable: boolean;
  child: PrimitiveDef | GroupDef;
}
export interface BundleDef {
  kind: "bundle";
  id: string;
  meta: NvSet[];
  /** The container runtime (docker, podman, rkt): its resource agent runs each replica's container. */
  runtime: string;
  replicas: number;
  replicasPerHost: number;
  /** More than 0: the resource inside is promotable, with this many promoted copies. */
  promotedMax: number;
  /** Each replica's own IP address from this one on (IPaddr2), when the bundle gives one. */
  ipRangeStart?: string;
  hostNetmask?: string;
  hostInterface?: string;
  child?: PrimitiveDef;
}
export type ResourceDef = PrimitiveDef | GroupDef | CloneDef | BundleDef;

export interface NodeDef {
  id: string;
  name: string;
  type: "member" | "remote" | "ping";
  attrs: NvSet[];
  utilization: Record<string, string>;
  score: number;
}

export interface ResourceSet {
  id: string;
  resources: string[];
  sequential: boolean;
  requireAll: boolean;
  role?: string;
  action?: string;
  ordering?: string;
  score?: number;
}

export interface LocationDef {
  id: string;
  rsc?: string;
  rscPattern?: string;
  set?: ResourceSet[];
  role?: string;
  node?: string;
  score?: number;
  rules: Rule[];
  discovery?: string;
}

export interface ColocationDef {
  id: string;
  rsc?: string;
  withRsc?: string;
  rscRole?: string;
  withRscRole?: string;
  score: number;
  nodeAttribute: string;
  sets?: ResourceSet[];
  influence?: boolean;
}

export interface OrderDef {
  id: string;
  first?: string;
  then?: string;
  firstAction: string;
  thenAction: string;
  kind: "Mandatory" | "Optional" | "Serialize";
  symmetrical: boolean;
  /** false: "then" needs only one instance of a cloned "first" (anywhere), whatever interleave says. */
  requireAll?: boolean;
  score?: number;
  sets?: ResourceSet[];
}

export interface TicketDef {
  id: string;
  ticket: string;
  rsc?: string;
  rscRole?: string;
  lossPolicy: string;
  sets?: ResourceSet[];
}

/** One recorded operation (lrm_rsc_op). */
export interface OpRecord {
  id: string;
  operation: string;
  intervalMs: number;
  rc: number;
  status: number;
  callId: number;
  lastRcChange?: number;
  exitReason?: string;
  migrateSource?: string;
  migrateTarget?: string;
  /** Pacemaker's digests of the parameters it ran with (op-digest, op-restart-digest, op-secure-digest). */
  opDigest?: string;
  restartDigest?: string;
  secureDigest?: string;
  /** " a b " lists: the parameters whose change needs a restart, and the private ones left out of secureDigest. */
  forceRestartParams?: string;
  secureParams?: string;
  /** crm_feature_set of whoever recorded it (the secure digest's recipe changed at 3.16.0). */
  featureSet?: string;
  /** The result the cluster expected (from Pacemaker's transition-key), when recorded. */
  expectedRc?: number;
  onNode?: string;
  /** A pending operation's (call id −1) transition key: its transition and cluster decide whether a result recorded
   * later counts as newer (see pendingOutlivesSimulatedResult). */
  pendingKey?: string;
}

export interface LrmResource {
  id: string;
  cls?: string;
  provider?: string;
  type?: string;
  container?: string;
  ops: OpRecord[];
  /** It runs there with parameters older than the configuration's: restart it (Paceline's nodes say so; a
   * Pacemaker CIB shows it through operation digests instead). */
  definitionChanged?: boolean;
  /** Pacemaker's shutdown lock (shutdown-lock=true): when this node shut down cleanly with the resource (epoch
   * seconds); the resource stays for it until it returns or shutdown-lock-limit passes. */
  shutdownLockSec?: number;
}

export interface NodeStateDef {
  id: string;
  uname?: string;
  inCcm?: string;
  crmd?: string;
  join?: string;
  expected?: string;
  /** A remote node already fenced since its connection was lost (Pacemaker's node_fenced). */
  remoteFenced?: boolean;
  transient: Record<string, string>;
  lrm: LrmResource[];
  /** Histories read from a CIB, held column by column (history-table.ts); they come before `lrm`'s. */
  history?: HistoryTable;
}

export interface SchedulerInput {
  /** "now" in seconds since the epoch (Pacemaker's execution-date when the CIB pins it). */
  nowSec: number;
  haveQuorum: boolean;
  /** The operation history records parameter digests, as Pacemaker's does (a record without one ran with unknown
   * parameters); a changed definition is then found from them. Paceline's own nodes handle a changed definition
   * themselves and leave this unset. */
  digestsRecorded?: boolean;
  /** The status comes from a collected CIB whose private parameters may be masked (crm_simulate's assumption):
   * an operation whose digest without them still matches counts as unchanged. */
  maskedSecrets?: boolean;
  /** Which fail-count attributes count, as the CIB's crm_feature_set says: only fail-count-RSC (before 3.0.13),
   * or only fail-count-RSC#OP_INTERVAL (from 3.0.13). Unset (Paceline's own nodes): both. */
  failCountNames?: "per-resource" | "per-operation";
  /** Fence devices are configured outside the resources (Paceline's fencing section): Pacemaker's rule that a
   * cluster with fencing enabled and no fence device resource starts nothing does not apply. */
  fenceDevicesElsewhere?: boolean;
  /** The node id of the designated coordinator (#is_dc in rules). */
  dcUuid?: string;
  properties: Record<string, string>;
  rscDefaults: NvSet[];
  opDefaults: NvSet[];
  nodes: NodeDef[];
  resources: ResourceDef[];
  locations: LocationDef[];
  colocations: ColocationDef[];
  orders: OrderDef[];
  tickets: TicketDef[];
  ticketStates: Record<string, Record<string, string>>;
  nodeStates: NodeStateDef[];
  tags: Record<string, string[]>;
  /** <fencing-topology>: escalation levels (target = a node name; pattern/attribute targets keep `target` unset). */
  fencingLevels?: Array<{ id: string; index: number; target?: string; devices: string[] }>;
}

/** A configuration with nothing in it yet (importers fill it in). */
export function emptySchedulerInput(): SchedulerInput {
  return {
    nowSec: 0,
    haveQuorum: true,
    properties: {},
    rscDefaults: [],
    opDefaults: [],
    nodes: [],
    resources: [],
    locations: [],
    colocations: [],
    orders: [],
    tickets: [],
    ticketStates: {},
    nodeStates: [],
    tags: {},
  };
}

/** One name=value set, or none when it would be empty. */
export const nvSet = (id: string, values: Record<string, string>): NvSet[] =>
  Object.keys(values).length ? [{ id, score: 0, values }] : [];
