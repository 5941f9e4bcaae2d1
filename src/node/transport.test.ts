// The heartbeat transport on loopback: a datagram is good once, for the one receiver it was sealed for, in the life
// of that receiver it was sealed for. Captured datagrams are replayed the way someone on the network would.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import type { Message } from "../core/membership/types.js";
import { UdpTransport } from "./transport.js";

const key = randomBytes(32);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hb = (from: string, inc: number, seq: number): Message => ({
  t: "hb",
  from,
  inc,
  seq,
  view: { id: 1, leader: "n1", leaderInc: 1, members: ["n1", "n2", "n3"] },
  hears: [],
  settled: true,
  attrs: {},
  echo: [],
});

/** A node's transport on 127.0.0.1 (port chosen by the system); what it accepts lands in `got`. */
async function node(me: string, inc: number, port = 0) {
  const got: Array<{ from: string; seq: number }> = [];
  const t = new UdpTransport({
    cluster: "c",
    me,
    inc,
    key,
    port,
    links: [`127.0.0.1:${port}`],
    // Everyone is on 127.0.0.1 (the source check passes); the ports are filled in once every node has one.
    peers: Object.fromEntries(["n1", "n2", "n3"].filter((n) => n !== me).map((n) => [n, ["127.0.0.1:0"]])),
    onMessage: (_link, env) => got.push({ from: env.from, seq: env.msg.t === "hb" ? env.msg.seq : -1 }),
  });
  await t.start();
  return { t, got, addr: () => `127.0.0.1:${t.ports[0]}` };
}

/** A socket standing in for someone on the network: records what is sent to it, sends anything anywhere. */
async function wire(host = "127.0.0.1") {
  const sock = createSocket("udp4");
  const seen: Buffer[] = [];
  sock.on("message", (d) => seen.push(d));
  await new Promise<void>((r) => sock.bind(0, host, r));
  return {
    seen,
    addr: `${host}:${sock.address().port}`,
    replay: (data: Buffer, to: string) =>
      new Promise<void>((r) => sock.send(data, Number(to.split(":")[1]), "127.0.0.1", () => r())),
    close: () => sock.close(),
  };
}

test("a datagram sealed for one node is refused by another, and by the same node the second time", async () => {
  const [n1, n2, n3] = await Promise.all([node("n1", 1), node("n2", 1), node("n3", 1)]);
  const spy = await wire();
  try {
    // n1's datagrams to n2 go through the spy (as if captured on the way); n3 is n1's peer too.
    Object.assign(n1.t["o"].peers, { n2: [spy.addr], n3: [n3.addr()] });
    Object.assign(n2.t["o"].peers, { n1: [n1.addr()], n3: [n3.addr()] });
    Object.assign(n3.t["o"].peers, { n1: [n1.addr()], n2: [n2.addr()] });
    n1.t.send("n2", 0, hb("n1", 1, 1));
    await sleep(50);
    assert.equal(spy.seen.length, 1);
    const captured = spy.seen[0]!;
    await spy.replay(captured, n2.addr()); // delivered as it would have been: accepted
    await spy.replay(captured, n2.addr()); // the same again: a replay
    await spy.replay(captured, n3.addr()); // to another node: not for it
    await sleep(50);
    assert.deepEqual(n2.got, [{ from: "n1", seq: 1 }]);
    assert.deepEqual(n3.got, []);
    assert.equal(n2.t.stats.rejected.replay, 1);
    assert.equal(n3.t.stats.rejected["not-for-me"], 1);
  } finally {
    for (const x of [n1, n2, n3]) x.t.close();
    spy.close();
  }
});

test("datagrams sealed for a node's earlier life are refused after it restarts (its replay window is new)", async () => {
  const n1 = await node("n1", 1);
  let n2 = await node("n2", 1);
  const spy = await wire();
  try {
    Object.assign(n2.t["o"].peers, { n1: [n1.addr()] });
    Object.assign(n1.t["o"].peers, { n2: [n2.addr()] });
    n2.t.send("n1", 0, hb("n2", 1, 1)); // n1 learns n2's incarnation
    await sleep(50);
    n1.t["o"].peers.n2 = [spy.addr];
    n1.t.send("n2", 0, hb("n1", 1, 2)); // sealed for n2's life 1, captured
    await sleep(50);
    const captured = spy.seen[0]!;
    // n2 restarts (life 2, on the same port): the capture replayed to it is for its earlier life.
    const port = n2.t.ports[0]!;
    n2.t.close();
    await sleep(20);
    n2 = await node("n2", 2, port);
    n2.t["o"].peers.n1 = [n1.addr()];
    await spy.replay(captured, n2.addr());
    await sleep(50);
    assert.deepEqual(n2.got, []);
    assert.equal(n2.t.stats.rejected["earlier-life"], 1);
    // Until n1 hears life 2, its datagrams still name life 1 and are refused; once it has, they pass.
    n1.t["o"].peers.n2 = [n2.addr()];
    n2.t.send("n1", 0, hb("n2", 2, 1));
    await sleep(50);
    n1.t.send("n2", 0, hb("n1", 1, 3));
    await sleep(50);
    assert.deepEqual(n2.got, [{ from: "n1", seq: 3 }]);
  } finally {
    n1.t.close();
    n2.t.close();
    spy.close();
  }
});

test("a datagram from an address that is no peer's is refused before anything else", async () => {
  const [n1, n2] = await Promise.all([node("n1", 1), node("n2", 1)]);
  const spy = await wire();
  const stranger = await wire("127.0.0.2");
  try {
    Object.assign(n1.t["o"].peers, { n2: [spy.addr] });
    n1.t.send("n2", 0, hb("n1", 1, 1));
    await sleep(50);
    await stranger.replay(spy.seen[0]!, n2.addr()); // authentic, for n2, but from elsewhere
    await sleep(50);
    assert.deepEqual(n2.got, []);
    assert.equal(n2.t.stats.rejected["unknown-address"], 1);
  } finally {
    for (const x of [n1, n2]) x.t.close();
    spy.close();
    stranger.close();
  }
});
