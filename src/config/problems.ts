// A configuration problem, reported the way compilers do: file:line:column, the field path, what is wrong, how to fix.

export interface SourcePos {
  line: number;
  col: number;
}

export interface Problem {
  file: string;
  pos?: SourcePos;
  /** Field path, e.g. resources.web.ops.monitor.interval */
  path: string;
  message: string;
  severity: "error" | "warning";
}

export function formatProblem(p: Problem): string {
  const where = p.pos ? `${p.file}:${p.pos.line}:${p.pos.col}` : p.file;
  const field = p.path ? ` ${p.path}:` : "";
  return `${where}: ${p.severity}:${field} ${p.message}`;
}

export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      problems
        .filter((p) => p.severity === "error")
        .map(formatProblem)
        .join("\n"),
    );
    this.name = "ConfigError";
  }
}
