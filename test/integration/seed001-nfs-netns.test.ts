// Seed 001 for real: Heartbeat's two storage servers serving NFS from replicated storage, on two nodes that are
// network namespaces, running the seed's own haresources group as imported (examples/seed001-nfs/imported.yaml):
// IPaddr2 → drbddisk::r0 → Filesystem (ext4) → killnfsd, with the seed's auto_failback. What this machine lacks
// is stood in for, each the smallest honest model of the real thing:
//   - DRBD needs a kernel module: the disk is a loop device both nodes see, and `drbddisk` (Heartbeat's script,
//     run from HA_DIR/resource.d as the seed runs it) keeps r0's role per node, refusing Primary while the peer is
//     Primary and reachable over the link — what DRBD refuses while connected;
//   - the kernel has no NFS server or client: `killnfsd` restarts nfs-ganesha (user space) as the seed's restarts
//     nfsd, and the client is libnfs's nfs-cp/nfs-cat (NFSv4) in the root namespace.
// The client keeps writing files through the virtual IP while the active node fails ten times over (power-off or
// its daemon stopped as `service heartbeat stop`, then back, and auto_failback moves the service home again); every
// write the server acknowledged must be read back, with its content, at the end. A sampler checks every 100 ms that
// the disk is never mounted on two nodes and the NFS server never runs on two.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, runClient, script, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { have, OCF_AGENTS, ROOT, unmet } from "../requires.js";
import { DiskWatch, SharedDisks } from "../shared-disk.js";

const skip = unmet(
  ROOT,
  OCF_AGENTS,
  [have("/usr/bin/ganesha.nfsd"), "nfs-ganesha is not installed (Debian: nfs-ganesha nfs-ganesha-vfs)"],
  [have("/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so"), "nfs-ganesha's VFS backend is missing (nfs-ganesha-vfs)"],
  [have("/usr/bin/nfs-cp") && have("/usr/bin/nfs-cat"), "libnfs's tools are not installed (Debian: libnfs-utils)"],
  [have("/sbin/mkfs.ext4") || have("/usr/sbin/mkfs.ext4"), "mkfs.ext4 (e2fsprogs) is missing"],
  [have("/usr/bin/ping") || have("/bin/ping"), "ping (iputils-ping) is missing"],
);
const SUBNET = 234;
const VIP = `10.${SUBNET}.0.100`;
const dir = tempDir("seed001-nfs");
const MNT = `${dir}/data`;
const HA_DIR = `${dir}/ha.d`;
const disks = new SharedDisks(dir, MNT);
const ROUNDS = Number(process.env.PACELINE_NFS_ROUNDS ?? 5); // two failovers each: the fault, then auto_failback

const c = new NetnsCluster(
  2,
  1,
  "profile: default",
  SUBNET,
  () => `
quorum: { two-node: true }
properties: { auto-failback: true }
resources:
  group1:
    prefer: n1
    members:
      ip-vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 2s }
      drbddisk-r0: { agent: "drbddisk::r0" }
      fs-data: { agent: ocf:heartbeat:Filesystem, params: { device: ${disks.dataDisk}, directory: ${MNT}, fstype: ext4 }, monitor: 2s }
      killnfsd: { agent: heartbeat:killnfsd }
`,
  false,
  true,
);

/** drbddisk r0 start|stop|status: r0's role on this node, in a file per node. */
const DRBDDISK = (peers: Record<string, string>) => `
res=$1; me=$(uname -n); state=${dir}/drbd
case $me in ${Object.entries(peers)
  .map(([n, peer]) => `${n}) peer=${peer}; peerip=${c.addr(peer, 0)};;`)
  .join(" ")} esac
role() { cat $state/$res.$1 2>/dev/null || echo Secondary; }
case "$2" in
  start)
    if [ "$(role $peer)" = Primary ] && ping -c1 -W0.3 $peerip >/dev/null 2>&1; then
      echo "$res: $peer is Primary and connected: refusing a second Primary" >&2; exit 1
    fi
    echo Primary > $state/$res.$me; exit 0;;
  stop) echo Secondary > $state/$res.$me; exit 0;;
  status) [ "$(role $me)" = Primary ] && echo running || echo stopped; exit 0;;
esac
echo "usage: drbddisk RESOURCE start|stop|status" >&2; exit 1`;

/** The seed's killnfsd restarts the NFS server (killall -9 nfsd; /etc/init.d/nfs restart); this one restarts
 * nfs-ganesha on start, stops it on stop, and says whether it runs. */
const KILLNFSD = `
run=${dir}/nfs/$(uname -n); pidf=$run/ganesha.pid
pid() { [ -f $pidf ] && kill -0 "$(cat $pidf)" 2>/dev/null && cat $pidf; }
stop() {
  p=$(pid); [ -n "$p" ] && kill -9 "$p"
  while [ -n "$p" ] && kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  rm -f $pidf
}
case "$1" in
  start)
    stop
    ganesha.nfsd -f $run/ganesha.conf -L $run/ganesha.log -p $pidf -N NIV_EVENT || exit 1
    for i in $(seq 100); do ss -ltn | grep -q ':2049 ' && exit 0; sleep 0.1; done
    echo "nfs-ganesha did not listen on 2049 within 10 s" >&2; exit 1;;
  stop) stop; exit 0;;
  status) [ -n "$(pid)" ] && echo running || echo stopped; exit 0;;
esac
exit 1`;

/** Each node's nfs-ganesha: NFSv4 only, the mounted disk exported as /data; no grace period (nothing to reclaim:
 * the client holds no locks), no RPC binder, Kerberos or D-Bus (none runs in a namespace here). */
const ganeshaConf = (n: string) => `
NFS_CORE_PARAM { Protocols = 4; NFS_Port = 2049; Enable_RQUOTA = false; Enable_NLM = false; }
NFS_KRB5 { Active_krb5 = false; }
NFSv4 { Graceless = true; Lease_Lifetime = 10; RecoveryBackend = fs; RecoveryRoot = ${dir}/nfs/${n}/recovery; }
EXPORT {
  Export_Id = 1; Path = ${MNT}; Pseudo = /data; Access_Type = RW; Squash = No_Root_Squash;
  Protocols = 4; Transports = TCP; SecType = sys;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
`;

const nfsUrl = (path: string) => `nfs://${VIP}/data${path ? `/${path}` : ""}?version=4`;

/** One libnfs tool from the root namespace, through the virtual IP. */
const nfs = (tool: string, args: string[], timeoutMs = 3000) => runClient(tool, args, timeoutMs);

before(() => {
  if (skip) return;
  disks.setup("64M", undefined, false);
  mkdirSync(`${dir}/drbd`);
  mkdirSync(`${HA_DIR}/resource.d`, { recursive: true });
  script(`${HA_DIR}/resource.d`, "drbddisk", DRBDDISK({ n1: "n2", n2: "n1" }));
  script(`${HA_DIR}/resource.d`, "killnfsd", KILLNFSD);
  for (const n of ["n1", "n2"]) {
    mkdirSync(`${dir}/nfs/${n}/recovery`, { recursive: true });
    writeFileSync(`${dir}/nfs/${n}/ganesha.conf`, ganeshaConf(n));
  }
  process.env.HA_DIR = HA_DIR; // the daemons inherit it: Heartbeat's scripts are looked up there
  c.setup();
});

after(async () => {
  await c.teardown();
  disks.teardown();
  cleanupDir(dir);
});

test(
  "seed 001: NFS on replicated storage fails over ten times (power-off, daemon stop, auto_failback); no acknowledged write is lost, never served twice",
  { skip },
  async () => {
    const watch = new DiskWatch(c, disks, "ganesha.nfsd");
    const written = new Map<number, string>(); // acknowledged writes: file id → content
    const ackedMs: number[] = []; // when each write was acknowledged
    const failoverMs: string[] = [];
    let writing = true;
    let failedWrites = 0;
    const local = `${dir}/client`;
    mkdirSync(local);
    const serving = () => watch.samples.at(-1)?.running ?? [];
    try {
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(async () => (await nfs("nfs-ls", [nfsUrl("")])).ok, 60_000, "NFS to answer on the virtual IP");
      // The writer: one file per write, each recorded only once nfs-cp said it was written and closed.
      const writer = (async () => {
        for (let id = 1; writing; id++) {
          const content = `file ${id} ${Math.random().toString(36).slice(2)}\n`;
          writeFileSync(`${local}/w`, content);
          if ((await nfs("nfs-cp", [`${local}/w`, nfsUrl(`w-${id}`)], 1500)).ok) {
            written.set(id, content);
            ackedMs.push(Date.now());
          } else failedWrites++;
        }
      })();
      const acknowledgedAfter = async (n: number, what: string) => {
        const target = written.size + n;
        await waitFor(() => written.size >= target, 60_000, what, 50);
      };
      /** The longest time without an acknowledged write since `t0`: the clients' outage. */
      const longestGap = (t0: number) => {
        const since = ackedMs.slice(Math.max(0, ackedMs.findIndex((t) => t >= t0) - 1));
        const gaps = since.slice(1).map((t, i) => t - since[i]!);
        return `${(Math.max(0, ...gaps) / 1000).toFixed(1)} s`;
      };
      await acknowledgedAfter(10, "10 files written");
      for (let round = 1; round <= ROUNDS; round++) {
        const active = serving()[0] ?? "n1";
        const other = c.nodes.find((n) => n !== active)!;
        const powerOff = round % 2 === 1;
        const t0 = Date.now();
        if (powerOff) c.powerOff(active, [`${VIP}/24`]);
        else assert.equal(await c.node(active).stop(), 0, `${active}'s daemon stopped cleanly`);
        await acknowledgedAfter(
          5,
          `writes to go on from ${other} after ${active}'s ${powerOff ? "power-off" : "stop"}`,
        );
        failoverMs.push(`${powerOff ? "power-off" : "daemon stop"} ${longestGap(t0)}`);
        assert.deepEqual(serving(), [other], `NFS served from ${other}`);
        // Back: a powered-off node boots with r0 Secondary (DRBD's role after a start) and its link up.
        if (powerOff) {
          writeFileSync(`${dir}/drbd/r0.${active}`, "Secondary\n");
          c.setLink(active, 0, "up");
        }
        const t1 = Date.now();
        c.node(active).start();
        await c.converge(c.nodes, c.nodes, "n1", true, 30_000);
        // auto_failback: the service goes home to n1 (a second failover when n1 was the one that failed).
        await waitFor(() => serving()[0] === "n1" && serving().length === 1, 30_000, "the service back on n1", 50);
        await acknowledgedAfter(5, "writes to go on after the failback");
        if (active === "n1") failoverMs.push(`failback ${longestGap(t1)}`);
      }
      writing = false;
      await writer;
      // Every acknowledged write is there, with its content, read through the virtual IP.
      const lost: number[] = [];
      for (const [id, content] of written) {
        const r = await nfs("nfs-cat", [nfsUrl(`w-${id}`)], 10_000);
        if (!r.ok || r.out !== content) lost.push(id);
      }
      assert.deepEqual(lost, [], "acknowledged writes missing or different");
      console.log(
        `# ${written.size} files written and read back, ${failedWrites} write attempts failed during failovers, none lost; ${failoverMs.length} failovers, the longest time without an acknowledged write: ${failoverMs.join(", ")}`,
      );
    } finally {
      writing = false;
      watch.stop();
    }
    assert.deepEqual(watch.bad(), [], "the disk mounted on two nodes, or NFS served from two");
  },
);
