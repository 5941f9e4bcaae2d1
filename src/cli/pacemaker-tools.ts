// Pacemaker's attribute tools as resource agents call them — crm_attribute, crm_master, attrd_updater — answered by
// the Paceline daemon on this node: a promotable agent sets its promotion score (`crm_attribute --promotion -v 10`),
// the ping agent its connectivity (`attrd_updater -n pingd -v 1000`). The daemon puts its socket into every
// agent's environment (PACELINE_SOCKET) and its shims directory first in PATH and as HA_SBIN_DIR.

import { callDaemon } from "../api/client.js";
import type { MembershipStatus } from "../api/types.js";

export const PACEMAKER_TOOLS = ["crm_attribute", "crm_master", "attrd_updater"] as const;
export type PacemakerTool = (typeof PACEMAKER_TOOLS)[number];

export interface AttributeRequest {
  verb: "set" | "delete" | "query";
  name: string;
  value?: string;
  quiet: boolean;
}

/** The attribute a promotion score lives in: `master-<resource>` (the scheduler reads it), a copy's number left off. */
export function promotionAttribute(instance: string | undefined): string | undefined {
  return instance ? `master-${instance.replace(/:\d+$/, "")}` : undefined;
}

const TAKES_VALUE: Record<PacemakerTool, string[]> = {
  crm_attribute: [
    "-n",
    "--name",
    "-v",
    "--update",
    "--value",
    "-N",
    "--node",
    "-l",
    "--lifetime",
    "-t",
    "--type",
    "-d",
    "--default",
    "-r",
    "--resource",
    "-s",
    "--set-name",
    "-i",
    "--id",
    "-z",
    "--utilization",
  ],
  crm_master: ["-v", "--update", "-l", "--lifetime", "-N", "--node", "-r", "--resource"],
  attrd_updater: [
    "-n",
    "--name",
    "-v",
    "--update",
    "-U",
    "--update-value",
    "-B",
    "--update-both",
    "-d",
    "--delay",
    "-N",
    "--node",
    "-s",
    "--set",
    "-p",
    "--private",
  ],
};

/** Reads a tool's command line; a string is what is wrong with it. */
export function parseToolArgs(
  tool: PacemakerTool,
  args: string[],
  env: Record<string, string | undefined>,
  me: string | undefined,
): AttributeRequest | string {
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let value: string | undefined;
    if (a.startsWith("--") && a.includes("=")) [a, value] = [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
    if (TAKES_VALUE[tool].includes(a)) {
      value ??= args[++i];
      if (value === undefined) return `${a} needs a value`;
      opts.set(a.replace(/^--?/, ""), value);
    } else if (a.startsWith("-")) flags.add(a.replace(/^--?/, ""));
    else return `unexpected argument \`${a}\``;
  }
  const get = (...names: string[]) => names.map((n) => opts.get(n)).find((v) => v !== undefined);
  const has = (...names: string[]) => names.some((n) => flags.has(n));
  const node = get("N", "node");
  if (node !== undefined && me !== undefined && node !== me)
    return `Paceline sets only this node's attributes (${me}), not ${node}'s`;
  const type = get("t", "type");
  if (type !== undefined && type !== "nodes" && type !== "status")
    return `only node attributes are kept by Paceline (not --type ${type}): set cluster properties in cluster.yaml`;
  const promotion = tool === "crm_master" || has("p", "promotion");
  const name = promotion ? promotionAttribute(get("r", "resource") ?? env.OCF_RESOURCE_INSTANCE) : get("n", "name");
  if (!name)
    return promotion
      ? "a promotion score needs the resource (OCF_RESOURCE_INSTANCE, as agents have it, or --resource)"
      : "which attribute? give -n NAME";
  // -Q is "quiet" to crm_master and "query" to attrd_updater.
  const quiet = has("q", "quiet") || (tool === "crm_master" && has("Q"));
  if (has("D", "delete")) return { verb: "delete", name, quiet };
  if (has("G", "query") || (tool === "attrd_updater" && has("Q"))) return { verb: "query", name, quiet };
  const value = get("v", "update", "value", "U", "update-value", "B", "update-both");
  if (value === undefined) return "nothing to do: give -v VALUE, -D (delete) or -G (query)";
  return { verb: "set", name, value, quiet };
}

export async function runPacemakerTool(tool: PacemakerTool, args: string[]): Promise<number> {
  const socket = process.env.PACELINE_SOCKET;
  const fail = (message: string, code = 1) => {
    console.error(`${tool} (Paceline): ${message}`);
    return code;
  };
  if (!socket) return fail("PACELINE_SOCKET is not set: this shim answers resource agents run by a Paceline daemon");
  const req = parseToolArgs(tool, args, process.env, process.env.PACELINE_NODE);
  if (typeof req === "string") return fail(req);
  const path = `/v1/attributes/${encodeURIComponent(req.name)}`;
  if (req.verb === "query") {
    const { body } = await callDaemon<MembershipStatus>(socket, "GET", "/v1/status");
    const mine = body.nodes?.find((n) => n.name === process.env.PACELINE_NODE);
    const value = mine?.attributes[req.name];
    // crm_attribute's answer for an attribute that is not there (ENXIO).
    if (value === undefined) return fail(`no attribute ${req.name}`, tool === "attrd_updater" ? 1 : 105);
    console.log(req.quiet || tool === "attrd_updater" ? value : `scope=status  name=${req.name} value=${value}`);
    return 0;
  }
  const { body } = await callDaemon<{ ok: boolean; message: string }>(
    socket,
    req.verb === "set" ? "PUT" : "DELETE",
    req.verb === "set" ? `${path}?value=${encodeURIComponent(req.value!)}` : path,
  );
  // Deleting what is not there is no error to an agent (it clears its score at stop, set or not).
  if (!body.ok && req.verb !== "delete") return fail(body.message);
  return 0;
}
