// Pacemaker score arithmetic: integers saturating at ±INFINITY (1,000,000), where -INFINITY wins over +INFINITY.

export const INF = 1_000_000;

export function addScore(a: number, b: number): number {
  if (a <= -INF || b <= -INF) return -INF;
  if (a >= INF || b >= INF) return INF;
  return Math.max(-INF, Math.min(INF, a + b));
}

export function scoreText(n: number): string {
  return n >= INF ? "INFINITY" : n <= -INF ? "-INFINITY" : String(n);
}

export function parseScore(v: string | undefined, fallback = 0): number {
  if (v === undefined || v === "") return fallback;
  const s = v.trim();
  if (/^\+?INFINITY$/i.test(s)) return INF;
  if (/^-INFINITY$/i.test(s)) return -INF;
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? fallback : Math.max(-INF, Math.min(INF, n));
}

export const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|yes|y|on|1)$/i.test(v.trim());
