// OCF agent meta-data: which parameters an agent takes, which are required, and its advised timeouts.
// Used to reject a misspelled or missing parameter when the configuration is checked, not at 3 a.m.

import { XMLParser } from "fast-xml-parser";
import { didYouMean } from "../../util/suggest.js";

export interface AgentParameter {
  name: string;
  required: boolean;
  unique: boolean;
  type?: string;
  default?: string;
  shortdesc?: string;
  /** fence-agents: an old name kept for compatibility (never required itself) … */
  deprecated?: boolean;
  /** … and the new name that replaces it: giving either satisfies the requirement. */
  obsoletes?: string;
}
export interface AgentMetadata {
  name: string;
  version?: string;
  parameters: AgentParameter[];
  actions: Array<{ name: string; timeout?: string; interval?: string }>;
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function parseMetadata(xml: string): AgentMetadata {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    textNodeName: "#text",
    processEntities: true,
  });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`meta-data is not valid XML: ${(e as Error).message}`);
  }
  const ra = doc["resource-agent"] as Record<string, unknown> | undefined;
  if (!ra || typeof ra !== "object") throw new Error("meta-data has no <resource-agent> element");
  type P = {
    name?: string;
    required?: string;
    unique?: string;
    deprecated?: string;
    obsoletes?: string;
    content?: { type?: string; default?: string };
    shortdesc?: unknown;
  };
  const params = asArray((ra.parameters as { parameter?: P | P[] } | undefined)?.parameter);
  type A = { name?: string; timeout?: string; interval?: string };
  const actions = asArray((ra.actions as { action?: A | A[] } | undefined)?.action);
  const text = (v: unknown): string | undefined =>
    typeof v === "string"
      ? v
      : typeof v === "object" && v && "#text" in v
        ? String((v as Record<string, unknown>)["#text"])
        : undefined;
  return {
    name: String(ra.name ?? ""),
    version: ra.version === undefined ? undefined : String(ra.version),
    parameters: params
      .filter((p) => p.name)
      .map((p) => ({
        name: String(p.name),
        required: p.required === "1" || p.required === "true",
        unique: p.unique === "1",
        type: p.content?.type,
        default: p.content?.default,
        shortdesc: text(p.shortdesc),
        ...(p.deprecated === "1" ? { deprecated: true } : {}),
        ...(p.obsoletes ? { obsoletes: String(p.obsoletes) } : {}),
      })),
    actions: actions
      .filter((a) => a.name)
      .map((a) => ({ name: String(a.name), timeout: a.timeout, interval: a.interval })),
  };
}

/** Problems with a resource's parameters against its agent's meta-data, as sentences for humans. */
export function checkParams(
  meta: AgentMetadata,
  params: Record<string, string>,
): Array<{ param: string; message: string }> {
  const known = new Set(meta.parameters.map((p) => p.name));
  const out: Array<{ param: string; message: string }> = [];
  for (const name of Object.keys(params)) {
    if (!known.has(name))
      out.push({
        param: name,
        message: `unknown parameter \`${name}\` for ${meta.name}${didYouMean(name, known) || ` (it takes: ${[...known].join(", ") || "none"})`}`,
      });
  }
  for (const p of meta.parameters) {
    if (
      p.required &&
      !p.deprecated &&
      params[p.name] === undefined &&
      (p.obsoletes === undefined || params[p.obsoletes] === undefined)
    )
      out.push({
        param: p.name,
        message: `missing required parameter \`${p.name}\`${p.shortdesc ? ` (${p.shortdesc.trim()})` : ""}`,
      });
  }
  return out;
}
