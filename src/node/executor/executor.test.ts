import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadConfigText } from "../../config/load.js";
import { primitivesOf, type PrimitiveConfig } from "../../config/model.js";
import { agentMetadata, checkAgents, createAgent, type ChildExit } from "./index.js";
import { CommandAgent } from "./exec-agent.js";
import { isAlive, processIdentity } from "./exec-agent.js";
import { unmet } from "../../../test/requires.js";

const dir = mkdtempSync(join(tmpdir(), "paceline-exec-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const haveOcf = existsSync("/usr/lib/ocf/resource.d/heartbeat/Dummy");

function rsc(yaml: string): PrimitiveConfig {
  const r = loadConfigText(yaml);
  assert.ok(r.config, r.problems.map((p) => p.message).join("\n"));
  return primitivesOf(r.config)[0]!;
}
const req = (action: "start" | "stop" | "monitor" | "probe", timeoutMs = 10_000) => ({
  action,
  timeoutMs,
  intervalMs: 0,
});

for (const provider of ["heartbeat", "pacemaker"]) {
  test(
    `ocf:${provider}:Dummy starts, monitors and stops`,
    { skip: unmet([haveOcf, "resource-agents is not installed"]) },
    async () => {
      const state = join(dir, `dummy-${provider}.state`);
      const a = createAgent(rsc(`resources:\n  d: { agent: "ocf:${provider}:Dummy", params: { state: ${state} } }`), {
        logDir: dir,
      });
      assert.equal((await a.run(req("probe"))).rc, 7);
      const started = await a.run(req("start"));
      assert.equal(started.rc, 0, started.reason + (started.output ?? ""));
      assert.equal((await a.run(req("monitor"))).rc, 0);
      assert.equal((await a.run(req("stop"))).rc, 0);
      const after = await a.run(req("monitor"));
      assert.equal(after.rc, 7);
      assert.equal(after.reason, "not running");
    },
  );
}

test(
  "OCF parameters are checked against the agent's meta-data",
  { skip: unmet([haveOcf, "resource-agents is not installed"]) },
  async () => {
    const r = loadConfigText(
      `resources:
  vip: { agent: ocf:heartbeat:IPaddr2, params: { ipp: 10.9.9.9 } }
  nope: { agent: ocf:heartbeat:NoSuchAgent }
`,
      "c.yaml",
    );
    const problems = await checkAgents(r.config!, "c.yaml");
    const text = problems.map((p) => `${p.path}: ${p.message}`).join("\n");
    assert.match(text, /resources\.vip\.params\.ipp: unknown parameter `ipp` for IPaddr2 — did you mean `ip`\?/);
    assert.match(text, /resources\.vip\.params\.ip: missing required parameter `ip`/);
    assert.match(text, /resources\.nope\.agent: OCF agent ocf:heartbeat:NoSuchAgent not found: .* does not exist/);
  },
);

test("a timeout kills the whole process group and says so", async () => {
  const script = join(dir, "hang.sh");
  const pidFile = join(dir, "grandchild.pid");
  writeFileSync(script, `#!/bin/sh\nsleep 300 &\necho $! > ${pidFile}\nwait\n`);
  chmodSync(script, 0o755);
  const a = createAgent(rsc(`resources:\n  h: { exec: { start: ${script}, stop: /bin/true } }`), { logDir: dir });
  const r = await a.run(req("start", 500));
  assert.equal(r.status, "timeout");
  assert.equal(r.reason, "timed out after 500ms");
  const grandchild = Number(readFileSync(pidFile, "utf8"));
  await new Promise((res) => setTimeout(res, 100));
  const left = processIdentity(grandchild);
  assert.ok(left === undefined || left.zombie, "the agent's child must be killed too");
});

test("a monitor that leaves a child in the background leaves nothing when it is done; a start may", async () => {
  const pids = join(dir, "bg.pids");
  const bg = join(dir, "bg.sh");
  // Each run leaves a sleeper holding its output open, as a careless status script does.
  writeFileSync(bg, `#!/bin/sh\nsleep 300 &\necho $! >> ${pids}\nexit 0\n`);
  chmodSync(bg, 0o755);
  const a = createAgent(rsc(`resources:\n  b: { exec: { start: ${bg}, stop: ${bg}, status: ${bg} } }`), {
    logDir: dir,
  });
  for (const action of ["monitor", "monitor", "stop", "start"] as const) assert.equal((await a.run(req(action))).rc, 0);
  await new Promise((res) => setTimeout(res, 100));
  const left = readFileSync(pids, "utf8")
    .trim()
    .split("\n")
    .map((p) => processIdentity(Number(p)))
    .map((id) => id !== undefined && !id.zombie);
  assert.deepEqual(left, [false, false, false, true], "only the start's child still runs");
  const started = Number(readFileSync(pids, "utf8").trim().split("\n").at(-1));
  process.kill(started, "SIGKILL");
});

test("garbage output and unknown exit codes become clear results", async () => {
  const script = join(dir, "garbage.sh");
  writeFileSync(script, `#!/bin/sh\nhead -c 100000 /dev/urandom\necho 'last words' >&2\nexit 42\n`);
  chmodSync(script, 0o755);
  const a = createAgent(rsc(`resources:\n  g: { exec: { start: ${script}, stop: /bin/true } }`), { logDir: dir });
  const r = await a.run(req("start"));
  assert.equal(r.rc, 1);
  assert.equal(r.status, "done");
  assert.match(r.reason, /exit code 42/);
  assert.ok((r.output ?? "").length <= 8200);
});

test("a missing or non-executable script is reported, not thrown", async () => {
  const script = join(dir, "noexec.sh");
  writeFileSync(script, "#!/bin/sh\nexit 0\n");
  chmodSync(script, 0o644);
  const a = createAgent(rsc(`resources:\n  n: { exec: { start: ${script}, stop: /bin/true } }`), { logDir: dir });
  const r = await a.run(req("start"));
  assert.equal(r.status, "error");
  assert.match(r.reason, /not executable \(chmod \+x/);
  const lsb = await createAgent(rsc(`resources:\n  l: { agent: lsb:no-such-service }`), { logDir: dir }).run(
    req("start"),
  );
  assert.match(lsb.reason, /LSB init script not found: \/etc\/init\.d\/no-such-service does not exist/);
});

test("Heartbeat v1 scripts get their arguments before the action", async () => {
  const hbDir = join(dir, "resource.d");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(hbDir, { recursive: true });
  const log = join(dir, "hb.log");
  writeFileSync(
    join(hbDir, "killnfsd"),
    `#!/bin/sh\necho "$@" >> ${log}\n[ "$2" = status ] && { [ -f ${log}.up ] && echo running || echo stopped; }\n[ "$2" = start ] && touch ${log}.up\n[ "$2" = stop ] && rm -f ${log}.up\nexit 0\n`,
  );
  chmodSync(join(hbDir, "killnfsd"), 0o755);
  const a = createAgent(rsc(`resources:\n  k: { agent: "killnfsd::r0" }`), {
    logDir: dir,
    dirs: { ocfRoot: "/usr/lib/ocf", lsbDir: "/etc/init.d", heartbeatDirs: [hbDir] },
  });
  assert.equal((await a.run(req("monitor"))).rc, 7);
  assert.equal((await a.run(req("start"))).rc, 0);
  assert.equal((await a.run(req("monitor"))).rc, 0);
  assert.equal((await a.run(req("stop"))).rc, 0);
  assert.equal(readFileSync(log, "utf8"), "r0 status\nr0 start\nr0 status\nr0 stop\n");
});

test("a supervised command's death is reported at once", async () => {
  const exits: ChildExit[] = [];
  let noticed: () => void = () => {};
  const died = new Promise<void>((res) => {
    noticed = res;
  });
  const p = rsc("resources:\n  s: { exec: { command: sleep 300 } }");
  const a = new CommandAgent(p, p.exec!, dir, (e) => {
    exits.push(e);
    noticed();
  });
  assert.equal((await a.run(req("start"))).rc, 0);
  assert.equal((await a.run(req("monitor"))).rc, 0);
  const id = a.identity()!;
  const t0 = performance.now();
  process.kill(id.pid, "SIGKILL");
  await died;
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(exits[0]!.signal, "SIGKILL");
  assert.equal((await a.run(req("monitor"))).rc, 7);
  // Start again, then stop: stopping is not reported as a death.
  assert.equal((await a.run(req("start"))).rc, 0);
  const pid2 = a.identity()!.pid;
  assert.equal((await a.run(req("stop"))).rc, 0);
  assert.equal(isAlive({ pid: pid2, startTicks: "x" }), false);
  assert.equal(exits.length, 1);
});

test("a command that exits at once fails its start with the reason", async () => {
  const p = rsc("resources:\n  s: { exec: { command: 'sh -c \"exit 3\"' } }");
  const r = await new CommandAgent(p, p.exec!, dir, () => {}).run(req("start"));
  assert.equal(r.rc, 1);
  assert.match(r.reason, /exited at once \(exit code 3\)/);
});

test("meta-data is asked for without the resource's parameters, as Pacemaker asks it", async () => {
  const root = join(dir, "ocf-md");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(root, "resource.d", "test"), { recursive: true });
  // An agent that, like exportfs, checks what it is given even for meta-data.
  writeFileSync(
    join(root, "resource.d", "test", "Picky"),
    `#!/bin/sh\n[ "$1" = meta-data ] || exit 3\n[ -n "$OCF_RESKEY_directory$OCF_RESOURCE_INSTANCE" ] && { echo "validation failed" >&2; exit 6; }\n` +
      `echo '<?xml version="1.0"?><resource-agent name="Picky"><parameters><parameter name="directory" required="1"><content type="string"/></parameter></parameters><actions><action name="start" timeout="20s"/></actions></resource-agent>'\n`,
    { mode: 0o755 },
  );
  const dirs = { ocfRoot: root, lsbDir: "/etc/init.d", heartbeatDirs: [] };
  const md = await agentMetadata(
    rsc(`resources:\n  p: { agent: "ocf:test:Picky", params: { directory: /srv } }`),
    dirs,
  );
  assert.deepEqual(
    md.parameters.map((p) => [p.name, p.required]),
    [["directory", true]],
  );
});

test(
  "Debian's exportfs gives its meta-data to a resource configured with its parameters",
  { skip: unmet([existsSync("/usr/lib/ocf/resource.d/heartbeat/exportfs"), "resource-agents is not installed"]) },
  async () => {
    const md = await agentMetadata(
      rsc(
        `resources:\n  e: { agent: "ocf:heartbeat:exportfs", params: { clientspec: "*", directory: /nonexistent, fsid: "1" } }`,
      ),
    );
    assert.ok(md.parameters.some((p) => p.name === "directory" && p.required));
  },
);
