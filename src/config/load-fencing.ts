// The `fencing:` section of cluster.yaml → FencingConfig, with every cross-reference checked (levels name known
// devices that can fence that node). Passwords are only ever referenced (file or environment), never stored.

import { parseDurationMs } from "./duration.js";
import { DEFAULT_FENCE_DEVICE_TIMEOUT_MS, type FenceDeviceConfig, type FencingConfig } from "./model.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export type Report = (path: string, message: string, severity?: "error" | "warning") => void;

export function loadFencing(raw: unknown, nodeNames: string[], report: Report): FencingConfig {
  const f = isObj(raw) ? raw : {};
  const devices: FenceDeviceConfig[] = [];
  for (const [name, d] of Object.entries(isObj(f.devices) ? f.devices : {})) {
    if (!isObj(d) || typeof d.agent !== "string") continue; // the schema has said what is wrong
    const path = `fencing.devices.${name}`;
    let agent = d.agent;
    if (agent === "meatware" || agent === "stonith2/meatware") {
      report(
        `${path}.agent`,
        "meatware is cluster-glue's operator confirmation: Paceline's is `agent: manual` (read as that) — the operator confirms with `paceline fence confirm NODE`, as with meatclient -c NODE",
        "warning",
      );
      agent = "manual";
    }
    const hostMap = isObj(d["host-map"])
      ? Object.fromEntries(Object.entries(d["host-map"]).map(([k, v]) => [k, String(v)]))
      : {};
    const listed = Array.isArray(d.targets) ? d.targets.map(String) : Object.keys(hostMap);
    if (listed.length === 0)
      report(`${path}.targets`, "list the nodes this device can fence, e.g. targets: [node2] (or give a host-map)");
    for (const t of listed)
      if (!nodeNames.includes(t))
        report(`${path}.targets`, `${t} is not a node of this cluster (nodes: ${nodeNames.join(", ") || "none"})`);
    const params = isObj(d.params) ? Object.fromEntries(Object.entries(d.params).map(([k, v]) => [k, String(v)])) : {};
    for (const k of ["password", "passwd"])
      if (k in params)
        report(
          `${path}.params.${k}`,
          "keep passwords out of cluster.yaml: use password-file: /etc/paceline/NAME.pw (mode 600) or password-env: VAR",
        );
    if ((agent === "manual" || agent === "guard") && (d["password-file"] || d["password-env"]))
      report(path, `a ${agent} device has no password`, "warning");
    if (d.agent === "guard" && !isObj(d["host-map"]))
      report(
        `${path}.host-map`,
        'a guard needs each target\'s addresses to ping: host-map: { node2: "10.0.0.2,10.0.100.2" } (its OS and BMC addresses)',
      );
    devices.push({
      name,
      agent,
      params,
      password:
        typeof d["password-file"] === "string"
          ? { file: d["password-file"] }
          : typeof d["password-env"] === "string"
            ? { env: d["password-env"] }
            : undefined,
      targets: Object.fromEntries(listed.map((t) => [t, hostMap[t] ?? ""])),
      timeoutMs: parseDurationMs(d.timeout) ?? DEFAULT_FENCE_DEVICE_TIMEOUT_MS,
      delayMs: parseDurationMs(d.delay) ?? 0,
      delayMaxMs: parseDurationMs(d["delay-max"]) ?? 0,
    });
  }
  const levels: Record<string, string[][]> = {};
  const rawLevels = isObj(f.levels) ? f.levels : {};
  for (const node of nodeNames) {
    const given = rawLevels[node];
    if (!Array.isArray(given)) {
      const able = devices.filter((d) => node in d.targets).map((d) => [d.name]);
      if (able.length) levels[node] = able;
      continue;
    }
    levels[node] = given.map((l) => (Array.isArray(l) ? l.map(String) : [String(l)]));
    levels[node]!.forEach((level, i) => {
      if (level.length === 0) report(`fencing.levels.${node}`, `level ${i + 1} is empty`);
      for (const name of level) {
        const dev = devices.find((d) => d.name === name);
        if (!dev)
          report(
            `fencing.levels.${node}`,
            `level ${i + 1} names ${name}, which is not a device (devices: ${devices.map((d) => d.name).join(", ") || "none"})`,
          );
        else if (!(node in dev.targets))
          report(
            `fencing.levels.${node}`,
            `level ${i + 1}: ${name} cannot fence ${node} (its targets: ${Object.keys(dev.targets).join(", ")})`,
          );
      }
    });
  }
  for (const node of Object.keys(rawLevels))
    if (!nodeNames.includes(node)) report(`fencing.levels.${node}`, `${node} is not a node of this cluster`);
  const enabled = typeof f.enabled === "boolean" ? f.enabled : devices.length > 0;
  if (enabled && nodeNames.length > 1)
    for (const node of nodeNames)
      if (!levels[node])
        report(
          "fencing",
          `no device can fence ${node}: a lost ${node} would keep its resources stuck until someone confirms it is off`,
          "warning",
        );
  const timeoutMs = parseDurationMs(f.timeout) ?? 60_000;
  for (const [node, lv] of Object.entries(levels)) {
    lv.forEach((level, i) => {
      const sum = level.reduce(
        (a, name) => a + (devices.find((d) => d.name === name && d.agent !== "manual")?.timeoutMs ?? 0),
        0,
      );
      if (sum > timeoutMs)
        report(
          "fencing.timeout",
          `level ${i + 1} for ${node} may need ${sum} ms (its devices' timeouts), more than fencing.timeout (${timeoutMs} ms): the attempt would be cut short`,
          "warning",
        );
    });
  }
  return {
    enabled,
    timeoutMs,
    priorityDelayMs: parseDurationMs(f["priority-delay"]) ?? 0,
    startupFencing: f["startup-fencing"] !== false,
    action: f.action === "off" ? "off" : "reboot",
    devices,
    levels,
  };
}
