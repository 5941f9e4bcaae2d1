// A power switch for nodes that are network namespaces, in the shape of a fence-agents program (key=value on
// stdin): "off"/"reboot" kills every process of the target's namespace, pulls its cable and forgets its addresses
// (what a power-off does); "status" says whether anything still runs there. Shared by the netns fencing tests.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { PARKED_SLEEP, type NetnsCluster } from "./netns-cluster.js";

export const haveNsenter = (() => {
  try {
    execFileSync("nsenter", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();

/** The device program; plug = "NAMESPACE:HOST-VETH". */
export const FENCE_NETNS = `
action=reboot; plug=
while IFS='=' read -r k v; do case "$k" in action) action=$v;; plug|port) plug=$v;; esac; done
ns=\${plug%%:*}; veth=\${plug#*:}
case "$action" in
  metadata) echo '<?xml version="1.0"?><resource-agent name="fence_netns" shortdesc="test power switch"><parameters><parameter name="action"/><parameter name="plug"/><parameter name="port"/></parameters><actions><action name="on"/><action name="off"/><action name="reboot"/><action name="status"/><action name="monitor"/><action name="metadata"/></actions></resource-agent>'; exit 0;;
  monitor|list) exit 0;;
  status) # anything of the node's own (the test's VIP sampler parks a "sleep ${PARKED_SLEEP}" there: not the node's)
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      [ "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" = "sleep ${PARKED_SLEEP} " ] || exit 0
    done
    exit 2;;
  on) exit 0;;
  off|reboot)
    # again until none is left: a supervisor may respawn its daemon between the listing and its own kill
    for i in $(seq 200); do
      left=
      for p in $(ip netns pids "$ns"); do
        [ "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" = "sleep ${PARKED_SLEEP} " ] || left="$left $p"
      done
      [ -z "$left" ] && break
      kill -9 $left 2>/dev/null; sleep 0.01
    done
    nsenter -t 1 -n ip link set "$veth" down
    ip -n "$ns" addr flush dev eth0
    exit 0;;
esac
echo "unknown action $action" >&2; exit 1
`;

/** cluster.yaml's fencing section: one such device per node (`agent`: where FENCE_NETNS was written). */
export function fencingYaml(c: NetnsCluster, agent: string, delays: Record<string, string> = {}): string {
  return `fencing:
  timeout: 20s
  devices:
${c.nodes.map((n) => `    power-${n}: { agent: ${agent}, host-map: { ${n}: "${c.ns(n)}:${c.hostVeth(n, 0)}" }, timeout: 5s${delays[n] ? `, delay: ${delays[n]}` : ""} }`).join("\n")}
`;
}

/** Anything of the node's own still runs in its namespace (it has not been powered off). */
export const alive = (c: NetnsCluster, n: string) => {
  try {
    return execFileSync("ip", ["netns", "pids", c.ns(n)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .some((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8") !== `sleep\0${PARKED_SLEEP}\0`;
        } catch {
          return false; // gone meanwhile
        }
      });
  } catch {
    return false;
  }
};
