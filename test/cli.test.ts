// The command line as a user meets it: exit codes and messages.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { CLI, cleanupDir, REPO, tempDir } from "./helpers.js";

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
  assert.match(r.stdout, /bad\.yaml:3:13: error: resources\.web\.exec\.comand: unknown key `comand` — did you mean `command`\?/);
  assert.match(r.stdout, /bad\.yaml:4:14: error: resources\.web\.monitor: `soon` is not valid/);
  assert.match(r.stdout, /bad\.yaml: 2 errors/);
  assert.equal(run("config", "validate", join(dir, "missing.yaml")).status, 1);
});

test("usage errors exit 2 and say what was wrong", () => {
  const r = run("status", "--jsno");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /paceline: unknown option --jsno/);
  assert.match(run("frobnicate").stderr, /unknown command `frobnicate`/);
  assert.match(run("resource", "explode", "x").stderr, /`paceline resource` takes one of: cleanup, restart, disable, enable/);
  assert.equal(run("help").status, 0);
});

test("status without a daemon says so plainly (exit 3)", () => {
  const r = run("status", "--state-dir", dir);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /no Paceline daemon is running \(nothing answers on .*paceline\.sock\)/);
});

test("the JSON Schema is published for editors", () => {
  const schema = JSON.parse(readFileSync(join(REPO, "schema", "cluster.schema.json"), "utf8")) as { properties: Record<string, unknown>; $schema: string };
  assert.match(schema.$schema, /json-schema\.org/);
  assert.deepEqual(Object.keys(schema.properties).sort(), ["cluster", "defaults", "heartbeat", "monitors", "nodes", "op-defaults", "ping", "properties", "quorum", "resources"]);
});

test("config import: a CIB becomes a valid cluster.yaml, and what cannot be carried over is listed", () => {
  const out = join(dir, "imported.yaml");
  const r = run("config", "import", join(REPO, "examples", "seed003-aws-eip", "cib.xml"), "-o", out);
  assert.equal(r.status, 0, r.stderr);
  const yaml = readFileSync(out, "utf8");
  assert.match(yaml, /^# Imported from a Pacemaker CIB/);
  assert.match(yaml, /# {3}- cluster property stonith-enabled=false/);
  assert.match(yaml, /eip:\n {4}agent: ocf:heartbeat:eip/);
  assert.match(yaml, /stop:\n {8}timeout: 1m\n {8}on-fail: block/);
  assert.equal(run("config", "validate", "--no-agents", out).status, 0);
  const bad = join(dir, "notcib.xml");
  writeFileSync(bad, "<configuration/>");
  assert.match(run("config", "import", bad).stderr, /not a CIB: the root element is <configuration>, expected <cib>/);
});
