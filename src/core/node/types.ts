// One cluster node's whole decision-making, as plain data: what comes in (datagrams, stream messages, operation
// and fencing results, requests from people, the clock) and what goes out (packets, operations to run, files to
// write, when to be woken next). The daemon and the simulator both run exactly this core; neither decides.

import type { ClusterConfig } from "../../config/model.js";
import type { ArbiterReply, ArbiterRequest, Message } from "../membership/types.js";
import type { OpResult } from "../operation.js";
import type { AdminCommand, AdminState, ControlMessage, HookRun, LeaseRecord, OpEntry } from "../controller/types.js";
import type { ConfigDoc, ParsedDoc } from "./config-sync.js";

/** What a node's previous lives left on its disk, as the shell read it at start. */
export interface StoredState {
  admin?: AdminState;
  /** A configuration pushed to the cluster earlier (epoch > 0), parsed by the shell. */
  config?: { doc: ConfigDoc; parsed: ParsedDoc };
  /** The previous daemon's last lease record. */
  lease?: LeaseRecord;
  /** Failures its previous daemons saw here (fail counts, last failures, recovery steps done). */
  failures?: Record<string, DurableFailures>;
  /** What the shell could not read (moved aside), to be said. */
  problems?: string[];
}

/** Something a person asked for, through the CLI/API of this node. Answered by a `reply` effect with its id. */
/** What of a resource's history on a node outlives the daemon: its failures and the recovery steps taken for them. */
export interface DurableFailures {
  failCount: number;
  lastFailure?: OpEntry;
  hooked?: number;
  finalized?: number;
  recoveries?: number;
}

export type NodeRequest =
  | { kind: "admin"; command: AdminCommand }
  /** `parsed`: the new configuration as the shell read it. */
  | { kind: "push"; parsed: ParsedDoc; baseEpoch?: number }
  | { kind: "fence-confirm"; target: string }
  | { kind: "attr"; name: string; value?: string };

export type NodeInputBody =
  | { type: "boot"; stored: StoredState }
  /** The time asked for by the last `wake-at` has come (or any later moment: the core checks what is due). */
  | { type: "wake" }
  | { type: "datagram"; link: number; msg: Message }
  | { type: "arbiter-reply"; reply: ArbiterReply }
  /** A message from a peer over the node stream; `parsed`: the configuration it carries, if any, read by the shell. */
  | { type: "stream"; from: string; msg: ControlMessage; parsed?: ParsedDoc }
  | { type: "op-done"; id: string; result: OpResult }
  /** A supervised command's process exited (noticed at once, before its next monitor). */
  | { type: "child-exit"; rsc: string; reason: string }
  /** A fence device finished. For the `guard` device, `answered`: the target's addresses that answered a ping. */
  | { type: "fence-done"; runId: number; device: string; ok: boolean; reason: string; answered?: string[] }
  /** The ping targets answering now (of `ping.targets`). */
  | { type: "ping-done"; answered: number }
  /** A pre-recovery or final-action script ended. */
  | { type: "hook-done"; id: string; ok: boolean; reason: string }
  /** A built-in monitor's check ended (`id` from its `check` effect). */
  | { type: "check-done"; id: string; ok: boolean; reason: string }
  | { type: "request"; id: number; request: NodeRequest }
  /** Stop cleanly: move or stop resources, then say goodbye. */
  | { type: "shutdown" };

/** Every input carries the node's clocks: monotonic ms (decisions) and wall seconds (history, failure-timeout). */
export type NodeInput = NodeInputBody & { nowMs: number; wallSec: number };

export type ExecAction = "start" | "stop" | "probe" | "monitor" | "promote" | "demote" | "notify";

export type NodeEffect =
  /** A membership datagram on one link or all. */
  | { type: "datagram"; to: string | "*"; link: number | "all"; msg: Message }
  | { type: "to-arbiter"; msg: ArbiterRequest }
  /** A message on the node stream (reliable and ordered while the connection lasts). */
  | { type: "send"; to: string; msg: ControlMessage }
  /** Run a resource agent; its result comes back as `op-done` with this id. */
  /** `env`: what a clone notification tells the agent (OCF_RESKEY_CRM_meta_notify_*). */
  | {
      type: "exec";
      id: string;
      rsc: string;
      action: ExecAction;
      timeoutMs: number;
      intervalMs: number;
      env?: Record<string, string>;
    }
  /** (Re)create the agent of this resource from the running configuration (it is not running here now). */
  | { type: "define-agent"; rsc: string }
  /** Run one fence device against `target` after `delayMs`; `guard`: ping these addresses instead of an agent. */
  | {
      type: "fence-device";
      runId: number;
      target: string;
      device: string;
      action: "reboot" | "off";
      timeoutMs: number;
      delayMs: number;
      guard?: { addresses: string[] };
    }
  /** A device the escalation gave up on: its late answer is ignored anyway; the shell may kill it. */
  | { type: "fence-cancel"; runId: number; device: string }
  | { type: "ping"; targets: string[]; timeoutMs: number }
  /** Run a script (pre-recovery or final action) with this environment added; its end comes back as hook-done. */
  | ({ type: "hook" } & HookRun)
  /** Run a built-in monitor's check once; its verdict comes back as check-done. */
  | { type: "check"; id: string; monitor: string }
  /** The final action `reboot`: restart the operating system. */
  | { type: "reboot" }
  | { type: "persist"; file: "admin"; value: AdminState }
  | { type: "persist"; file: "config"; value: ConfigDoc }
  /** Not fsynced: it only matters while the machine stays up (a reboot stops the resources anyway). */
  | { type: "persist"; file: "lease"; value: LeaseRecord }
  /** Written when a failure, or a recovery step taken for one, changes (not on every healthy monitor). */
  | { type: "persist"; file: "failures"; value: Record<string, DurableFailures> }
  | { type: "reply"; id: number; ok: boolean; message: string }
  /** Step the core again at this time (monotonic ms) at the latest. Every step ends with one. */
  | { type: "wake-at"; atMs: number }
  | { type: "log"; level: "info" | "warn" | "error"; text: string }
  /** The goodbye is sent: the shell may close its sockets (after a moment for the datagrams to leave). */
  | { type: "left" };

/** How the node core is built: its name and life, its configuration file, and the seed of its own randomness. */
export interface NodeInit {
  me: string;
  inc: number;
  config: ClusterConfig;
  /** The configuration file's text as epoch 0 (a pushed configuration replaces it). */
  doc: ConfigDoc;
  /** Seeds the core's PRNG (the random part of fence delays): the daemon draws it, the simulator sets it. */
  seed: number;
  nowMs: number;
}
