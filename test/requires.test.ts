// .ci/run sets PACELINE_REQUIRE_INTEGRATION=1: then a test that cannot run here fails the run instead of skipping.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { REPO } from "./helpers.js";
import { ROOT, unmet } from "./requires.js";

test("without the flag a missing requirement is a skip with its reason; with it, an error", () => {
  const saved = process.env.PACELINE_REQUIRE_INTEGRATION;
  try {
    delete process.env.PACELINE_REQUIRE_INTEGRATION;
    assert.equal(unmet([true, "a"], [false, "resource-agents is not installed"]), "resource-agents is not installed");
    assert.equal(unmet([true, "a"]), false);
    process.env.PACELINE_REQUIRE_INTEGRATION = "1";
    assert.throws(
      () => unmet([false, "resource-agents is not installed"]),
      /cannot run here: resource-agents is not installed\. PACELINE_REQUIRE_INTEGRATION=1/,
    );
  } finally {
    if (saved === undefined) delete process.env.PACELINE_REQUIRE_INTEGRATION;
    else process.env.PACELINE_REQUIRE_INTEGRATION = saved;
  }
});

test("an integration test run without root fails under the flag and skips without it", { skip: unmet(ROOT) }, () => {
  const file = join(REPO, "dist", "test", "integration", "block-netns.test.js");
  const asNobody = (flag: boolean) =>
    spawnSync(process.execPath, ["--test", file], {
      uid: 65534,
      gid: 65534,
      cwd: "/",
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...(flag ? { PACELINE_REQUIRE_INTEGRATION: "1" } : {}) },
    });
  const strict = asNobody(true);
  assert.notEqual(strict.status, 0, strict.stdout);
  assert.match(strict.stdout, /cannot run here: needs root for network namespaces/);
  const lenient = asNobody(false);
  assert.equal(lenient.status, 0, lenient.stdout);
  assert.match(lenient.stdout, /# skipped [1-9]/);
});
