import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import { StreamHub, type StreamOptions } from "./stream.js";

const key = randomBytes(32);
const hubs: StreamHub[] = [];
after(() => {
  for (const h of hubs) h.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nodes a and b on loopback, each on a port the system picks; `got` collects what each receives. `aPeerB`: where
 * a looks for b (default: where b listens). */
async function pair(bOptions: Partial<StreamOptions> = {}, aPeerB?: (bPort: number) => string) {
  const got: Record<string, Array<{ from: string; msg: unknown }>> = { a: [], b: [] };
  const b = new StreamHub({
    cluster: "c",
    me: "b",
    inc: 1,
    key,
    port: 0,
    listen: ["127.0.0.1:0"],
    peers: { a: [] },
    onMessage: (from, msg) => got.b!.push({ from, msg }),
    ...bOptions,
  });
  await b.start();
  const bPort = b.ports[0]!;
  const a = new StreamHub({
    cluster: "c",
    me: "a",
    inc: 1,
    key,
    port: 0,
    listen: ["127.0.0.1:0"],
    peers: { b: [aPeerB ? aPeerB(bPort) : `127.0.0.1:${bPort}`] },
    onMessage: (from, msg) => got.a!.push({ from, msg }),
  });
  await a.start();
  b.o.peers.a = [`127.0.0.1:${a.ports[0]}`];
  hubs.push(a, b);
  return {
    a,
    b,
    bPort,
    got,
    stop: () => {
      a.close();
      b.close();
    },
  };
}

/** A pair whose a reaches b through a proxy that records every byte a sends. */
async function recordedPair() {
  const recorded: Buffer[] = [];
  let bPortSeen = 0;
  const proxy = createServer((inbound: Socket) => {
    const out = connect({ host: "127.0.0.1", port: bPortSeen });
    inbound.on("data", (d: Buffer) => {
      recorded.push(d);
      out.write(d);
    });
    out.on("data", (d: Buffer) => inbound.write(d));
    inbound.on("error", () => out.destroy());
    out.on("error", () => inbound.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  const proxyPort = (proxy.address() as { port: number }).port;
  const p = await pair({}, () => `127.0.0.1:${proxyPort}`);
  bPortSeen = p.bPort;
  return { ...p, recorded, proxy };
}

async function until(cond: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${label}`);
}

test("a large message crosses an authenticated stream, and the answer comes back on the same connection", async () => {
  const { a, b, got, stop } = await pair();
  try {
    const big = { kind: "config", text: "x".repeat(1024 * 1024) };
    a.send("b", big);
    a.send("b", { kind: "second" });
    await until(() => got.b!.length === 2, "b to get both");
    assert.deepEqual(
      got.b!.map((m) => m.from),
      ["a", "a"],
    );
    assert.equal((got.b![0]!.msg as typeof big).text.length, 1024 * 1024);
    b.send("a", { kind: "ack" });
    await until(() => got.a!.length === 1, "a to get the answer");
    assert.deepEqual(got.a![0], { from: "b", msg: { kind: "ack" } });
  } finally {
    stop();
  }
});

test("a stranger with another key, garbage bytes and oversized frames are refused; the hub keeps working", async () => {
  const { a, b, bPort, got, stop } = await pair({ maxFrameBytes: 4096 });
  const stranger = new StreamHub({
    cluster: "c",
    me: "a",
    inc: 9,
    key: randomBytes(32),
    port: 0,
    listen: [],
    peers: { b: [`127.0.0.1:${bPort}`] },
    onMessage: () => undefined,
  });
  try {
    stranger.send("b", { evil: true });
    await until(() => (b.stats.rejected.auth ?? 0) >= 1, "b to refuse the stranger");
    const raw = connect({ host: "127.0.0.1", port: bPort });
    raw.on("error", () => undefined);
    raw.write(randomBytes(3000));
    await until(() => (b.stats.rejected["bad-hello"] ?? 0) + (b.stats.rejected.auth ?? 0) >= 2, "b to refuse garbage");
    a.send("b", { big: "y".repeat(8000) });
    await until(() => (b.stats.rejected.oversized ?? 0) >= 1, "b to refuse an oversized frame");
    await sleep(50);
    a.send("b", { small: true }); // a reconnects after b closed the connection
    await until(() => got.b!.length === 1, "the next normal message");
    assert.deepEqual(got.b, [{ from: "a", msg: { small: true } }]);
  } finally {
    stranger.close();
    stop();
  }
});

test("a recorded connection replayed later delivers nothing: per-connection keys", async () => {
  const { recorded, proxy, a, b, bPort, got, stop } = await recordedPair();
  try {
    a.send("b", { order: "promote db" });
    await until(() => got.b!.length === 1, "the original message");
    const replay = connect({ host: "127.0.0.1", port: bPort });
    replay.on("error", () => undefined);
    replay.write(Buffer.concat(recorded));
    await until(() => (b.stats.rejected.auth ?? 0) >= 1, "b to refuse the replayed frames");
    assert.equal(got.b!.length, 1, "delivered once only");
    replay.destroy();
  } finally {
    proxy.close();
    stop();
  }
});

test("a recorded hello replayed or reflected gets nowhere: the callee says nothing first, the replayer cannot confirm, the live connection stays", async () => {
  const { recorded, proxy, a, b, bPort, got, stop } = await recordedPair();
  const attacker = connect({ host: "127.0.0.1", port: bPort });
  const answered: Buffer[] = [];
  attacker.on("data", (d: Buffer) => answered.push(d));
  attacker.on("error", () => undefined);
  try {
    a.send("b", { order: "start vip" });
    await until(() => got.b!.length === 1, "the original message");
    await sleep(100);
    assert.equal(answered.length, 0, "a callee does not speak first: there is no hello of its to reflect");
    // a's hello to b (the first frame it sent), replayed: b answers it, then waits for a confirm nobody can make.
    const all = Buffer.concat(recorded);
    const helloEnd = 4 + all.readUInt32BE(0);
    attacker.write(all.subarray(0, helloEnd));
    await until(() => answered.length > 0, "b's hello to the replayer");
    attacker.write(all.subarray(helloEnd)); // a's confirm and message, under the old connection's keys
    await until(() => (b.stats.rejected.auth ?? 0) >= 1, "b to refuse the replayer's confirm");
    b.send("a", { reply: "done" });
    await until(() => got.a!.length === 1, "b's answer to reach the real a");
    assert.deepEqual(got.a, [{ from: "b", msg: { reply: "done" } }]);
    assert.equal(got.b!.length, 1, "nothing delivered from the replayer");
  } finally {
    attacker.destroy();
    proxy.close();
    stop();
  }
});
