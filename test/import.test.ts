// `paceline config import`: each seed's own configuration files import to a cluster.yaml that validates, and an
// imported configuration schedules as the original does (the round trip through cluster.yaml loses no behaviour).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import type { SchedulerInput } from "../src/config/cluster-model.js";
import { readCib } from "../src/config/cib.js";
import { clusterToCib } from "../src/config/export-cib.js";
import { lrmOf } from "../src/config/history-table.js";
import { cibToClusterYaml } from "../src/config/import-cib.js";
import { importConfig } from "../src/config/import.js";
import { loadConfigText } from "../src/config/load.js";
import { lowerConfig } from "../src/config/lower.js";
import { normalizedSummary, schedule } from "../src/core/scheduler/index.js";
import { REPO } from "./helpers.js";
import { unmet } from "./requires.js";

const ex = (...p: string[]) => join(REPO, "examples", ...p);
const files = (...paths: string[]) => paths.map((path) => ({ path, text: readFileSync(path, "utf8") }));
const valid = (yaml: string) => {
  const r = loadConfigText(yaml, "imported.yaml");
  assert.deepEqual(
    r.problems.filter((p) => p.severity === "error").map((p) => `${p.path}: ${p.message}`),
    [],
  );
  return r.config!;
};

/** The transition of `original` (a CIB with its status) next to that of its configuration carried through
 * cluster.yaml, with the same status (fencing devices are not resources in Paceline, so they are left out). */
function roundTrip(original: SchedulerInput, yaml: string): { before: string[]; after: string[] } {
  const config = valid(yaml);
  const fencing = new Set<string>();
  const walk = (r: SchedulerInput["resources"][number]): void => {
    if (r.kind === "primitive" && r.cls === "stonith") fencing.add(r.id);
    if (r.kind === "group") r.children.forEach(walk);
    if (r.kind === "clone") walk(r.child);
  };
  original.resources.forEach(walk);
  const input = lowerConfig(
    config,
    original.nodes.map((n) => n.name),
  );
  Object.assign(input, {
    nowSec: original.nowSec,
    haveQuorum: original.haveQuorum,
    // The same history, read the same way (its parameter digests against the imported parameters).
    digestsRecorded: original.digestsRecorded,
    maskedSecrets: original.maskedSecrets,
    dcUuid: original.dcUuid,
    nodes: original.nodes,
    properties: { ...original.properties, ...input.properties },
    nodeStates: original.nodeStates.map(({ history, ...ns }) => ({
      ...ns,
      lrm: lrmOf({ ...ns, history }).filter((l) => !fencing.has(l.id)),
    })),
  });
  const before = normalizedSummary(schedule(structuredClone(original)).transition).filter(
    (x) => ![...fencing].some((id) => x.includes(` ${id} `)),
  );
  return { before, after: normalizedSummary(schedule(input).transition) };
}

test("seed 000's crm shell configuration imports, and schedules as the seed's CIB in its failure scenarios", () => {
  const r = importConfig(files(ex("seed000-pgsql", "crm-configure.txt")));
  assert.deepEqual(r.problems, []);
  const config = valid(r.yaml);
  const doc = parse(r.yaml) as Record<string, Record<string, unknown>>;
  // The pingd/diskd clones, the group placed by rules on their attributes, and the fencing escalation.
  assert.deepEqual(Object.keys(doc.resources!), ["grpPg", "prmPingd", "prmDiskd1"]);
  assert.equal(config.resources.find((x) => x.id === "prmPingd")!.clone!.id, "clnPingd");
  assert.deepEqual(config.fencing.levels.pm1, [["prmSt1-1"], ["prmSt1-2"], ["prmSt1-3"]]);
  assert.equal(config.fencing.devices.find((d) => d.name === "prmSt1-1")!.agent, "guard");
  assert.equal(config.quorum.noQuorumPolicy, "ignore");
  assert.equal(config.fencing.startupFencing, false);
  for (const scenario of ["cib.xml", "cib-pgsql-failed.xml"]) {
    const cib = readCib(readFileSync(ex("seed000-pgsql-stonith", scenario), "utf8"));
    const { before, after } = roundTrip(cib, r.yaml);
    assert.deepEqual(after, before, scenario);
  }
});

test("seeds 001 and 002: Heartbeat's ha.cf, haresources and authkeys import", () => {
  for (const seed of ["seed001-nfs", "seed002-budget"]) {
    const r = importConfig(files(...["ha.cf", "haresources", "authkeys"].map((f) => ex(seed, f))));
    const config = valid(r.yaml);
    assert.doesNotMatch(r.yaml, /Hello!|RandomPassword/, "an authkeys secret is never copied");
    assert.ok(r.notImported.some((n) => /authkeys (md5|sha1): .* weak/.test(n)));
    const group = config.resources[0]!;
    assert.ok(group.kind === "group");
    if (seed === "seed001-nfs") {
      assert.equal(config.heartbeat.deadMs, 30_000);
      assert.equal(group.meta.prefer, "Rserver-1");
      assert.deepEqual(
        group.members.map((m) => m.id),
        ["ip-172.16.1.10", "drbddisk-r0", "fs-data", "killnfsd"],
      );
      assert.deepEqual(group.members[2]!.params, { device: "/dev/drbd0", directory: "/data", fstype: "ext4" });
      assert.equal(group.members[0]!.meta.stickiness, 0, "auto_failback on");
    } else {
      assert.deepEqual(config.ping?.targets, ["10.10.10.254"]);
      assert.equal(config.ping?.preferConnected, true, "respawn ipfail");
      assert.ok(r.notImported.some((n) => n.startsWith("serial /dev/ttyS0")));
      assert.deepEqual(
        config.fencing.devices.map((d) => [d.name, d.agent, d.params.ttydev, Object.keys(d.targets)]),
        [
          ["apcsmart-from-paul", "stonith2/apcsmart", "/dev/ttyS1", ["silas"]],
          ["apcsmart-from-silas", "stonith2/apcsmart", "/dev/ttyS1", ["paul"]],
        ],
        "stonith_host: the UPS switch itself, through cluster-glue's stonith command",
      );
    }
  }
});

test("seed 003's pcs commands import", () => {
  const r = importConfig(files(ex("seed003-aws-eip", "pcs-commands.txt")));
  assert.deepEqual(r.problems, []);
  assert.doesNotMatch(r.yaml, /ruby2015/, "the pcs cluster auth password is not copied");
  const config = valid(r.yaml);
  assert.equal(config.cluster, "aws-cluster");
  assert.equal(config.nodes.length, 2);
  const eip = config.resources[0]!;
  assert.ok(eip.kind === "primitive");
  assert.deepEqual(eip.params, { elastic_ip: "52.192.203.215" });
  assert.equal(eip.ops.find((o) => o.name === "stop")!.onFail, "block");
  assert.equal(config.fencing.enabled, false);
  // The same configuration as the CIB of this seed.
  const cib = readCib(readFileSync(ex("seed003-aws-eip", "cib.xml"), "utf8"));
  const { before, after } = roundTrip(cib, r.yaml);
  assert.deepEqual(after, before);
});

const CORPUS = [
  process.env.PACELINE_CONFORMANCE_DIR,
  join(REPO, "..", "shared", "conformance", "pacemaker-scheduler", "public"),
  "/work/shared/conformance/pacemaker-scheduler/public",
].find((d): d is string => !!d && existsSync(join(d, "xml")));
const noCorpus = unmet([!!CORPUS, "the Pacemaker scheduler corpus (../shared/conformance) is not here"]);

test(
  "every public Pacemaker regression CIB imports to a cluster.yaml that validates; the round trip keeps the transition",
  { skip: noCorpus },
  () => {
    let same = 0;
    let compared = 0;
    const differ: string[] = [];
    for (const f of readdirSync(join(CORPUS!, "xml")).filter((x) => x.endsWith(".xml"))) {
      const xml = readFileSync(join(CORPUS!, "xml", f), "utf8");
      const { yaml, notImported } = cibToClusterYaml(readCib(xml));
      const r = loadConfigText(yaml, f);
      assert.ok(r.config, `${f}: ${r.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
      if (notImported.length) continue; // not all of it is in cluster.yaml: not comparable
      compared++;
      const { before, after } = roundTrip(readCib(xml), yaml);
      if (JSON.stringify(before) === JSON.stringify(after)) same++;
      else differ.push(f);
    }
    console.log(
      `# import round trip: ${same} of ${compared} wholly importable cases schedule the same (differ: ${differ.join(", ")})`,
    );
    assert.ok(same >= 124 && compared - same <= 4, `only ${same} of ${compared} round trips agree`);
  },
);

test("examples/: each seed's imported.yaml is what the importer writes from the seed's files today", () => {
  const cases: Array<[string, string[]]> = [
    ["seed000-pgsql", ["crm-configure.txt"]],
    ["seed001-nfs", ["ha.cf", "haresources", "authkeys"]],
    ["seed002-budget", ["ha.cf", "haresources", "authkeys"]],
    ["seed003-aws-eip", ["pcs-commands.txt"]],
  ];
  for (const [seed, names] of cases) {
    const r = importConfig(files(...names.map((n) => ex(seed, n))));
    assert.equal(
      readFileSync(ex(seed, "imported.yaml"), "utf8"),
      r.yaml,
      `examples/${seed}/imported.yaml is stale: paceline config import … -o examples/${seed}/imported.yaml`,
    );
  }
});

test("config export --cib: the exported CIB schedules as the cluster.yaml does (and crm_simulate reads it, where installed)", () => {
  const yamls = [
    ex("seed000-pgsql", "imported.yaml"),
    ex("seed003-aws-eip", "imported.yaml"),
    ex("seed000-fencing", "cluster.yaml"),
  ];
  for (const file of yamls) {
    const config = valid(readFileSync(file, "utf8"));
    const xml = clusterToCib(config);
    const cib = readCib(xml);
    const names = config.nodes.map((n) => n.name);
    // The CIB's nodes are online with nothing run yet, as the lowered configuration's.
    cib.nodeStates = lowerConfig(config, names).nodeStates;
    const ours = normalizedSummary(schedule(lowerConfig(config, names)).transition);
    const stonith = new Set(config.fencing.devices.map((d) => d.name));
    const exported = normalizedSummary(schedule(cib).transition).filter(
      (x) => ![...stonith].some((id) => x.includes(` ${id} `)),
    );
    assert.deepEqual(exported, ours, file);
    if (existsSync("/usr/sbin/crm_simulate")) {
      const dir = mkdtempSync(join(tmpdir(), "export-"));
      writeFileSync(join(dir, "cib.xml"), xml);
      const r = spawnSync(
        "/usr/sbin/crm_simulate",
        ["-S", "-x", join(dir, "cib.xml"), ...names.flatMap((n) => ["-u", n])],
        {
          encoding: "utf8",
        },
      );
      rmSync(dir, { recursive: true, force: true });
      assert.equal(r.status, 0, `${file}: crm_simulate: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /validity error|error:/i, file);
    }
  }
});
