// A running resource whose definition changed: restarted, reloaded, or left alone, judged from the digests its
// start recorded — the same recipe Pacemaker uses, so CIBs written by Pacemaker are read correctly.

import assert from "node:assert/strict";
import { test } from "node:test";
import { readCib } from "../../config/cib.js";
import { parameterDigest } from "./digests.js";
import { normalizedSummary, schedule } from "./index.js";

/** One node running `web` (started with ip=10.0.0.1, and name=old as its only reloadable parameter). */
function cib(params: string, startExtra = ""): string {
  const started = parameterDigest({ ip: "10.0.0.1", name: "old", passwd: "secret" });
  const restartPart = parameterDigest({ ip: "10.0.0.1", passwd: "secret" });
  const secure = parameterDigest({ ip: "10.0.0.1", name: "old" });
  return `<cib have-quorum="1"><configuration><crm_config><cluster_property_set id="p">
      <nvpair id="s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/></nodes>
    <resources><primitive id="web" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="web-ia">${params}</instance_attributes>
      <operations><op id="web-start" name="start" interval="0">${startExtra}</op></operations>
    </primitive></resources><constraints/></configuration>
    <status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources><lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
        <lrm_rsc_op id="web_last_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"
          crm_feature_set="3.0.14" op-digest="${started}" op-restart-digest="${restartPart}"
          op-force-restart=" ip passwd " op-secure-digest="${secure}" op-secure-params=" passwd "/>
      </lrm_resource></lrm_resources></lrm></node_state></status></cib>`;
}

const nv = (name: string, value: string) => `<nvpair id="web-${name}" name="${name}" value="${value}"/>`;
const actions = (xml: string, masked = true) =>
  normalizedSummary(schedule({ ...readCib(xml, 0), maskedSecrets: masked }).transition).filter((l) =>
    l.startsWith("ACTION"),
  );

test("an unchanged definition leaves the resource alone", () => {
  assert.deepEqual(actions(cib(nv("ip", "10.0.0.1") + nv("name", "old") + nv("passwd", "secret"))), []);
});

test("a changed parameter that needs a restart restarts it; a reloadable one reloads it", () => {
  assert.deepEqual(actions(cib(nv("ip", "10.0.0.2") + nv("name", "old") + nv("passwd", "secret"))), [
    "ACTION Restart web n1 n1",
  ]);
  assert.deepEqual(actions(cib(nv("ip", "10.0.0.1") + nv("name", "new") + nv("passwd", "secret"))), [
    "ACTION Reload web n1 n1",
  ]);
});

test("parameters given to the start op itself are applied by a restart, never a reload", () => {
  const extra = `<instance_attributes id="x"><nvpair id="x1" name="name" value="new"/></instance_attributes>`;
  assert.deepEqual(actions(cib(nv("ip", "10.0.0.1") + nv("passwd", "secret"), extra)), ["ACTION Restart web n1 n1"]);
});

test("a masked password (a collected CIB) is not a change; in a live cluster it is", () => {
  const masked = cib(nv("ip", "10.0.0.1") + nv("name", "old") + nv("passwd", "****"));
  assert.deepEqual(actions(masked, true), []);
  assert.deepEqual(actions(masked, false), ["ACTION Restart web n1 n1"]);
});
