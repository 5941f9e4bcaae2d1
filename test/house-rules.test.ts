// The house rules are enforced by the build, not by good intentions: ESLint refuses clocks, timers, randomness and
// IO in the deterministic core, and imports from outside it other than the config model.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test("src/core may not read the clock, set timers, draw random numbers or import node: modules", async () => {
  const p = await problems(
    "src/core/node/probe.ts",
    [
      'import { readFileSync } from "node:fs";',
      'export const late = () => Date.now() + performance.now() + Math.random() + readFileSync("/x").length;',
      "export const later = () => setTimeout(() => undefined, 10);",
    ].join("\n"),
  );
  assert.ok(
    p.some((m) => m.startsWith("paceline/pure-imports") && m.includes("node:fs")),
    p.join("\n"),
  );
  assert.ok(
    p.some((m) => m.includes("Unexpected use of 'Date'")),
    p.join("\n"),
  );
  assert.ok(
    p.some((m) => m.includes("Unexpected use of 'performance'")),
    p.join("\n"),
  );
  assert.ok(
    p.some((m) => m.includes("'Math.random' is restricted")),
    p.join("\n"),
  );
  assert.ok(
    p.some((m) => m.includes("Unexpected use of 'setTimeout'")),
    p.join("\n"),
  );
});

test("src/core may import the config model but not the API, the daemon or the loader", async () => {
  const ok = await problems(
    "src/core/node/probe.ts",
    'import type { ClusterConfig } from "../../config/model.js";\nexport type C = ClusterConfig;\n',
  );
  assert.deepEqual(ok, []);
  for (const target of [
    "../../api/types.js",
    "../../daemon/node-daemon.js",
    "../../config/load.js",
    "../../node/store.js",
  ]) {
    const p = await problems("src/core/node/probe.ts", `import { x } from "${target}";\nexport const y = x;\n`);
    assert.ok(
      p.some((m) => m.startsWith("paceline/pure-imports")),
      `${target}: ${p.join("\n")}`,
    );
  }
});

test("the shells may use the clock (the rule is for the core only)", async () => {
  assert.deepEqual(await problems("src/daemon/probe.ts", "export const now = () => Date.now();\n"), []);
});
