// Rule evaluation (Pacemaker Explained, "Rules"): node attribute expressions with types and operators, date
// expressions against an explicit "now", resource and operation expressions, nested rules.

import type { Expression, NvSet, Rule } from "../../config/cluster-model.js";
import { daysFromCivil, fromCivil, isoWeekday, toCivil } from "./calendar.js";

export interface RuleContext {
  nodeAttrs?: Record<string, string>;
  nowSec: number;
  rsc?: { cls?: string; provider?: string; type?: string };
  op?: { name: string; intervalMs: number };
  /** For value-source=param / meta: the resource's parameters (worked out only when an expression asks) and meta
   * attributes. */
  params?: () => Record<string, string>;
  meta?: Record<string, string>;
  /** A location's rsc-pattern match: %0–%9 in an expression's attribute name stand for its groups. */
  submatches?: readonly string[];
}

/** `name` with %0–%9 replaced by the pattern's groups (a group that did not match, or is empty, leaves nothing). */
export function withSubmatches(name: string, submatches: readonly string[] | undefined): string {
  if (!submatches?.length || !name.includes("%")) return name;
  return name.replace(/%(\d)/g, (_, d: string) => submatches[Number(d)] ?? "");
}

function compare(op: string, a: string | undefined, b: string | undefined, type: string | undefined): boolean {
  if (op === "defined") return a !== undefined;
  if (op === "not_defined") return a === undefined;
  if (a === undefined || b === undefined) return op === "ne" && a !== b;
  let cmp: number;
  const t = type ?? (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b) ? "number" : "string");
  if (t === "number" || t === "integer") {
    // integer comparisons truncate ("3.6" eq "3.4" as integers)
    const x = t === "integer" ? parseInt(a, 10) : Number(a),
      y = t === "integer" ? parseInt(b, 10) : Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) cmp = a < b ? -1 : a > b ? 1 : 0;
    else cmp = x < y ? -1 : x > y ? 1 : 0;
  } else if (t === "version") {
    const pa = a.split("."),
      pb = b.split(".");
    cmp = 0;
    for (let i = 0; i < Math.max(pa.length, pb.length) && cmp === 0; i++)
      cmp = Math.sign(Number(pa[i] ?? 0) - Number(pb[i] ?? 0));
  } else {
    cmp = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (op) {
    case "eq":
      return cmp === 0;
    case "ne":
      return cmp !== 0;
    case "lt":
      return cmp < 0;
    case "lte":
      return cmp <= 0;
    case "gt":
      return cmp > 0;
    case "gte":
      return cmp >= 0;
    default:
      return false;
  }
}

/** Parses "2005-11-05 12:00:00", ISO 8601 (with T, Z or offset), or a year-week-day form; seconds since epoch. */
export function parseDate(s: string): number | undefined {
  const t = s.trim();
  // ISO 8601 ordinal (2005-001) and week (2005-W01-1) dates, optionally with a time.
  const ord = /^(\d{4})-(\d{3})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*Z?$/.exec(t);
  if (ord)
    return fromCivil({
      year: +ord[1]!,
      month: 1,
      day: +ord[2]!,
      hour: +(ord[3] ?? 0),
      minute: +(ord[4] ?? 0),
      second: +(ord[5] ?? 0),
    });
  const wk = /^(\d{4})-W(\d{2})-(\d)(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*Z?$/.exec(t);
  if (wk) {
    const jan4 = daysFromCivil(+wk[1]!, 1, 4);
    const week1Monday = jan4 - (isoWeekday(jan4 * 86_400) - 1);
    return (
      (week1Monday + (+wk[2]! - 1) * 7 + (+wk[3]! - 1)) * 86_400 +
      +(wk[4] ?? 0) * 3600 +
      +(wk[5] ?? 0) * 60 +
      +(wk[6] ?? 0)
    );
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return undefined;
  let sec = fromCivil({
    year: +m[1]!,
    month: +m[2]!,
    day: +m[3]!,
    hour: +(m[4] ?? 0),
    minute: +(m[5] ?? 0),
    second: +(m[6] ?? 0),
  });
  const tz = m[7];
  if (tz && tz !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    sec -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  }
  return sec;
}

function addDuration(sec: number, d: Record<string, string>): number {
  const c = toCivil(sec);
  const n = (k: string) => Number(d[k] ?? 0);
  const days = daysFromCivil(c.year + n("years"), c.month + n("months"), c.day) + n("days") + 7 * n("weeks");
  return (
    days * 86_400 + c.hour * 3600 + c.minute * 60 + c.second + n("hours") * 3600 + n("minutes") * 60 + n("seconds")
  );
}

function inRange(spec: string | undefined, value: number): boolean {
  if (spec === undefined) return true;
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
  if (!m) return false;
  const lo = Number(m[1]),
    hi = m[2] !== undefined ? Number(m[2]) : lo;
  return value >= lo && value <= hi;
}

function dateSpecMatches(spec: Record<string, string>, nowSec: number): boolean {
  const c = toCivil(nowSec);
  const today = Math.floor(nowSec / 86_400);
  const yearday = today - daysFromCivil(c.year, 1, 1) + 1;
  const weekday = isoWeekday(nowSec);
  // ISO week: the week (Monday–Sunday) holding this week's Thursday, counted in that Thursday's year
  const thursday = today + 4 - weekday;
  const thursdayYear = toCivil(thursday * 86_400).year;
  const weeks = Math.floor((thursday - daysFromCivil(thursdayYear, 1, 1)) / 7) + 1;
  const fields: Record<string, number> = {
    hours: c.hour,
    minutes: c.minute,
    seconds: c.second,
    monthdays: c.day,
    weekdays: weekday,
    yeardays: yearday,
    months: c.month,
    weeks,
    years: c.year,
    weekyears: thursdayYear,
  };
  return Object.entries(fields).every(([k, v]) => inRange(spec[k], v));
}

function evalExpression(e: Expression, ctx: RuleContext): boolean {
  switch (e.kind) {
    case "attr": {
      const actual = ctx.nodeAttrs?.[withSubmatches(e.attribute, ctx.submatches)];
      let expected = e.value;
      if (e.valueSource === "param") expected = e.value !== undefined ? ctx.params?.()[e.value] : undefined;
      else if (e.valueSource === "meta") expected = e.value !== undefined ? ctx.meta?.[e.value] : undefined;
      return compare(e.op, actual, expected, e.type);
    }
    case "date": {
      const start = e.start ? parseDate(e.start) : undefined;
      let end = e.end ? parseDate(e.end) : undefined;
      if (e.op === "date_spec") return e.spec ? dateSpecMatches(e.spec, ctx.nowSec) : false;
      if (e.op === "gt") return start !== undefined && ctx.nowSec > start;
      if (e.op === "lt") return end !== undefined && ctx.nowSec < end;
      if (end === undefined && start !== undefined && e.duration) end = addDuration(start, e.duration);
      return (start === undefined || ctx.nowSec >= start) && (end === undefined || ctx.nowSec <= end);
    }
    case "rsc":
      return (
        (!e.cls || e.cls === ctx.rsc?.cls) &&
        (!e.provider || e.provider === ctx.rsc?.provider) &&
        (!e.type || e.type === ctx.rsc?.type)
      );
    case "op":
      return (
        !!ctx.op &&
        (!e.name || e.name === ctx.op.name) &&
        (e.interval === undefined ||
          Number(e.interval) * 1000 === ctx.op.intervalMs ||
          e.interval === String(ctx.op.intervalMs))
      );
    case "rule":
      return ruleMatches(e.rule, ctx);
  }
}

export function ruleMatches(rule: Rule, ctx: RuleContext): boolean {
  if (rule.expressions.length === 0) return true;
  return rule.booleanOp === "or"
    ? rule.expressions.some((e) => evalExpression(e, ctx))
    : rule.expressions.every((e) => evalExpression(e, ctx));
}

/** Flattens name=value sets: higher score first, then document order; a set whose rule fails is skipped. */
export function evalNvSets(sets: NvSet[], ctx: RuleContext, into: Record<string, string> = {}): Record<string, string> {
  const ordered = [...sets].sort((a, b) => b.score - a.score);
  for (const s of ordered) {
    if (s.rule && !ruleMatches(s.rule, ctx)) continue;
    // "#default" means "not set here" (older CIBs wrote it for an attribute left at its default).
    for (const [k, v] of Object.entries(s.values)) if (into[k] === undefined && v !== "#default") into[k] = v;
  }
  return into;
}
