// `paceline demo`: a single server supervising a small web service. The demo kills the service with SIGKILL and
// shows Paceline noticing at once and restarting it — the same daemon and agents a real deployment runs.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenApi } from "../api/server.js";
import { loadConfigText } from "../config/load.js";
import { NodeDaemon } from "../daemon/node-daemon.js";
import { renderStatus } from "./render-status.js";

const WEB_JS = `
const http = require("node:http");
const port = Number(process.argv[2]);
http.createServer((q, s) => s.end("hello from pid " + process.pid + "\\n")).listen(port, "127.0.0.1");
`;

function httpOk(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/", timeout: 500 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(res.statusCode === 200 ? body.trim() : undefined));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await what();
    if (v !== undefined && v !== false) return v;
    await sleep(20);
  }
  return undefined;
}

export async function runDemo(keep: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "paceline-demo-"));
  const port = 18000 + Math.floor(Math.random() * 2000);
  writeFileSync(join(dir, "web.js"), WEB_JS);
  const yaml = `cluster: demo
resources:
  web:
    exec: { command: "${process.execPath} ${join(dir, "web.js")} ${port}" }
    monitor: 2s
    migration-threshold: 5
    failure-timeout: 10m
monitors:
  web-http:
    type: custom
    script: "${process.execPath} -e \\"require('http').get('http://127.0.0.1:${port}/', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))\\""
    interval: 2s
    timeout: 2s
    failures: 2
    recover: web
`;
  writeFileSync(join(dir, "cluster.yaml"), yaml);
  const config = loadConfigText(yaml, join(dir, "cluster.yaml")).config!;
  const say = (text: string) => console.log(`\n>>> ${text}`);
  say(
    `Paceline demo: one server supervising \`web\`, a small HTTP service on 127.0.0.1:${port}. Config: ${join(dir, "cluster.yaml")}`,
  );
  const d = new NodeDaemon({
    single: true,
    config,
    configYaml: yaml,
    me: "demo",
    stateDir: join(dir, "state"),
    out: (l) => console.log(`    ${l}`),
  });
  const socket = join(dir, "state", "paceline.sock");
  await d.start();
  const server = await listenApi(socket, {
    status: () => d.localStatus(),
    admin: (c) => d.admin({ kind: c.kind, rsc: c.id }),
  });
  let code = 0;
  try {
    const first = await waitFor(
      async () => (d.localStatus().resources[0]!.role === "started" ? httpOk(port) : undefined),
      10_000,
    );
    if (!first) throw new Error("the service did not come up");
    say(`web answers: "${first}"`);
    const pid = d.localStatus().resources[0]!.pid!;
    say(`Killing web (pid ${pid}) with SIGKILL, as a crash would…`);
    const killedAt = performance.now();
    process.kill(pid, "SIGKILL");
    const restartedPid = await waitFor(() => {
      const r = d.localStatus().resources[0]!;
      return r.pid && r.pid !== pid && r.role === "started" ? r.pid : undefined;
    }, 10_000);
    const answer = await waitFor(() => httpOk(port), 10_000);
    if (!restartedPid || !answer) throw new Error("web did not recover");
    say(
      `Recovered: web runs again as pid ${restartedPid} and answers "${answer}" — ${Math.round(performance.now() - killedAt)} ms after the kill.`,
    );
    await waitFor(() => d.localStatus().monitors[0]!.state === "ok" || undefined, 10_000);
    const hungPid = restartedPid;
    say(
      `Now freezing web (kill -STOP ${hungPid}): the process lives but answers nothing, as in a hang. The custom HTTP monitor times out…`,
    );
    const frozenAt = performance.now();
    process.kill(hungPid, "SIGSTOP");
    const revived = await waitFor(() => {
      const r = d.localStatus().resources[0]!;
      return r.pid && r.pid !== hungPid && r.role === "started" ? r.pid : undefined;
    }, 20_000);
    const answer2 = revived && (await waitFor(() => httpOk(port), 10_000));
    if (!answer2) throw new Error("web did not recover from the hang");
    say(
      `Recovered from the hang: web runs as pid ${revived} — ${Math.round(performance.now() - frozenAt)} ms after it froze (two failed checks 2s apart, then a restart).`,
    );
    say("What `paceline status` shows now:");
    console.log(
      renderStatus(d.localStatus())
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n"),
    );
    if (keep) {
      say(
        `The demo keeps running. In another terminal: npx paceline status --socket ${socket}\n    kill -9 the service: kill -9 $(pgrep -f ${join(dir, "web.js")})\n    Press Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } catch (e) {
    console.error(`demo failed: ${(e as Error).message}`);
    code = 1;
  }
  say("Stopping Paceline: it stops web first.");
  d.shutdown();
  await d.done;
  server.close();
  rmSync(dir, { recursive: true, force: true });
  return code;
}
