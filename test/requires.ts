// What a test needs from the machine (root, Debian packages). Without it a test is skipped, saying why — except
// under PACELINE_REQUIRE_INTEGRATION=1, which .ci/run sets: there a missing requirement fails the run, because a
// skipped test is not a pass.

import { existsSync } from "node:fs";

export const isRoot = process.getuid?.() === 0;
export const have = (path: string) => existsSync(path);

/** The first unmet requirement (a reason to skip), or false when all are met. Throws under the CI flag. */
export function unmet(...checks: Array<[met: boolean, missing: string]>): string | false {
  const missing = checks.find(([met]) => !met)?.[1];
  if (!missing) return false;
  if (process.env.PACELINE_REQUIRE_INTEGRATION === "1") {
    throw new Error(
      `this test cannot run here: ${missing}. PACELINE_REQUIRE_INTEGRATION=1 (set by .ci/run) makes that a failure, not a skip: run as root with what .ci/run installs`,
    );
  }
  return missing;
}

export const ROOT: [boolean, string] = [isRoot, "needs root for network namespaces"];
export const OCF_AGENTS: [boolean, string] = [
  have("/usr/lib/ocf/resource.d/heartbeat/IPaddr2") && have("/usr/lib/ocf/resource.d/heartbeat/Dummy"),
  "resource-agents (IPaddr2, Dummy) is not installed",
];
