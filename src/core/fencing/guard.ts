// The `guard` fence device (seed 000's stonith-helper), decided here; the shell pings and asks the cluster state.
// Before any power switch, it looks at the target: a target that answers on any of its addresses (OS or BMC) is
// alive, so the guard fails and the next level must power it off; a target silent on every address that ran
// nothing may be reported off without shooting it; silent but running something, it must still be powered off.
// Its delay applies only on a node that does not run the protected resource, so in a split the node running it
// shoots first and survives.

export interface GuardFacts {
  target: string;
  /** Addresses that answered a ping (any: the target is alive). */
  answered: string[];
  addresses: string[];
  /** What the target may run, as the cluster last heard. */
  targetRuns: string[];
}

export function guardVerdict(f: GuardFacts): { ok: boolean; reason: string } {
  if (f.addresses.length === 0)
    return { ok: false, reason: `no address of ${f.target} to check (give its OS and BMC addresses in host-map)` };
  if (f.answered.length)
    return {
      ok: false,
      reason: `${f.target} is alive (answers on ${f.answered.join(", ")}): the next level must power it off`,
    };
  if (f.targetRuns.length)
    return {
      ok: false,
      reason: `${f.target} is silent on ${f.addresses.join(", ")} but may run ${f.targetRuns.join(", ")}: it must be powered off`,
    };
  return {
    ok: true,
    reason: `${f.target} is silent on every address (${f.addresses.join(", ")}) and ran nothing: considered off`,
  };
}

/** The guard's delay on this node: only when this node does not run the protected resource. */
export function guardDelayMs(delayMs: number, protect: string | undefined, iRun: (rsc: string) => boolean): number {
  return protect && iRun(protect) ? 0 : delayMs;
}
