import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fenceAgentMetadata, fenceAgentPath, runFenceAgent, STONITH_CMD } from "./fence-agent.js";
import { unmet } from "../../../test/requires.js";

const dir = mkdtempSync(join(tmpdir(), "paceline-fence-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in agent: records its stdin, then behaves as told by `mode=` (ok, fail, off, hang). */
const fake = join(dir, "fence_fake");
writeFileSync(
  fake,
  `#!/bin/sh
cat > "${dir}/stdin"
mode=$(sed -n 's/^mode=//p' "${dir}/stdin")
pw=$(sed -n 's/^password=//p' "${dir}/stdin")
case "$mode" in
  ok) exit 0 ;;
  off) exit 2 ;;
  hang) sleep 30 ;;
  cut300) printf 'ERROR: %s%s\n' "$(printf '%296s' '' | tr ' ' a)" "$pw" >&2; exit 1 ;;
  cuttail) printf '%s%s%s\n' "$(printf '%100s' '' | tr ' ' a)" "$pw" "$(printf '%4091s' '' | tr ' ' b)" >&2; exit 1 ;;
  *) echo "2026-11-25 10:00:00,000 ERROR: Failed: login refused for password $pw" >&2; exit 1 ;;
esac
`,
  { mode: 0o755 },
);

const spec = (mode: string, timeoutMs = 5000) => ({
  agent: fake,
  params: { ip: "10.0.0.9", username: "admin", password: "s3cret!", mode },
  secret: ["password"],
  timeoutMs,
});

test("options go to the agent on stdin, one key=value per line, the action first", async () => {
  const r = await runFenceAgent(spec("ok"), "reboot");
  assert.equal(r.ok, true);
  assert.equal(
    readFileSync(join(dir, "stdin"), "utf8"),
    "action=reboot\nip=10.0.0.9\nusername=admin\npassword=s3cret!\nmode=ok\n",
  );
});

test("status maps exit 0/2 to power on/off; a failure is one plain sentence with the password removed", async () => {
  assert.deepEqual((({ ok, power }) => ({ ok, power }))(await runFenceAgent(spec("off"), "status")), {
    ok: true,
    power: "off",
  });
  const r = await runFenceAgent(spec("fail"), "off");
  assert.equal(r.ok, false);
  assert.equal(r.reason, "exit 1: Failed: login refused for password ******");
});

test("a password cut in two by the shortening of the agent's words shows neither half", async () => {
  // The last line is cut at 300 characters in the middle of the password; the output's tail (4 KiB) begins in
  // the middle of it.
  for (const mode of ["cut300", "cuttail"]) {
    const r = await runFenceAgent(spec(mode), "off");
    assert.equal(r.ok, false);
    for (const part of ["s3c", "s3cr", "ret!", "et!"]) assert.ok(!r.reason.includes(part), `${mode}: ${r.reason}`);
    assert.match(r.reason, /\*\*\*\*/);
  }
});

test("an agent that never answers is killed at its timeout", async () => {
  const r = await runFenceAgent(spec("hang", 300), "off");
  assert.equal(r.ok, false);
  assert.match(r.reason, /did not finish within 300 ms \(killed\)/);
});

test("bad input: an unknown agent, a name that is not a fence agent, a value with a newline", async () => {
  assert.match(
    (await runFenceAgent({ ...spec("ok"), agent: "/nonexistent/fence_x" }, "off")).reason,
    /could not run \/nonexistent\/fence_x/,
  );
  await assert.rejects(runFenceAgent({ ...spec("ok"), agent: "rm -rf" }, "off"), /is not a fence agent name/);
  assert.match(
    (await runFenceAgent({ ...spec("ok"), params: { ip: "1\naction=on" } }, "off")).reason,
    /contains a newline/,
  );
});

test("cluster-glue external plugins: COMMAND HOST as arguments, options in the environment, the password hidden", async () => {
  const pluginDir = mkdtempSync(join(tmpdir(), "paceline-plugins-"));
  try {
    mkdirSync(join(pluginDir, "external"));
    writeFileSync(
      join(pluginDir, "external", "fake"),
      `#!/bin/sh\necho "$1 $2 hostlist=$hostlist" > ${dir}/external.args\n[ "$passwd" = "pw9" ] || { echo "wrong password $passwd" >&2; exit 1; }\nexit 0\n`,
      { mode: 0o755 },
    );
    const ok = await runFenceAgent(
      {
        agent: "external/fake",
        pluginDir,
        target: "node2",
        params: { hostlist: "node1 node2", passwd: "pw9" },
        secret: ["passwd"],
        timeoutMs: 5000,
      },
      "reboot",
    );
    assert.equal(ok.ok, true, ok.reason);
    assert.equal(readFileSync(join(dir, "external.args"), "utf8"), "reset node2 hostlist=node1 node2\n");
    const bad = await runFenceAgent(
      {
        agent: "external/fake",
        pluginDir,
        target: "node2",
        params: { passwd: "nope-secret" },
        secret: ["passwd"],
        timeoutMs: 5000,
      },
      "off",
    );
    assert.equal(bad.reason, "exit 1: wrong password ******");
  } finally {
    rmSync(pluginDir, { recursive: true, force: true });
  }
});

test(
  "Debian's cluster-glue external/libvirt lists its options",
  { skip: unmet([existsSync("/usr/lib/stonith/plugins/external/libvirt"), "cluster-glue is not installed"]) },
  async () => {
    const meta = await fenceAgentMetadata("external/libvirt");
    assert.deepEqual(
      meta.parameters.map((p) => p.name),
      ["hostlist", "hypervisor_uri", "reboot_method"],
    );
  },
);

const haveIpmilan = existsSync("/usr/sbin/fence_ipmilan");

test(
  "Debian's fence_ipmilan: metadata is read, and a BMC that does not answer fails cleanly without the password",
  { skip: unmet([haveIpmilan, "fence-agents is not installed"]) },
  async () => {
    const meta = await fenceAgentMetadata("fence_ipmilan");
    for (const p of ["ip", "username", "password", "lanplus"])
      assert.ok(
        meta.parameters.some((x) => x.name === p),
        `parameter ${p}`,
      );
    const r = await runFenceAgent(
      {
        agent: "fence_ipmilan",
        params: {
          ip: "127.0.0.1",
          ipport: "9",
          username: "admin",
          password: "hunter2x",
          login_timeout: "1",
          power_timeout: "1",
          retry_on: "1",
        },
        secret: ["password"],
        timeoutMs: 30_000,
      },
      "status",
    );
    assert.equal(r.ok, false);
    assert.doesNotMatch(r.reason, /hunter2x/);
    assert.match(r.reason, /^exit \d+/);
  },
);

test(
  "cluster-glue stonith2 plugins run through its stonith command; a secret option goes in a private file, not in ps",
  {
    skip: unmet([
      existsSync("/usr/lib/stonith/plugins/stonith2/null.so") && existsSync(STONITH_CMD),
      "cluster-glue is not installed",
    ]),
  },
  async () => {
    const spec = {
      agent: "stonith2/null",
      target: "node2",
      params: { hostlist: "node1 node2" },
      timeoutMs: 10_000,
    };
    const off = await runFenceAgent(spec, "off");
    assert.equal(off.ok, true, off.reason);
    assert.equal(off.reason, "off done");
    assert.equal((await runFenceAgent(spec, "status")).ok, true);
    // The same option treated as a secret: passed through stonith -F (and masked in any message).
    const hidden = await runFenceAgent({ ...spec, secret: ["hostlist"] }, "reboot");
    assert.equal(hidden.ok, true, hidden.reason);
    assert.deepEqual(
      (await fenceAgentMetadata("stonith2/null")).parameters.map((p) => p.name),
      ["hostlist"],
    );
    await assert.rejects(async () => fenceAgentPath("null"), /written stonith2\/null/);
  },
);
