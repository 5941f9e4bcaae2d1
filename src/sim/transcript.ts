// Transcripts: readable scenario files for the node core, in the style of etcd raft's datadriven tests. A file is a
// series of blocks; each block is commands, a `----` line, then what the nodes said while they ran (their log
// lines that match the current `show` filter, with the simulated time), up to a blank line. The simulator runs
// every node's real core on an ideal network (1 ms, no loss), so the output is exact and repeatable.
//
//   cluster nodes=3 [links=1] [fencing=power|manual] [resources=group|single|ladder|monitored]
//     resources: …                lines indented under `cluster` are cluster.yaml of its own (instead of a preset)
//   show REGEX                    which log lines to print from now on (default: everything)
//   run 3s                        advance the simulated time
//   power-off n1 | power-on n1    a machine loses power (everything on it stops) / boots
//   daemon-crash n1 300ms         kill -9 of the daemon only; the supervisor respawns it after 300 ms
//   isolate n1 | heal             cut every link of n1 / restore every link
//   pause n1 2s                   SIGSTOP for 2 s
//   kill app n1                   the resource dies on n1 (its monitor will notice)
//   process-exit app n1           a supervised command's process dies on n1 (noticed at once)
//   fail-next n1 app stop         the next stop of app on n1 fails
//   device ok|fail|hang           the next fence device run does that
//   admin n2 standby n3 | admin n2 move web n3 | admin n2 cleanup web | …
//   confirm n3 n1                 a person on n3 confirms n1 is off
//   check-fails n1 alive 2        the built-in monitor `alive` on n1 fails its next 2 checks
//   hooks                         prints the scripts run so far (node, purpose, resource, CLP_* values)
//   where                         prints where each resource runs
//   devices                       prints the fence device runs so far

import type { AdminCommand } from "../core/controller/types.js";
import { ClusterSim } from "./cluster-sim.js";

const RESOURCES: Record<string, string> = {
  group:
    "resources:\n  web:\n    prefer: n1\n    members:\n      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }\n      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }\ndefaults: { migration-threshold: 1 }\n",
  single: "resources:\n  svc: { agent: ocf:heartbeat:Dummy, monitor: 1s, prefer: n1 }\n",
  // CLUSTERPRO's ladder: restart in place, then fail over, then the final action; a script before each step.
  ladder:
    "resources:\n  svc: { agent: ocf:heartbeat:Dummy, monitor: 1s, prefer: n1, migration-threshold: 2, pre-recovery-script: /etc/paceline/pre.sh, final-action: { script: /etc/paceline/final.sh } }\n" +
    "monitors:\n  alive: { type: custom, script: /etc/paceline/alive.sh, interval: 1s, failures: 2, recover: svc, when: target-started }\n",
  // A built-in monitor on a group: a recovery script first, then the whole group fails over (threshold 1).
  monitored:
    "resources:\n  web:\n    prefer: n1\n    migration-threshold: 1\n    pre-recovery-script: /etc/paceline/pre.sh\n    members:\n      vip: { agent: ocf:heartbeat:Dummy, monitor: 1s }\n      app: { agent: ocf:heartbeat:Dummy, monitor: 1s }\n" +
    "monitors:\n  genw: { type: custom, script: /etc/paceline/genw.sh, interval: 500ms, failures: 2, recover: web, recovery-script-attempts: 1, when: target-started }\n",
};
const FENCING: Record<string, (targets: string) => string> = {
  power: (targets) => `fencing:\n  devices:\n    power: { agent: fence_sim, targets: [${targets}], timeout: 1s }\n`,
  manual: (targets) => `fencing:\n  devices:\n    by-hand: { agent: manual, targets: [${targets}] }\n`,
};

const durationMs = (s: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s} (e.g. 500ms, 3s)`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
};

const ADMIN_KINDS = new Set([
  "standby",
  "online",
  "move",
  "ban",
  "clear",
  "disable",
  "enable",
  "manage",
  "unmanage",
  "cleanup",
  "restart",
  "maintenance",
]);

function adminCommand(words: string[]): AdminCommand {
  const [kind, a, b] = words;
  if (!kind || !ADMIN_KINDS.has(kind)) throw new Error(`admin: unknown command ${kind}`);
  if (kind === "standby" || kind === "online") return { kind, node: a! };
  if (kind === "move" || kind === "ban") return { kind, rsc: a!, node: b! };
  if (kind === "maintenance") return { kind, on: a === "on" };
  return { kind: kind as "clear", rsc: a! };
}

/** Runs a transcript's commands block by block; returns the file as it should read (expected outputs rewritten). */
export function runTranscript(text: string): string {
  let sim: ClusterSim | undefined;
  let show = /./;
  const out: string[] = [];
  let i = 0;
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  while (i < lines.length) {
    // Comments and blank lines between blocks are kept as they are.
    if (lines[i]!.trim() === "" || lines[i]!.startsWith("#")) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    const commands: string[] = [];
    while (i < lines.length && lines[i] !== "----") commands.push(lines[i++]!);
    i++; // the ----
    while (i < lines.length && lines[i]!.trim() !== "") i++; // the old expected output
    const said: string[] = [];
    // Indented lines belong to the command above them (a cluster's own YAML).
    const grouped: Array<{ line: string; yaml: string[] }> = [];
    for (const c of commands) {
      if (c.startsWith("  ") && grouped.length) grouped.at(-1)!.yaml.push(c.slice(2));
      else grouped.push({ line: c, yaml: [] });
    }
    for (const { line: c, yaml } of grouped) {
      const w = c.trim().split(/\s+/);
      const before = sim?.log.length ?? 0;
      const extra: string[] = [];
      switch (w[0]) {
        case "cluster": {
          const o = Object.fromEntries(w.slice(1).map((x) => x.split("=") as [string, string]));
          const nodes = Number(o.nodes ?? 3);
          const targets = Array.from({ length: nodes }, (_, k) => `n${k + 1}`).join(", ");
          sim = new ClusterSim({
            seed: 1,
            nodes,
            links: Number(o.links ?? 1),
            faultMs: 0,
            livenessMs: 0,
            ideal: true,
            resources: yaml.length ? `${yaml.join("\n")}\n` : RESOURCES[o.resources ?? "group"],
            extraYaml: o.fencing ? FENCING[o.fencing]!(targets) : "",
          });
          break;
        }
        case "show":
          show = new RegExp(c.trim().slice(5));
          break;
        case "run":
          sim!.advance(durationMs(w[1]!));
          break;
        case "power-off":
          sim!.powerOff(w[1]!);
          break;
        case "power-on":
          sim!.powerOn(w[1]!);
          break;
        case "daemon-crash":
          sim!.daemonCrash(w[1]!, durationMs(w[2] ?? "300ms"));
          break;
        case "isolate":
          sim!.isolate(w[1]!);
          break;
        case "heal":
          sim!.healLinks();
          break;
        case "pause":
          sim!.pause(w[1]!, durationMs(w[2]!));
          break;
        case "kill":
          sim!.kill(w[1]!, w[2]!);
          break;
        case "process-exit":
          sim!.processExit(w[1]!, w[2]!);
          break;
        case "fail-next":
          sim!.failNext.add(`${w[1]}/${w[2]}/${w[3]}`);
          break;
        case "device":
          sim!.deviceScript.push(w[1] as "ok");
          break;
        case "admin": {
          const id = sim!.request(w[1]!, { kind: "admin", command: adminCommand(w.slice(2)) });
          extra.push(`> ${sim!.replies.get(id)?.message ?? "(no answer yet)"}`);
          break;
        }
        case "confirm": {
          const id = sim!.request(w[1]!, { kind: "fence-confirm", target: w[2]! });
          extra.push(`> ${sim!.replies.get(id)?.message ?? "(no answer yet)"}`);
          break;
        }
        case "check-fails":
          sim!.checkScript.set(`${w[1]}/${w[2]}`, Array(Number(w[3] ?? 1)).fill(false));
          break;
        case "hooks":
          for (const h of sim!.hooks.splice(0)) {
            const e = h.env;
            extra.push(
              `hook: ${h.node} ${h.purpose} ${e.CLP_RESOURCE} CLP_ACTION=${e.CLP_ACTION} CLP_MONITORNAME=${e.CLP_MONITORNAME} CLP_RESTARTCOUNT=${e.CLP_RESTARTCOUNT} CLP_FAILOVERCOUNT=${e.CLP_FAILOVERCOUNT} CLP_RECOVERYCOUNT=${e.CLP_RECOVERYCOUNT} PACELINE_FAIL_COUNT=${e.PACELINE_FAIL_COUNT}`,
            );
          }
          break;
        case "where":
          extra.push(`where: ${sim!.describe()}`);
          break;
        case "devices":
          extra.push(...sim!.deviceRuns.map((r) => `device: ${r}`));
          break;
        default:
          throw new Error(`unknown command: ${c}`);
      }
      if (sim) {
        for (const [k, line] of sim.log.slice(before).entries())
          if (show.test(line)) said.push(`${(sim.logTimes[before + k]! / 1000).toFixed(2).padStart(6)} ${line}`);
        if (sim.violation) said.push(`VIOLATION at ${sim.violation.at} ms: ${sim.violation.text}`);
      }
      said.push(...extra);
    }
    out.push(...commands, "----", ...said);
  }
  return out.join("\n");
}
