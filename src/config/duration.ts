// Durations as humans write them in cluster.yaml: "500ms", "10s", "2m", "1h", "1d", or a bare number of seconds
// (Heartbeat and Pacemaker both default to seconds). Also Pacemaker's ISO-ish forms: "20s", "1min".

const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  "": 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr|d)?\s*$/i;

/** Milliseconds for a duration string or number (seconds); undefined when it is not a duration. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== "string") return undefined;
  const m = DURATION_RE.exec(value);
  if (!m) return undefined;
  const unit = UNIT_MS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/** The shortest exact human form: 90000 → "90s", 120000 → "2m", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "never";
  if (ms === 0) return "0s";
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export const DURATION_PATTERN = "^\\s*\\d+(\\.\\d+)?\\s*(ms|msec|s|sec|m|min|h|hr|d)?\\s*$";
