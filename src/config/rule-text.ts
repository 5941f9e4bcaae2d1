// Rules written as text, the way the crm shell writes them and cluster.yaml takes them:
//   "-INFINITY: not_defined pingd or pingd lte 0"      score, then expressions joined by one of and/or
//   "pingd: defined pingd"                              score taken from a node attribute (score-attribute)
//   "$role=Promoted 100: #uname eq node1"               a role the rule applies to
//   "date in_range start=2026-01-01 end=2026-12-31", "date_spec hours=9-17 weekdays=1-5"
//   "INFINITY: fake gt param:fake"                      compared with the resource's parameter (meta:NAME: its
//                                                       meta attribute), Pacemaker's value-source
// Parsed into the scheduler's Rule; every mistake comes back as a sentence, never thrown.

import type { Expression, Rule } from "./cluster-model.js";
import { INFINITY_SCORE } from "./pacemaker-values.js";

const BINARY_OPS = ["lt", "gt", "lte", "gte", "eq", "ne"];
const VALUE_TYPES = ["string", "integer", "number", "version"];

/** Splits on blanks; quotes ("…", '…') keep blanks inside a word and are dropped (key="a b" is `key=a b`), as a
 * shell (and the crm shell) reads them. `unclosed`: a quote was never closed (it runs to the end). */
export function splitWords(text: string): { words: string[]; unclosed?: string } {
  const words: string[] = [];
  let unclosed: string | undefined;
  let cur = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) unclosed = text.slice(i);
      cur += end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
      i = end < 0 ? text.length : end;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return { words, unclosed };
}

/** The words of a rule or constraint, or what is wrong with them (an unclosed quote). */
export function words(text: string): string[] | string {
  const r = splitWords(text);
  return r.unclosed !== undefined ? `an unclosed quote in \`${r.unclosed.trim()}\`` : r.words;
}

/** Logical lines with the number of their first line: a line ending in \ continues on the next. */
export function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let buf: { line: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+$/, "");
    buf ??= { line: i + 1, text: "" };
    if (line.endsWith("\\")) buf.text += `${line.slice(0, -1)} `;
    else {
      buf.text += line;
      out.push(buf);
      buf = undefined;
    }
  });
  if (buf) out.push(buf);
  return out;
}

export function scoreOf(text: string): number | undefined {
  const t = text.trim();
  if (/^[+]?(INFINITY|inf)$/i.test(t)) return INFINITY_SCORE;
  if (/^-(INFINITY|inf)$/i.test(t)) return -INFINITY_SCORE;
  if (/^[+-]?\d+$/.test(t)) return Math.max(-INFINITY_SCORE, Math.min(INFINITY_SCORE, Number(t)));
  return undefined;
}

/** Pacemaker's role names, old and new, to the ones the scheduler compares with. */
export function roleName(text: string): string | undefined {
  switch (text.toLowerCase()) {
    case "started":
      return "Started";
    case "stopped":
      return "Stopped";
    case "promoted":
    case "master":
      return "Promoted";
    case "unpromoted":
    case "slave":
      return "Unpromoted";
    default:
      return undefined;
  }
}

function keyValues(ws: string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const w of ws) {
    const eq = w.indexOf("=");
    if (eq <= 0) return `expected key=value, got \`${w}\``;
    out[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return out;
}

function expression(ws: string[]): Expression | string {
  const [a, b, c, ...more] = ws;
  if (a === undefined) return "an empty expression";
  if (a === "defined" || a === "not_defined") {
    if (b === undefined || c !== undefined) return `write \`${a} ATTRIBUTE\``;
    return { kind: "attr", attribute: b, op: a };
  }
  if (a === "date") {
    if (b === "in_range") {
      const kv = keyValues([c, ...more].filter((x): x is string => x !== undefined));
      if (typeof kv === "string") return `date in_range: ${kv}`;
      const { start, end, ...duration } = kv;
      if (!start && !end) return "date in_range needs start=… and/or end=…";
      return {
        kind: "date",
        op: "in_range",
        start,
        end,
        duration: Object.keys(duration).length ? duration : undefined,
      };
    }
    if (b === "gt" || b === "lt") {
      if (c === undefined || more.length) return `write \`date ${b} DATE\``;
      return { kind: "date", op: b, ...(b === "gt" ? { start: c } : { end: c }) };
    }
    if (b === "date_spec") {
      const kv = keyValues([c, ...more].filter((x): x is string => x !== undefined));
      if (typeof kv === "string") return `date_spec: ${kv}`;
      return { kind: "date", op: "date_spec", spec: kv };
    }
    return `\`date ${b ?? ""}\`: write date gt DATE, date lt DATE, date in_range start=… end=…, or date_spec hours=… weekdays=…`;
  }
  if (a === "date_spec") {
    const kv = keyValues(ws.slice(1));
    if (typeof kv === "string") return `date_spec: ${kv}`;
    return { kind: "date", op: "date_spec", spec: kv };
  }
  if (b === undefined) return `\`${a}\` alone is no expression: write ATTRIBUTE OP VALUE, defined ATTRIBUTE or a date`;
  const [type, op] = b.includes(":") ? b.split(":", 2) : [undefined, b];
  if (!BINARY_OPS.includes(op!))
    return `\`${b}\` is not a comparison: use ${BINARY_OPS.join(", ")} (optionally typed, e.g. number:lte)`;
  if (type !== undefined && !VALUE_TYPES.includes(type))
    return `\`${type}\` is not a value type: use ${VALUE_TYPES.join(", ")}`;
  if (c === undefined || more.length) return `write \`${a} ${b} VALUE\` (quote a value with blanks)`;
  // `param:NAME` / `meta:NAME`: compared with the resource's own parameter or meta attribute (value-source).
  const source = /^(param|meta):(.+)$/.exec(c);
  return {
    kind: "attr",
    attribute: a,
    op: op!,
    value: source ? source[2] : c,
    type: type === "integer" ? "number" : type,
    ...(source ? { valueSource: source[1] } : {}),
  };
}

/** One rule: `[$role=ROLE] [SCORE|ATTRIBUTE:] EXPR [and|or EXPR …]`. `defaultScore` when none is written. */
export function parseRule(text: string, id: string, defaultScore?: number): Rule | string {
  const ws = words(text);
  if (typeof ws === "string") return ws;
  let role: string | undefined;
  let score: number | undefined;
  let scoreAttribute: string | undefined;
  while (ws[0]?.startsWith("$")) {
    const [k, v] = ws.shift()!.slice(1).split("=", 2);
    if (k === "role") {
      role = roleName(v ?? "");
      if (!role) return `\`$role=${v ?? ""}\`: a role is Started, Stopped, Promoted or Unpromoted`;
    } else if (k !== "id") return `\`$${k}\` is not a rule option (only $role=…)`;
  }
  const head = ws[0];
  if (head?.endsWith(":") && !/^(number|string|integer|version):/.test(head)) {
    ws.shift();
    const t = head.slice(0, -1);
    score = scoreOf(t);
    if (score === undefined) {
      if (!/^[#A-Za-z_][A-Za-z0-9_.#-]*$/.test(t)) return `\`${t}\` is neither a score nor an attribute name`;
      scoreAttribute = t;
    }
  } else if (ws[1] === ":" && head !== undefined) {
    ws.splice(0, 2);
    score = scoreOf(head);
    if (score === undefined) scoreAttribute = head;
  }
  if (score === undefined && scoreAttribute === undefined) score = defaultScore;
  const parts: string[][] = [[]];
  let booleanOp: "and" | "or" | undefined;
  for (const w of ws) {
    if (w === "and" || w === "or") {
      if (booleanOp && booleanOp !== w)
        return "a rule joins its expressions with and or with or, not both: write two rules (or two locations)";
      booleanOp = w;
      parts.push([]);
    } else parts.at(-1)!.push(w);
  }
  const expressions: Expression[] = [];
  for (const p of parts) {
    const e = expression(p);
    if (typeof e === "string") return e;
    expressions.push(e);
  }
  return { id, booleanOp: booleanOp ?? "and", score, scoreAttribute, role, expressions };
}

/** The text form of a rule (for export and for messages); parseRule reads it back. */
export function ruleText(r: Rule): string {
  const quote = (v: string) => (/[\s"']/.test(v) || v === "" ? `"${v}"` : v);
  const score =
    r.scoreAttribute ??
    (r.score === undefined
      ? undefined
      : r.score >= INFINITY_SCORE
        ? "INFINITY"
        : r.score <= -INFINITY_SCORE
          ? "-INFINITY"
          : String(r.score));
  const exprs = r.expressions.map((e): string => {
    switch (e.kind) {
      case "attr": {
        if (e.op === "defined" || e.op === "not_defined") return `${e.op} ${e.attribute}`;
        const typed = e.type && e.type !== "string" ? `${e.type}:` : "";
        const value = e.valueSource === "param" || e.valueSource === "meta" ? `${e.valueSource}:${e.value}` : e.value;
        return `${e.attribute} ${typed}${e.op} ${quote(value ?? "")}`;
      }
      case "date": {
        const kv = (o: Record<string, string | undefined>) =>
          Object.entries(o)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${quote(v!)}`)
            .join(" ");
        if (e.op === "gt") return `date gt ${quote(e.start ?? "")}`;
        if (e.op === "lt") return `date lt ${quote(e.end ?? "")}`;
        if (e.op === "date_spec") return `date date_spec ${kv(e.spec ?? {})}`;
        return `date in_range ${kv({ start: e.start, end: e.end, ...(e.duration ?? {}) })}`;
      }
      default:
        return `(${e.kind} expression)`;
    }
  });
  return `${r.role ? `$role=${r.role} ` : ""}${score !== undefined ? `${score}: ` : ""}${exprs.join(` ${r.booleanOp} `)}`;
}
