// cluster.yaml that is hostile or broken gets located, bounded errors, never an internal one: the known cases (a
// megabyte value, nesting thousands deep, an alias bomb), then seeded mutants of the examples' files.
// PACELINE_FUZZ_CONFIGS scales the mutants.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Random } from "../core/random.js";
import { importConfig, type ImportFormat } from "./import.js";
import { loadConfigText } from "./load.js";
import { formatProblem } from "./problems.js";

const REPO = new URL("../../..", import.meta.url).pathname;
const SEEDS = [
  "examples/seed000-fencing/cluster.yaml",
  "examples/hulft-single-server/cluster.yaml",
  "examples/seed000-pgsql/imported.yaml", // clones and constraints
].map((f) => readFileSync(`${REPO}/${f}`, "utf8"));
const MUTANTS = Number(process.env.PACELINE_FUZZ_CONFIGS ?? 2000);
const INTERNAL = /is not a function|Cannot read properties|is not iterable|Maximum call stack|undefined/;

function errors(text: string): string[] {
  return loadConfigText(text, "c.yaml")
    .problems.filter((p) => p.severity === "error")
    .map(formatProblem);
}

test("a megabyte value, YAML nested thousands deep and an alias bomb are plain, short, located errors", () => {
  const big = errors(
    `resources:\n  a:\n    exec: { command: x }\n    ops: { monitor: { interval: 1s, on-fail: ${"x".repeat(1_000_000)} } }\n`,
  );
  assert.equal(big.length, 1);
  assert.match(
    big[0]!,
    /^c\.yaml:4:\d+: error: resources\.a\.ops\.monitor\.on-fail: `x{80}…` \(1000000 characters\) is not one of/,
  );
  assert.ok(big[0]!.length < 300, "the value is not echoed back");
  assert.match(
    errors(`nodes: ${"[".repeat(20000)}${"]".repeat(20000)}`)[0]!,
    /^c\.yaml:1:\d+: error: the YAML nests deeper than it can be read/,
  );
  const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++)
    bomb.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  assert.match(
    errors(`${bomb.join("\n")}\nresources: *a9\n`)[0]!,
    /^c\.yaml:1:1: error: more than 1000 YAML alias expansions/,
  );
});

const SNIPPETS = [
  "__proto__",
  "constructor",
  ": ",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "&a",
  "*a",
  "!!binary",
  "~",
  "-1",
  "1e400",
  "\t",
  "'",
  '"',
  "\n  ",
  "x".repeat(5000),
  "INFINITY",
];

/** The text with one to three random cuts, insertions of SNIPPETS, or copies of its own pieces. */
function mutate(rng: Random, text: string): string {
  for (let m = rng.int(1, 3); m > 0; m--) {
    const at = rng.int(0, text.length - 1);
    const roll = rng.int(0, 2);
    if (roll === 0) text = text.slice(0, at) + text.slice(at + rng.int(1, 40));
    else if (roll === 1) text = text.slice(0, at) + SNIPPETS[rng.int(0, SNIPPETS.length - 1)] + text.slice(at);
    else text = text.slice(0, at) + text.slice(rng.int(0, text.length - 1)).slice(0, 80) + text.slice(at);
  }
  return text;
}

test(`${MUTANTS} seeded mutants of the examples' cluster.yaml: no internal error`, () => {
  const rng = new Random(2026);
  const internal: string[] = [];
  let slowestMs = 0;
  for (let k = 0; k < MUTANTS; k++) {
    const text = mutate(rng, SEEDS[k % SEEDS.length]!);
    const t0 = performance.now();
    try {
      for (const e of errors(text)) if (INTERNAL.test(e)) internal.push(`mutant ${k}: ${e.slice(0, 200)}`);
    } catch (e) {
      internal.push(`mutant ${k}: threw ${(e as Error).name}: ${(e as Error).message}`);
    }
    slowestMs = Math.max(slowestMs, performance.now() - t0);
  }
  console.log(
    `# cluster.yaml mutants: ${MUTANTS}, ${internal.length} internal errors, slowest ${slowestMs.toFixed(0)} ms`,
  );
  assert.deepEqual(internal.slice(0, 10), [], `${internal.length} internal errors`);
});

// Garbage in a source file (on-fail=restal…) cannot make a valid cluster.yaml: `config import` then shows the
// located validation errors of what it wrote. What must never happen is an internal error.
test(`${Math.round(MUTANTS / 4)} mutants of each seed's crm, pcs and Heartbeat files: the import never fails inside`, () => {
  const rng = new Random(2027);
  const sources: Array<[string, string[]]> = [
    ["crm", ["examples/seed000-pgsql/crm-configure.txt"]],
    ["pcs", ["examples/seed003-aws-eip/pcs-commands.txt"]],
    [
      "heartbeat",
      ["examples/seed002-budget/ha.cf", "examples/seed002-budget/haresources", "examples/seed002-budget/authkeys"],
    ],
  ];
  const bad: string[] = [];
  for (let k = 0; k < MUTANTS / 4; k++)
    for (const [format, paths] of sources) {
      const files = paths.map((path) => ({ path, text: mutate(rng, readFileSync(`${REPO}/${path}`, "utf8")) }));
      try {
        const r = importConfig(files, format as ImportFormat);
        for (const e of errors(r.yaml)) if (INTERNAL.test(e)) bad.push(`${format} mutant ${k}: ${e.slice(0, 200)}`);
      } catch (e) {
        bad.push(`${format} mutant ${k}: threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`);
      }
    }
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} bad imports`);
});
