// Fencing a real (simulated) BMC: OpenIPMI's ipmi_sim plays a server's BMC whose "power" is a process it starts
// (startcmd) and kills on power-off; Debian's fence_ipmilan talks IPMI to it, run by `paceline fence` with a
// password from a file. Power off, reboot, status through ipmitool, a wrong password failing cleanly without
// showing it.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { CLI, cleanupDir, killPid, sleep, tempDir, waitFor } from "../helpers.js";
import { unmet } from "../requires.js";

const have = (p: string) => existsSync(p);
const skip = unmet(
  [have("/usr/bin/ipmi_sim"), "needs openipmi (ipmi_sim)"],
  [have("/usr/sbin/fence_ipmilan"), "needs fence-agents (fence_ipmilan)"],
  [have("/usr/bin/ipmitool"), "needs ipmitool"],
);
const dir = tempDir("ipmi");
const PORT = 9700 + (process.pid % 200);
const MARK = `paceline-ipmi-node-${process.pid}`;
let sim: ChildProcess | undefined;

const ipmitool = (...args: string[]) =>
  spawnSync("ipmitool", ["-I", "lan", "-H", "127.0.0.1", "-p", String(PORT), "-U", "admin", "-P", "secret", ...args], {
    encoding: "utf8",
  });
const power = () => /Chassis Power is (\w+)/.exec(ipmitool("chassis", "power", "status").stdout)?.[1];
/** The "server" the BMC powers: the startcmd's process (a sleep whose parent is ipmi_sim). */
const serverPids = () =>
  sim?.pid
    ? spawnSync("pgrep", ["-P", String(sim.pid)], { encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean)
        .map(Number)
    : [];

before(async () => {
  if (skip) return;
  writeFileSync(`${dir}/server.sh`, `#!/bin/sh\n# ${MARK}\nexec sleep 100000\n`);
  chmodSync(`${dir}/server.sh`, 0o755);
  writeFileSync(
    `${dir}/lan.conf`,
    `name "paceline-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${PORT}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 2 true  "admin"   "secret" admin    10       none md2 md5 straight
  serial 15 127.0.0.1 ${PORT + 1} codec VM
  startcmd "${dir}/server.sh"
  startnow true
  poweroff_wait 1
  kill_wait 1
`,
  );
  writeFileSync(
    `${dir}/sim.emu`,
    "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n",
  );
  // ipmi_sim reads commands on stdin and exits when it closes: keep it open (a pipe we own).
  // Its output goes to a file: the server process it starts inherits it, and a pipe would keep this test alive.
  const out = openSync(`${dir}/ipmi_sim.log`, "a");
  sim = spawn("ipmi_sim", ["-c", `${dir}/lan.conf`, "-f", `${dir}/sim.emu`, "-s", dir, "-n"], {
    stdio: ["pipe", out, out],
  });
  closeSync(out);
  await waitFor(() => power() === "on", 10_000, "the simulated BMC to answer, power on").catch((e: Error) => {
    throw new Error(`${e.message}\n${readFileSync(`${dir}/ipmi_sim.log`, "utf8")}`);
  });
  writeFileSync(`${dir}/bmc.pw`, "secret\n", { mode: 0o600 });
  writeFileSync(`${dir}/wrong.pw`, "not-the-password\n", { mode: 0o600 });
  const yaml = (pw: string, timeout: string) => `cluster: ipmi
nodes:
  n1: { links: [127.0.0.1] }
  n2: { links: [127.0.0.2] }
fencing:
  timeout: ${timeout}
  devices:
    bmc-n2: { agent: fence_ipmilan, params: { ip: 127.0.0.1, ipport: "${PORT}", username: admin }, password-file: ${dir}/${pw}, targets: [n2], timeout: 30s }
`;
  writeFileSync(`${dir}/cluster.yaml`, yaml("bmc.pw", "60s"));
  // Retried until the fencing timeout, then given up. fence_ipmilan itself needs ~8 s to fail on a wrong password
  // (ipmitool's retries): the timeout leaves room for one answer at least.
  writeFileSync(`${dir}/wrong.yaml`, yaml("wrong.pw", "20s"));
});

after(() => {
  for (const pid of serverPids()) killPid(pid); // while ipmi_sim is still their parent
  if (sim?.pid) {
    sim.stdin?.end();
    killPid(sim.pid);
  }
  cleanupDir(dir);
});

const fence = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, "fence", ...args], { encoding: "utf8", timeout: 90_000 });

test(
  "paceline fence --off powers the BMC's server off; status reflects it; a reboot powers it on again",
  { skip },
  async () => {
    assert.ok(serverPids().length > 0, "the simulated server runs");
    let r = fence("n2", "--config", `${dir}/cluster.yaml`, "--off");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /fencing n2 \(off\) with bmc-n2/);
    assert.match(r.stdout, /n2 is fenced/);
    assert.equal(power(), "off");
    await waitFor(() => serverPids().length === 0, 5000, "the server process to be gone");
    r = fence("n2", "--config", `${dir}/cluster.yaml`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(power(), "on", "a reboot leaves it powered on");
    await waitFor(() => serverPids().length > 0, 5000, "the server to run again");
  },
);

test("a wrong BMC password fails cleanly, says why, and never shows a password", { skip }, async () => {
  const before = power();
  const r = fence("n2", "--config", `${dir}/wrong.yaml`, "--off");
  assert.equal(r.status, 1);
  assert.match(r.stdout + r.stderr, /bmc-n2 failed/);
  assert.doesNotMatch(r.stdout + r.stderr, /not-the-password|secret/);
  await sleep(200);
  assert.equal(power(), before, "nothing was switched");
});

test(
  "seed 000's stonith:external/ipmi — cluster-glue's own plugin, run as its stonith command runs it — switches the BMC",
  {
    skip: skip || unmet([have("/usr/lib/stonith/plugins/external/ipmi"), "needs cluster-glue (external/ipmi)"]),
  },
  async () => {
    // The plugin has no port option: its `ipmitool` option names the program, here one that adds this BMC's port.
    writeFileSync(`${dir}/ipmitool-port`, `#!/bin/sh\nexec ipmitool -p ${PORT} "$@"\n`, { mode: 0o755 });
    const yaml = (pw: string) => `cluster: ipmi
nodes:
  n1: { links: [127.0.0.1] }
  n2: { links: [127.0.0.2] }
fencing:
  timeout: 30s
  devices:
    ipmi-n2:
      agent: external/ipmi
      params: { hostname: n2, ipaddr: 127.0.0.1, userid: admin, interface: lan, passwd_method: env, ipmitool: ${dir}/ipmitool-port }
      password-file: ${dir}/${pw}
      targets: [n2]
      timeout: 20s
`;
    writeFileSync(`${dir}/glue.yaml`, yaml("bmc.pw"));
    writeFileSync(`${dir}/glue-wrong.yaml`, yaml("wrong.pw"));
    let r = fence("n2", "--config", `${dir}/glue.yaml`, "--off");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /n2 is fenced/);
    // (The plugin asks for power off and returns; the BMC switches a moment later, poweroff_wait.)
    await waitFor(() => power() === "off", 10_000, "the BMC to report power off");
    r = fence("n2", "--config", `${dir}/glue.yaml`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await waitFor(() => power() === "on", 10_000, "a reboot (the plugin's reset) to leave it powered on");
    // A wrong password: the plugin's own log line (ha_log.sh) is the reason given; no password is shown.
    r = fence("n2", "--config", `${dir}/glue-wrong.yaml`, "--off");
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /ipmi-n2 failed.*external\/ipmi: err: error executing ipmitool/s);
    assert.doesNotMatch(r.stdout + r.stderr, /not-the-password|secret|ha_log\.sh: not found/);
    assert.equal(power(), "on", "nothing was switched");
  },
);
