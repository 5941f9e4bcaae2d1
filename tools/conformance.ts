// npm run conformance — runs our scheduler on Pacemaker's own scheduler regression inputs and compares the
// normalized transition with what Pacemaker 2.1.5 computed (../shared/conformance/pacemaker-scheduler/public).
// Prints pass/fail per category, a diff for every failure that is not a known, explained one, and a final line
// `conformance: P passed, F failed`. Exits 1 when the corpus is missing, when a case outside the known-failures list
// fails, when a known failure fails differently than recorded (tools/conformance-known-diffs.txt), or when a known
// failure passes (take it off the list). Cases are evaluated at a fixed date unless their CIB gives one, so a date
// rule cannot change the outcome from one day to the next.
//   --case NAME     show one case in full (ours vs expected)
//   --verbose       diff every failing case
//   --write-known   rewrite the known-failure list and diffs from this run

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCib } from "../src/config/cib.js";
import { normalizedSummary, schedule } from "../src/core/scheduler/index.js";

const REPO = new URL("../..", import.meta.url).pathname;
// shared/ sits beside the checkout (CI and developer machines alike).
const CANDIDATES = [
  process.env.PACELINE_CONFORMANCE_DIR,
  join(REPO, "..", "shared", "conformance", "pacemaker-scheduler", "public"),
  "/work/shared/conformance/pacemaker-scheduler/public",
];
const CORPUS = CANDIDATES.find((d): d is string => !!d && existsSync(join(d, "manifest.tsv"))) ?? CANDIDATES[1]!;
const KNOWN = join(REPO, "tools", "conformance-known-failures.txt");
const KNOWN_DIFFS = join(REPO, "tools", "conformance-known-diffs.txt");
/** "Now" for cases whose CIB has no execution-date: 2024-01-01T00:00:00Z. */
const FIXED_NOW_SEC = 1_704_067_200;
const args = process.argv.slice(2);
const only = args.includes("--case") ? args[args.indexOf("--case") + 1] : undefined;
const verbose = args.includes("--verbose");

if (!existsSync(join(CORPUS, "manifest.tsv"))) {
  console.error(
    `conformance corpus not found at ${CORPUS} (set PACELINE_CONFORMANCE_DIR): nothing was compared, so this is a failure`,
  );
  console.log("conformance: 0 passed, 1 failed");
  process.exit(1);
}

const manifest = readFileSync(join(CORPUS, "manifest.tsv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split("\t"));
const known = new Map<string, string>();
if (existsSync(KNOWN)) {
  for (const line of readFileSync(KNOWN, "utf8").split("\n")) {
    const m = /^([^\s#]+)\s*(?:#\s*(.*))?$/.exec(line.trim());
    if (m) known.set(m[1]!, m[2] ?? "");
  }
}

/** The recorded diff of each known failure (blocks headed `== NAME`). */
const knownDiffs = new Map<string, string>();
if (existsSync(KNOWN_DIFFS)) {
  let name = "";
  for (const line of readFileSync(KNOWN_DIFFS, "utf8").split("\n")) {
    if (line.startsWith("== ")) {
      name = line.slice(3).trim();
      knownDiffs.set(name, "");
    } else if (name && line.trim())
      knownDiffs.set(name, `${knownDiffs.get(name)}${knownDiffs.get(name) ? "\n" : ""}${line}`);
  }
}

function run(name: string): { ours: string[]; expected: string[]; error?: string } {
  const expected = readFileSync(join(CORPUS, "expected", `${name}.norm`), "utf8")
    .split("\n")
    .filter(Boolean);
  try {
    const input = readCib(readFileSync(join(CORPUS, "xml", `${name}.xml`), "utf8"), FIXED_NOW_SEC);
    return { ours: normalizedSummary(schedule(input).transition), expected };
  } catch (e) {
    return { ours: [], expected, error: (e as Error).stack ?? String(e) };
  }
}

function diff(ours: string[], expected: string[]): string {
  const a = new Set(ours),
    b = new Set(expected);
  return [
    ...expected.filter((l) => !a.has(l)).map((l) => `  - ${l}   (expected, missing)`),
    ...ours.filter((l) => !b.has(l)).map((l) => `  + ${l}   (ours, unexpected)`),
  ].join("\n");
}

if (only) {
  const r = run(only);
  if (r.error) console.log(r.error);
  console.log(
    `ours:\n${r.ours.map((l) => `  ${l}`).join("\n")}\nexpected:\n${r.expected.map((l) => `  ${l}`).join("\n")}\ndiff:\n${diff(r.ours, r.expected) || "  (none)"}`,
  );
  process.exit(0);
}

const byCategory = new Map<string, { pass: number; total: number }>();
const failures: string[] = [];
const diffs: string[] = [];
const problems: string[] = [];
let passed = 0,
  failed = 0,
  newFailures = 0,
  fixedKnown = 0,
  changedKnown = 0;
const t0 = performance.now();
for (const [name, category] of manifest) {
  if (!name || !category) continue;
  const r = run(name);
  const ok = !r.error && r.ours.length === r.expected.length && r.ours.every((l, i) => l === r.expected[i]);
  const c = byCategory.get(category) ?? { pass: 0, total: 0 };
  c.total++;
  if (ok) {
    c.pass++;
    passed++;
    if (known.has(name)) {
      fixedKnown++;
      problems.push(
        `${name} now passes: take it off tools/conformance-known-failures.txt (npm run conformance -- --write-known)`,
      );
    }
  } else {
    failed++;
    failures.push(`${name}\t# ${known.get(name) || category}`);
    const d = r.error ? `  error: ${r.error.split("\n")[0]}` : diff(r.ours, r.expected);
    diffs.push(`== ${name}\n${d}`);
    if (!known.has(name)) newFailures++;
    else if (knownDiffs.has(name) && knownDiffs.get(name) !== d) {
      changedKnown++;
      problems.push(
        `${name} fails differently than recorded:\n  recorded:\n${knownDiffs.get(name)!.replace(/^/gm, "  ")}\n  now:\n${d.replace(/^/gm, "  ")}`,
      );
    }
    if (verbose || !known.has(name))
      console.log(`FAIL ${name} (${category})${known.has(name) ? " [known]" : " [NEW]"}\n${d}`);
  }
  byCategory.set(category, c);
}
console.log("\nby category:");
for (const [cat, c] of [...byCategory].sort((a, b) => b[1].total - a[1].total))
  console.log(`  ${cat.padEnd(45)} ${String(c.pass).padStart(3)} / ${c.total}`);
console.log(
  `\n${known.size} known failures listed in tools/conformance-known-failures.txt; ${newFailures} new failure(s); ${changedKnown} known failure(s) failing differently; ${fixedKnown} known failure(s) now pass; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
const write = args.includes("--write-known");
if (write) {
  writeFileSync(
    KNOWN,
    `# Conformance cases we do not pass yet, with the reason (category until a case is explained).\n# Regenerate: npm run conformance -- --write-known\n${failures.sort().join("\n")}\n`,
  );
  writeFileSync(
    KNOWN_DIFFS,
    `# How each known failure differs from Pacemaker's expected transition (- expected, missing; + ours, unexpected).\n# A run fails when a case's diff changes; regenerate with npm run conformance -- --write-known after checking.\n${diffs.sort().join("\n")}\n`,
  );
  console.log(`wrote ${KNOWN} and ${KNOWN_DIFFS}`);
} else for (const p of problems) console.log(`FAIL ${p}`);
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exitCode = !write && (newFailures > 0 || problems.length > 0) ? 1 : 0;
