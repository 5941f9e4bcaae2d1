import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LatestFile, LineSink } from "./async-output.js";

test("LineSink appends lines in order, and a reader far behind loses lines counted, not the daemon's time", async () => {
  const dir = mkdtempSync(join(tmpdir(), "paceline-out-"));
  try {
    const path = join(dir, "events.log");
    const sink = new LineSink({ path });
    for (let i = 0; i < 100; i++) sink.write(`line ${i}`);
    await sink.flush();
    assert.deepEqual(
      readFileSync(path, "utf8").trim().split("\n"),
      Array.from({ length: 100 }, (_, i) => `line ${i}`),
    );

    // A tiny bound: whatever does not fit while writes are under way is dropped and said once.
    const small = new LineSink({ path: join(dir, "small.log") }, 10);
    for (let i = 0; i < 50; i++) small.write(`x${i}`);
    await small.flush();
    small.write("after");
    await small.flush();
    const lines = readFileSync(join(dir, "small.log"), "utf8").trim().split("\n");
    assert.equal(lines[0], "x0");
    assert.match(lines.at(-2)!, /^\(\d+ log line\(s\) dropped here/);
    assert.equal(lines.at(-1), "after");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("LatestFile: writes never overlap and the newest value is what stays", async () => {
  const dir = mkdtempSync(join(tmpdir(), "paceline-latest-"));
  try {
    const path = join(dir, "lease.json");
    const errors: Error[] = [];
    const f = new LatestFile(path, (e) => errors.push(e));
    for (let i = 0; i < 200; i++) f.write(JSON.stringify({ i }));
    const read = () => {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined; // not written yet
      }
    };
    for (let k = 0; k < 200 && read() !== '{"i":199}'; k++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(read(), '{"i":199}');
    assert.deepEqual(errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
