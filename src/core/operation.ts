// The outcome of one resource operation, as the executor reports it and the core consumes it.
// `rc` is always an OCF exit code (other agent classes are mapped onto OCF by the executor).

export type OpStatus = "done" | "timeout" | "error";

export interface OpResult {
  rc: number;
  /** done: the agent answered with rc; timeout: killed at its timeout; error: could not run the agent at all. */
  status: OpStatus;
  /** Human words for what happened: "not running", "timed out after 20s", "agent not found: …". */
  reason: string;
  durationMs: number;
  /** The last lines of the agent's output, for failed actions in status. */
  output?: string;
}

export type OpAction = "start" | "stop" | "monitor" | "probe" | "promote" | "demote" | "notify";

/** Promotion exists only for agents that implement roles (OCF); others answer "unimplemented". */
export const isRoleAction = (a: OpAction) => a === "promote" || a === "demote";
