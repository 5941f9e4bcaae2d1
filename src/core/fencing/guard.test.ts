import assert from "node:assert/strict";
import { test } from "node:test";
import { guardDelayMs, guardVerdict } from "./guard.js";

test("guard: alive → fail (next level shoots); silent and idle → off; silent but running → fail", () => {
  const base = { target: "pm2", addresses: ["10.0.0.2", "10.0.100.2"] };
  assert.deepEqual(guardVerdict({ ...base, answered: ["10.0.100.2"], targetRuns: [] }).ok, false);
  assert.match(
    guardVerdict({ ...base, answered: ["10.0.100.2"], targetRuns: [] }).reason,
    /pm2 is alive \(answers on 10\.0\.100\.2\)/,
  );
  assert.equal(guardVerdict({ ...base, answered: [], targetRuns: [] }).ok, true);
  assert.match(
    guardVerdict({ ...base, answered: [], targetRuns: ["prmPg"] }).reason,
    /may run prmPg: it must be powered off/,
  );
  assert.equal(guardVerdict({ target: "pm2", addresses: [], answered: [], targetRuns: [] }).ok, false);
});

test("guard: the delay applies only where the protected resource does not run", () => {
  assert.equal(
    guardDelayMs(15_000, "grpPg", (r) => r === "grpPg"),
    0,
  );
  assert.equal(
    guardDelayMs(15_000, "grpPg", () => false),
    15_000,
  );
  assert.equal(
    guardDelayMs(15_000, undefined, () => true),
    15_000,
  );
});
