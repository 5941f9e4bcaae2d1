// `paceline config import FILE…`: any of the seeds' configuration formats as cluster.yaml — a Pacemaker CIB, crm shell
// text, a pcs command script, or Heartbeat v1's ha.cf + haresources + authkeys. The format is told by the files
// (or --from); every importer writes a header of what it could not carry over and why.

import { basename } from "node:path";
import { readCib } from "./cib.js";
import { cibToClusterYaml, type ImportResult } from "./import-cib.js";
import { readCrm } from "./import-crm.js";
import { heartbeatToClusterYaml } from "./import-heartbeat.js";
import { readPcs } from "./import-pcs.js";

export const IMPORT_FORMATS = ["cib", "crm", "pcs", "heartbeat"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportFile {
  path: string;
  text: string;
}

const HEARTBEAT_FILES = ["ha.cf", "haresources", "authkeys"];

export function detectFormat(files: ImportFile[]): ImportFormat | string {
  const kinds = new Set(
    files.map((f): ImportFormat => {
      if (HEARTBEAT_FILES.includes(basename(f.path))) return "heartbeat";
      const text = f.text.replace(/^(\s*(#[^\n]*)?\n)*/, "");
      if (text.trimStart().startsWith("<")) return "cib";
      if (/(^|\n)\s*(\[[^\]]*\]\s*)?[#$>]?\s*pcs\s/.test(f.text)) return "pcs";
      if (/(^|\n)\s*(keepalive|deadtime|bcast|ucast|mcast)\s/.test(f.text)) return "heartbeat";
      return "crm";
    }),
  );
  if (kinds.size > 1)
    return `these files are of different kinds (${[...kinds].join(", ")}): import one configuration at a time`;
  if (files.length > 1 && !kinds.has("heartbeat"))
    return "more than one file is for Heartbeat's ha.cf + haresources + authkeys; give one CIB, crm or pcs file";
  return [...kinds][0]!;
}

export function importConfig(files: ImportFile[], from?: ImportFormat): ImportResult & { problems: string[] } {
  const format = from ?? detectFormat(files);
  if (!IMPORT_FORMATS.includes(format as ImportFormat)) throw new Error(format);
  const one = files[0]!;
  switch (format as ImportFormat) {
    case "cib":
      return { ...cibToClusterYaml(readCib(one.text)), problems: [] };
    case "crm": {
      const r = readCrm(one.text);
      return { ...cibToClusterYaml(r.input, "imported", "crm shell configuration"), problems: r.problems };
    }
    case "pcs": {
      const r = readPcs(one.text);
      return { ...cibToClusterYaml(r.input, "imported", "pcs commands"), problems: r.problems };
    }
    case "heartbeat": {
      const byName = (n: string) => files.find((f) => basename(f.path) === n)?.text;
      const rest = files.filter((f) => !HEARTBEAT_FILES.includes(basename(f.path)));
      return {
        ...heartbeatToClusterYaml({
          haCf: byName("ha.cf") ?? rest[0]?.text,
          haresources: byName("haresources"),
          authkeys: byName("authkeys"),
        }),
        problems: [],
      };
    }
  }
}
