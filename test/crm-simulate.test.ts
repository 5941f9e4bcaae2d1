// Paceline against Pacemaker itself on seed 000's cluster: `paceline simulate --config` on the cluster.yaml imported
// from the seed's crm shell text, and Debian's crm_simulate on the seed's CIB, decide the same transition for each
// of the seed's failure scenarios (compared as ACTION/FENCE records of the conformance corpus's normalized form).
// The reading of crm_simulate's output is itself checked against every public corpus case.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { simulate } from "../src/cli/simulate.js";
import { normalizeTransitionSummary } from "./crm-simulate.js";
import { REPO } from "./helpers.js";
import { unmet } from "./requires.js";

const CRM_SIMULATE = "/usr/sbin/crm_simulate";
const CORPUS = [
  process.env.PACELINE_CONFORMANCE_DIR,
  join(REPO, "..", "shared", "conformance", "pacemaker-scheduler", "public"),
  "/work/shared/conformance/pacemaker-scheduler/public",
].find((d): d is string => !!d && existsSync(join(d, "summary")));

test(
  "crm_simulate's transition summary reads as the corpus normalized it, in every public case",
  { skip: unmet([!!CORPUS, "the Pacemaker scheduler corpus (../shared/conformance) is not here"]) },
  () => {
    const differ: string[] = [];
    for (const f of readdirSync(join(CORPUS!, "summary"))) {
      const name = f.replace(/\.summary$/, "");
      const expected = readFileSync(join(CORPUS!, "expected", `${name}.norm`), "utf8")
        .split("\n")
        .filter((l) => /^(ACTION|FENCE) /.test(l));
      const read = normalizeTransitionSummary(readFileSync(join(CORPUS!, "summary", f), "utf8"));
      if (JSON.stringify(read) !== JSON.stringify(expected)) differ.push(name);
    }
    assert.deepEqual(differ, []);
  },
);

const CIB = join(REPO, "examples", "seed000-pgsql-stonith", "cib.xml");
const FAILED_CIB = join(REPO, "examples", "seed000-pgsql-stonith", "cib-pgsql-failed.xml");
const YAML = join(REPO, "examples", "seed000-pgsql", "imported.yaml");
/** The seed's pingd and diskd clones report these while all is well (the CIB's status has them). */
const HEALTHY = ["pm1", "pm2"].flatMap((n) => [`${n}:default_ping_set=100`, `${n}:diskcheck_status=normal`]);

/** Pacemaker's decisions on the seed's CIB, edited for the scenario, without the fence devices' own placement
 * (Paceline runs fence devices where needed rather than as resources). */
function pacemaker(xml: string, args: string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), "seed000-"));
  try {
    writeFileSync(join(dir, "cib.xml"), xml);
    const r = spawnSync(CRM_SIMULATE, ["-S", "-x", join(dir, "cib.xml"), ...args], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
    });
    assert.equal(r.status, 0, `crm_simulate: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /validity error/i);
    return normalizeTransitionSummary(r.stdout).filter((l) => !/ prmSt\d/.test(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function paceline(events: { nodeFail?: string[]; standby?: string[]; opFail?: string[]; setAttrs?: string[] }) {
  const out = simulate({
    config: YAML,
    summary: true,
    nodeFail: events.nodeFail ?? [],
    standby: events.standby ?? [],
    opFail: events.opFail ?? [],
    attrs: HEALTHY,
    setAttrs: events.setAttrs ?? [],
  });
  return out.split("\n").filter((l) => /^(ACTION|FENCE) /.test(l));
}

/** The CIB with a node attribute set in pm1's status (as pingd, diskd or `crm node standby` would). */
const withAttr = (xml: string, node: string, name: string, value: string): string => {
  const set = new RegExp(`(<nvpair id="[^"]*" name="${name}" value=")[^"]*("/>)`);
  const states = xml.split(/(?=<node_state )/);
  return states
    .map((s) =>
      s.startsWith(`<node_state id="${node}"`)
        ? set.test(s)
          ? s.replace(set, `$1${value}$2`)
          : s.replace(
              "</instance_attributes>",
              `<nvpair id="${node}-${name}" name="${name}" value="${value}"/></instance_attributes>`,
            )
        : s,
    )
    .join("");
};

test(
  "seed 000: the imported cluster.yaml decides as Pacemaker's crm_simulate on the seed's CIB, in each failure scenario",
  { skip: unmet([existsSync(CRM_SIMULATE), "crm_simulate (Debian package pacemaker-cli-utils) is not installed"]) },
  () => {
    const cib = readFileSync(CIB, "utf8");
    const scenarios: Array<[string, string[], string[]]> = [
      ["all well: nothing to do", pacemaker(cib), paceline({})],
      [
        "PostgreSQL's monitor fails on pm1 (migration-threshold 1): the group moves",
        pacemaker(readFileSync(FAILED_CIB, "utf8")),
        paceline({ opFail: ["prmPg_monitor_10000@pm1=7"] }),
      ],
      ...[
        ["PostgreSQL's stop fails (on-fail=fence): pm1 is fenced, the group moves", "prmPg_stop_0@pm1=1"],
        ["PostgreSQL's monitor fails, injected: the group moves", "prmPg_monitor_10000@pm1=7"],
        ["the filesystem's monitor fails: the group moves", "prmFs_monitor_10000@pm1=7"],
        ["the virtual IP's monitor fails: the group moves", "prmIp_monitor_10000@pm1=7"],
        [
          "pm1's ping clone copy fails: it stops, and the group, colocated with it, moves",
          "prmPingd_monitor_10000@pm1=7",
        ],
        ["pm2's disk monitor copy fails: it stops there, nothing else moves", "prmDiskd1_monitor_10000@pm2=7"],
      ].map(([what, op]): [string, string[], string[]] => [
        what!,
        pacemaker(cib, ["--op-inject", op!]),
        paceline({ opFail: [op!] }),
      ]),
      ["pm1 is lost: fenced, the group moves", pacemaker(cib, ["--node-fail", "pm1"]), paceline({ nodeFail: ["pm1"] })],
      [
        "pm2 is lost: fenced, its clone copies stop",
        pacemaker(cib, ["--node-fail", "pm2"]),
        paceline({ nodeFail: ["pm2"] }),
      ],
      [
        "pm1 loses its ping target (pingd): the group moves",
        pacemaker(withAttr(cib, "pm1", "default_ping_set", "0")),
        paceline({ setAttrs: ["pm1:default_ping_set=0"] }),
      ],
      [
        "pm1's disk fails (diskd): the group moves",
        pacemaker(withAttr(cib, "pm1", "diskcheck_status", "ERROR")),
        paceline({ setAttrs: ["pm1:diskcheck_status=ERROR"] }),
      ],
      [
        "pm2 loses its ping target while pm1 is fine: nothing moves",
        pacemaker(withAttr(cib, "pm2", "default_ping_set", "0")),
        paceline({ setAttrs: ["pm2:default_ping_set=0"] }),
      ],
      [
        "pm1 goes to standby: everything on it moves or stops",
        pacemaker(withAttr(cib, "pm1", "standby", "on")),
        paceline({ standby: ["pm1"] }),
      ],
    ];
    for (const [what, theirs, ours] of scenarios) assert.deepEqual(ours, theirs, what);
    // (Not a vacuous agreement: the failure scenarios do act.)
    assert.ok(scenarios.slice(1).filter(([, theirs]) => theirs.length > 0).length >= 10);
  },
);
