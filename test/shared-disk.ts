// Seed 000's shared disks for netns tests: two loop devices every node sees — a small one for sfex's lock, an ext4
// one for the data — and what the tests read from them: who holds the lock (as written on the disk) and which
// nodes have the data disk mounted (each node has its own mount namespace), sampled to check they never disagree.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import type { NetnsCluster } from "./netns-cluster.js";

// sfex_daemon opens /proc/sysrq-trigger at start (to reboot the machine should it lose the lock); this kernel has
// no sysrq. A preloaded stand-in hands it /dev/null instead: the lock itself is sfex's own, on the shared disk.
const NO_SYSRQ_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
int open(const char *path, int flags, ...) {
  static int (*real)(const char *, int, ...);
  if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  va_list ap; va_start(ap, flags); int mode = va_arg(ap, int); va_end(ap);
  if (strcmp(path, "/proc/sysrq-trigger") == 0) path = "/dev/null";
  return real(path, flags, mode);
}
`;

export class SharedDisks {
  lockDisk = "";
  dataDisk = "";
  private readonly loops: string[] = [];

  /** `mnt`: where the nodes mount the data disk. */
  constructor(
    private readonly dir: string,
    readonly mnt: string,
  ) {}

  /** Creates both disks (`dataSize` for the ext4 one; `withLock` false: the data disk alone); `prepare` may fill
   * the data disk, mounted at `mnt` here. */
  setup(dataSize = "32M", prepare?: (mnt: string) => void, withLock = true): void {
    execFileSync("mkdir", ["-p", this.mnt]);
    if (withLock) {
      writeFileSync(`${this.dir}/nosysrq.c`, NO_SYSRQ_C);
      execFileSync("gcc", ["-shared", "-fPIC", "-o", `${this.dir}/nosysrq.so`, `${this.dir}/nosysrq.c`, "-ldl"]);
      this.lockDisk = this.loopDevice("lock", "4M", (dev) => execFileSync("sfex_init", ["-n", "1", dev]));
    }
    this.dataDisk = this.loopDevice("data", dataSize, (dev) => execFileSync("mkfs.ext4", ["-q", "-F", dev]));
    if (prepare) {
      execFileSync("mount", [this.dataDisk, this.mnt]);
      try {
        prepare(this.mnt);
      } finally {
        execFileSync("umount", [this.mnt]);
      }
    }
  }

  teardown(): void {
    for (const dev of this.loops) spawnSync("losetup", ["-d", dev]);
  }

  private loopDevice(name: string, size: string, init: (dev: string) => void): string {
    const img = `${this.dir}/${name}.img`;
    execFileSync("truncate", ["-s", size, img]);
    const dev = execFileSync("losetup", ["--find", "--show", img], { encoding: "utf8" }).trim();
    this.loops.push(dev);
    init(dev);
    return dev;
  }

  /** Each node's sfex_daemon: the real one, with the sysrq stand-in, under the name the agent's pgrep looks for
   * (for NetnsCluster's `ownHosts: { haBin }`). */
  nodeLike(): { haBin: Record<string, string> } {
    return {
      haBin: {
        sfex_daemon: `exec bash -c 'LD_PRELOAD=${this.dir}/nosysrq.so exec -a "$0" /usr/libexec/heartbeat/sfex_daemon "$@"' "$0" "$@"`,
      },
    };
  }

  /** The lock's holder as written on the shared disk ("" when unlocked or there is no lock disk). */
  lockOwner(): string {
    if (!this.lockDisk) return "";
    const r = spawnSync("sfex_stat", ["-i", "1", this.lockDisk], { encoding: "utf8" });
    const name = /nodename:\s*(\S*)/.exec(r.stdout)?.[1] ?? "";
    // ("status is LOCKED/UNLOCKED" at the end speaks of the host running sfex_stat: the root namespace here.)
    return /^\s*status: lock$/m.test(r.stdout) ? name : "";
  }

  /** The nodes whose mount namespace has the data disk mounted (a powered-off node has none). */
  mountedOn(c: NetnsCluster): string[] {
    return c.nodes.filter((n) => {
      const pid = c.node(n).proc?.pid;
      try {
        return readFileSync(`/proc/${pid}/mounts`, "utf8").includes(`${this.dataDisk} ${this.mnt} `);
      } catch {
        return false;
      }
    });
  }
}

export interface DiskSample {
  atMs: number;
  owner: string;
  mounted: string[];
  /** Nodes where a process named `watchProcess` runs (e.g. PostgreSQL's postmaster). */
  running: string[];
}

/** The nodes whose namespace runs a process with this command name. */
export function runningIn(c: NetnsCluster, comm: string): string[] {
  return c.nodes.filter((n) => {
    const r = spawnSync("ip", ["netns", "pids", c.ns(n)], { encoding: "utf8" });
    return r.stdout
      .split("\n")
      .filter(Boolean)
      .some((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
        } catch {
          return false;
        }
      });
  });
}

/** Samples lock, mount (and a service's process) every 100 ms; `bad()` lists the samples where they disagree. */
export class DiskWatch {
  readonly samples: DiskSample[] = [];
  private timer: NodeJS.Timeout;
  /** There is a lock disk: the disk may be mounted only where its lock is held. */
  private readonly locked: boolean;
  constructor(c: NetnsCluster, disks: SharedDisks, watchProcess?: string) {
    this.locked = disks.lockDisk !== "";
    this.timer = setInterval(() => {
      this.samples.push({
        atMs: Date.now(),
        owner: disks.lockOwner(),
        mounted: disks.mountedOn(c),
        running: watchProcess ? runningIn(c, watchProcess) : [],
      });
    }, 100);
  }
  stop(): void {
    clearInterval(this.timer);
  }
  /** Samples where the disk was mounted on two nodes, mounted where the lock was not held, or the service ran on
   * two nodes. */
  bad(): string[] {
    return this.samples
      .filter(
        (s) =>
          s.mounted.length > 1 ||
          (this.locked && s.mounted.length === 1 && s.mounted[0] !== s.owner) ||
          s.running.length > 1,
      )
      .map(
        (s) =>
          `${new Date(s.atMs).toISOString()} lock ${s.owner || "-"} mounted on ${s.mounted.join("+") || "-"}${s.running.length ? ` running on ${s.running.join("+")}` : ""}`,
      );
  }
  /** When the lock was first seen held by `node` after `sinceMs`. */
  firstHeldBy(node: string, sinceMs: number): number | undefined {
    return this.samples.find((s) => s.atMs >= sinceMs && s.owner === node)?.atMs;
  }
}
