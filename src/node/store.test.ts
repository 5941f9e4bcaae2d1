import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readJsonState, StateFile, writeFileAtomic } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "paceline-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const isObj = (v: unknown): v is { n: number } =>
  typeof v === "object" && v !== null && typeof (v as { n: unknown }).n === "number";

test("atomic writes leave no temporary file and a private mode", () => {
  const path = join(dir, "a.json");
  writeFileAtomic(path, '{"n":1}');
  assert.deepEqual(readJsonState(path, isObj), { kind: "ok", value: { n: 1 } });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
  );
});

test("a corrupt or foreign state file is moved aside, never trusted", () => {
  const path = join(dir, "b.json");
  writeFileSync(path, '{"n":');
  const r = readJsonState(path, isObj);
  assert.equal(r.kind, "corrupt");
  assert.ok(r.kind === "corrupt" && existsSync(r.movedTo));
  assert.equal(existsSync(path), false);
  writeFileSync(path, '{"x":1}');
  assert.equal(readJsonState(path, isObj).kind, "corrupt");
  assert.deepEqual(readJsonState(join(dir, "missing.json"), isObj), { kind: "missing" });
});

test("StateFile skips writes when nothing changed", () => {
  const f = new StateFile<{ n: number }>(join(dir, "c.json"));
  assert.equal(f.save({ n: 1 }), true);
  assert.equal(f.save({ n: 1 }), false);
  assert.equal(f.save({ n: 2 }), true);
});
