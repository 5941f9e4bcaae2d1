// The command line as a user meets it: exit codes and messages.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CLI, cleanupDir, freeUdpPort, REPO, tempDir } from "./helpers.js";
import { unmet } from "./requires.js";

const dir = tempDir("cli");
after(() => cleanupDir(dir));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

test("config validate: exit 0 for a valid file, 1 with every problem for a bad one", () => {
  const good = join(dir, "good.yaml");
  writeFileSync(good, "resources:\n  web: { exec: { command: sleep 100 }, monitor: 5s }\n");
  const ok = run("config", "validate", good);
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /good\.yaml: valid — 1 resource, 0 monitors/);
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "resources:\n  web:\n    exec: { comand: sleep 100 }\n    monitor: soon\n");
  const r = run("config", "validate", bad);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /bad\.yaml:3:13: error: resources\.web\.exec\.comand: unknown key `comand` — did you mean `command`\?/,
  );
  assert.match(r.stdout, /bad\.yaml:4:14: error: resources\.web\.monitor: `soon` is not valid/);
  assert.match(r.stdout, /bad\.yaml: 2 errors/);
  assert.equal(run("config", "validate", join(dir, "missing.yaml")).status, 1);
});

test("usage errors exit 2 and say what was wrong", () => {
  const r = run("status", "--jsno");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /paceline: unknown option --jsno/);
  assert.match(run("frobnicate").stderr, /unknown command `frobnicate`/);
  assert.match(
    run("resource", "explode", "x").stderr,
    /`paceline resource` takes one of: cleanup, restart, disable, enable/,
  );
  assert.equal(run("help").status, 0);
});

test("status without a daemon says so plainly (exit 3)", () => {
  const r = run("status", "--state-dir", dir);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /no Paceline daemon is running \(nothing answers on .*paceline\.sock\)/);
});

test("the JSON Schema is published for editors", () => {
  const schema = JSON.parse(readFileSync(join(REPO, "schema", "cluster.schema.json"), "utf8")) as {
    properties: Record<string, unknown>;
    $schema: string;
  };
  assert.match(schema.$schema, /json-schema\.org/);
  assert.deepEqual(Object.keys(schema.properties).sort(), [
    "cluster",
    "colocate",
    "defaults",
    "fencing",
    "heartbeat",
    "location",
    "monitors",
    "nodes",
    "op-defaults",
    "order",
    "ping",
    "properties",
    "quorum",
    "resources",
  ]);
});

test("config import: a CIB becomes a valid cluster.yaml, and what cannot be carried over is listed", () => {
  const out = join(dir, "imported.yaml");
  const r = run("config", "import", join(REPO, "examples", "seed003-aws-eip", "cib.xml"), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  const yaml = readFileSync(out, "utf8");
  assert.match(yaml, /^# Imported from a Pacemaker CIB/);
  assert.match(yaml, /fencing:\n {2}enabled: false/, "stonith-enabled=false carries over");
  assert.match(yaml, /eip:\n {4}agent: ocf:heartbeat:eip/);
  assert.match(yaml, /stop:\n {8}timeout: 1m\n {8}on-fail: block/);
  assert.equal(run("config", "validate", "--no-agents", out).status, 0);
  const bad = join(dir, "notcib.xml");
  writeFileSync(bad, "<configuration/>");
  assert.match(run("config", "import", bad).stderr, /not a CIB: the root element is <configuration>, expected <cib>/);
});

test("cluster daemon: a wrong node, a missing or exposed key, a foreign address or a taken port stop it with a plain reason", async () => {
  const key = join(dir, "authkey");
  assert.equal(run("keygen", "-o", key).status, 0);
  assert.match(run("keygen", "-o", key).stderr, /it exists already \(remove it first to replace the key\)/);
  // Ports the system hands out now (free at this moment), not fixed numbers another run might hold.
  const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
  const conf = (keyFile: string, bAddr = `127.0.0.1:${portB}`) => {
    const f = join(dir, "two.yaml");
    writeFileSync(
      f,
      `cluster: t\nheartbeat: { key-file: ${keyFile} }\nquorum: { two-node: true }\nnodes:\n  a: { links: ["127.0.0.1:${portA}"] }\n  b: { links: ["${bAddr}"] }\n`,
    );
    return f;
  };
  const start = (f: string, node: string, stateDir = join(dir, `st-${node}`)) =>
    run("daemon", "--config", f, "--node", node, "--state-dir", stateDir);
  assert.match(
    start(conf(key), "zz").stderr,
    /not starting: this host is `zz`, which is not a node of the configuration \(nodes: a, b\); give --node NAME/,
  );
  assert.match(
    start(conf(join(dir, "nokey")), "a").stderr,
    /cluster key .*nokey does not exist; create it with `paceline keygen -o/,
  );
  const open = join(dir, "openkey");
  writeFileSync(open, readFileSync(key), { mode: 0o644 });
  assert.match(start(conf(open), "a").stderr, /is readable by group or others \(mode 644\); run chmod 600/);
  assert.match(
    start(conf(key, "192.0.2.77"), "b").stderr,
    /cannot listen on heartbeat link 0 \(192\.0\.2\.77:5405\): this host has no such address/,
  );
  // A second daemon for the same node: the port is taken.
  const first = spawn(
    process.execPath,
    [CLI, "daemon", "--config", conf(key), "--node", "a", "--state-dir", join(dir, "st-a1")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    let out = "";
    first.stdout.on("data", (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 100 && !out.includes("cluster node a"); i++) await new Promise((r) => setTimeout(r, 50));
    const second = start(conf(key), "a", join(dir, "st-a2"));
    assert.equal(second.status, 1);
    assert.ok(
      second.stderr.includes(
        `cannot listen on heartbeat link 0 (127.0.0.1:${portA}): the port is taken (is another Paceline daemon running for this node?)`,
      ),
      second.stderr,
    );
  } finally {
    first.kill("SIGTERM");
  }
});

test("paceline fence: escalates from a failing device to the next level, then to a person; passwords stay hidden", () => {
  const agent = (name: string, body: string) => {
    const f = join(dir, name);
    writeFileSync(f, `#!/bin/sh\ncat > ${f}.stdin\n${body}\n`, { mode: 0o755 });
    return f;
  };
  const broken = agent("fence_broken", "echo 'ERROR: Failed: bad password s3cret' >&2; exit 1");
  const works = agent("fence_works", "exit 0");
  writeFileSync(join(dir, "ipmi.pw"), "s3cret\n", { mode: 0o600 });
  const conf = join(dir, "fence.yaml");
  const write = (levels: string) =>
    writeFileSync(
      conf,
      `cluster: f
nodes:
  node1: { links: [10.0.0.1] }
  node2: { links: [10.0.0.2] }
fencing:
  devices:
    ipmi: { agent: ${broken}, params: { ip: 10.0.0.102, username: admin }, password-file: ${join(dir, "ipmi.pw")}, targets: [node2], timeout: 5s }
    virsh: { agent: ${works}, params: { ip: 10.0.0.200 }, host-map: { node2: vm-node2 } }
    person: { agent: manual, targets: [node2] }
  levels:
    node2: ${levels}
`,
    );
  write("[[ipmi], [virsh]]");
  const ok = run("fence", "node2", "--config", conf);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /fencing node2 \(reboot\) with ipmi \(level 1 of 2, device 1 of 1\)/);
  assert.match(ok.stdout, /ipmi failed \(exit 1: Failed: bad password \*\*\*\*\*\*\); level 1 failed, trying level 2/);
  assert.match(ok.stdout, /node2 fenced by virsh in \d+\.\d s/);
  assert.doesNotMatch(ok.stdout + ok.stderr, /s3cret/);
  assert.match(readFileSync(`${broken}.stdin`, "utf8"), /^password=s3cret$/m, "the agent got the password on stdin");
  assert.match(readFileSync(`${works}.stdin`, "utf8"), /^plug=vm-node2$/m, "the host map gives the plug");
  write("[[ipmi], [person]]");
  const manual = run("fence", "node2", "--config", conf, "--off", "--yes");
  assert.equal(manual.status, 0, manual.stdout + manual.stderr);
  assert.match(manual.stdout, /waiting for a person to power it off and confirm that it is off/);
  assert.match(manual.stdout, /WARNING: confirm only if node2 is really powered off/);
  assert.match(manual.stdout, /node2 fenced by manual confirmation/);
  const unconfirmed = run("fence", "node2", "--config", conf);
  assert.equal(unconfirmed.status, 1);
  assert.match(unconfirmed.stderr, /node2 is not fenced: nobody confirmed it is off/);
  write("[[ipmi], [nothing]]");
  const bad = run("config", "validate", conf);
  assert.equal(bad.status, 1);
  assert.match(
    bad.stdout,
    /fencing\.levels\.node2: level 2 names nothing, which is not a device \(devices: ipmi, virsh, person\)/,
  );
  write("[[ipmi], [virsh]]");
  const none = run("fence", "node1", "--config", conf);
  assert.match(none.stderr, /warning: fencing: no device can fence node1: a lost node1 would keep its resources stuck/);
  assert.match(
    none.stderr,
    /paceline fence: no fence device can fence node1: add one under fencing\.devices with targets: \[node1\]/,
  );
});

test(
  "config validate checks fence devices against the agents' own metadata",
  { skip: unmet([existsSync("/usr/sbin/fence_virsh"), "fence-agents is not installed"]) },
  () => {
    const f = join(dir, "fence-check.yaml");
    writeFileSync(
      f,
      `nodes:
  node1: { links: [10.0.0.1] }
  node2: { links: [10.0.0.2] }
fencing:
  devices:
    ipmi: { agent: fence_ipmilan, params: { ip: 10.0.0.102, usernam: admin, lanplus: 1 }, password-env: PW, targets: [node2] }
    virsh: { agent: fence_virsh, params: { ip: 10.0.0.200, login: root }, host-map: { node1: vm1 } }
    nope: { agent: fence_doesnotexist, targets: [node1] }
`,
    );
    const r = run("config", "validate", f);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /fencing\.devices\.ipmi\.params\.usernam: unknown parameter `usernam` for fence_ipmilan — did you mean `username`\?/,
    );
    assert.match(r.stdout, /fencing\.devices\.nope\.agent: fence agent fence_doesnotexist is not installed here/);
    assert.doesNotMatch(
      r.stdout,
      /fencing\.devices\.virsh/,
      "old option names (login) and the plug from the host map count",
    );
    assert.match(r.stdout, /2 errors/);
  },
);
