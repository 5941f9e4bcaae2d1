// What agents, scripts and peers said reaches a terminal or a log as text: control characters (escape sequences that
// could clear the screen or fake a line, a line break inside one line) are shown escaped, `\x1b`.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** One line, its control characters escaped (tabs kept). */
export const printableLine = (l: string) =>
  l.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);

/** Lines joined for a terminal, each escaped. */
export const printable = (lines: string[]) => lines.map(printableLine).join("\n");
