// ocf:paceline:diskd on its own, as the daemon runs it: its attribute goes through attrd_updater (here a stand-in
// that records each call), "normal" while the disk answers and "ERROR" when it does not; stop removes it.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { BUNDLED_OCF_ROOT } from "../src/node/executor/agents.js";
import { cleanupDir, script, sleep, tempDir, waitFor } from "./helpers.js";
import { OCF_AGENTS, unmet } from "./requires.js";

const dir = tempDir("diskd");
const AGENT = `${BUNDLED_OCF_ROOT}/resource.d/paceline/diskd`;
after(() => cleanupDir(dir));

function run(action: string, params: Record<string, string>, id: string) {
  mkdirSync(`${dir}/bin`, { recursive: true });
  script(`${dir}/bin`, "attrd_updater", `echo "$*" >> ${dir}/attrd-${id}.log`);
  const env: NodeJS.ProcessEnv = {
    PATH: `${dir}/bin:${process.env.PATH}`,
    OCF_ROOT: "/usr/lib/ocf",
    OCF_RESOURCE_INSTANCE: id,
    HA_RSCTMP: dir,
  };
  for (const [k, v] of Object.entries(params)) env[`OCF_RESKEY_${k}`] = v;
  return spawnSync(AGENT, [action], { env, encoding: "utf8" }).status;
}
const calls = (id: string) => {
  try {
    return readFileSync(`${dir}/attrd-${id}.log`, "utf8").trim().split("\n");
  } catch {
    return [];
  }
};

test(
  "diskd sets its attribute to normal while the disk answers, ERROR when it does not, and removes it on stop",
  { skip: unmet(OCF_AGENTS) },
  async () => {
    mkdirSync(`${dir}/disk`);
    const good = { name: "diskcheck_status", dir: `${dir}/disk`, interval: "1" };
    assert.equal(run("monitor", good, "good"), 7, "not running before its start");
    assert.equal(run("start", good, "good"), 0);
    assert.deepEqual(calls("good"), ["-n diskcheck_status -U normal"], "the first result before the start returns");
    assert.equal(run("monitor", good, "good"), 0);
    await sleep(1500);
    assert.deepEqual(calls("good"), ["-n diskcheck_status -U normal"], "an unchanged result is not sent again");
    assert.equal(run("stop", good, "good"), 0);
    assert.equal(run("monitor", good, "good"), 7);
    assert.deepEqual(calls("good").at(-1), "-n diskcheck_status -D");

    const bad = { name: "diskcheck_status", device: `${dir}/no-such-disk`, interval: "1" };
    assert.equal(run("start", bad, "bad"), 0, "a failing disk is a result, not a failed start");
    await waitFor(() => calls("bad")[0] === "-n diskcheck_status -U ERROR", 5000, "ERROR");
    assert.equal(run("stop", bad, "bad"), 0);
    assert.equal(run("validate-all", {}, "none"), 6, "neither device nor dir: not configured");
  },
);
