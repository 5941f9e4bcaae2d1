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

/** A quoted value longer than this is shown shortened: an error never echoes megabytes back. */
const QUOTE_MAX = 80;

export function formatProblem(p: Problem): string {
  const where = p.pos ? `${p.file}:${p.pos.line}:${p.pos.col}` : p.file;
  const field = p.path ? ` ${p.path}:` : "";
  const message = p.message.replace(
    /`([^`]{81,})`/g,
    (_, v: string) => `\`${v.slice(0, QUOTE_MAX)}…\` (${v.length} characters)`,
  );
  return `${where}: ${p.severity}:${field} ${message}`;
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
