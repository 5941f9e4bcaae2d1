// Pacemaker score arithmetic: integers saturating at ±INFINITY (1,000,000), where -INFINITY wins over +INFINITY.

import { INFINITY_SCORE, parsePacemakerScore } from "../../config/pacemaker-values.js";

export const INF = INFINITY_SCORE;
export const parseScore = parsePacemakerScore;

export function addScore(a: number, b: number): number {
  if (a <= -INF || b <= -INF) return -INF;
  if (a >= INF || b >= INF) return INF;
  return Math.max(-INF, Math.min(INF, a + b));
}

export function scoreText(n: number): string {
  return n >= INF ? "INFINITY" : n <= -INF ? "-INFINITY" : String(n);
}

export const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|yes|y|on|1)$/i.test(v.trim());
