// Seed 000's fencing chain as the seed sets it up, through the real plugins, on two nodes (two-node quorum) that are
// network namespaces. Each node's levels: [guard] (Paceline's stonith-helper), [stonith:external/ipmi] (cluster-glue's
// own plugin → ipmitool → the node's BMC: OpenIPMI's ipmi_sim, whose "server" is a process that, powered off, kills
// everything in the node's namespace and pulls its cable), [by-hand] (the seed's meatware: a person powers the node
// off and says so with `paceline fence confirm`).
//   1. The active node hangs (its daemon stopped with SIGSTOP; its kernel still answers pings): the guard sees it
//      alive and declines, its BMC powers it off, the group starts on the survivor.
//   2. The active node hangs and its BMC does not answer either: the person is asked, and nothing starts elsewhere
//      until they have powered it off and confirmed.
// A sampler reads the VIP on both nodes every 50 ms: never on two.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { CLI, cleanupDir, killPid, script, sleep, tempDir, waitFor } from "../helpers.js";
import { alive } from "../fence-netns.js";
import { NetnsCluster } from "../netns-cluster.js";
import { have, OCF_AGENTS, ROOT, unmet } from "../requires.js";
import { VipProbe } from "../vip-probe.js";

const skip = unmet(
  ROOT,
  OCF_AGENTS,
  [have("/usr/bin/ipmi_sim"), "needs openipmi (ipmi_sim)"],
  [have("/usr/bin/ipmitool"), "needs ipmitool"],
  [have("/usr/lib/stonith/plugins/external/ipmi"), "needs cluster-glue (external/ipmi)"],
);
const SUBNET = 235;
const VIP = `10.${SUBNET}.0.100`;
const BMC_HOST = `10.${SUBNET}.0.254`; // the bridge's address: the BMC network, reachable from both nodes
const dir = tempDir("seed000-chain");
const basePort = 9300 + (process.pid % 100) * 4;
const bmcPort = (n: string) => basePort + (n === "n1" ? 0 : 1);
const sims = new Map<string, ChildProcess>();

const c = new NetnsCluster(
  2,
  1,
  "profile: fast",
  SUBNET,
  (cl) => `
quorum: { two-node: true }
fencing:
  timeout: 120s
  action: off           # (ipmi_sim cannot reset a server it has no virtual machine link to: off, then on by hand)
  devices:
    guard: { agent: guard, host-map: { ${cl.nodes.map((n) => `${n}: "${cl.addr(n, 0)}"`).join(", ")} }, timeout: 5s }
${cl.nodes
  .map(
    (n) =>
      `    ipmi-${n}: { agent: external/ipmi, params: { hostname: ${n}, ipaddr: ${BMC_HOST}, userid: admin, interface: lan, passwd_method: env, ipmitool: ${dir}/ipmitool-${n} }, password-file: ${dir}/bmc.pw, targets: [${n}], timeout: 8s }`,
  )
  .join("\n")}
    by-hand: { agent: manual, targets: [n1, n2] }
  levels:
${cl.nodes.map((n) => `    ${n}: [[guard], [ipmi-${n}], [by-hand]]`).join("\n")}
resources:
  grp:
    prefer: n1
    members:
      ip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 2s }
defaults: { stickiness: INFINITY, migration-threshold: 1 }
`,
  true,
);
const probe = new VipProbe(c, VIP);

const ipmitool = (n: string, ...args: string[]) =>
  spawnSync(
    "ipmitool",
    ["-I", "lan", "-H", BMC_HOST, "-p", String(bmcPort(n)), "-U", "admin", "-P", "secret", ...args],
    { encoding: "utf8" },
  );
const power = (n: string) => /Chassis Power is (\w+)/.exec(ipmitool(n, "chassis", "power", "status").stdout)?.[1];
const cli = (n: string, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args, "--state-dir", c.node(n).stateDir], { encoding: "utf8" });

/** Node n's BMC: ipmi_sim on the BMC network; the server it powers is `machine-n`, which on power-off does what a
 * power-off does to the namespace (every process killed, cable pulled, the addresses in memory gone). */
async function startBmc(n: string): Promise<void> {
  script(
    dir,
    `machine-${n}`,
    // What a power-off does at once, first: the node is gone from the network and its addresses with it.
    `trap 'ip -n ${c.ns(n)} addr del ${VIP}/24 dev eth0 2>/dev/null; ip link set ${c.hostVeth(n, 0)} down
kill $! 2>/dev/null; for i in $(seq 100); do p=$(ip netns pids ${c.ns(n)}); [ -z "$p" ] && break; kill -9 $p; sleep 0.02; done
exit 0' TERM
while :; do sleep 1000 & wait $!; done`,
  );
  writeFileSync(
    `${dir}/lan-${n}.conf`,
    `name "bmc-${n}"
set_working_mc 0x20
  startlan 1
    addr ${BMC_HOST} ${bmcPort(n)}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcde${n === "n1" ? "1" : "2"}
  endlan
  user 2 true  "admin"   "secret" admin    10       none md2 md5 straight
  serial 15 127.0.0.1 ${bmcPort(n) + 2} codec VM
  startcmd "${dir}/machine-${n}"
  startnow true
  poweroff_wait 1
  kill_wait 1
`,
  );
  // ipmi_sim reads commands on stdin and exits when it closes (a pipe we own); its output to a file, which the
  // machine it starts inherits (a pipe would keep this test alive).
  const out = openSync(`${dir}/ipmi_sim-${n}.log`, "a");
  const sim = spawn("ipmi_sim", ["-c", `${dir}/lan-${n}.conf`, "-f", `${dir}/sim.emu`, "-s", `${dir}/bmc-${n}`, "-n"], {
    stdio: ["pipe", out, out],
  });
  closeSync(out);
  sims.set(n, sim);
  await waitFor(() => power(n) === "on", 10_000, `${n}'s BMC to answer, power on`).catch((e: Error) => {
    throw new Error(`${e.message}\n${readFileSync(`${dir}/ipmi_sim-${n}.log`, "utf8")}`);
  });
}

/** Node n's BMC stops answering (its simulator ends; the server it powers keeps running). */
function stopBmc(n: string): void {
  const sim = sims.get(n);
  sim?.stdin?.end();
  killPid(sim?.pid);
  sims.delete(n);
}

/** The machines ipmi_sim started (children of their simulators, or orphans once a simulator is gone). */
function machinePids(): number[] {
  const r = spawnSync("pgrep", ["-f", `${dir}/machine-`], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).map(Number);
}

/** The node running the group, by where the VIP is configured. */
async function holder(): Promise<string | undefined> {
  for (const n of c.nodes) if (await probe.holds(n)) return n;
  return undefined;
}

before(async () => {
  if (skip) return;
  writeFileSync(
    `${dir}/sim.emu`,
    "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n",
  );
  writeFileSync(`${dir}/bmc.pw`, "secret\n", { mode: 0o600 });
  // external/ipmi has no port option: its `ipmitool` option names the program, here one that adds the BMC's port.
  // It also waits, after a power-off, until the BMC reports the power off: ipmi_sim first asks the server to shut
  // down and cuts it a second later, where a hardware BMC cuts at once — and external/ipmi returns as soon as the
  // BMC has accepted the command (without this wait, the survivor started the VIP while the old node still had it).
  for (const n of ["n1", "n2"])
    script(
      dir,
      `ipmitool-${n}`,
      `ipmitool -p ${bmcPort(n)} "$@"; rc=$?
case "$*" in *"power off"*) for i in $(seq 50); do ipmitool -p ${bmcPort(n)} -I lan -H ${BMC_HOST} -U admin -E chassis power status 2>/dev/null | grep -q "is off" && break; sleep 0.1; done;; esac
exit $rc`,
    );
  c.setup();
  for (const n of c.nodes) await startBmc(n);
});

after(async () => {
  for (const n of [...sims.keys()]) stopBmc(n);
  for (const pid of machinePids()) killPid(pid, "SIGTERM"); // (its trap ends its sleep too)
  await c.teardown();
  cleanupDir(dir);
});

test(
  "seed 000's chain: guard declines a hung node that answers pings, its BMC (external/ipmi → ipmi_sim) powers it off; with the BMC silent too, a person confirms",
  { skip },
  async () => {
    const sampler = probe.sampler();
    try {
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(async () => (await holder()) === "n1", 20_000, "the group on n1");

      // 1. n1 hangs: guard → IPMI.
      const t0 = Date.now();
      process.kill(c.daemonPid("n1")!, "SIGSTOP");
      await waitFor(async () => (await holder()) === "n2", 30_000, "the VIP on n2", 20);
      const backMs = Date.now() - t0;
      const log2 = c.node("n2").output;
      assert.match(log2, /fencing n1: guard .*; level 1 failed, trying level 2/, log2.slice(-3000));
      assert.match(log2, /n1 fenced by ipmi-n1/, log2.slice(-3000));
      await waitFor(() => power("n1") === "off", 5000, "n1's BMC to report power off");
      assert.ok(!alive(c, "n1"), "nothing of n1's runs any more");
      console.log(`# hang of n1 → its BMC powered it off → the VIP up on n2: ${(backMs / 1000).toFixed(1)} s`);

      // n1 is powered on again (its machine runs, its cable is back) and rejoins; the group stays on n2.
      ipmitool("n1", "chassis", "power", "on");
      await waitFor(() => power("n1") === "on", 10_000, "n1 powered on");
      c.setLink("n1", 0, "up");
      c.node("n1").start();
      await c.converge(c.nodes, c.nodes, "n1", true, 30_000);

      // 2. n2 hangs and its BMC is gone: guard declines, IPMI fails, a person is asked.
      stopBmc("n2");
      process.kill(c.daemonPid("n2")!, "SIGSTOP");
      await waitFor(
        () => /n2 must be powered off by hand/.test(c.node("n1").output),
        60_000,
        "the manual level to be reached",
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${c.node("n1").output.slice(-3000)}`);
      });
      await sleep(1000);
      assert.equal(await holder(), "n2", "nothing starts on n1 before a person confirms (the VIP stays on frozen n2)");
      c.powerOff("n2", [`${VIP}/24`]); // the person pulls the plug…
      const t1 = Date.now();
      const r = cli("n1", "fence", "confirm", "n2", "--yes"); // …and says so
      assert.equal(r.status, 0, r.stdout + r.stderr);
      await waitFor(async () => (await holder()) === "n1", 15_000, "the VIP on n1", 20);
      console.log(`# confirmation → the VIP up on n1: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      assert.match(cli("n1", "fence", "history").stdout, /n2 {2}fenced by manual confirmation/);
    } finally {
      for (const n of c.nodes) {
        const pid = c.daemonPid(n);
        if (pid) killPid(pid, "SIGCONT");
      }
      await sampler.stop();
    }
    const at = sampler.overlapTimes[0] ?? 0;
    const near = (line: string) => Math.abs(Date.parse(line.slice(0, 24)) - at) < 3000;
    const logs = c.nodes.map((n) => `--- ${n} ---\n${c.node(n).output.split("\n").filter(near).join("\n")}`);
    assert.deepEqual(sampler.overlaps, [], `the VIP on two nodes\n${logs.join("\n")}`);
  },
);
