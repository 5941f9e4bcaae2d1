// The CLI's side of the local API.

import { request } from "node:http";

export class DaemonUnreachable extends Error {}

export function callDaemon<T>(
  socketPath: string,
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: string,
): Promise<{ code: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as T });
        } catch (e) {
          reject(new Error(`the daemon sent an unreadable answer: ${(e as Error).message}`));
        }
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      reject(
        new DaemonUnreachable(
          e.code === "ENOENT" || e.code === "ECONNREFUSED"
            ? `no Paceline daemon is running (nothing answers on ${socketPath}); start one with \`paceline daemon --config FILE\``
            : `cannot reach the daemon on ${socketPath}: ${e.message}`,
        ),
      );
    });
    req.on("timeout", () => {
      req.destroy(new Error("timed out after 15s"));
    });
    req.end(body);
  });
}
