// crm_simulate's "Transition Summary" in the conformance corpus's normalized form (ACTION and FENCE records), so
// that Paceline's transition can be compared with what Pacemaker itself computes on the same input. Checked against
// every case of the public corpus (test/crm-simulate.test.ts).

const ROLES = new Set(["Promoted", "Unpromoted", "Started", "Stopped", "Master", "Slave"]);
const isPromoted = (role: string | undefined) => role === "Promoted" || role === "Master";

interface Side {
  role?: string;
  node?: string;
}

function side(words: string[]): Side {
  const s: Side = {};
  for (const w of words)
    if (ROLES.has(w)) s.role = w;
    else s.node = w;
  return s;
}

const at = (node: string | undefined, role: string | undefined): string =>
  node === undefined || role === "Stopped" ? "-" : isPromoted(role) ? `${node}/Promoted` : node;

/** The ACTION and FENCE records of one crm_simulate output, sorted. */
export function normalizeTransitionSummary(output: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l.trim() === "Transition Summary:");
  if (start < 0) throw new Error("no Transition Summary in the crm_simulate output");
  const records: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*\* (.*)$/.exec(line);
    if (!m) {
      if (line.trim() === "") continue;
      break;
    }
    const text = m[1]!;
    const fence = /^Fence \((\w+)\) (\S+)/.exec(text);
    if (fence) {
      records.push(`FENCE ${fence[2]} ${fence[1]}`);
      continue;
    }
    const action = /^(\S+)\s+(\S+)\s+\(\s*(.*?)\s*\)\s*(.*)$/.exec(text);
    if (!action) throw new Error(`cannot read the summary line: ${line}`);
    const [, verb, rsc, inner, reason] = action;
    const blocked = /(^|\()blocked\)?$/.test(reason!.trim()) ? " blocked" : "";
    let from: string, to: string;
    const arrow = inner!.split(/\s*->\s*/);
    if (arrow.length === 2) {
      const l = side(arrow[0]!.split(/\s+/)),
        r = side(arrow[1]!.split(/\s+/));
      from = at(l.node ?? r.node, l.role);
      to = at(r.node ?? l.node, r.role);
    } else {
      const s = side(inner!.split(/\s+/));
      const here = at(s.node, s.role);
      from = verb === "Start" ? "-" : here;
      to = verb === "Stop" ? "-" : here;
    }
    records.push(`ACTION ${verb} ${rsc} ${from} ${to}${blocked}`);
  }
  return records.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
