// Cluster control: what nodes and the DC (designated coordinator) exchange, and what each keeps.
//
// Every node runs its own resources' operations and keeps their history (like Pacemaker's lrm): it reports that
// history to every member of its view, so any node can show the whole cluster and a new DC never guesses. The DC
// feeds configuration + reports to the scheduler and sends each node the operations of the next step ("wave").
// Deterministic: time arrives with every input.

import type { OpStatus } from "../operation.js";
import type { ConfigMessage } from "../node/config-sync.js";

export type ControlOp = "start" | "stop" | "probe" | "promote" | "demote" | "notify";

/** One operation's outcome, as kept in a node's history. `callId` orders them on that node. */
export interface OpEntry {
  op: "start" | "stop" | "monitor" | "promote" | "demote";
  /** 0: one-shot (a probe when op = monitor). */
  intervalMs: number;
  rc: number;
  status: OpStatus;
  reason: string;
  callId: number;
  /** Wall clock (s), for failure-timeout and for people. */
  atSec: number;
  /** What saw a failure when it was not the agent's own operation: "process" (a supervised command exited) or the
   * name of a built-in monitor. */
  source?: string;
}

/** CLUSTERPRO's recovery steps, as the pre-recovery script hears of them (CLP_ACTION / PACELINE_ACTION). */
export type RecoveryAction = "RECOVERY" | "RESTART" | "FAILOVER" | "FINALACTION";

/** A pre-recovery or final-action script to run on a node, with the environment it gets. */
export interface HookRun {
  id: string;
  rsc: string;
  purpose: "pre-recovery" | "final-action";
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
}

/** The DC's order to a node about one failure there: run the pre-recovery script, or carry out the final action. */
export interface RecoveryOrder {
  action: RecoveryAction;
  /** The resource the step is about, as people named it: a built-in monitor's target (a group), else the primitive. */
  resource: string;
  /** The failure (its callId on that node) this step answers: each runs once per failure. */
  failureCallId: number;
  /** What saw the failure: "monitor", "process", a built-in monitor's name, or the failed operation. */
  monitor: string;
  /** `monitor` names a built-in monitor (cluster.yaml `monitors:`). */
  builtin?: boolean;
  restarts: number;
  failovers: number;
  failCount: number;
  reason: string;
}

/** A resource's history on one node: the last one-shot operation, the last recurring monitor, the last failure. */
export interface RscHistory {
  last?: OpEntry;
  monitor?: OpEntry;
  lastFailure?: OpEntry;
  failCount: number;
  pending?: { op: ControlOp | "hook"; actionId?: string; sinceSec: number };
  /** The last failure whose pre-recovery script ran here (its callId), and the last whose final action ran. */
  hooked?: number;
  finalized?: number;
  /** Recovery-script runs here (a built-in monitor's attempts before a restart) since the last cleanup. */
  recoveries?: number;
}

/** Cluster-wide administrative state (standby, move/ban, maintenance, per-resource target role): changed only
 * through a quorate DC, versioned by `epoch`; the highest epoch wins when partitions merge. */
export interface AdminState {
  epoch: number;
  standby: string[];
  maintenance: boolean;
  /** Location preferences from `resource move` (+INFINITY) and `resource ban` (-INFINITY). */
  placements: Array<{ rsc: string; node: string; kind: "move" | "ban" }>;
  /** Per resource: disabled (target role stopped) and/or unmanaged; `heldStopped`/`blocked`: kept stopped or left
   * alone because of a failure (a built-in monitor's action, a final action) until `paceline resource cleanup`. */
  resources: Record<string, { disabled?: boolean; unmanaged?: boolean; heldStopped?: string; blocked?: string }>;
  /** Cleanups and restarts asked for and not yet carried out (the DC runs them in order once the cluster is quiet):
   * kept here, with the members and on their disks, so that a DC taking over carries on with them. */
  queued?: Array<{ kind: "cleanup" | "restart"; rsc: string }>;
  /** When each resource (primitive) was last cleaned up, by the DC's clock: a node away at the time forgets the
   * failures of it recorded before that once it hears of it (its durable failures outlive its absence). */
  cleanedSec?: Record<string, number>;
}

export const emptyAdmin = (): AdminState => ({
  epoch: 0,
  standby: [],
  maintenance: false,
  placements: [],
  resources: {},
});

/** What a node tells its view's members, whole, whenever something changes (and when asked). */
export interface NodeReport {
  node: string;
  inc: number;
  /** The view the report was made in: a DC only trusts reports of its own view. */
  viewKey: string;
  /** Every configured resource has been probed since this daemon started. */
  probed: boolean;
  /** Shutting down: resources should move away (the node leaves once it runs nothing). */
  shuttingDown: boolean;
  history: Record<string, RscHistory>;
  /** The report-please this report answers (its `ask`), if any. */
  answering?: number;
  /** Counts up with every report of this incarnation: a late, older report never replaces a newer one. */
  seq: number;
  /** The DC whose commands this node takes now (quorate in this view, not frozen); none while it waits. */
  dc?: string;
  /** Action ids the node finished (recent ones), so the DC knows its commands ran. */
  done: string[];
  /** Action ids it refused (not following that DC yet): the DC may send them again. */
  refused: string[];
  admin: AdminState;
  /** Lost nodes this node knows may still run resources (a DC that never saw them learns it from here). */
  unclean?: Record<string, { inc: number; rscs: string[]; needsFence: boolean }>;
  /** The cluster configuration this node runs (epoch 0: its own file, never pushed). */
  config: { epoch: number; hash: string };
  /** Resources running here with a definition older than the configuration's (changed while they ran). */
  outdated?: string[];
}

export type AdminCommand =
  | { kind: "standby" | "online"; node: string }
  | { kind: "move"; rsc: string; node: string }
  | { kind: "ban"; rsc: string; node: string }
  | { kind: "clear"; rsc: string }
  | { kind: "disable" | "enable" | "manage" | "unmanage"; rsc: string }
  | { kind: "maintenance"; on: boolean }
  | { kind: "cleanup"; rsc: string }
  | { kind: "restart"; rsc: string }
  /** From a node: keep a resource stopped (heldStopped) or leave it alone (blocked) until cleanup, and why. */
  | { kind: "hold"; rsc: string; hold: "heldStopped" | "blocked"; reason: string };

/** Messages between nodes (over the authenticated stream). */
export type ControlMessage =
  | { t: "report"; report: NodeReport }
  /** `ask`: echoed in the answer (NodeReport.answering), so the DC knows the report was made after this request. */
  | { t: "report-please"; viewKey: string; ask?: number }
  | {
      t: "do";
      viewKey: string;
      id: string;
      rsc: string;
      op: ControlOp | "cleanup" | "hook" | "final";
      recovery?: RecoveryOrder;
      /** A clone notification: OCF_RESKEY_CRM_meta_notify_* for the agent. */
      notify?: Record<string, string>;
    }
  /** To the DC: a built-in monitor here says hold this resource stopped (action stop) or leave it alone (block). */
  | { t: "hold"; viewKey: string; rsc: string; kind: "heldStopped" | "blocked"; reason: string }
  | { t: "admin-state"; viewKey: string; admin: AdminState }
  /** To the DC: an administrator's request made on another node. */
  | { t: "admin"; viewKey: string; command: AdminCommand }
  | ConfigMessage
  /** The DC that fenced a node tells every member, so nobody fences it again and everyone can show it. */
  /** From the DC: fence this node (the DC itself is the target, and never fences itself). */
  | { t: "fence-please"; target: string; reason: string; delayMs?: number }
  /** To the DC: a person confirmed on another node that this node is off. */
  | { t: "fence-confirm"; target: string }
  | {
      t: "fence-result";
      record: { target: string; ok: boolean; by: string; atSec: number; reason: string; targetInc?: number };
    };

export const viewKeyOf = (v: { id: number; leader: string; leaderInc: number }) => `${v.id}/${v.leader}/${v.leaderInc}`;

/** A daemon holding its quorum lease notes it (this machine's monotonic clock): when it last held it, and until when
 * it may keep its resources (the lease's end less the stop budget) if no further echo comes. */
export interface LeaseRecord {
  heldAtMs: number;
  keepUntilMs: number;
}
