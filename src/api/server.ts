// The daemon's local API: HTTP over a Unix socket (mode 600, so only root talks to it). The same routes will be
// served over TCP with authentication for the cluster; the CLI and the dashboard use nothing else.

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { chmodSync, unlinkSync } from "node:fs";
import type { AdminCommand as ClusterAdminCommand } from "../core/controller/types.js";
import type { DaemonStatus, MembershipStatus } from "./types.js";

type Answer = { ok: boolean; message: string };
/** Single-server mode's resource commands. */
export interface AdminCommand {
  kind: "cleanup" | "restart" | "disable" | "enable";
  id: string;
}
/** Cluster requests are answered by the node core, at once or after a message to the DC. */
type Reply = Answer | Promise<Answer>;

export interface ApiHandlers {
  status(): DaemonStatus | MembershipStatus;
  admin(command: AdminCommand): Reply;
  /** Sets (value) or removes (undefined) one of this node's attributes; cluster mode only. */
  attribute?(name: string, value: string | undefined): Reply;
  /** Cluster mode: an administrator's change, carried out by the DC. */
  clusterAdmin?(command: ClusterAdminCommand): Reply;
  /** Cluster mode: a new cluster configuration (YAML text), numbered and distributed by the DC. */
  pushConfig?(yaml: string, baseEpoch?: number): Promise<{ ok: boolean; message: string }>;
  /** Cluster mode: the configuration the cluster runs. */
  configDoc?(): { epoch: number; yaml: string; hash: string } | undefined;
  /** Cluster mode: a person confirms NODE is off (a manual fencing level waits for it). */
  confirmFence?(node: string): Reply;
  /** Cluster mode: why a resource is where it is (scores and what made them). */
  why?(rsc: string): { ok: boolean; message: string };
}

const ADMIN_KINDS = new Set(["cleanup", "restart", "disable", "enable"]);
const CLUSTER_RSC_KINDS = new Set([
  "cleanup",
  "restart",
  "disable",
  "enable",
  "manage",
  "unmanage",
  "clear",
  "move",
  "ban",
]);

/** Cluster-mode routes: resources (move/ban take ?node=), nodes (standby/online), maintenance (?on=true|false). */
function clusterRoute(h: ApiHandlers, url: URL): ClusterAdminCommand | string | undefined {
  const r = /^\/v1\/resources\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
  if (r && CLUSTER_RSC_KINDS.has(r[2]!)) {
    const rsc = decodeURIComponent(r[1]!);
    const kind = r[2]!;
    if (kind === "move" || kind === "ban") {
      const node = url.searchParams.get("node");
      if (!node) return `${kind} needs a node: POST /v1/resources/${rsc}/${kind}?node=NODE`;
      return { kind, rsc, node };
    }
    return { kind: kind as "clear", rsc };
  }
  const n = /^\/v1\/nodes\/([^/]+)\/(standby|online)$/.exec(url.pathname);
  if (n) return { kind: n[2] as "standby" | "online", node: decodeURIComponent(n[1]!) };
  if (url.pathname === "/v1/maintenance") {
    const on = url.searchParams.get("on");
    if (on !== "true" && on !== "false") return "maintenance needs ?on=true or ?on=false";
    return { kind: "maintenance", on: on === "true" };
  }
  return undefined;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function answer(res: ServerResponse, r: Reply, refusedCode: number): void {
  void Promise.resolve(r).then(
    (a) => send(res, a.ok ? 200 : refusedCode, a),
    (e: Error) => send(res, 500, { ok: false, message: `internal error: ${e.message}` }),
  );
}

function route(h: ApiHandlers, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://local");
  if (req.method === "GET" && url.pathname === "/v1/status") return send(res, 200, h.status());
  if (url.pathname === "/v1/config" && req.method === "GET") {
    const doc = h.configDoc?.();
    return doc
      ? send(res, 200, doc)
      : send(res, 409, {
          ok: false,
          message: "a single server has no cluster configuration: its file is the configuration",
        });
  }
  if (url.pathname === "/v1/config" && req.method === "PUT") {
    if (!h.pushConfig)
      return send(res, 409, {
        ok: false,
        message: "config push needs a cluster; a single server reads its file at start",
      });
    readBody(req)
      .then((text) => {
        const base = url.searchParams.get("base-epoch");
        return h.pushConfig!(text, base === null ? undefined : Number(base));
      })
      .then(
        (r) => send(res, r.ok ? 200 : 409, r),
        (e: Error) => send(res, 400, { ok: false, message: e.message }),
      );
    return;
  }
  const fc = /^\/v1\/fence\/([^/]+)\/confirm$/.exec(url.pathname);
  if (req.method === "POST" && fc) {
    if (!h.confirmFence) return send(res, 409, { ok: false, message: "fence confirm needs a cluster" });
    return answer(res, h.confirmFence(decodeURIComponent(fc[1]!)), 409);
  }
  const w = /^\/v1\/why\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && w) {
    if (!h.why)
      return send(res, 409, {
        ok: false,
        message: "--why needs a cluster (single-server status already says why a resource is stopped)",
      });
    const r = h.why(decodeURIComponent(w[1]!));
    return send(res, r.ok ? 200 : 404, r);
  }
  if (req.method === "POST" && h.clusterAdmin) {
    const c = clusterRoute(h, url);
    if (typeof c === "string") return send(res, 400, { ok: false, message: c });
    if (c) return answer(res, h.clusterAdmin(c), 409);
  }
  const m = /^\/v1\/resources\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
  if (req.method === "POST" && m && ADMIN_KINDS.has(m[2]!)) {
    return answer(res, h.admin({ kind: m[2] as AdminCommand["kind"], id: decodeURIComponent(m[1]!) }), 404);
  }
  const a = /^\/v1\/attributes\/([^/]+)$/.exec(url.pathname);
  if (a && (req.method === "PUT" || req.method === "DELETE")) {
    if (!h.attribute) return send(res, 409, { ok: false, message: "node attributes exist in cluster mode only" });
    const value = req.method === "PUT" ? url.searchParams.get("value") : undefined;
    if (value === null)
      return send(res, 400, { ok: false, message: "PUT /v1/attributes/NAME?value=VALUE needs a value" });
    return answer(res, h.attribute(decodeURIComponent(a[1]!), value), 400);
  }
  send(res, 404, { ok: false, message: `no such endpoint: ${req.method} ${url.pathname}` });
}

const MAX_BODY_BYTES = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("the configuration is larger than 1 MiB"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Is a daemon answering on this socket? */
export function socketAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/v1/status", method: "GET", timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function listenApi(socketPath: string, h: ApiHandlers): Promise<Server> {
  if (await socketAlive(socketPath))
    throw new Error(`another Paceline daemon is already running (it answers on ${socketPath})`);
  try {
    unlinkSync(socketPath);
  } catch {
    /* no stale socket */
  }
  const server = createServer((req, res) => {
    try {
      route(h, req, res);
    } catch (e) {
      send(res, 500, { ok: false, message: `internal error: ${(e as Error).message}` });
    }
  });
  // The socket is born private (umask), not made private after: no moment in which another user may connect.
  // (A Unix socket is bound within listen() itself, so the umask is back before anything else runs.)
  const umask = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  await listening;
  chmodSync(socketPath, 0o600);
  return server;
}
