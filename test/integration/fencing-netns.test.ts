// Fencing for real between Paceline daemons in network namespaces. The fence device is a fence-agents-style
// program (key=value on stdin) that stands in for a power switch: "off"/"reboot" kills every process of the target
// node's namespace, pulls its cable and forgets its addresses (what a power-off does); "status" says whether
// anything still runs there.
//  - a stop that fails with on-fail=fence: the node is fenced, then the group starts on a peer;
//  - a two-node split brain (the link between them cut) with fencing and a delay on one device: exactly one
//    survivor, every time.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { cleanupDir, script, sleep, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { VipProbe } from "../vip-probe.js";
import { OCF_AGENTS, ROOT, unmet } from "../requires.js";
import { alive, FENCE_NETNS, fencingYaml, haveNsenter } from "../fence-netns.js";

const skip = unmet(ROOT, [haveNsenter, "needs nsenter (util-linux)"], OCF_AGENTS);
const REPS = Number(process.env.PACELINE_SPLIT_REPS ?? 20);
const dir = tempDir("fencing");

before(() => {
  if (skip) return;
  script(dir, "fence_netns", FENCE_NETNS);
  // A service whose copy on each node leaves a file named after the node's namespace; its stop fails on demand.
  script(dir, "svc-start.sh", `touch ${dir}/$(ip netns identify).up`);
  script(dir, "svc-stop.sh", `[ -f ${dir}/fail-stop ] && exit 1; rm -f ${dir}/$(ip netns identify).up`);
  script(dir, "svc-status.sh", `[ -f ${dir}/$(ip netns identify).up ]`);
});
const svc = (extra = "") =>
  `{ exec: { start: ${dir}/svc-start.sh, stop: ${dir}/svc-stop.sh, status: ${dir}/svc-status.sh }, ops: { monitor: { interval: 1s }${extra} } }`;
after(() => cleanupDir(dir));

test(
  "a stop that fails with on-fail=fence: the node is fenced, then the group starts on a peer",
  { skip },
  async () => {
    const VIP = "10.221.0.100";
    const full = new NetnsCluster(
      3,
      1,
      "profile: fast",
      221,
      (c) => `
resources:
  web:
    prefer: n1
    members:
      vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 1s }
      app: ${svc(", stop: { on-fail: fence }")}
${fencingYaml(c, `${dir}/fence_netns`)}`,
      true,
    );
    try {
      full.setup();
      for (const n of full.nodes) full.node(n).start();
      await full.converge(full.nodes, full.nodes, "n1");
      await waitFor(() => existsSync(`${dir}/${full.ns("n1")}.up`), 15_000, "the group to start on n1");
      execFileSync("touch", [`${dir}/fail-stop`]);
      const t0 = Date.now();
      execFileSync(process.execPath, [
        new URL("../../../bin/paceline.js", import.meta.url).pathname,
        "resource",
        "move",
        "web",
        "n2",
        "--state-dir",
        full.node("n3").stateDir,
      ]);
      await waitFor(() => !alive(full, "n1"), 15_000, "n1 to be fenced");
      execFileSync("rm", [`${dir}/fail-stop`]);
      const probe = new VipProbe(full, VIP);
      const at = await waitFor(
        async () => ((await probe.holds("n2")) ? "n2" : (await probe.holds("n3")) ? "n3" : undefined),
        15_000,
        "the VIP on a peer",
      );
      await waitFor(() => existsSync(`${dir}/${full.ns(at)}.up`), 5000, "the group's service to run with the VIP");
      const s = await full.node("n2").membership();
      assert.ok(
        s.fencing?.history.some((h) => h.target === "n1" && h.ok),
        JSON.stringify(s.fencing),
      );
      const n1 = s.nodes.find((n) => n.name === "n1")!;
      assert.equal(n1.state, "offline", "a fenced node is off for sure, not UNCLEAN");
      assert.equal(n1.fenced, true);
      console.log(`# stop failure → n1 fenced → VIP back on a peer in ${Date.now() - t0} ms`);
    } finally {
      await full.teardown();
    }
  },
);

test(
  `two-node split brain with fencing, a delay on the device that fences n1: exactly one survivor, ${REPS} times`,
  { skip },
  async () => {
    const c = new NetnsCluster(
      2,
      1,
      "profile: fast",
      222,
      (cl) => `quorum: { two-node: true }
resources:
  svc: ${svc()}
${fencingYaml(cl, `${dir}/fence_netns`, { n1: "2s" })}`,
      true,
    );
    const survivors: string[] = [];
    try {
      c.setup();
      for (const n of c.nodes) c.node(n).start();
      for (let rep = 0; rep < REPS; rep++) {
        await c.converge(c.nodes, c.nodes, "n1", true, 30_000);
        await sleep(300);
        // Cut the link between them: each side keeps quorum (two-node) and fences the other.
        c.filter("n1", `ip saddr ${c.addr("n2", 0)} drop`);
        c.filter("n2", `ip saddr ${c.addr("n1", 0)} drop`);
        await waitFor(() => !alive(c, "n1") || !alive(c, "n2"), 20_000, "one node to be fenced");
        await sleep(3000); // the delayed device of the other side would have fired by now
        const up = c.nodes.filter((n) => alive(c, n));
        assert.equal(up.length, 1, `rep ${rep + 1}: survivors ${up.join(", ") || "none"}`);
        survivors.push(up[0]!);
        const dead = c.nodes.find((n) => n !== up[0])!;
        try {
          c.unfilter(up[0]!);
        } catch {
          /* gone with its namespace's rules */
        }
        try {
          c.unfilter(dead);
        } catch {
          /* flushed */
        }
        c.setLink(dead, 0, "up");
        execFileSync("ip", ["-n", c.ns(dead), "addr", "add", `${c.addr(dead, 0)}/24`, "dev", "eth0"]);
        c.node(dead).start();
      }
    } finally {
      await c.teardown();
    }
    console.log(`# split brain × ${REPS}: survivors ${survivors.join(" ")}`);
    assert.ok(
      survivors.every((s) => s === "n1"),
      "the node whose device waits (n2 shoots late) should lose every race",
    );
  },
);

test(
  "power-off of the active node with fencing: fenced, then the group (native VIP) starts on a peer at once",
  { skip },
  async () => {
    const VIP = "10.226.0.100";
    const c = new NetnsCluster(
      3,
      1,
      "profile: fast",
      226,
      (cl) => `
resources:
  web:
    prefer: n1
    members:
      vip: { agent: vip, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth0 }, monitor: 1s }
      app: ${svc()}
${fencingYaml(cl, `${dir}/fence_netns`)}`,
      true,
    );
    try {
      c.setup();
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(() => existsSync(`${dir}/${c.ns("n1")}.up`), 15_000, "the group to start on n1");
      await sleep(500);
      const t0 = Date.now();
      c.powerOff("n1");
      execFileSync("rm", ["-f", `${dir}/${c.ns("n1")}.up`]);
      const probe = new VipProbe(c, VIP);
      const at = await waitFor(
        async () => ((await probe.holds("n2")) ? "n2" : (await probe.holds("n3")) ? "n3" : undefined),
        15_000,
        "the VIP on a peer",
      );
      const vipMs = Date.now() - t0;
      const dc = (await c.node("n2").membership()).dc!;
      const log = c.node(dc).output;
      // Nothing of n1's may start before it is fenced: the fencing line comes before the start of the VIP.
      const fenced = log.search(/n1 fenced by power-n1/);
      const started = log.search(/DC: start vip on n[23]/);
      assert.ok(
        fenced >= 0 && started > fenced,
        `fenced at ${fenced}, VIP started at ${started}:\n${log.slice(-3000)}`,
      );
      const fenceTook = Number(log.match(/n1 fenced by power-n1 in ([\d.]+) s/)?.[1] ?? NaN) * 1000;
      console.log(
        `# power-off with fencing → VIP on ${at} after ${vipMs} ms (the fencing itself took ${fenceTook} ms)`,
      );
    } finally {
      await c.teardown();
    }
  },
);

test(
  "escalation: a device that fails, then one that hangs, then a person confirms with `paceline fence confirm`",
  { skip },
  async () => {
    script(dir, "fence_fails", "cat >/dev/null; echo 'simulated BMC failure' >&2; exit 1");
    script(dir, "fence_hangs", "cat >/dev/null; sleep 100");
    const c = new NetnsCluster(
      3,
      1,
      "profile: fast",
      223,
      `
resources:
  svc: ${svc().replace("{ exec:", "{ prefer: n3, exec:")}
fencing:
  timeout: 60s
  devices:
    bmc: { agent: ${dir}/fence_fails, targets: [n1, n2, n3], timeout: 2s }
    pdu: { agent: ${dir}/fence_hangs, targets: [n1, n2, n3], timeout: 1500ms }
    by-hand: { agent: manual, targets: [n1, n2, n3] }
  levels:
    n3: [[bmc], [pdu], [by-hand]]
`,
      true,
    );
    const cli = (n: string, ...args: string[]) =>
      execFileSync(
        process.execPath,
        [new URL("../../../bin/paceline.js", import.meta.url).pathname, ...args, "--state-dir", c.node(n).stateDir],
        { encoding: "utf8" },
      );
    try {
      c.setup();
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(() => existsSync(`${dir}/${c.ns("n3")}.up`), 15_000, "svc to start on n3");
      c.powerOff("n3");
      await waitFor(
        () => /n3 must be powered off by hand/.test(c.node("n1").output),
        30_000,
        "the manual level to be reached",
      );
      const log = c.node("n1").output;
      assert.match(log, /simulated BMC failure/);
      assert.match(log, /pdu did not answer within 1500 ms; level 2 failed, trying level 3/);
      await sleep(1000);
      assert.ok(
        !existsSync(`${dir}/${c.ns("n1")}.up`) && !existsSync(`${dir}/${c.ns("n2")}.up`),
        "nothing starts before a person confirms",
      );
      assert.match((await c.node("n2").membership()).fencing!.pending.map((p) => p.target).join(), /n3/);
      assert.match(
        cli("n2", "status", "--why", "svc"),
        /held: n3 may still run svc; it starts elsewhere once n3 is fenced/,
      );
      const out = cli("n2", "fence", "confirm", "n3", "--yes");
      assert.match(out, /sent to n1(, n2)?: the node fencing n3 completes it|confirmed off/);
      await waitFor(
        () => existsSync(`${dir}/${c.ns("n1")}.up`) || existsSync(`${dir}/${c.ns("n2")}.up`),
        15_000,
        "svc to start on a survivor",
      );
      assert.match(cli("n2", "fence", "history"), /n3 {2}fenced by manual confirmation by an operator/);
    } finally {
      await c.teardown();
    }
  },
);

test(
  "guard (seed 000's stonith-helper): a silent node that ran nothing is considered off; one that ran something is still powered off",
  { skip },
  async () => {
    const c = new NetnsCluster(
      3,
      1,
      "profile: fast",
      224,
      (cl) => `
resources:
  svc: ${svc().replace("{ exec:", "{ prefer: n1, exec:")}
fencing:
  devices:
    guard: { agent: guard, host-map: { ${cl.nodes.map((n) => `${n}: "${cl.addr(n, 0)}"`).join(", ")} }, timeout: 5s }
${cl.nodes.map((n) => `    power-${n}: { agent: ${dir}/fence_netns, host-map: { ${n}: "${cl.ns(n)}:${cl.hostVeth(n, 0)}" }, timeout: 5s }`).join("\n")}
  levels:
${cl.nodes.map((n) => `    ${n}: [[guard], [power-${n}]]`).join("\n")}
`,
      true,
    );
    const powerOff = (n: string) => c.powerOff(n);
    try {
      c.setup();
      for (const n of c.nodes) c.node(n).start();
      await c.converge(c.nodes, c.nodes, "n1");
      await waitFor(() => existsSync(`${dir}/${c.ns("n1")}.up`), 15_000, "svc to start on n1");
      powerOff("n3"); // ran nothing
      await waitFor(
        async () => (await c.node("n1").membership()).fencing?.history.some((h) => h.target === "n3" && h.ok),
        20_000,
        "n3 to be fenced",
      );
      let log = c.node("n1").output;
      assert.match(log, /n3 is silent on every address \(10\.224\.0\.3\) and ran nothing: considered off/);
      assert.doesNotMatch(log, /with power-n3/, "no power switch needed");
      c.setLink("n3", 0, "up"); // n3 comes back, so that two of three remain when n1 goes
      c.node("n3").start();
      await c.converge(c.nodes, c.nodes, "n1", true, 20_000);
      powerOff("n1"); // ran svc: the guard must not call it off; the power switch does it
      await waitFor(
        async () => (await c.node("n2").membership()).fencing?.history.some((h) => h.target === "n1" && h.ok),
        20_000,
        "n1 to be fenced",
      );
      log = c.node("n2").output;
      assert.match(log, /n1 is silent on 10\.224\.0\.1 but may run svc: it must be powered off/);
      assert.match(log, /fencing n1 \(reboot\) with power-n1 \(level 2 of 2/);
    } finally {
      await c.teardown();
    }
  },
);
