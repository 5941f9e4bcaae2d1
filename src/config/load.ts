// cluster.yaml → ClusterConfig. Parsing and schema problems come from validate-tree.ts; this file adds the rules that
// span fields (references, agent-specific keys) and fills in defaults. Every problem is collected, none thrown early.

import { existsSync, readFileSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { formatDuration, parseDurationMs } from "./duration.js";
import { loadFencing } from "./load-fencing.js";
import { loadConstraints, shorthandLocations } from "./load-constraints.js";
import { DEFAULT_OP_TIMEOUT_MS, isNativeAwsEip, isNativeVip } from "./model.js";
import type {
  AgentSpec,
  CloneConfig,
  ClusterConfig,
  ExecSpec,
  FinalAction,
  GroupConfig,
  LinkMode,
  MonitorAction,
  MonitorConfig,
  MonitorType,
  NodeConfig,
  OnFail,
  OpConfig,
  PrimitiveConfig,
  ResourceConfig,
  ResourceMeta,
} from "./model.js";
import { ConfigError, type Problem } from "./problems.js";
import { vipParams } from "./vip.js";
import { awsEipParams } from "./aws-eip.js";
import { clusterSchema } from "./schema.js";
import { didYouMean } from "../util/suggest.js";
import { validateTree, type PositionIndex } from "./validate-tree.js";

/** Heartbeat timings: `default` tolerates loss and load; `fast` is for sub-second failover on a quiet network. A node
 * keeps its resources while echoes renew its lease: `dead − stop-margin` without any is when it starts stopping. */
export const HEARTBEAT_PROFILES = {
  // 15 heartbeats per `dead` on each link, 8 within the time a lease may go unrenewed before the node stops
  // (dead − stop-margin): docs/membership.md has the arithmetic for loss.
  default: { intervalMs: 100, warnMs: 500, deadMs: 1500, initialDeadMs: 20_000, maxDelayMs: 100, stopMarginMs: 700 },
  // 7 per `dead`, 4 within dead − stop-margin: a quiet LAN, two or more links, an idle-enough machine.
  fast: { intervalMs: 50, warnMs: 150, deadMs: 350, initialDeadMs: 4000, maxDelayMs: 50, stopMarginMs: 150 },
} as const;
const ID_RE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface LoadResult {
  config?: ClusterConfig;
  problems: Problem[];
}

export function parseScore(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^[+]?(INFINITY|inf)$/i.test(s)) return Infinity;
  if (/^-(INFINITY|inf)$/i.test(s)) return -Infinity;
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function percent(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : Number(String(v).trim().replace(/%$/, ""));
  return Number.isFinite(n) && n > 0 && n <= 100 ? n : NaN;
}

const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(isObj(v) ? v : {}).map(([k, x]) => [k, String(x)]));

/** Scripts written as ./x or ../x are relative to the configuration file: a config and its scripts travel together. */
export function resolveCommand(command: string, baseDir: string | undefined): string {
  if (!baseDir || !/^\.\.?\//.test(command)) return command;
  const [first, ...rest] = command.split(/(\s+)/);
  return [resolve(baseDir, first!), ...rest].join("");
}

class Builder {
  readonly problems: Problem[] = [];
  /** Configured nodes: a clone runs one copy on each unless told otherwise. */
  nodeCount = 0;
  baseDir?: string;
  cmd(v: string | undefined): string | undefined {
    return v === undefined ? undefined : resolveCommand(v, this.baseDir);
  }
  constructor(
    readonly file: string,
    readonly positions: PositionIndex,
    private readonly treeProblems: Problem[],
  ) {}

  /** A derived error is left out when the schema already reported a problem inside that path (its likely cause). */
  error(path: string, message: string): void {
    if (this.treeProblems.some((p) => p.path === path || p.path.startsWith(`${path}.`))) return;
    this.problems.push({ file: this.file, pos: this.positions.get(path), path, message, severity: "error" });
  }
  warn(path: string, message: string): void {
    this.problems.push({ file: this.file, pos: this.positions.get(path), path, message, severity: "warning" });
  }
  ms(v: unknown, fallback: number): number {
    return parseDurationMs(v) ?? fallback;
  }

  agent(raw: Obj, path: string): { agent: AgentSpec; args: string[] } | undefined {
    const text = raw.agent;
    if (text === undefined) {
      if (isObj(raw.exec)) return { agent: { class: "exec" }, args: [] };
      this.error(
        path,
        "a resource needs `agent` (e.g. ocf:heartbeat:IPaddr2, lsb:nginx, exec) or, for a group, `members`",
      );
      return undefined;
    }
    if (typeof text !== "string") return undefined;
    const args = Array.isArray(raw.args) ? raw.args.map(String) : [];
    if (text.includes("::")) {
      // Heartbeat haresources form: drbddisk::r0, Filesystem::/dev/drbd0::/data::ext4
      const [type, ...inline] = text.split("::");
      if (raw.args !== undefined)
        this.error(`${path}.args`, "give arguments either inline (name::arg) or in `args`, not both");
      return { agent: { class: "heartbeat", type: type!.replace(/^heartbeat:/, "") }, args: inline };
    }
    const parts = text.split(":");
    if (parts[0] === "ocf" && parts.length === 3)
      return { agent: { class: "ocf", provider: parts[1]!, type: parts[2]! }, args };
    if (parts[0] === "lsb" && parts.length === 2) return { agent: { class: "lsb", type: parts[1]! }, args };
    if (parts[0] === "systemd" && parts.length === 2 && parts[1])
      return { agent: { class: "systemd", type: parts[1] }, args };
    // Pacemaker's service: class is the init system's own: systemd where it runs, else the init script.
    if (parts[0] === "service" && parts.length === 2 && parts[1])
      return { agent: { class: existsSync("/run/systemd/system") ? "systemd" : "lsb", type: parts[1] }, args };
    if (parts[0] === "heartbeat" && parts.length === 2) return { agent: { class: "heartbeat", type: parts[1]! }, args };
    if (text === "exec") return { agent: { class: "exec" }, args };
    if (text === "vip") return { agent: { class: "ocf", provider: "paceline", type: "vip" }, args };
    if (text === "aws-eip") return { agent: { class: "ocf", provider: "paceline", type: "aws-eip" }, args };
    if (parts[0] === "ocf")
      this.error(
        `${path}.agent`,
        `\`${text}\` needs a provider and a type — write ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:${parts.at(-1) || "Dummy"}`,
      );
    else
      this.error(
        `${path}.agent`,
        `unknown agent \`${text}\`${didYouMean(parts[0]!, ["ocf", "lsb", "systemd", "service", "exec", "heartbeat", "vip", "aws-eip"])} — write vip, aws-eip, ocf:heartbeat:IPaddr2, lsb:nginx, systemd:nginx, exec, heartbeat:drbddisk or drbddisk::r0`,
      );
    return undefined;
  }

  exec(raw: Obj, path: string, agent: AgentSpec): ExecSpec | undefined {
    if (agent.class !== "exec") {
      if (raw.exec !== undefined)
        this.error(`${path}.exec`, `\`exec\` scripts belong to agent exec, not ${agent.class}`);
      return undefined;
    }
    const e = isObj(raw.exec) ? raw.exec : {};
    const str = (k: string) =>
      typeof e[k] === "string" && (e[k] as string).trim() !== "" ? (e[k] as string) : undefined;
    const spec: ExecSpec = {
      command: this.cmd(str("command")),
      start: this.cmd(str("start")),
      stop: this.cmd(str("stop")),
      status: this.cmd(str("status")),
      cwd: this.cmd(str("cwd")),
      env: strMap(e.env),
      stopSignal: (str("stop-signal") ?? "SIGTERM") as NodeJS.Signals,
    };
    if (spec.command && (spec.start || spec.stop))
      this.error(
        `${path}.exec`,
        "give either `command` (a supervised foreground process) or `start`/`stop` scripts, not both",
      );
    else if (!spec.command && !spec.start)
      this.error(
        `${path}.exec`,
        "an exec resource needs `command` (a long-running process) or a `start` script (with `stop`)",
      );
    else if (spec.start && !spec.stop) this.error(`${path}.exec`, "a `start` script needs a matching `stop` script");
    if (spec.command && spec.status)
      this.warn(
        `${path}.exec.status`,
        "with `command`, running means the process is alive; `status` also runs as the monitor",
      );
    return spec;
  }

  ops(raw: Obj, path: string, opDefaults: Obj): OpConfig[] {
    const ops: OpConfig[] = [];
    const sourcePath = new Map<OpConfig, string>();
    const defaultTimeout = this.ms(opDefaults.timeout, DEFAULT_OP_TIMEOUT_MS);
    const rawOps = isObj(raw.ops) ? raw.ops : {};
    const make = (name: string, o: Obj, p: string): OpConfig => {
      const interval = this.ms(o.interval, 0);
      if (name !== "monitor" && interval > 0)
        this.error(`${p}.interval`, `only monitor operations recur; \`${name}\` cannot have an interval`);
      const onFail =
        (o["on-fail"] as OnFail | undefined) ??
        (opDefaults["on-fail"] as OnFail | undefined) ??
        (name === "stop" ? "block" : "restart");
      const op: OpConfig = {
        name,
        intervalMs: interval,
        timeoutMs: this.ms(o.timeout, defaultTimeout),
        onFail,
        enabled: o.enabled !== false,
        startDelayMs: this.ms(o["start-delay"], 0),
        role: typeof o.role === "string" ? o.role : undefined,
      };
      sourcePath.set(op, p);
      return op;
    };
    for (const [name, v] of Object.entries(rawOps)) {
      const list = Array.isArray(v) ? v : [v];
      list.forEach((o, i) =>
        ops.push(make(name, isObj(o) ? o : {}, Array.isArray(v) ? `${path}.ops.${name}[${i}]` : `${path}.ops.${name}`)),
      );
    }
    if (raw.monitor !== undefined) {
      if (ops.some((o) => o.name === "monitor"))
        this.error(`${path}.monitor`, "give the monitor interval either as `monitor:` or in `ops.monitor`, not both");
      else ops.push(make("monitor", { interval: raw.monitor }, `${path}.monitor`));
    }
    for (const name of ["start", "stop"]) if (!ops.some((o) => o.name === name)) ops.push(make(name, {}, path));
    const monitors = ops.filter((o) => o.name === "monitor");
    // In `ops`, a monitor with interval 0 sets the probe's timeout (as in Pacemaker); the shorthand must recur.
    for (const m of monitors.filter((o) => o.intervalMs === 0 && sourcePath.get(o) === `${path}.monitor`))
      this.error(sourcePath.get(m)!, "a recurring monitor needs an interval above 0, e.g. 10s");
    // A monitor is known by its interval (and role: a promotable resource may watch each role as often).
    const intervals = new Set<string>();
    for (const m of monitors) {
      const key = `${m.intervalMs}/${(m.role ?? "").toLowerCase()}`;
      if (intervals.has(key))
        this.error(`${path}.ops.monitor`, "two monitors with the same interval — give each a different interval");
      intervals.add(key);
    }
    return ops;
  }

  finalAction(v: unknown): FinalAction {
    if (isObj(v) && typeof v.script === "string") return { kind: "script", path: this.cmd(v.script)! };
    if (v === "stop-group" || v === "stop-daemon" || v === "reboot") return { kind: v };
    return { kind: "none" };
  }

  meta(raw: Obj, inherited: Obj, path: string): ResourceMeta {
    const pick = (k: string) => raw[k] ?? inherited[k];
    const threshold = parseScore(pick("migration-threshold"));
    if (threshold !== undefined && threshold <= 0 && Number.isFinite(threshold))
      this.warn(`${path}.migration-threshold`, "0 or less disables the threshold (same as INFINITY)");
    const role = String(pick("target-role") ?? "started").toLowerCase();
    const own: Record<string, string> = {
      "target-role": "target-role",
      "is-managed": "managed",
      "resource-stickiness": "stickiness",
      "migration-threshold": "migration-threshold",
      "failure-timeout": "failure-timeout",
      priority: "priority",
    };
    for (const k of Object.keys(isObj(raw.meta) ? raw.meta : {}))
      if (k in own) this.error(`${path}.meta.${k}`, `write \`${own[k]}:\` on the resource itself, not in \`meta\``);
    return {
      migrationThreshold: threshold === undefined || threshold <= 0 ? Infinity : threshold,
      failureTimeoutMs: this.ms(pick("failure-timeout"), 0),
      finalAction: this.finalAction(pick("final-action")),
      preRecoveryScript:
        typeof pick("pre-recovery-script") === "string" ? this.cmd(pick("pre-recovery-script") as string) : undefined,
      preRecoveryTimeoutMs: this.ms(pick("pre-recovery-timeout"), 30_000),
      stickiness: parseScore(pick("stickiness")) ?? 0,
      priority: typeof pick("priority") === "number" ? (pick("priority") as number) : 0,
      targetRole: (["stopped", "promoted", "unpromoted"].includes(role)
        ? role
        : "started") as ResourceMeta["targetRole"],
      extraMeta: { ...strMap(inherited.meta), ...strMap(raw.meta) },
      managed: pick("managed") !== false,
      prefer: typeof raw.prefer === "string" ? raw.prefer : undefined,
    };
  }

  primitive(
    id: string,
    raw: Obj,
    path: string,
    inheritedMeta: Obj,
    opDefaults: Obj,
    group?: string,
  ): PrimitiveConfig | undefined {
    const a = this.agent(raw, path);
    if (!a) return undefined;
    if (a.agent.class !== "heartbeat" && raw.args !== undefined)
      this.error(`${path}.args`, "`args` are for Heartbeat v1 scripts (heartbeat:NAME); OCF agents take `params`");
    if (
      a.agent.class !== "ocf" &&
      a.agent.class !== "heartbeat" &&
      raw.params !== undefined &&
      a.agent.class !== "exec"
    )
      this.warn(`${path}.params`, `${a.agent.class} scripts take no parameters; \`params\` is ignored`);
    if (isNativeVip(a)) {
      const v = vipParams(strMap(raw.params));
      if (typeof v === "string") this.error(`${path}.params`, `vip: ${v}`);
    }
    if (isNativeAwsEip(a)) {
      const v = awsEipParams(strMap(raw.params));
      if (typeof v === "string") this.error(`${path}.params`, `aws-eip: ${v}`);
    }
    return {
      kind: "primitive",
      id,
      agent: a.agent,
      params: strMap(raw.params),
      args: a.args,
      exec: this.exec(raw, path, a.agent),
      ops: this.ops(raw, path, opDefaults),
      meta: this.meta(raw, inheritedMeta, path),
      group,
    };
  }

  resources(raw: unknown, defaults: Obj, opDefaults: Obj): ResourceConfig[] {
    const out: ResourceConfig[] = [];
    const seen = new Set<string>();
    const claim = (id: string, path: string) => {
      if (!ID_RE.test(id))
        this.error(path, `\`${id}\` is not a valid id: use letters, digits, _ . : - and start with a letter`);
      if (seen.has(id)) this.error(path, `id \`${id}\` is used twice — resource and group ids must be unique`);
      seen.add(id);
    };
    for (const [id, r] of Object.entries(isObj(raw) ? raw : {})) {
      const path = `resources.${id}`;
      if (!isObj(r)) continue;
      claim(id, path);
      if (r.members !== undefined) {
        for (const k of ["agent", "exec", "params", "args", "ops", "monitor"]) {
          if (r[k] !== undefined) this.error(`${path}.${k}`, `a group has no \`${k}\`: put it on a member`);
        }
        const groupMeta = { ...defaults, ...r };
        delete groupMeta.prefer;
        const members: PrimitiveConfig[] = [];
        const rawMembers = isObj(r.members) ? r.members : {};
        if (Object.keys(rawMembers).length === 0) this.error(`${path}.members`, "a group needs at least one member");
        for (const [mid, m] of Object.entries(rawMembers)) {
          if (!isObj(m)) continue;
          claim(mid, `${path}.members.${mid}`);
          const p = this.primitive(mid, m, `${path}.members.${mid}`, groupMeta, opDefaults, id);
          if (p) members.push(p);
        }
        const group: GroupConfig = { kind: "group", id, members, meta: this.meta(r, defaults, path) };
        group.clone = this.clone(id, r, path, claim);
        for (const m of members) m.clone = group.clone;
        out.push(group);
      } else {
        const p = this.primitive(id, r, path, defaults, opDefaults);
        if (p) p.clone = this.clone(id, r, path, claim);
        if (p) out.push(p);
      }
    }
    return out;
  }

  /** `clone:` or `promotable:` on a top-level resource (true, or options). */
  clone(id: string, r: Obj, path: string, claim: (id: string, path: string) => void): CloneConfig | undefined {
    if (r.clone === undefined && r.promotable === undefined) return undefined;
    if (r.clone !== undefined && r.promotable !== undefined)
      this.error(`${path}.promotable`, "give `clone` or `promotable` (a promotable resource is a clone too), not both");
    const key = r.promotable !== undefined ? "promotable" : "clone";
    if (r[key] === false) return undefined;
    const o = isObj(r[key]) ? r[key] : {};
    const int = (k: string) => (typeof o[k] === "number" ? o[k] : undefined);
    const cloneId = typeof o.id === "string" ? o.id : `${id}-clone`;
    claim(cloneId, `${path}.${key}${typeof o.id === "string" ? ".id" : ""}`);
    if (o["globally-unique"] === true)
      this.error(
        `${path}.${key}.globally-unique`,
        "globally-unique clones are not run by the cluster yet (only `paceline simulate` reads them): leave it out for interchangeable copies",
      );
    if (isObj(r.prefer) || typeof r.prefer === "string")
      this.warn(
        `${path}.prefer`,
        "`prefer` on a clone places its copies; to promote on a node use a location with role: promoted",
      );
    return {
      id: cloneId,
      max: int("max") ?? Math.max(1, this.nodeCount),
      perNode: int("per-node") ?? 1,
      interleave: o.interleave === true,
      ordered: o.ordered === true,
      globallyUnique: o["globally-unique"] === true,
      notify: o.notify === true,
      promotable:
        key === "promotable" ? { max: int("promoted-max") ?? 1, perNode: int("promoted-per-node") ?? 1 } : undefined,
    };
  }

  monitors(raw: unknown, resources: ResourceConfig[]): MonitorConfig[] {
    const ids = new Set(
      resources.flatMap((r) => (r.kind === "group" ? [r.id, ...r.members.map((m) => m.id)] : [r.id])),
    );
    const out: MonitorConfig[] = [];
    const own: Record<MonitorType, string[]> = {
      process: ["name", "pattern", "min-count"],
      custom: ["script", "env"],
      disk: ["path", "size"],
      ping: ["targets"],
      nic: ["interface"],
      system: ["cpu", "memory", "open-files", "disk-usage"],
    };
    for (const [name, m] of Object.entries(isObj(raw) ? raw : {})) {
      if (!isObj(m) || typeof m.type !== "string" || !(m.type in own)) continue;
      const path = `monitors.${name}`;
      const type = m.type as MonitorType;
      for (const [t, keys] of Object.entries(own)) {
        if (t === type) continue;
        for (const k of keys)
          if (m[k] !== undefined && !own[type].includes(k))
            this.error(`${path}.${k}`, `\`${k}\` belongs to ${t} monitors, not ${type}`);
      }
      const recover = typeof m.recover === "string" ? m.recover : undefined;
      if (recover !== undefined && !ids.has(recover))
        this.error(`${path}.recover`, `no resource or group \`${recover}\`${didYouMean(recover, ids)}`);
      const action = (m.action as MonitorAction | undefined) ?? "restart";
      if (!recover && action !== "ignore" && m.action !== undefined)
        this.error(`${path}.action`, `action \`${action}\` needs a \`recover\` target`);
      const mc: MonitorConfig = {
        name,
        type,
        intervalMs: this.ms(m.interval, 10_000),
        timeoutMs: this.ms(m.timeout, 30_000),
        failures: typeof m.failures === "number" ? m.failures : 1,
        recover,
        action: recover ? action : "ignore",
        when:
          (m.when as MonitorConfig["when"] | undefined) ??
          (recover && (type === "process" || type === "custom") ? "target-started" : "always"),
        recoveryScriptAttempts: typeof m["recovery-script-attempts"] === "number" ? m["recovery-script-attempts"] : 0,
      };
      if (mc.when === "target-started" && !recover)
        this.error(`${path}.when`, "`target-started` needs a `recover` target");
      if (mc.timeoutMs <= 0) this.error(`${path}.timeout`, "a monitor needs a timeout above 0");
      if (mc.intervalMs <= 0) this.error(`${path}.interval`, "a monitor needs an interval above 0");
      switch (type) {
        case "process":
          if (m.name === undefined && m.pattern === undefined)
            this.error(
              path,
              "a process monitor needs `name` (the process name) or `pattern` (a regular expression on the command line)",
            );
          if (typeof m.pattern === "string") {
            try {
              new RegExp(m.pattern);
            } catch (e) {
              this.error(`${path}.pattern`, `not a valid regular expression: ${(e as Error).message}`);
            }
          }
          mc.process = {
            name: m.name as string | undefined,
            pattern: m.pattern as string | undefined,
            minCount: typeof m["min-count"] === "number" ? m["min-count"] : 1,
          };
          break;
        case "custom":
          if (typeof m.script !== "string") this.error(path, "a custom monitor needs `script` (exit 0 = healthy)");
          mc.script = { command: this.cmd(String(m.script ?? ""))!, env: strMap(m.env) };
          break;
        case "disk":
          if (typeof m.path !== "string")
            this.error(path, "a disk monitor needs `path`, a directory on the disk to check");
          mc.disk = { path: String(m.path ?? ""), sizeBytes: typeof m.size === "number" ? m.size : 4096 };
          break;
        case "ping":
          if (!Array.isArray(m.targets) || m.targets.length === 0)
            this.error(path, "a ping monitor needs `targets`, a list of addresses");
          mc.ping = { targets: Array.isArray(m.targets) ? m.targets.map(String) : [] };
          break;
        case "nic":
          if (typeof m.interface !== "string") this.error(path, "a nic monitor needs `interface`, e.g. eth0");
          mc.nic = { interface: String(m.interface ?? "") };
          break;
        case "system": {
          const sys = {
            cpuPercent: percent(m.cpu),
            memoryPercent: percent(m.memory),
            openFilesPercent: percent(m["open-files"]),
            diskUsagePercent: {} as Record<string, number>,
          };
          for (const [k, v] of [
            ["cpu", sys.cpuPercent],
            ["memory", sys.memoryPercent],
            ["open-files", sys.openFilesPercent],
          ] as const) {
            if (Number.isNaN(v)) this.error(`${path}.${k}`, 'write a percentage between 1 and 100, e.g. 90 or "90%"');
          }
          for (const [mount, v] of Object.entries(isObj(m["disk-usage"]) ? m["disk-usage"] : {})) {
            const p = percent(v);
            if (p === undefined || Number.isNaN(p))
              this.error(`${path}.disk-usage.${mount}`, "write a percentage between 1 and 100");
            else sys.diskUsagePercent[mount] = p;
          }
          if (
            sys.cpuPercent === undefined &&
            sys.memoryPercent === undefined &&
            sys.openFilesPercent === undefined &&
            Object.keys(sys.diskUsagePercent).length === 0
          ) {
            this.error(path, "a system monitor needs at least one threshold: cpu, memory, open-files or disk-usage");
          }
          mc.system = sys;
          break;
        }
      }
      out.push(mc);
    }
    return out;
  }

  nodes(raw: unknown): NodeConfig[] {
    return Object.entries(isObj(raw) ? raw : {}).map(([name, n]) => {
      const o = isObj(n) ? n : {};
      return {
        name,
        links: Array.isArray(o.links) ? o.links.map(String) : [],
        votes: typeof o.votes === "number" ? o.votes : 1,
        attributes: strMap(o.attributes),
      };
    });
  }
}

/** Parses and validates cluster.yaml text. Returns the model only when there is no error (warnings allowed). */
/** A cluster.yaml is a few kilobytes; this much is no configuration (and would cost memory to read). */
const CONFIG_MAX_BYTES = 4 * 1024 * 1024;
/** Alias expansions allowed (YAML anchors are handy; an alias bomb is not). */
const MAX_ALIASES = 1000;

export function loadConfigText(text: string, file = "cluster.yaml", baseDir?: string): LoadResult {
  const lines = new LineCounter();
  const problems: Problem[] = [];
  const whole = (message: string): LoadResult => ({
    problems: [{ file, pos: { line: 1, col: 1 }, path: "", message, severity: "error" }],
  });
  if (text.length > CONFIG_MAX_BYTES)
    return whole(
      `the file is ${text.length} bytes: more than the ${CONFIG_MAX_BYTES / 1024 / 1024} MiB a configuration may be`,
    );
  let doc: ReturnType<typeof parseDocument>;
  let raw: unknown;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    raw = doc.errors.length ? undefined : doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    // The YAML reader recurses per level of nesting, and counts alias expansions: both have limits.
    if (e instanceof RangeError) return whole("the YAML nests deeper than it can be read (thousands of levels)");
    if (/alias/i.test((e as Error).message))
      return whole(`more than ${MAX_ALIASES} YAML alias expansions (an alias bomb?): write the values out`);
    throw e;
  }
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    problems.push({
      file,
      pos: { line, col },
      path: "",
      message: /Maximum call stack/.test(e.message)
        ? "the YAML nests deeper than it can be read (thousands of levels)"
        : `YAML syntax: ${e.message.split("\n")[0]}`,
      severity: "error",
    });
  }
  if (problems.length) return { problems };
  if (!isObj(raw)) {
    problems.push({
      file,
      pos: { line: 1, col: 1 },
      path: "",
      message: "the file is empty or not a mapping — start with `resources:`",
      severity: "error",
    });
    return { problems };
  }
  const { problems: treeProblems, positions } = validateTree(doc.contents as never, clusterSchema, file, lines);
  problems.push(...treeProblems);
  const b = new Builder(file, positions, treeProblems);
  b.baseDir = baseDir;
  const props = isObj(raw.properties) ? raw.properties : {};
  // Heartbeat's auto_failback: on = resources go back to their preferred node when it returns (no stickiness);
  // off = they stay where they are (sticky). An explicit defaults.stickiness wins.
  const autoFailback =
    typeof props["auto-failback"] === "boolean" ? { stickiness: props["auto-failback"] ? 0 : "INFINITY" } : {};
  const defaults = { ...autoFailback, ...(isObj(raw.defaults) ? raw.defaults : {}) };
  const opDefaults = isObj(raw["op-defaults"]) ? raw["op-defaults"] : {};
  const nodes = b.nodes(raw.nodes);
  b.nodeCount = nodes.length;
  const resources = b.resources(raw.resources, defaults, opDefaults);
  const monitors = b.monitors(raw.monitors, resources);
  const constraints = loadConstraints(
    raw,
    resources,
    nodes.map((n) => n.name),
    (path, message, severity = "error") => (severity === "error" ? b.error(path, message) : b.warn(path, message)),
  );
  const nodeNames = new Set(nodes.map((n) => n.name));
  const singleServer = nodes.length <= 1;
  for (const r of resources.flatMap((x) => (x.kind === "group" ? [x, ...x.members] : [x]))) {
    const path = r.kind === "primitive" && r.group ? `resources.${r.group}.members.${r.id}` : `resources.${r.id}`;
    if (r.meta.prefer !== undefined && nodes.length > 0 && !nodeNames.has(r.meta.prefer))
      b.error(`${path}.prefer`, `no node \`${r.meta.prefer}\`${didYouMean(r.meta.prefer, nodeNames)}`);
    if (r.kind === "primitive" && singleServer) {
      for (const op of r.ops) {
        if (op.onFail === "fence" || op.onFail === "standby" || op.onFail === "demote") {
          b.warn(
            `${path}.ops.${op.name}.on-fail`,
            `on-fail=${op.onFail} needs a cluster; on a single server ${op.onFail === "standby" ? "it stops every resource" : "it acts as block"}`,
          );
        }
      }
    }
  }
  problems.push(...b.problems);
  if (problems.some((p) => p.severity === "error")) return { problems };
  const hb = isObj(raw.heartbeat) ? raw.heartbeat : {};
  const profile = hb.profile === "fast" ? HEARTBEAT_PROFILES.fast : HEARTBEAT_PROFILES.default;
  const heartbeat = {
    intervalMs: b.ms(hb.interval, profile.intervalMs),
    warnMs: b.ms(hb.warn, profile.warnMs),
    deadMs: b.ms(hb.dead, profile.deadMs),
    initialDeadMs: b.ms(hb["initial-dead"], profile.initialDeadMs),
    maxDelayMs: b.ms(hb["max-delay"], profile.maxDelayMs),
    stopMarginMs: b.ms(hb["stop-margin"], profile.stopMarginMs),
    port: typeof hb.port === "number" ? hb.port : 5405,
    keyFile: typeof hb["key-file"] === "string" ? hb["key-file"] : "/etc/paceline/authkey",
    linkModes: linkModes(hb.links, (path, message) =>
      problems.push({ file, pos: positions.get(path), path, message, severity: "error" }),
    ),
  };
  if (heartbeat.deadMs <= 2 * heartbeat.intervalMs)
    problems.push({
      file,
      pos: positions.get("heartbeat.dead"),
      path: "heartbeat.dead",
      message: `dead (${formatDuration(heartbeat.deadMs)}) must be more than twice the interval (${formatDuration(heartbeat.intervalMs)}), or one lost heartbeat declares a node dead`,
      severity: "error",
    });
  // An echo renews the lease one heartbeat and two trips after the heartbeat it echoes was sent: the stop budget
  // must leave that much of the lease, or the node stops its resources at every heartbeat.
  const renewMs = heartbeat.intervalMs + 2 * heartbeat.maxDelayMs;
  if (heartbeat.stopMarginMs >= heartbeat.deadMs - renewMs)
    problems.push({
      file,
      pos: positions.get(hb["stop-margin"] !== undefined ? "heartbeat.stop-margin" : "heartbeat.dead"),
      path: hb["stop-margin"] !== undefined ? "heartbeat.stop-margin" : "heartbeat.dead",
      message: `stop-margin (${formatDuration(heartbeat.stopMarginMs)}) must be less than dead − interval − 2 × max-delay (${formatDuration(heartbeat.deadMs)} − ${formatDuration(heartbeat.intervalMs)} − 2 × ${formatDuration(heartbeat.maxDelayMs)} = ${formatDuration(Math.max(0, heartbeat.deadMs - renewMs))}): a node stops its resources once its lease has only stop-margin left, and a renewal can take that long to arrive`,
      severity: "error",
    });
  if (heartbeat.warnMs > heartbeat.deadMs)
    problems.push({
      file,
      pos: positions.get("heartbeat.warn"),
      path: "heartbeat.warn",
      message: "warn must not be longer than dead",
      severity: "error",
    });
  const q = isObj(raw.quorum) ? raw.quorum : {};
  const quorum = {
    twoNode: q["two-node"] === true,
    waitForAll: q["wait-for-all"] !== undefined ? q["wait-for-all"] === true : q["two-node"] === true,
    noQuorumPolicy: (typeof q["no-quorum-policy"] === "string"
      ? q["no-quorum-policy"]
      : "stop") as ClusterConfig["quorum"]["noQuorumPolicy"],
    arbiter: typeof q.arbiter === "string" ? q.arbiter : undefined,
  };
  if (quorum.twoNode && quorum.arbiter)
    problems.push({
      file,
      pos: positions.get("quorum.arbiter"),
      path: "quorum.arbiter",
      message:
        "an arbiter replaces two-node: with an arbiter, two nodes need the arbiter's vote to keep quorum alone; remove two-node",
      severity: "error",
    });
  if (quorum.twoNode && nodes.length !== 2)
    problems.push({
      file,
      pos: positions.get("quorum.two-node"),
      path: "quorum.two-node",
      message: `two-node needs exactly two nodes (there are ${nodes.length})`,
      severity: "error",
    });
  for (const n of nodes) {
    if (nodes.length > 1 && n.links.length === 0)
      problems.push({
        file,
        pos: positions.get(`nodes.${n.name}`),
        path: `nodes.${n.name}.links`,
        message:
          "this node has no heartbeat link address (e.g. links: [10.0.0.1]); the cluster daemon will not start until every node has one",
        severity: "warning",
      });
  }
  const linkCounts = new Set(nodes.filter((n) => n.links.length).map((n) => n.links.length));
  const described = heartbeat.linkModes.length;
  if (described && linkCounts.size === 1 && !linkCounts.has(described))
    problems.push({
      file,
      pos: positions.get("heartbeat.links"),
      path: "heartbeat.links",
      message: `heartbeat.links describes ${described} link(s), but each node has ${[...linkCounts][0]} address(es) in links: one entry per link`,
      severity: "error",
    });
  if (linkCounts.size > 1)
    problems.push({
      file,
      pos: positions.get("nodes"),
      path: "nodes",
      message: "every node needs the same number of links (one address per heartbeat link)",
      severity: "error",
    });
  const pg = isObj(raw.ping) ? raw.ping : undefined;
  const ping =
    pg && Array.isArray(pg.targets)
      ? {
          targets: pg.targets.map(String),
          intervalMs: b.ms(pg.interval, 2000),
          timeoutMs: b.ms(pg.timeout, 1000),
          multiplier: typeof pg.multiplier === "number" ? pg.multiplier : 1000,
          attribute: typeof pg.attribute === "string" ? pg.attribute : "pingd",
          preferConnected: pg["prefer-connected"] !== false,
        }
      : undefined;
  if (ping && ping.targets.length === 0)
    problems.push({
      file,
      pos: positions.get("ping.targets"),
      path: "ping.targets",
      message: "list at least one address to ping, e.g. targets: [192.168.1.1]",
      severity: "error",
    });
  if (ping && !/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(ping.attribute))
    problems.push({
      file,
      pos: positions.get("ping.attribute"),
      path: "ping.attribute",
      message: "an attribute name is a letter or _ then letters, digits, _ . - (at most 64)",
      severity: "error",
    });
  const fencing = loadFencing(
    raw.fencing,
    nodes.map((n) => n.name),
    (path, message, severity = "error") => problems.push({ file, pos: positions.get(path), path, message, severity }),
  );
  constraints.locations.unshift(...shorthandLocations(resources, ping));
  if (problems.some((p) => p.severity === "error")) return { problems };
  const config: ClusterConfig = {
    cluster: typeof raw.cluster === "string" ? raw.cluster : "paceline",
    nodes,
    heartbeat,
    quorum,
    ping,
    fencing,
    properties: {
      startFailureIsFatal: props["start-failure-is-fatal"] !== false,
      maintenanceMode: props["maintenance-mode"] === true,
      rebootCommand: typeof props["reboot-command"] === "string" ? props["reboot-command"] : undefined,
      shutdownStopTimeoutMs: b.ms(props["stop-timeout-on-shutdown"], 300_000),
    },
    resources,
    monitors,
    constraints,
  };
  return { config, problems };
}

/** heartbeat.links → each link's mode; a group must be multicast, a broadcast address IPv4. */
function linkModes(raw: unknown, problem: (path: string, message: string) => void): LinkMode[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((l, i): LinkMode => {
    const path = `heartbeat.links[${i}]`;
    if (!isObj(l)) return { kind: "unicast" };
    if (typeof l.multicast === "string") {
      const g = l.multicast;
      const v4 = isIPv4(g) && Number(g.split(".")[0]) >= 224 && Number(g.split(".")[0]) <= 239;
      const v6 = isIPv6(g) && /^ff/i.test(g);
      if (!v4 && !v6)
        problem(`${path}.multicast`, `${g} is not a multicast group: IPv4 224.0.0.0–239.255.255.255 or IPv6 ff00::/8`);
      if (v6 && typeof l.interface !== "string")
        problem(`${path}.interface`, "an IPv6 group is joined on an interface: give interface: eth1");
      return {
        kind: "multicast",
        group: g,
        ttl: typeof l.ttl === "number" ? l.ttl : 1,
        interface: typeof l.interface === "string" ? l.interface : undefined,
      };
    }
    if (typeof l.broadcast === "string") {
      if (!isIPv4(l.broadcast))
        problem(`${path}.broadcast`, `${l.broadcast} is not an IPv4 address (IPv6 has no broadcast: use multicast)`);
      return { kind: "broadcast", address: l.broadcast };
    }
    return { kind: "unicast" };
  });
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return {
      problems: [
        {
          file,
          path: "",
          message: `cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
          severity: "error",
        },
      ],
    };
  }
  return loadConfigText(text, file, dirname(resolve(file)));
}

/** Loads or throws a ConfigError listing every error. */
export function loadConfigOrThrow(file: string): ClusterConfig {
  const r = loadConfigFile(file);
  if (!r.config) throw new ConfigError(r.problems);
  return r.config;
}
