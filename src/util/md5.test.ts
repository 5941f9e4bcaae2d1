import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { md5Hex } from "./md5.js";

test("md5Hex matches node:crypto on known values and on any string", () => {
  assert.equal(md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  // Pacemaker's digest of an empty parameter set, as recorded in CIB status.
  assert.equal(md5Hex(" <parameters/>\n"), "f2317cad3d54cec5d7d7aa7d0bf35cf8");
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
      assert.equal(md5Hex(s), createHash("md5").update(s, "utf8").digest("hex"));
    }),
    { numRuns: 500 },
  );
});
