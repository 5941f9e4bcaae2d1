// Clones and promotable clones on a running cluster (issue 13): three nodes run a promotable
// ocf:pacemaker:Stateful (one copy promoted) and ocf:pacemaker:ping as a clone on every node; a group (a real IPaddr2
// VIP + web server) must run with the promoted copy, after its promotion, and never where the router does not
// answer. The agents are Pacemaker's own: they set their promotion score and the ping attribute through
// crm_attribute / attrd_updater, which the Paceline daemon answers. The group's last member is a `systemd:` unit,
// run through a stand-in for systemctl (systemd is not PID 1 here) with systemctl's exit codes and a unit that
// takes a moment to settle; it keeps each node's unit state in that node's HA_RSCTMP.
//   - the node with the promoted copy loses the router: promotion and group move to a node that reaches it;
//   - that node is powered off: another copy is promoted there and the group follows, never on two nodes.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { ClusterResourceStatus, MembershipStatus } from "../../src/api/types.js";
import { CLI, cleanupDir, tempDir, waitFor } from "../helpers.js";
import { NetnsCluster } from "../netns-cluster.js";
import { VipProbe, webServerSource } from "../vip-probe.js";
import { have, OCF_AGENTS, ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, OCF_AGENTS, [
  have("/usr/lib/ocf/resource.d/pacemaker/Stateful") && have("/usr/lib/ocf/resource.d/pacemaker/ping"),
  "pacemaker-resource-agents (Stateful, ping) is not installed",
]);
const SUBNET = 223;
const VIP = `10.${SUBNET}.1.100`;
const ROUTER = `10.${SUBNET}.1.254`;
const dir = tempDir("promotable");
// The default profile: this test is about placement, not speed, and CI runs it beside another cluster's test on
// two cores, where `fast`'s 200 ms renewal window is missed (every daemon's event loop stalled 0.5–2 s there, with
// the CPU pressure at 47 %): the nodes then stop everything, as they must, and the group never settles.
const c = new NetnsCluster(
  3,
  2,
  "profile: default",
  SUBNET,
  `
resources:
  data:
    agent: ocf:pacemaker:Stateful
    promotable: { notify: true }
    params: { envfile: ${dir}/stateful-env.log }
    ops: { monitor: [ { interval: 1s, role: Promoted }, { interval: 1500ms } ] }
  ping:
    agent: ocf:pacemaker:ping
    params: { host_list: ${ROUTER}, multiplier: 100, dampen: 0s, attempts: 2, timeout: 1 }
    clone: true
    monitor: 1s
  web:
    members:
      vip: { agent: ocf:heartbeat:IPaddr2, params: { ip: ${VIP}, cidr_netmask: "24", nic: eth1 }, monitor: 1s }
      www: { exec: { command: "${process.execPath} ${dir}/www.cjs" }, monitor: 1s }
      svc: { agent: "systemd:paceline-demo", monitor: 1s }
location:
  - { rsc: web, rules: ["-INFINITY: not_defined pingd or pingd lte 0"] }
colocate: ["web with promoted data"]
order: ["promote data then start web"]
defaults: { stickiness: 50, migration-threshold: 1 }
`,
  false,
  true,
);
const probe = new VipProbe(c, VIP);
const NODES = ["n1", "n2", "n3"];

const resources = async (n: string) =>
  ((await c.node(n).membership()) as MembershipStatus & { resources: ClusterResourceStatus[] }).resources;

/** Each resource and where it runs, as node `via` sees it (for failure messages). */
async function whereThingsRun(via: string): Promise<string[]> {
  const rs = await resources(via).catch(() => []);
  return rs.map((r) => `${r.id}: ${r.runningOn.join(",")}${r.promotedOn ? ` promoted ${r.promotedOn}` : ""}`);
}

/** Where the promoted copy is, once exactly one is and the web group runs there (else undefined). */
async function settled(via: string): Promise<string | undefined> {
  const rs = await resources(via);
  const data = rs.find((r) => r.id === "data")!;
  const web = rs.find((r) => r.id === "web")!;
  const ping = rs.find((r) => r.id === "ping")!;
  if (data.promotedOn?.length !== 1 || web.state !== "started" || web.runningOn.length !== 1) return undefined;
  if (web.runningOn[0] !== data.promotedOn[0]) return undefined;
  return ping.runningOn.length >= 2 ? data.promotedOn[0] : undefined;
}

const FAKE_SYSTEMCTL = `#!/bin/sh
# systemctl as far as Paceline uses it: show, start, stop; the unit's state in $HA_RSCTMP/units.
verb=$1; unit=$2
[ "$verb" = show ] && unit=$3
mkdir -p "$HA_RSCTMP/units"; f="$HA_RSCTMP/units/$unit"
[ "$unit" = paceline-demo.service ] || { [ "$verb" = show ] && { echo LoadState=not-found; echo ActiveState=inactive; exit 0; }; echo "Unit $unit not found." >&2; exit 5; }
case "$verb" in
  show) echo LoadState=loaded; echo "ActiveState=$(cat "$f" 2>/dev/null || echo inactive)"; exit 0 ;;
  start) echo activating > "$f"; (sleep 0.2; echo active > "$f") >/dev/null 2>&1 & exit 0 ;;
  stop) echo deactivating > "$f"; (sleep 0.1; echo inactive > "$f") >/dev/null 2>&1 & exit 0 ;;
esac
exit 1
`;
const unitState = (n: string) => {
  try {
    return readFileSync(`${c.node(n).dir}/rsctmp/units/paceline-demo.service`, "utf8").trim();
  } catch {
    return "inactive";
  }
};
const savedPath = process.env.PATH;

before(() => {
  if (skip) return;
  writeFileSync(`${dir}/www.cjs`, webServerSource(`10.${SUBNET}.1.`, VIP));
  mkdirSync(`${dir}/bin`, { recursive: true });
  writeFileSync(`${dir}/bin/systemctl`, FAKE_SYSTEMCTL, { mode: 0o755 });
  process.env.PATH = `${dir}/bin:${savedPath ?? ""}`; // the daemons inherit it, and pass it to their agents
  c.setup();
});
after(async () => {
  process.env.PATH = savedPath;
  await c.teardown();
  cleanupDir(dir);
});

test("a promotable clone and a ping clone place a group: loss of the router, then power-off", { skip }, async () => {
  for (const n of NODES) c.node(n).start();
  await c.converge(NODES, NODES, "n1", true, 30_000);
  const first = await waitFor(() => settled("n1"), 30_000, "one promoted copy with the web group beside it").catch(
    async (e: Error) => {
      const where = await whereThingsRun("n1");
      const lags = await Promise.all(
        NODES.map(async (n) => {
          const l = (
            await c
              .node(n)
              .membership()
              .catch(() => undefined)
          )?.eventLoopLagMs;
          return l ? `${n} p50 ${l.p50.toFixed(0)} p99 ${l.p99.toFixed(0)} max ${l.max.toFixed(0)} ms` : `${n} ?`;
        }),
      );
      throw new Error(`${e.message}: ${where.join("; ")}\nevent loop lag: ${lags.join("; ")}\n${c.logs()}`);
    },
  );
  await probe.answeredBy(first, 15_000);
  // Each ping copy sets its node's attribute from its own monitor, apart from the group's placement: waited for
  // (under load a copy may still be starting), and the nodes' logs printed if it never comes.
  const pingds = async () => (await c.node("n1").membership()).nodes.map((x) => `${x.name}:${x.attributes.pingd}`);
  await waitFor(
    async () => (await pingds()).every((a) => a.endsWith(":100")),
    15_000,
    "every ping copy to set pingd = 100",
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${(await pingds()).join(", ")}\n${c.logs()}`);
  });
  assert.deepEqual(
    NODES.map((n) => unitState(n)),
    NODES.map((n) => (n === first ? "active" : "inactive")),
    "the systemd unit runs with the group",
  );
  // notify: true — every copy heard of the promotion before and after it, with Pacemaker's variables.
  const envLog = readFileSync(`${dir}/stateful-env.log`, "utf8");
  for (const want of [
    "notify_type=pre",
    "notify_type=post",
    "notify_operation=promote",
    `notify_promote_uname=${first}`,
  ])
    assert.ok(envLog.includes(`OCF_RESKEY_CRM_meta_${want}`), `the agent was told ${want}`);
  // What an operator sees: which copy is promoted, where the others run.
  const shown = spawnSync(process.execPath, [CLI, "status", "--state-dir", c.node("n1").stateDir], {
    encoding: "utf8",
  });
  const dataLine = shown.stdout.split("\n").find((l) => /^\s+data\s/.test(l)) ?? shown.stdout;
  // (On failure: what the DC decided meanwhile — a busy machine once showed a promotion under way again here.)
  assert.match(
    dataLine,
    new RegExp(`\\(promotable\\).*promoted on ${first}; unpromoted on`),
    `${dataLine}\n--- the DC's log ---\n${c.node("n1").output.slice(-4000)}`,
  );
  const sampler = probe.sampler();
  try {
    // The router is gone for the promoted node: the group may not stay, so promotion moves with it.
    c.setLink(first, 1, "down");
    const others = NODES.filter((n) => n !== first);
    const second = await waitFor(
      async () => {
        const at = await settled(others[0]!);
        return at && at !== first ? at : undefined;
      },
      30_000,
      `promotion and group to leave ${first}`,
    ).catch(async (e: Error) => {
      const where = await whereThingsRun(others[0]!);
      throw new Error(`${e.message}: ${where.join("; ")}; pingd ${(await pingds()).join(", ")}\n${c.logs()}`);
    });
    await probe.answeredBy(second, 15_000);
    assert.equal(unitState(first), "inactive", `the unit stopped on ${first}`);
    assert.equal(unitState(second), "active", `the unit started on ${second}`);
    const rs = await resources(second);
    assert.ok(rs.find((r) => r.id === "data")!.runningOn.includes(first), `${first} keeps an unpromoted copy`);
    c.setLink(first, 1, "up");

    // Power-off of the promoted node: a survivor's copy is promoted and the group follows.
    c.powerOff(second, [`${VIP}/24`], "eth1");
    const survivor = NODES.find((n) => n !== second)!;
    const third = await waitFor(
      async () => {
        const at = await settled(survivor).catch(() => undefined);
        return at && at !== second ? at : undefined;
      },
      30_000,
      `promotion to move off the powered-off ${second}`,
    );
    await probe.answeredBy(third, 15_000);
  } finally {
    await sampler.stop();
  }
  if (sampler.overlaps.length)
    for (const n of NODES) console.log(`--- ${n} ---\n${c.node(n).output.slice(-12_000).replace(/^/gm, "# ")}`);
  assert.deepEqual(sampler.overlaps, [], "the VIP was never on two nodes");
});
