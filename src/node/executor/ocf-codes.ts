// OCF resource agent exit codes and what they mean (OCF Resource Agent API 1.1). Other agent classes are mapped
// onto these, so every layer above the executor speaks one language.

export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
} as const;

const MEANINGS: Record<number, string> = {
  0: "ok",
  1: "generic error",
  2: "invalid parameter",
  3: "unimplemented action",
  4: "insufficient privileges",
  5: "not installed",
  6: "not configured",
  7: "not running",
  8: "running (promoted)",
  9: "failed (promoted)",
};

export function ocfMeaning(rc: number): string {
  return MEANINGS[rc] ?? `unknown exit code ${rc}`;
}

/** Hard errors: retrying on this node cannot help (Pacemaker bans the resource from the node). */
export function isHardError(rc: number): boolean {
  return rc === OCF.ERR_ARGS || rc === OCF.ERR_INSTALLED || rc === OCF.ERR_CONFIGURED || rc === OCF.ERR_PERM;
}
