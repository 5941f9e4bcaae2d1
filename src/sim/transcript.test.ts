// Runs every transcript in test/transcripts (scenario files of commands and what the nodes said, see transcript.ts)
// and compares. PACELINE_REWRITE=1 writes the actual output back into the files (then review the diff).

import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runTranscript } from "./transcript.js";

const DIR = join(new URL("../../..", import.meta.url).pathname, "test", "transcripts");

for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith(".txt"))
  .sort()) {
  test(`transcript ${file}`, () => {
    const path = join(DIR, file);
    const text = readFileSync(path, "utf8");
    const actual = runTranscript(text.replace(/\n$/, "")) + "\n";
    if (process.env.PACELINE_REWRITE === "1") {
      writeFileSync(path, actual);
      return;
    }
    assert.equal(actual, text, `${file} differs (PACELINE_REWRITE=1 npm test rewrites it; then read the diff)`);
  });
}
