// Fencing escalation for one target (deterministic; the shell runs the devices and feeds their results back).
// Levels are tried in order; a level succeeds when every device in it succeeds, in order (e.g. two power
// switches of a dual-PSU server); any device failing or timing out fails its level and the next level is tried.
// When every level has failed, the whole sequence is retried after a growing pause, and the target stays UNCLEAN:
// nothing it held is started elsewhere until a device, or a person, says it is off.

export interface FenceDevice {
  id: string;
  /** A device that needs a person to power the node off and confirm it (meatware): no timeout. */
  manual?: boolean;
  timeoutMs: number;
  /** Wait this long before acting (fence-race avoidance: the node whose devices wait loses a mutual shoot-out). */
  delayMs?: number;
}

export interface FencePlan {
  target: string;
  action: "reboot" | "off";
  /** Device ids per level, in escalation order. */
  levels: string[][];
  devices: Record<string, FenceDevice>;
}

export interface FenceState {
  plan: FencePlan;
  startedMs: number;
  round: number;
  level: number;
  device: number;
  /** The device running now and when it must have answered. */
  running?: { id: string; deadlineMs: number };
  retryAtMs?: number;
  done?: { by: string; atMs: number };
}

export type FenceInput =
  | { type: "tick"; nowMs: number }
  | { type: "result"; nowMs: number; device: string; ok: boolean; reason: string }
  /** A person confirms the target is powered off (or was never running). */
  | { type: "confirm"; nowMs: number; by: string };

export type FenceOutput =
  /** Run the device after `delayMs` (the shell may add a random part: it has the randomness, not the core). */
  | { type: "run"; device: string; action: "reboot" | "off"; timeoutMs: number; delayMs: number }
  | { type: "cancel"; device: string }
  | { type: "fenced"; target: string; by: string; elapsedMs: number }
  | { type: "log"; level: "info" | "warn" | "error"; text: string };

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

export function planProblems(plan: FencePlan): string[] {
  const problems: string[] = [];
  if (plan.levels.length === 0 || plan.levels.some((l) => l.length === 0))
    problems.push(`fencing ${plan.target}: every level needs at least one device`);
  for (const id of plan.levels.flat())
    if (!plan.devices[id]) problems.push(`fencing ${plan.target}: no device called ${id}`);
  return problems;
}

export function startFencing(plan: FencePlan, nowMs: number): { state: FenceState; outputs: FenceOutput[] } {
  const state: FenceState = { plan, startedMs: nowMs, round: 1, level: 0, device: 0 };
  const outputs: FenceOutput[] = [];
  runCurrent(state, nowMs, outputs);
  return { state, outputs };
}

function where(s: FenceState): string {
  const level = s.plan.levels[s.level]!;
  return `level ${s.level + 1} of ${s.plan.levels.length}, device ${s.device + 1} of ${level.length}${s.round > 1 ? `, round ${s.round}` : ""}`;
}

function runCurrent(s: FenceState, nowMs: number, out: FenceOutput[]): void {
  const id = s.plan.levels[s.level]![s.device]!;
  const dev = s.plan.devices[id]!;
  const timeoutMs = dev.manual ? Infinity : dev.timeoutMs;
  const delayMs = dev.delayMs ?? 0;
  s.running = { id, deadlineMs: nowMs + delayMs + timeoutMs };
  out.push({
    type: "log",
    level: "warn",
    text: dev.manual
      ? `fencing ${s.plan.target}: waiting for a person to power it off and confirm that it is off (${id}, ${where(s)})`
      : `fencing ${s.plan.target} (${s.plan.action}) with ${id} (${where(s)})${delayMs ? ` after a ${delayMs} ms delay` : ""}`,
  });
  if (!dev.manual) out.push({ type: "run", device: id, action: s.plan.action, timeoutMs, delayMs });
}

function failed(s: FenceState, nowMs: number, why: string, out: FenceOutput[]): void {
  const id = s.running!.id;
  s.running = undefined;
  const levels = s.plan.levels;
  if (s.level + 1 < levels.length) {
    out.push({
      type: "log",
      level: "warn",
      text: `fencing ${s.plan.target}: ${id} ${why}; level ${s.level + 1} failed, trying level ${s.level + 2}`,
    });
    s.level++;
    s.device = 0;
    runCurrent(s, nowMs, out);
    return;
  }
  const waitMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (s.round - 1));
  s.retryAtMs = nowMs + waitMs;
  out.push({
    type: "log",
    level: "error",
    text: `fencing ${s.plan.target}: ${id} ${why}; every level failed (round ${s.round}); trying again in ${waitMs} ms — its resources stay stopped until it is fenced or confirmed off`,
  });
}

function succeeded(s: FenceState, nowMs: number, by: string, out: FenceOutput[]): void {
  s.running = undefined;
  s.done = { by, atMs: nowMs };
  const elapsedMs = nowMs - s.startedMs;
  out.push({ type: "fenced", target: s.plan.target, by, elapsedMs });
  out.push({
    type: "log",
    level: "info",
    text: `${s.plan.target} fenced by ${by} in ${(elapsedMs / 1000).toFixed(1)} s`,
  });
}

export function fenceStep(s: FenceState, input: FenceInput): FenceOutput[] {
  const out: FenceOutput[] = [];
  if (s.done) return out;
  const now = input.nowMs;
  if (input.type === "confirm") {
    if (s.running && !s.plan.devices[s.running.id]!.manual) out.push({ type: "cancel", device: s.running.id }); // a running agent is no longer needed
    succeeded(s, now, `manual confirmation by ${input.by}`, out);
    return out;
  }
  if (input.type === "result") {
    if (!s.running || input.device !== s.running.id) return out; // a late answer from a device given up on
    if (!input.ok) {
      failed(s, now, `failed (${input.reason})`, out);
      return out;
    }
    const level = s.plan.levels[s.level]!;
    if (s.device + 1 < level.length) {
      s.device++;
      runCurrent(s, now, out);
      return out;
    }
    succeeded(s, now, level.length > 1 ? level.join(" + ") : input.device, out);
    return out;
  }
  if (s.running && now >= s.running.deadlineMs) {
    out.push({ type: "cancel", device: s.running.id });
    failed(s, now, `did not answer within ${s.plan.devices[s.running.id]!.timeoutMs} ms`, out);
  } else if (s.retryAtMs !== undefined && now >= s.retryAtMs) {
    s.retryAtMs = undefined;
    s.round++;
    s.level = 0;
    s.device = 0;
    runCurrent(s, now, out);
  }
  return out;
}
