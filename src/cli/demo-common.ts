// What both cluster demos (namespaces as root, loopback otherwise) share: asking the service who answers, waiting,
// and running node daemons with their log lines prefixed by the node's name.

import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The service's answer ("hello from n2"), or undefined when nothing answers within 300 ms. */
export function askService(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: "/", timeout: 300 }, (res) => {
      let body = "";
      res.on("data", (b: Buffer) => (body += b.toString()));
      res.on("end", () => resolve(body.trim()));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
    req.end();
  });
}

export async function until<T>(f: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await sleep(50);
  }
  return undefined;
}

export const CLI_PATH = new URL("../../../bin/paceline.js", import.meta.url).pathname;

/** Starts `[...prefix] node paceline daemon …` for node n, its output shown as "    n | line". */
export function startNode(n: string, prefix: string[], args: string[]): ChildProcess {
  const cmd = [...prefix, process.execPath, CLI_PATH, "daemon", ...args, "--node", n];
  const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const relay = (b: Buffer) =>
    process.stdout.write(
      b
        .toString()
        .split("\n")
        .filter(Boolean)
        .map((l) => `    ${n} | ${l.replace(/^\S+Z /, "")}\n`)
        .join(""),
    );
  p.stdout!.on("data", relay);
  p.stderr!.on("data", relay);
  return p;
}

/** SIGTERM to every daemon still running, then up to 10 s for them to stop. */
export async function stopNodes(procs: Iterable<ChildProcess>): Promise<void> {
  const running = [...procs].filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of running) p.kill("SIGTERM");
  await Promise.all(running.map((p) => Promise.race([new Promise((r) => p.once("exit", r)), sleep(10_000)])));
}
