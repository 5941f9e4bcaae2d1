// Walks a parsed YAML document against the JSON Schema subset of schema.ts, reporting every problem with its
// position, and remembering where each field path is so later (cross-field) checks can point at it too.

import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";
import { didYouMean } from "../util/suggest.js";
import type { Problem, SourcePos } from "./problems.js";
import type { Schema, SchemaType } from "./schema.js";

export class PositionIndex {
  private readonly byPath = new Map<string, SourcePos>();
  set(path: string, pos: SourcePos): void {
    if (!this.byPath.has(path)) this.byPath.set(path, pos);
  }
  /** The position of the path, else of its nearest ancestor that has one. */
  get(path: string): SourcePos | undefined {
    for (let p = path; ; p = p.slice(0, Math.max(0, p.lastIndexOf(".")))) {
      const pos = this.byPath.get(p);
      if (pos || p === "") return pos;
    }
  }
}

interface Walk {
  file: string;
  lines: LineCounter;
  problems: Problem[];
  positions: PositionIndex;
}

function posOf(w: Walk, node: Node | Pair["key"] | null | undefined): SourcePos | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  if (!range) return undefined;
  const { line, col } = w.lines.linePos(range[0]);
  return { line, col };
}

function typeOf(node: unknown): SchemaType {
  if (isMap(node)) return "object";
  if (isSeq(node)) return "array";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return "null";
    if (typeof v === "boolean") return "boolean";
    if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
    return "string";
  }
  return "null";
}

function accepts(schema: Schema, actual: SchemaType): boolean {
  if (!schema.type) return true;
  const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
  return allowed.includes(actual) || (actual === "integer" && allowed.includes("number"));
}

function describeTypes(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type : [schema.type ?? "value"];
  const words: Record<string, string> = {
    object: "a mapping (key: value)",
    array: "a list",
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
    null: "nothing",
  };
  return t.map((x) => words[x] ?? x).join(" or ");
}

function check(w: Walk, node: Node | null | undefined, schema: Schema, path: string, pos: SourcePos | undefined): void {
  const here = posOf(w, node) ?? pos;
  if (here) w.positions.set(path, here);
  const report = (message: string, at = here): void =>
    void w.problems.push({ file: w.file, pos: at, path, message, severity: "error" });

  if (schema.anyOf) {
    const actual = typeOf(node);
    const candidates = schema.anyOf.filter((s) => accepts(s, actual));
    if (candidates.length === 0)
      return report(
        `expected ${schema.anyOf.map(describeTypes).join(" or ")}, found ${describeTypes({ type: actual })}`,
      );
    // Use the first alternative that reports nothing; otherwise report the first alternative's problems.
    let firstProblems: Problem[] | undefined;
    for (const alt of candidates) {
      const trial: Walk = { ...w, problems: [] };
      check(trial, node, alt, path, here);
      if (trial.problems.length === 0) return;
      firstProblems ??= trial.problems;
    }
    w.problems.push(...firstProblems!);
    return;
  }

  const actual = typeOf(node);
  if (!accepts(schema, actual)) {
    return report(
      `expected ${describeTypes(schema)}, found ${describeTypes({ type: actual })}${schema["x-hint"] ? ` (${schema["x-hint"]})` : ""}`,
    );
  }
  if (isScalar(node)) {
    const v = node.value;
    if (schema.enum && !schema.enum.includes(v as string)) {
      return report(
        `\`${String(v)}\` is not one of ${schema.enum.join(", ")}${didYouMean(String(v), schema.enum.map(String))}`,
      );
    }
    if (
      schema.pattern &&
      (typeof v === "string" || typeof v === "number") &&
      !new RegExp(schema.pattern, "i").test(String(v))
    ) {
      return report(`\`${String(v)}\` is not valid${schema["x-hint"] ? `: ${schema["x-hint"]}` : ""}`);
    }
    if (typeof v === "number") {
      if (schema.minimum !== undefined && v < schema.minimum) report(`must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) report(`must be at most ${schema.maximum}`);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => check(w, item as Node, schema.items ?? {}, `${path}[${i}]`, here));
    return;
  }
  if (isMap(node)) {
    const seen = new Set<string>();
    const known = Object.keys(schema.properties ?? {});
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyPos = posOf(w, pair.key as Node) ?? here;
      const childPath = path ? `${path}.${key}` : key;
      if (seen.has(key)) {
        w.problems.push({
          file: w.file,
          pos: keyPos,
          path: childPath,
          message: `\`${key}\` is given twice`,
          severity: "error",
        });
        continue;
      }
      seen.add(key);
      const childSchema =
        schema.properties?.[key] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (!childSchema) {
        if (schema.additionalProperties === false) {
          w.problems.push({
            file: w.file,
            pos: keyPos,
            path: childPath,
            message: `unknown key \`${key}\`${didYouMean(key, known) || (known.length ? ` (known keys: ${known.join(", ")})` : "")}`,
            severity: "error",
          });
        }
        continue;
      }
      if (keyPos) w.positions.set(childPath, keyPos);
      check(w, pair.value as Node, childSchema, childPath, keyPos);
    }
    for (const r of schema.required ?? []) {
      if (!seen.has(r)) report(`missing required key \`${r}\``);
    }
  }
}

export function validateTree(
  root: Node | null | undefined,
  schema: Schema,
  file: string,
  lines: LineCounter,
): { problems: Problem[]; positions: PositionIndex } {
  const w: Walk = { file, lines, problems: [], positions: new PositionIndex() };
  check(w, root, schema, "", { line: 1, col: 1 });
  return { problems: w.problems, positions: w.positions };
}
