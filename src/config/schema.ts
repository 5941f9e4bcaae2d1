// The JSON Schema of cluster.yaml. One definition serves three purposes: it is published (schema/cluster.schema.json)
// for editor completion, the validator walks it to report unknown keys and wrong types with line numbers, and its
// descriptions are the reference documentation. Cross-field rules (references, agent-specific keys) live in load.ts.

import { DURATION_PATTERN } from "./duration.js";

export type SchemaType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

export interface Schema {
  type?: SchemaType | SchemaType[];
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  required?: string[];
  enum?: Array<string | number | boolean>;
  pattern?: string;
  items?: Schema;
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  /** Shown after a type or pattern error: what a valid value looks like. */
  "x-hint"?: string;
}

const duration = (description: string): Schema => ({
  type: ["string", "number"],
  pattern: DURATION_PATTERN,
  description,
  "x-hint": "write a duration such as 500ms, 10s, 2m or 1h (a bare number means seconds)",
});

const score: Schema = {
  type: ["integer", "string"],
  pattern: "^[+-]?(\\d+|INFINITY|inf)$",
  description: "A score: an integer, INFINITY or -INFINITY.",
  "x-hint": "write an integer, INFINITY or -INFINITY",
};

export const ON_FAIL_VALUES = ["restart", "block", "ignore", "stop", "fence", "standby", "demote"] as const;
const onFail: Schema = {
  type: "string",
  enum: [...ON_FAIL_VALUES],
  description:
    "What to do when this operation fails: restart (default for start/monitor), block (stop managing it and wait for a human), ignore, stop (and keep it stopped), fence or standby (cluster only).",
};

const op: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    interval: duration("How often a recurring monitor runs (0 = a one-shot operation)."),
    timeout: duration("The operation is killed (whole process group) and counted as failed after this long."),
    "on-fail": onFail,
    enabled: { type: "boolean", description: "false disables a recurring monitor without deleting it." },
    role: {
      type: "string",
      enum: ["Started", "Stopped", "Promoted", "Unpromoted", "Master", "Slave"],
      description: "Run this monitor only in this role.",
    },
    "start-delay": duration("Wait this long after start before the first recurring monitor."),
  },
};

export const FINAL_ACTIONS = ["none", "stop-group", "stop-daemon", "reboot"] as const;
const finalAction: Schema = {
  anyOf: [
    { type: "string", enum: [...FINAL_ACTIONS] },
    {
      type: "object",
      additionalProperties: false,
      required: ["script"],
      properties: { script: { type: "string", description: "Run this script as the final action." } },
    },
  ],
  description:
    "When the restart limit (migration-threshold) is reached on a single server: none (leave it stopped), stop-group, stop-daemon (stop every resource and Paceline), reboot (the OS), or { script: PATH }.",
};

/** Keys shared by resources and defaults: how a resource is managed and recovered. */
const recoveryProperties: Record<string, Schema> = {
  "migration-threshold": {
    ...score,
    description:
      "Failures on one node before the resource must leave it (single server: before the final action). INFINITY = never give up. Default INFINITY.",
  },
  "failure-timeout": duration("Forget a failure after this long without a new one (0 = never forget)."),
  "final-action": finalAction,
  "pre-recovery-script": {
    type: "string",
    description:
      "Runs before each recovery step with PACELINE_ACTION (RECOVERY, RESTART, FAILOVER, FINALACTION), PACELINE_RESOURCE, PACELINE_MONITOR_NAME, PACELINE_RESTART_COUNT, PACELINE_RECOVERY_COUNT, PACELINE_FAILOVER_COUNT.",
  },
  "pre-recovery-timeout": duration("The pre-recovery script is killed after this long (default 30s)."),
  stickiness: { ...score, description: "Preference to stay where the resource runs (resource-stickiness)." },
  priority: {
    type: "integer",
    description:
      "How important it is (default 0): with fencing.priority-delay, in a split the node running more priority is fenced last, so it survives.",
  },
};

const metaProperties: Record<string, Schema> = {
  ...recoveryProperties,
  meta: {
    type: "object",
    additionalProperties: { type: ["string", "number", "boolean"] },
    description:
      "Other Pacemaker meta attributes, passed to the scheduler as they are: allow-migrate, requires, multiple-active, resource-discovery…",
  },
  "target-role": {
    type: "string",
    enum: ["started", "stopped", "Started", "Stopped", "promoted", "unpromoted", "Promoted", "Unpromoted"],
    description: "started (default), stopped, or for a promotable clone unpromoted (never promote) or promoted.",
  },
  managed: {
    type: "boolean",
    description: "false: Paceline neither starts, stops nor recovers it (is-managed=false).",
  },
  prefer: {
    type: "string",
    description: "The node this resource prefers (a location score of 100, or `stickiness` when larger).",
  },
};

const primitiveProperties: Record<string, Schema> = {
  agent: {
    type: "string",
    description:
      "ocf:PROVIDER:TYPE (OCF resource agent), lsb:NAME (/etc/init.d script), exec (scripts in `exec`), heartbeat:NAME or NAME::arg1::arg2 (Heartbeat v1 script, from $HA_DIR/resource.d — /etc/ha.d/resource.d by default — or /etc/init.d).",
  },
  params: {
    type: "object",
    additionalProperties: { type: ["string", "number", "boolean"] },
    description: "Agent parameters (OCF_RESKEY_<name>).",
  },
  args: {
    type: "array",
    items: { type: ["string", "number"] },
    description: "Arguments of a Heartbeat v1 script (before the action).",
  },
  exec: {
    type: "object",
    additionalProperties: false,
    description:
      "Scripts of an exec resource. Either `command` (a long-running foreground process Paceline supervises: its death is noticed at once) or `start`/`stop` (+ optional `status`) scripts.",
    properties: {
      command: {
        type: "string",
        description: "A long-running command run through /bin/sh; running = the process is alive.",
      },
      start: { type: "string", description: "Start script or command line; exit 0 = started." },
      stop: { type: "string", description: "Stop script or command line; exit 0 = stopped." },
      status: { type: "string", description: "Status script: exit 0 = running, 7 or other = not running." },
      cwd: { type: "string", description: "Working directory." },
      env: {
        type: "object",
        additionalProperties: { type: ["string", "number", "boolean"] },
        description: "Extra environment variables.",
      },
      "stop-signal": {
        type: "string",
        enum: ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGKILL"],
        description: "Signal that stops a `command` (SIGTERM); SIGKILL follows at the stop timeout.",
      },
    },
  },
  monitor: duration("Shorthand for ops.monitor.interval."),
  ops: {
    type: "object",
    additionalProperties: { anyOf: [op, { type: "array", items: op }] },
    properties: {
      start: { anyOf: [op, { type: "array", items: op }] },
      stop: { anyOf: [op, { type: "array", items: op }] },
      monitor: { anyOf: [op, { type: "array", items: op }] },
    },
    description: "Operations: start, stop, monitor (one or a list), each with interval, timeout and on-fail.",
  },
  ...metaProperties,
};

const primitive: Schema = { type: "object", additionalProperties: false, properties: primitiveProperties };

const cloneOptions: Record<string, Schema> = {
  id: { type: "string", description: "The clone's own id in Pacemaker's terms (default: the resource id + -clone)." },
  max: { type: "integer", minimum: 0, description: "Copies in all (default: one per node; 0: none)." },
  "per-node": { type: "integer", minimum: 1, description: "Copies one node may run (default 1)." },
  interleave: {
    type: "boolean",
    description:
      "A copy ordered after another clone waits only for that clone's copy on its own node, not for every copy (default false).",
  },
  ordered: { type: "boolean", description: "Copies start one after another rather than all at once (default false)." },
  "globally-unique": {
    type: "boolean",
    description: "Copies are distinct (each its own number), not interchangeable (default false).",
  },
  notify: {
    type: "boolean",
    description:
      "The agent is told before and after every copy's start, stop, promote and demote (needed by ocf:linbit:drbd).",
  },
};

const resource: Schema = {
  type: "object",
  additionalProperties: false,
  description:
    "A primitive (has `agent` or `exec`) or a group (has `members`: started top to bottom, stopped bottom to top, kept together).",
  properties: {
    ...primitiveProperties,
    members: { type: "object", additionalProperties: primitive, description: "Group members, in start order." },
    clone: {
      anyOf: [{ type: "boolean" }, { type: "object", additionalProperties: false, properties: cloneOptions }],
      description:
        "Run a copy on every node (or `max` copies), e.g. a ping or disk monitor agent: true, or options. Constraints name the resource's id.",
    },
    promotable: {
      anyOf: [
        { type: "boolean" },
        {
          type: "object",
          additionalProperties: false,
          properties: {
            ...cloneOptions,
            "promoted-max": {
              type: "integer",
              minimum: 0,
              description: "Copies promoted at once (default 1; 0: none).",
            },
            "promoted-per-node": {
              type: "integer",
              minimum: 0,
              description: "Promoted copies one node may run (default 1).",
            },
          },
        },
      ],
      description:
        "A clone whose copies run promoted or unpromoted (DRBD primary/secondary, a database primary/replica): true, or options. The agent sets each copy's promotion score (crm_attribute --promotion / crm_master).",
    },
  },
};

const resourceSet: Schema = {
  anyOf: [
    { type: "array", items: { type: "string" } },
    {
      type: "object",
      additionalProperties: false,
      required: ["resources"],
      properties: {
        resources: { type: "array", items: { type: "string" } },
        sequential: { type: "boolean", description: "Members depend on each other in turn (default true)." },
        "require-all": { type: "boolean", description: "false: one member running is enough for what follows." },
        role: { type: "string", description: "started, promoted or unpromoted." },
        action: { type: "string", enum: ["start", "stop", "promote", "demote"] },
      },
    },
  ],
};

const ruleSchema: Schema = {
  anyOf: [
    { type: "string" },
    {
      type: "object",
      additionalProperties: false,
      required: ["expression"],
      properties: {
        score,
        "score-attribute": { type: "string", description: "Take the score from this node attribute." },
        role: { type: "string", description: "started, promoted or unpromoted." },
        expression: { type: "string", description: 'e.g. "not_defined pingd or pingd lte 0".' },
      },
    },
  ],
  description:
    'A rule in the crm shell words: "-INFINITY: not_defined pingd or pingd lte 0", "pingd: defined pingd" (score from the attribute), "100: #uname eq node1", "date in_range start=2026-01-01 end=2026-06-30", "$role=promoted 50: site eq a"; a value `param:NAME` or `meta:NAME` is the resource\'s own parameter or meta attribute ("INFINITY: disk gte param:size").',
};

const locationSchema: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    rsc: { type: "string", description: "The resource (a clone's copies: its resource id)." },
    "rsc-pattern": {
      type: "string",
      description:
        "Every top-level resource whose id matches this regular expression (`!regex`: every one it does not match); %1…%9 in the rules' attribute names stand for its groups.",
    },
    node: { type: "string" },
    score: { ...score, description: "With `node`: how much it prefers (or, negative, avoids) it. Default INFINITY." },
    rules: { anyOf: [ruleSchema, { type: "array", items: ruleSchema }] },
    role: { type: "string", description: "Only for this role (promoted: where to promote)." },
    "resource-discovery": { type: "string", enum: ["always", "never", "exclusive"] },
  },
};

const colocationSchema: Schema = {
  anyOf: [
    { type: "string", description: '"A with B", "A with promoted B", "-INFINITY: A with B".' },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        id: { type: "string" },
        rsc: { type: "string", description: "The resource placed second (it follows)." },
        with: { type: "string", description: "The resource placed first." },
        score: { ...score, description: "INFINITY (default) = must; negative = must not (-INFINITY) or prefers not." },
        "rsc-role": { type: "string" },
        "with-role": { type: "string", description: "e.g. promoted: with the promoted copy." },
        "node-attribute": { type: "string", description: "Together means the same value of this attribute (#uname)." },
        influence: { type: "boolean" },
        sets: { type: "array", items: resourceSet },
      },
    },
  ],
};

const orderSchema: Schema = {
  anyOf: [
    { type: "string", description: '"A then B", "promote A then start B", "Optional: A then B".' },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        id: { type: "string" },
        first: { type: "string" },
        then: { type: "string" },
        "first-action": { type: "string", enum: ["start", "stop", "promote", "demote"] },
        "then-action": { type: "string", enum: ["start", "stop", "promote", "demote"] },
        kind: {
          type: "string",
          enum: ["Mandatory", "Optional", "Serialize", "mandatory", "optional", "serialize"],
          description:
            "Mandatory (default: then waits for first, and stops/restarts with it), Optional (only when both happen in one transition), Serialize (never at the same time).",
        },
        symmetrical: { type: "boolean", description: "Stop in the reverse order (default true; Serialize false)." },
        "require-all": { type: "boolean", description: "false: one copy of a cloned first is enough." },
        score,
        sets: { type: "array", items: resourceSet },
      },
    },
  ],
};

export const MONITOR_TYPES = ["process", "custom", "disk", "ping", "nic", "system"] as const;
const monitor: Schema = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  description: "A built-in monitor (CLUSTERPRO monitor resource).",
  properties: {
    type: {
      type: "string",
      enum: [...MONITOR_TYPES],
      description:
        "process (a process by name or pattern), custom (a script: exit 0 = healthy), disk (write+fsync+read), ping (IP reachability), nic (link up/down), system (CPU, memory, open files, disk usage).",
    },
    interval: duration("Time between checks (default 10s)."),
    timeout: duration("A check that takes longer fails (catches hangs; default 30s)."),
    failures: { type: "integer", minimum: 1, description: "Consecutive failed checks before recovery (default 1)." },
    recover: {
      type: "string",
      description: "Resource or group to recover when this monitor fails. Without it the monitor only reports.",
    },
    action: {
      type: "string",
      enum: ["restart", "stop", "block", "ignore", "final-action"],
      description:
        "Recovery on failure: restart the target (default; counts toward its migration-threshold), stop it, block, ignore (report only), or final-action at once.",
    },
    when: {
      type: "string",
      enum: ["always", "target-started"],
      description:
        "always, or only while the recovery target runs (default for process and custom monitors with a target).",
    },
    "recovery-script-attempts": {
      type: "integer",
      minimum: 0,
      description:
        "Failures handled only by running the pre-recovery script (PACELINE_ACTION=RECOVERY) before restarts begin.",
    },
    // process
    name: { type: "string", description: "process: the exact process name (comm, as `ps -e` shows it)." },
    pattern: { type: "string", description: "process: a regular expression matched against the full command line." },
    "min-count": {
      type: "integer",
      minimum: 1,
      description: "process: at least this many matching processes (default 1).",
    },
    // custom
    script: { type: "string", description: "custom: script or command line; exit 0 = healthy." },
    env: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
    // disk
    path: {
      type: "string",
      description: "disk: a directory (a file .paceline-diskcheck is written there) or a file path.",
    },
    size: { type: "integer", minimum: 1, description: "disk: bytes written and read back (default 4096)." },
    // ping
    targets: {
      type: "array",
      items: { type: "string" },
      description: "ping: addresses; the check fails when none answers.",
    },
    // nic
    interface: { type: "string", description: "nic: interface name, e.g. eth0." },
    // system
    cpu: { type: ["integer", "string"], description: 'system: CPU busy % threshold (e.g. 90 or "90%").' },
    memory: { type: ["integer", "string"], description: "system: memory used % threshold." },
    "open-files": { type: ["integer", "string"], description: "system: open file handles % of the system limit." },
    "disk-usage": {
      type: "object",
      additionalProperties: { type: ["integer", "string"] },
      description: "system: mount point → used % threshold, e.g. { /: 90% }.",
    },
  },
};

const node: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    links: {
      type: "array",
      items: { type: "string" },
      description: "One address per heartbeat link (IPv4 or IPv6, optionally address:port).",
    },
    votes: { type: "integer", minimum: 0, description: "Quorum votes of this node (default 1)." },
    attributes: {
      type: "object",
      additionalProperties: { type: ["string", "number", "boolean"] },
      description: "Node attributes usable in rules.",
    },
  },
};

export const clusterSchema: Schema = {
  type: "object",
  additionalProperties: false,
  description: "Paceline cluster configuration (cluster.yaml): the same file on every node.",
  properties: {
    cluster: { type: "string", description: "The cluster's name." },
    nodes: {
      type: "object",
      additionalProperties: { anyOf: [node, { type: "null" }] },
      description: "Nodes by name. Leave out for a single server (this host).",
    },
    heartbeat: {
      type: "object",
      additionalProperties: false,
      description:
        "Failure detection: `profile: default` (500 ms / 5 s dead) or `fast` (about one second to fail over), or the timings themselves.",
      properties: {
        profile: {
          type: "string",
          enum: ["default", "fast"],
          description:
            "default: interval 100ms, warn 500ms, dead 1500ms, initial-dead 20s, max-delay 100ms, stop-margin 700ms; fast (a quiet LAN with two or more links): interval 50ms, warn 150ms, dead 350ms, initial-dead 4s, max-delay 50ms, stop-margin 150ms.",
        },
        interval: duration("Time between heartbeats on each link (Heartbeat's keepalive)."),
        warn: duration("A link silent this long is shown as warn (warntime)."),
        dead: duration("A node silent on every link this long is lost (deadtime)."),
        "initial-dead": duration(
          "After start, how long to wait for the other nodes before going on without them (initdead).",
        ),
        port: {
          type: "integer",
          minimum: 1,
          maximum: 65535,
          description: "UDP port of the heartbeat links (default 5405).",
        },
        links: {
          type: "array",
          description:
            "How each link carries heartbeats, in the order of the nodes' link addresses: unicast (default), { multicast: GROUP, ttl, interface } (Heartbeat's mcast; IPv4 224.0.0.0/4 or IPv6 ff00::/8) or { broadcast: ADDRESS } (bcast: the link's broadcast address, e.g. 10.0.0.255). Every node still lists its own address on the link.",
          items: {
            anyOf: [
              { type: "string", enum: ["unicast"] },
              {
                type: "object",
                additionalProperties: false,
                required: ["multicast"],
                properties: {
                  multicast: { type: "string", description: "The group, e.g. 239.192.0.1 or ff15::1." },
                  ttl: {
                    type: "integer",
                    minimum: 1,
                    maximum: 255,
                    description: "Hops a datagram may cross (default 1).",
                  },
                  interface: { type: "string", description: "IPv6: the interface (e.g. eth1) to join the group on." },
                },
              },
              {
                type: "object",
                additionalProperties: false,
                required: ["broadcast"],
                properties: { broadcast: { type: "string", description: "The link's IPv4 broadcast address." } },
              },
            ],
          },
        },
        "key-file": {
          type: "string",
          description: "The cluster key (paceline keygen writes one; mode 600). Default /etc/paceline/authkey.",
        },
        "max-delay": duration("The longest a heartbeat may take to arrive (default 100ms; fast 50ms)."),
        "stop-margin": duration(
          "The stop budget (default 700ms; fast 150ms): a node whose quorum lease goes unrenewed starts stopping its resources this long before the lease ends, and the others act without it only once the lease has ended. Without fencing it must cover stopping a whole group; less than dead − interval − 2 × max-delay.",
        ),
      },
    },
    fencing: {
      type: "object",
      additionalProperties: false,
      description: "Fencing (STONITH): devices that can power nodes off, and per node the order to try them in.",
      properties: {
        enabled: {
          type: "boolean",
          description:
            "Fence lost or failed nodes before recovering their resources (default true when devices are configured).",
        },
        timeout: duration("The longest one fencing attempt may take (default 60s)."),
        "startup-fencing": {
          type: "boolean",
          description:
            "A node not seen since the cluster started may run anything: it is fenced before resources start (default true; Pacemaker's startup-fencing). false: assume nodes that are down at start run nothing.",
        },
        action: {
          type: "string",
          enum: ["reboot", "off"],
          description:
            "What fencing asks the device for (default reboot; Pacemaker's stonith-action): off leaves the node off until someone powers it on — for devices that cannot reset (some BMCs) or nodes that must be looked at first.",
        },
        "priority-delay": duration(
          "Fencing a node that runs more resource priority than the node asking waits this long first (Pacemaker's priority-fencing-delay): in a split the node with the more important resources shoots first and survives. Default 0 (off).",
        ),
        devices: {
          type: "object",
          description: "Fence devices by name.",
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            required: ["agent"],
            properties: {
              agent: {
                type: "string",
                description:
                  "A fence-agents program (fence_ipmilan, fence_virsh, …, or an absolute path), `manual` (a person powers the node off and confirms), or `guard` (seed 000's stonith-helper: pings the target's addresses — host-map: \"OS-IP,BMC-IP\" — and reports it off only if all are silent and it ran nothing, else the next level shoots; params.protect: RESOURCE makes its delay apply only on nodes not running it).",
              },
              params: {
                type: "object",
                additionalProperties: { type: ["string", "number", "boolean"] },
                description: "The agent's options (ip, username, lanplus, …); not the password.",
              },
              "password-file": { type: "string", description: "A file holding the device password (mode 600)." },
              "password-env": { type: "string", description: "An environment variable holding the device password." },
              targets: { type: "array", items: { type: "string" }, description: "The nodes this device can fence." },
              "host-map": {
                type: "object",
                additionalProperties: { type: "string" },
                description: "node: plug — the device's name for each node (e.g. a VM name or outlet number).",
              },
              timeout: duration("How long the agent may take (default 20s)."),
              delay: duration(
                "Wait this long before fencing with this device (Pacemaker's pcmk_delay_base). In a two-node split each node fences the other: put the delay on the devices that fence the node that should survive, so its peer's shot waits and it shoots first.",
              ),
              "delay-max": duration(
                "Also wait a random time up to this (pcmk_delay_max), so two nodes do not fence each other at the same instant.",
              ),
            },
          },
        },
        levels: {
          type: "object",
          additionalProperties: { type: "array", items: { type: "array", items: { type: "string" } } },
          description:
            "node: [[device, …], …] — levels tried in order; every device of a level must succeed. Default: each device that targets the node, in order.",
        },
      },
    },
    ping: {
      type: "object",
      additionalProperties: false,
      required: ["targets"],
      description:
        "Every node pings these addresses (e.g. the router) and publishes how many answer as a node attribute (Heartbeat's `ping`, Pacemaker's ping agent).",
      properties: {
        targets: { type: "array", items: { type: "string" }, description: "Addresses to ping (at least one)." },
        interval: duration("Time between rounds (default 2s)."),
        timeout: duration("How long to wait for each answer (default 1s)."),
        multiplier: {
          type: "integer",
          minimum: 1,
          description: "The attribute is the number of answering targets times this (default 1000).",
        },
        attribute: { type: "string", description: "The node attribute's name (default pingd)." },
        "prefer-connected": {
          type: "boolean",
          description:
            "Resources prefer the nodes that reach more targets and never run where none answers (Heartbeat's ipfail; default true). false: only publish the attribute.",
        },
      },
    },
    quorum: {
      type: "object",
      additionalProperties: false,
      description: "Quorum options.",
      properties: {
        "two-node": {
          type: "boolean",
          description:
            "Two nodes: one alone keeps quorum — both halves of a split do, so it needs fencing to be safe (quorum.arbiter is the safer alternative).",
        },
        "wait-for-all": {
          type: "boolean",
          description: "Two-node: only gain quorum once both nodes have been seen (default true with two-node).",
        },
        "no-quorum-policy": {
          type: "string",
          enum: ["stop", "freeze", "ignore", "demote"],
          description: "What a node without quorum does with its resources (default stop).",
        },
        arbiter: {
          type: "string",
          description:
            "Address (host or host:port, default port 5406) of a `paceline arbiter` on a third machine: it lends one vote to one partition at a time, so one node of two (or half of an even cluster) keeps quorum safely. Instead of two-node.",
        },
      },
    },
    properties: {
      type: "object",
      additionalProperties: false,
      description: "Cluster-wide properties.",
      properties: {
        "auto-failback": {
          type: "boolean",
          description:
            "Heartbeat's auto_failback: true = resources move back to their preferred node when it returns (stickiness 0); false = they stay where they run (stickiness INFINITY). defaults.stickiness, if set, wins.",
        },
        "start-failure-is-fatal": {
          type: "boolean",
          description: "A failed start counts as reaching migration-threshold at once (default true).",
        },
        "maintenance-mode": {
          type: "boolean",
          description: "Monitor and report, but start, stop and recover nothing.",
        },
        "reboot-command": {
          type: "string",
          description: "Command run by final-action reboot (default: systemctl reboot, else reboot).",
        },
        "stop-timeout-on-shutdown": duration("Longest wait for all resources to stop when Paceline shuts down."),
      },
    },
    defaults: {
      type: "object",
      additionalProperties: false,
      properties: {
        ...recoveryProperties,
        "target-role": metaProperties["target-role"]!,
        managed: metaProperties.managed!,
        meta: metaProperties.meta!,
      },
      description: "Defaults for every resource (rsc_defaults).",
    },
    "op-defaults": {
      type: "object",
      additionalProperties: false,
      properties: { timeout: op.properties!.timeout!, "on-fail": onFail },
      description: "Defaults for every operation.",
    },
    resources: {
      type: "object",
      additionalProperties: resource,
      description: "Resources and groups by id, in start order.",
    },
    monitors: { type: "object", additionalProperties: monitor, description: "Built-in monitors by name." },
    location: {
      type: "array",
      items: locationSchema,
      description: "Location constraints: where a resource may, prefers or must not run (node scores or rules).",
    },
    colocate: {
      type: "array",
      items: colocationSchema,
      description: "Colocation constraints: resources that run together (or apart).",
    },
    order: { type: "array", items: orderSchema, description: "Order constraints: what starts (or promotes) first." },
  },
};
