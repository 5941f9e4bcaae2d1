// Seed 000 for real: PostgreSQL 15 on a shared disk guarded by sfex, on three nodes that are network namespaces.
// The group is the seed's — sfex (lock) → Filesystem (ext4 on the shared disk) → pgsql (Debian's PostgreSQL 15,
// its data directory on that disk) → IPaddr2 (the service address) — with fencing (a power switch) and the seed's
// ping and disk checks as clones setting node attributes (clnPingd: Pacemaker's ping; clnDiskd1: Paceline's diskd,
// for pm_extras' diskd) that the group's location rules read, as in the seed. A client in the root namespace keeps
// committing rows through the virtual IP; the active node is powered off; every row whose commit was acknowledged
// must be read back through the virtual IP from the new node.
// Every 100 ms a sampler reads who holds the lock (on the disk), where the disk is mounted and where PostgreSQL
// runs: never mounted on two nodes, never mounted without the lock, never two PostgreSQL servers.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, runClient, script, sleep, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { FENCE_NETNS, fencingYaml, haveNsenter } from "../fence-netns.js";
import { have, OCF_AGENTS, ROOT, unmet } from "../requires.js";
import { DiskWatch, SharedDisks } from "../shared-disk.js";

const PG = "/usr/lib/postgresql/15/bin";
const skip = unmet(
  ROOT,
  OCF_AGENTS,
  [have(`${PG}/postgres`) && have(`${PG}/initdb`), "PostgreSQL 15 (Debian package postgresql-15) is not installed"],
  [have("/usr/lib/ocf/resource.d/heartbeat/pgsql"), "resource-agents' pgsql is missing"],
  [have("/usr/lib/ocf/resource.d/heartbeat/sfex") && have("/usr/sbin/sfex_init"), "resource-agents' sfex is missing"],
  [have("/sbin/mkfs.ext4") || have("/usr/sbin/mkfs.ext4"), "mkfs.ext4 (e2fsprogs) is missing"],
  [haveNsenter, "needs nsenter (util-linux)"],
  [have("/usr/bin/gcc"), "needs gcc (to build the sysrq stand-in)"],
);
const SUBNET = 232;
const VIP = `10.${SUBNET}.0.100`;
const dir = tempDir("seed000-pgsql");
const MNT = `${dir}/mnt`;
const disks = new SharedDisks(dir, MNT);

// The default profile, as a database cluster would run: the fast one (dead 350 ms, a 200 ms renewal window) lost
// its quorum lease under two CPU burners and this commit load, restarting the whole group (safe, but no commits for
// ~17 s before the fault); see docs/control.md on what each profile tolerates.
const c = new NetnsCluster(
  3,
  1,
  "profile: default",
  SUBNET,
  (cl) => `
resources:
  grpPg:
    members:
      prmEx: { agent: ocf:heartbeat:sfex, params: { device: ${disks.lockDisk}, index: "1", collision_timeout: "1", monitor_interval: "1", lock_timeout: "4" }, monitor: 2s }
      prmFs: { agent: ocf:heartbeat:Filesystem, params: { device: ${disks.dataDisk}, directory: ${MNT}, fstype: ext4 }, monitor: 2s }
      prmPg:
        agent: ocf:heartbeat:pgsql
        params: { pgctl: ${PG}/pg_ctl, psql: ${PG}/psql, pgdata: ${MNT}/pgdata, pgdba: postgres, pgport: "5432", socketdir: ${MNT}/run, logfile: ${MNT}/postgresql.log }
        ops: { start: { timeout: 60s }, stop: { timeout: 30s, on-fail: fence }, monitor: { interval: 2s, timeout: 20s } }
      prmIp: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 2s }
  prmPingd:
    agent: ocf:pacemaker:ping
    params: { name: default_ping_set, host_list: 10.${SUBNET}.0.254, multiplier: "100", dampen: 0s, attempts: "2", timeout: "1" }
    monitor: 2s
    clone: { id: clnPingd }
  prmDiskd1:
    agent: ocf:paceline:diskd
    params: { name: diskcheck_status, device: ${disks.dataDisk}, interval: "1" }
    monitor: 2s
    clone: { id: clnDiskd1 }
location:
  - rsc: grpPg
    rules:
      - "200: #uname eq n1"
      - "100: #uname eq n2"
      - "-INFINITY: not_defined default_ping_set or default_ping_set lt 100"
      - "-INFINITY: not_defined diskcheck_status or diskcheck_status eq ERROR"
colocate: ["grpPg with clnPingd", "grpPg with clnDiskd1"]
order:
  - { first: clnPingd, then: grpPg, kind: Optional, symmetrical: false }
  - { first: clnDiskd1, then: grpPg, kind: Optional, symmetrical: false }
defaults: { stickiness: INFINITY, migration-threshold: 1 }
${fencingYaml(cl, `${dir}/fence_netns`)}`,
  false,
  disks.nodeLike(),
);

/** One SQL statement through the virtual IP, from the root namespace, as a client on the network would. */
function sql(statement: string, timeoutMs = 5000): Promise<{ ok: boolean; out: string; err: string }> {
  return runClient(
    `${PG}/psql`,
    ["-h", VIP, "-U", "postgres", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement],
    timeoutMs,
    { ...process.env, PGCONNECT_TIMEOUT: "2" },
  );
}

before(() => {
  if (skip) return;
  chmodSync(dir, 0o755); // (PostgreSQL runs as the postgres user: it must reach its data directory)
  disks.setup("256M", (mnt) => {
    chmodSync(mnt, 0o755);
    mkdirSync(`${mnt}/pgdata`);
    mkdirSync(`${mnt}/run`);
    execFileSync("chown", ["postgres:postgres", `${mnt}/pgdata`, `${mnt}/run`]);
    execFileSync(
      "runuser",
      ["-u", "postgres", "--", `${PG}/initdb`, "-D", `${mnt}/pgdata`, "-A", "trust", "-E", "UTF8"],
      {
        stdio: "ignore",
      },
    );
    writeFileSync(
      `${mnt}/pgdata/postgresql.auto.conf`,
      `listen_addresses = '*'\nport = 5432\nunix_socket_directories = '${MNT}/run'\nfsync = on\nsynchronous_commit = on\n`,
    );
    writeFileSync(`${mnt}/pgdata/pg_hba.conf`, "local all all trust\nhost all all 0.0.0.0/0 trust\n");
    execFileSync("chown", ["postgres:postgres", `${mnt}/pgdata/postgresql.auto.conf`, `${mnt}/pgdata/pg_hba.conf`]);
  });
  script(dir, "fence_netns", FENCE_NETNS);
  c.setup();
});

after(async () => {
  await c.teardown();
  disks.teardown();
  cleanupDir(dir);
});

test(
  "seed 000: the active node is powered off; PostgreSQL comes back on another node with every committed row, never twice",
  { skip },
  async () => {
    const watch = new DiskWatch(c, disks, "postgres");
    const committed: number[] = [];
    const committedAtMs: number[] = [];
    let writing = true;
    let failedCommits = 0;
    let lastFailure = "";
    // What a timed-out wait needs to say: how far the writer got, why its last commit failed, where PostgreSQL ran.
    const writerState = () =>
      `${committed.length} committed, ${failedCommits} failed (last: ${lastFailure.trim().slice(-300) || "none"}); ` +
      `PostgreSQL on ${JSON.stringify(watch.samples.at(-1)?.running ?? [])}\n` +
      c.logs();
    try {
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(async () => (await sql("select 1")).ok, 90_000, "PostgreSQL to answer on the virtual IP").catch(
        (e: Error) => {
          throw new Error(`${e.message}\n${c.logs()}`);
        },
      );
      const first = watch.samples.at(-1)?.running ?? [];
      // The seed's clones keep their node attributes on every node; the group's location rules read them.
      const seen = async () =>
        (await c.node("n1").membership()).nodes.map(
          (n) => `${n.attributes.default_ping_set}/${n.attributes.diskcheck_status}`,
        );
      await waitFor(
        async () => (await seen()).every((a) => a === "100/normal"),
        20_000,
        "ping and disk attributes on every node",
      ).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${(await seen()).join(", ")}`);
      });
      assert.equal((await sql("create table rows (id int primary key, at timestamptz default now())")).ok, true);
      // The writer: one row per transaction, each id recorded only once its commit was acknowledged.
      const writer = (async () => {
        for (let id = 1; writing; id++) {
          const r = await sql(`insert into rows (id) values (${id})`, 3000);
          if (r.ok) {
            committed.push(id);
            committedAtMs.push(Date.now());
          } else {
            failedCommits++;
            lastFailure = r.err || r.out;
          }
        }
      })();
      await waitFor(() => committed.length >= 20, 30_000, "20 rows committed").catch((e: Error) => {
        throw new Error(`${e.message}: ${writerState()}`);
      });
      const active = watch.samples.at(-1)!.running[0] ?? first[0] ?? "n1";
      const beforeOff = committed.length;
      const t0 = Date.now();
      c.powerOff(active, [`${VIP}/24`]);
      await waitFor(
        () => committed.length >= beforeOff + 20,
        120_000,
        "20 more rows committed after the power-off",
        100,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${writerState()}`);
      });
      const firstAfter = Date.now();
      writing = false;
      await writer;
      const survivors = c.nodes.filter((n) => n !== active);
      const now = watch.samples.at(-1)!;
      assert.equal(now.running.length, 1, "PostgreSQL runs on one node");
      assert.ok(survivors.includes(now.running[0]!), "on a survivor");
      assert.equal(now.owner, now.running[0], "which holds the lock");
      // Every acknowledged commit is there, read through the virtual IP from the new node.
      const read = await sql("select id from rows order by id");
      assert.ok(read.ok);
      const present = new Set(read.out.split("\n").filter(Boolean).map(Number));
      const lost = committed.filter((id) => !present.has(id));
      assert.deepEqual(lost, [], "rows whose commit was acknowledged are missing");
      console.log(
        `# ${committed.length} rows committed (${beforeOff} before ${active}'s power-off), ${failedCommits} attempts failed during the failover, none lost; PostgreSQL on ${now.running[0]}; the first commit after the power-off ${((firstAfter - t0) / 1000).toFixed(1)} s after it`,
      );
    } finally {
      writing = false;
      watch.stop();
    }
    assert.deepEqual(watch.bad(), [], "mounted on two nodes, mounted without the lock, or PostgreSQL on two nodes");
    await sleep(0);
  },
);
