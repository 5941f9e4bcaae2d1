import assert from "node:assert/strict";
import { test } from "node:test";
import { parseToolArgs } from "./pacemaker-tools.js";

const env = { OCF_RESOURCE_INSTANCE: "data:1" };

test("the attribute tools read the command lines agents use", () => {
  // Stateful, drbd (via ocf_promotion_score), ping.
  assert.deepEqual(parseToolArgs("crm_attribute", ["--promotion", "-v", "10"], env, "n1"), {
    verb: "set",
    name: "master-data",
    value: "10",
    quiet: false,
  });
  assert.deepEqual(parseToolArgs("crm_attribute", ["-p", "-D"], env, "n1"), {
    verb: "delete",
    name: "master-data",
    quiet: false,
  });
  assert.deepEqual(parseToolArgs("crm_master", ["-l", "reboot", "-v", "100"], env, "n1"), {
    verb: "set",
    name: "master-data",
    value: "100",
    quiet: false,
  });
  assert.deepEqual(parseToolArgs("crm_master", ["-Q", "-l", "reboot", "-G"], env, "n1"), {
    verb: "query",
    name: "master-data",
    quiet: true,
  });
  assert.deepEqual(parseToolArgs("attrd_updater", ["-n", "pingd", "-v", "1000", "-d", "5s"], env, "n1"), {
    verb: "set",
    name: "pingd",
    value: "1000",
    quiet: false,
  });
  assert.deepEqual(
    parseToolArgs(
      "crm_attribute",
      ["-t", "status", "-N", "n1", "-n", "diskcheck_status", "--update=normal"],
      env,
      "n1",
    ),
    { verb: "set", name: "diskcheck_status", value: "normal", quiet: false },
  );
});

test("what Paceline does not keep is refused with the reason", () => {
  assert.match(String(parseToolArgs("crm_attribute", ["-N", "n2", "-n", "x", "-v", "1"], env, "n1")), /only this node/);
  assert.match(
    String(parseToolArgs("crm_attribute", ["-t", "crm_config", "-n", "x", "-v", "1"], env, "n1")),
    /cluster.yaml/,
  );
  assert.match(String(parseToolArgs("crm_attribute", ["-n", "x"], env, "n1")), /nothing to do/);
  assert.match(String(parseToolArgs("crm_master", ["-v", "1"], {}, "n1")), /OCF_RESOURCE_INSTANCE/);
  assert.match(String(parseToolArgs("attrd_updater", ["-n"], env, "n1")), /needs a value/);
});
