import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { privateStateDir, readJsonState, StateFile, writeFileAtomic } from "./store.js";

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

test("a new state directory is made private; one that group or others may write in is refused, saying why", () => {
  const fresh = join(dir, "state-new");
  privateStateDir(fresh);
  assert.equal(statSync(fresh).mode & 0o777, 0o700);
  const open = join(dir, "state-open");
  privateStateDir(open);
  chmodSync(open, 0o777);
  assert.throws(
    () => privateStateDir(open),
    /state directory .*state-open is writable by its group \(mode 777\): chmod 700/,
  );
  chmodSync(open, 0o702);
  assert.throws(() => privateStateDir(open), /writable by others \(mode 702\)/);
});
