// Pacemaker's value syntaxes, shared by the CIB importer and the scheduler: scores that saturate at ±INFINITY
// (1,000,000) and intervals in seconds, with units, or in ISO 8601.

import { parseDurationMs } from "./duration.js";

export const INFINITY_SCORE = 1_000_000;

export function parsePacemakerScore(v: string | undefined, fallback = 0): number {
  if (v === undefined || v === "") return fallback;
  const s = v.trim();
  if (/^\+?INFINITY$/i.test(s)) return INFINITY_SCORE;
  if (/^-INFINITY$/i.test(s)) return -INFINITY_SCORE;
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? fallback : Math.max(-INFINITY_SCORE, Math.min(INFINITY_SCORE, n));
}

/** "10" (seconds), "10s", "500ms", "1m", or ISO 8601 "PT1M30S" → milliseconds. */
export function parsePacemakerIntervalMs(v: string | undefined): number {
  if (v === undefined || v === "") return 0;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const iso = /^P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/i.exec(s);
  if (iso) return ((Number(iso[1] ?? 0) * 60 + Number(iso[2] ?? 0)) * 60 + Number(iso[3] ?? 0)) * 1000;
  return parseDurationMs(s) ?? 0;
}

/** Whether a dotted version such as a CIB's crm_feature_set (absent = oldest) is older than `than`. */
export function olderVersion(version: string | undefined, than: number[]): boolean {
  const parts = (version ?? "").split(".").map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < than.length; i++) if ((parts[i] ?? 0) !== than[i]) return (parts[i] ?? 0) < than[i]!;
  return false;
}
