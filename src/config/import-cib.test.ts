import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { readCib } from "./cib.js";
import { clusterToCib } from "./export-cib.js";
import { cibToClusterYaml } from "./import-cib.js";
import { loadConfigText } from "./load.js";

const REPO = new URL("../../..", import.meta.url).pathname;

test("CIB fencing imports: fence-agents devices with host lists and maps, meatware as manual, the topology as levels", () => {
  const { yaml, notImported } = cibToClusterYaml(
    readCib(readFileSync(`${REPO}/examples/fence-topology-cib.xml`, "utf8")),
  );
  assert.doesNotMatch(yaml, /hunter2/, "a CIB password is never copied");
  assert.deepEqual(notImported, [
    "fencing device ipmi2: its password is not copied; write it to /etc/paceline/ipmi2.password (mode 600)",
  ]);
  const doc = parse(yaml) as { fencing: Record<string, unknown> };
  assert.deepEqual(doc.fencing.levels, { node2: [["ipmi2"], ["virsh"], ["human"]] });
  assert.deepEqual((doc.fencing.devices as Record<string, unknown>).human, {
    agent: "manual",
    targets: ["node1", "node2"],
  });
  const loaded = loadConfigText(yaml, "imported.yaml");
  assert.deepEqual(
    loaded.problems.filter((p) => p.severity === "error"),
    [],
  );
  assert.equal(loaded.config!.fencing.timeoutMs, 90_000);
  assert.deepEqual(loaded.config!.fencing.devices.find((d) => d.name === "virsh")!.targets, {
    node1: "vm1",
    node2: "vm2",
  });
});

test("seed 000's CIB: devices without targets are listed with the reason; clones and constraints are carried over", () => {
  const { yaml, notImported } = cibToClusterYaml(
    readCib(readFileSync(`${REPO}/examples/seed000-pgsql-stonith/cib.xml`, "utf8")),
  );
  assert.ok(
    notImported.includes(
      "fencing device prmSt1-2 (external/libvirt): it does not say which cluster members it fences (pcmk_host_list, pcmk_host_map or hostlist)",
    ),
    notImported.join("\n"),
  );
  assert.ok(notImported.some((n) => /prmSt1-3 \(meatware\): it does not say which cluster members/.test(n)));
  assert.ok(!notImported.some((n) => /clone|colocation|order|no-quorum-policy|startup-fencing/.test(n)));
  const config = loadConfigText(yaml, "imported.yaml").config!;
  assert.equal(config.resources.find((r) => r.id === "prmPingd")!.clone!.id, "clnPingd");
  assert.equal(config.constraints.colocations.length, 2);
  assert.equal(config.quorum.noQuorumPolicy, "ignore");
});

test("stonith-action=poweroff imports as fencing.action off, which fences with off and exports back", () => {
  const cib = readFileSync(`${REPO}/examples/fence-topology-cib.xml`, "utf8").replace(
    '<nvpair id="o1" name="stonith-timeout" value="90s"/>',
    '<nvpair id="o1" name="stonith-timeout" value="90s"/><nvpair id="o2" name="stonith-action" value="poweroff"/>',
  );
  const { yaml, notImported } = cibToClusterYaml(readCib(cib));
  assert.ok(!notImported.some((n) => /stonith-action/.test(n)));
  const loaded = loadConfigText(yaml, "imported.yaml");
  assert.equal(loaded.config!.fencing.action, "off");
  assert.equal(loadConfigText(yaml.replace(/\n {2}action: off/, ""), "x.yaml").config!.fencing.action, "reboot");
  assert.match(clusterToCib(loaded.config!), /name="stonith-action" value="off"/);
});
