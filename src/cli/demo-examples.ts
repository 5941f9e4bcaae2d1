// `paceline demo --example NAME`: each seed's example (examples/NAME) runs for real as its own lab — network
// namespaces as nodes, loop devices as shared disks, the seed's services — built and checked by that example's
// integration test. The demo runs that test with a readable reporter: what it does, what it measures, and whether
// every check held. (The lab lives with the tests; a checkout built with `npm run build` has them.)

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

interface Example {
  what: string;
  /** The test file (under dist/test/) that runs it. */
  test: string;
}

const EXAMPLES: Record<string, Example> = {
  "seed000-pgsql": {
    what: "PostgreSQL on a shared disk with sfex, three nodes, the active one powered off; every committed row checked",
    test: "integration/seed000-pgsql-netns.test.js",
  },
  "seed000-fencing": {
    what: "the seed's fencing chain: guard → external/ipmi against a simulated BMC → a person confirming",
    test: "integration/seed000-fencing-chain-netns.test.js",
  },
  "seed001-nfs": {
    what: "NFS (nfs-ganesha) from replicated storage, the seed's haresources group, ten failovers, no write lost",
    test: "integration/seed001-nfs-netns.test.js",
  },
  "seed002-budget": {
    what: "two nodes, ipfail placement, hb_standby as `paceline node standby`, a power switch",
    test: "integration/seed002-budget-netns.test.js",
  },
  "seed003-aws-eip": {
    what: "an Elastic IP moved between instances through an EC2 API (moto) when the holder is powered off",
    test: "integration/aws-eip-netns.test.js",
  },
  "hulft-single-server": {
    what: "one server: process monitors restart a killed daemon, the pre-recovery script is told why",
    test: "integration/examples.test.js",
  },
};

export function listExamples(): string {
  return Object.entries(EXAMPLES)
    .map(([name, e]) => `  ${name.padEnd(20)} ${e.what}`)
    .join("\n");
}

/** Runs one example's lab; `root`: the checkout (dist/ built). Exit code 2: unknown example or not built. */
export function runExample(name: string, root: string): Promise<number> {
  const e = EXAMPLES[name];
  if (!e) {
    console.error(`paceline demo: no example \`${name}\`; the examples are:\n${listExamples()}`);
    return Promise.resolve(2);
  }
  const file = join(root, "dist", "test", e.test);
  if (!existsSync(file)) {
    console.error(
      `paceline demo: ${file} is missing: the examples run from a checkout of the repository, after \`npm run build\``,
    );
    return Promise.resolve(2);
  }
  if (process.getuid?.() !== 0 && name !== "hulft-single-server") {
    console.error("paceline demo: the example's nodes are network namespaces: run it as root");
    return Promise.resolve(2);
  }
  console.log(
    `>>> examples/${name}: ${e.what}\n    (its README says what the seed did and what changes on real hardware)\n`,
  );
  return new Promise((resolve) => {
    // (Run from inside a test runner, the child would report to that runner instead of printing: it is a run of its
    // own.)
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ["--test", "--test-reporter", "spec", file], { stdio: "inherit", env });
    child.on("close", (code) => resolve(code ?? 1));
  });
}
