import assert from "node:assert/strict";
import { test } from "node:test";
import { printable } from "../util/printable.js";

test("what an agent said reaches the terminal escaped: no screen clearing, no faked lines", () => {
  const shown = printable(["db: monitor failed: \x1b[2J\x1b[Hall good\nvip started", "tabs\tstay"]);
  assert.equal(shown, "db: monitor failed: \\x1b[2J\\x1b[Hall good\\x0avip started\ntabs\tstay");
  assert.doesNotMatch(shown, /\x1b/); // eslint-disable-line no-control-regex
});
