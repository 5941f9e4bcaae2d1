// Every process of a network namespace killed, as a power-off would: one pass over `ip netns pids` is not enough,
// since a supervisor listed in it may respawn its daemon between the listing and its own SIGKILL (a loaded machine
// once left such a respawned daemon running, headless, beside the one started at power-on). So: kill, list again,
// until nothing is left.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The PIDs in namespace `ns` (none if it has gone), less those `spare` keeps (by NUL-separated command line). */
export function pidsIn(ns: string, spare: (cmdline: string) => boolean = () => false): number[] {
  let listing = "";
  try {
    listing = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  } catch {
    return [];
  }
  return listing
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return !spare(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
      } catch {
        return false; // gone meanwhile
      }
    });
}

/** SIGKILLs every process in `ns` (but those `spare` keeps) until none is left; false if some survive 2 s of it. */
export function killEveryProcessIn(ns: string, spare?: (cmdline: string) => boolean): boolean {
  for (let pass = 0; pass < 200; pass++) {
    const pids = pidsIn(ns, spare);
    if (pids.length === 0) return true;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone already */
      }
    }
    Atomics.wait(pause, 0, 0, 10); // let the kernel reap them before listing again
  }
  return false;
}
