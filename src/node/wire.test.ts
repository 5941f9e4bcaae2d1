import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import type { Message } from "../core/membership/types.js";
import { readClusterKey, writeClusterKey } from "./key.js";
import { splitAddress } from "./transport.js";
import { decode, encode, MAX_DATAGRAM_BYTES, ReplayWindow, WIRE_VERSION, type Envelope } from "./wire.js";

const key = randomBytes(32);
const view = { id: 3, leader: "n1", leaderInc: 2, members: ["n1", "n2"] };
const hb: Message = {
  t: "hb",
  from: "n1",
  inc: 2,
  seq: 5,
  view,
  hears: ["n2"],
  settled: true,
  attrs: { pingd: "2000" },
  echo: [["n2", 7, 41]],
};
const env: Envelope = { cluster: "c", from: "n1", inc: 2, to: "n2", toInc: 0, packet: 1, msg: hb };

test("a sealed datagram opens with the same key, and every message kind survives the trip", () => {
  const msgs: Message[] = [
    hb,
    { t: "propose", from: "n1", inc: 2, view },
    { t: "propose", from: "n1", inc: 2, view, goodbyes: [["n3", 4]] },
    { t: "ack", from: "n1", inc: 2, viewId: 3, leader: "n2", leaderInc: 1, had: ["n1"], settleLeftMs: 0, echo: true },
    { t: "commit", from: "n1", inc: 2, view, settleLeftMs: 700, echo: ["n2"] },
    { t: "leave", from: "n1", inc: 2 },
  ];
  for (const msg of msgs)
    assert.deepEqual(decode(key, encode(key, { ...env, msg })), { ok: true, env: { ...env, msg } });
  const request = { t: "arb-req" as const, from: "n1", inc: 2, seq: 9, view };
  assert.deepEqual(decode(key, encode(key, { ...env, msg: request })), { ok: true, env: { ...env, msg: request } });
  const reply = { t: "arb-reply" as const, to: "n1", inc: 2, seq: 9, view, granted: true };
  assert.equal(decode(key, encode(key, { ...env, from: "@arbiter", msg: reply })).ok, true);
  assert.deepEqual(
    decode(key, encode(key, { ...env, msg: reply })),
    { ok: false, reason: "malformed" },
    "only the arbiter answers",
  );
  const probe = { t: "probe" as const, from: "n1", inc: 2, id: 7, reply: true };
  assert.deepEqual(decode(key, encode(key, { ...env, msg: probe })), { ok: true, env: { ...env, msg: probe } });
});

test("forged, tampered, truncated, foreign and oversized datagrams are rejected with a reason, never thrown", () => {
  const good = encode(key, env);
  assert.deepEqual(decode(randomBytes(32), good), { ok: false, reason: "auth" }, "another cluster key");
  for (const at of [1 + 1, 20, good.length - 1]) {
    const bad = Buffer.from(good);
    bad[at]! ^= 0x01;
    assert.equal(decode(key, bad).ok, false, `bit flipped at ${at}`);
  }
  assert.deepEqual(decode(key, good.subarray(0, 10)), { ok: false, reason: "short" });
  assert.deepEqual(decode(key, Buffer.concat([Buffer.from([0x51]), good.subarray(1)])), { ok: false, reason: "magic" });
  assert.deepEqual(decode(key, Buffer.concat([Buffer.from([0x50, 9]), good.subarray(2)])), {
    ok: false,
    reason: "version",
  });
  assert.deepEqual(decode(key, Buffer.alloc(MAX_DATAGRAM_BYTES + 1)), { ok: false, reason: "oversized" });
});

test("authentic but ill-formed contents are refused field by field", () => {
  const bad: unknown[] = [
    { ...env, msg: { ...hb, from: "n9" } }, // claims another sender inside
    { ...env, msg: { ...hb, t: "nope" } },
    { ...env, msg: { ...hb, hears: "n2" } },
    { ...env, msg: { ...hb, attrs: { pingd: 2000 } } },
    { ...env, msg: { t: "propose", from: "n1", inc: 2, view, goodbyes: [["n3"]] } },
    { ...env, msg: { t: "propose", from: "n1", inc: 2, view, goodbyes: "n3" } },
    { ...env, msg: { ...hb, attrs: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`a${i}`, "1"])) } },
    { ...env, msg: { ...hb, view: { ...view, members: Array.from({ length: 65 }, (_, i) => `n${i}`) } } },
    { ...env, inc: -1 },
    { ...env, packet: 1.5 },
    { ...env, cluster: "" },
    null,
  ];
  for (const b of bad)
    assert.deepEqual(
      decode(key, encode(key, b as Envelope)),
      { ok: false, reason: "malformed" },
      JSON.stringify(b)?.slice(0, 80),
    );
});

test("random bytes never crash the decoder (fuzz)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
      const buf = Buffer.from(bytes);
      if (buf.length > 1) {
        buf[0] = 0x50;
        buf[1] = WIRE_VERSION;
      } // past the cheap checks, into the cipher
      assert.equal(decode(key, buf).ok, false);
    }),
    { numRuns: 5000, seed: 11 },
  );
});

test("authentic datagrams with any field replaced by anything are refused as malformed, never crash (fuzz)", () => {
  const fields = [
    ...Object.keys(env).map((k) => [k]),
    ...Object.keys(hb).map((k) => ["msg", k]),
    ["msg", "view", "members"],
    ["msg", "echo", "0"],
  ];
  fc.assert(
    fc.property(fc.constantFrom(...fields), fc.anything(), (path, value) => {
      const e = structuredClone(env) as unknown as Record<string, unknown>;
      let at = e;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
      at[path.at(-1)!] = value;
      let sealed: Buffer;
      try {
        sealed = encode(key, e as unknown as Envelope);
      } catch {
        return; // too large for a datagram, or not JSON: never sent
      }
      const d = decode(key, sealed);
      if (!d.ok) assert.equal(d.reason, "malformed");
    }),
    { numRuns: 5000, seed: 12 },
  );
  console.log("# datagram mutations: 5000 random past the header, 5000 authentic with a field replaced: 0 crashes");
});

test("replays are refused: each packet number once per sender life, old lives refused, a window for reordering", () => {
  const w = new ReplayWindow(8);
  assert.equal(w.accept("n1", 1, 5), true);
  assert.equal(w.accept("n1", 1, 5), false, "same packet again");
  assert.equal(w.accept("n1", 1, 3), true, "late but inside the window");
  assert.equal(w.accept("n1", 1, 3), false);
  assert.equal(w.accept("n1", 1, 20), true);
  assert.equal(w.accept("n1", 1, 10), false, "older than the window");
  assert.equal(w.accept("n1", 2, 1), true, "a restart starts a new life");
  assert.equal(w.accept("n1", 1, 21), false, "the previous life is over");
  assert.equal(w.accept("n2", 1, 1), true, "senders are independent");
});

test("link addresses: host, host:port and [v6]:port", () => {
  assert.deepEqual(splitAddress("10.0.0.1", 5405), { host: "10.0.0.1", port: 5405 });
  assert.deepEqual(splitAddress("10.0.0.1:6000", 5405), { host: "10.0.0.1", port: 6000 });
  assert.deepEqual(splitAddress("[fe80::1]:6000", 5405), { host: "fe80::1", port: 6000 });
  assert.deepEqual(splitAddress("fe80::1", 5405), { host: "fe80::1", port: 5405 });
});

const dir = mkdtempSync(join(tmpdir(), "paceline-key-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("cluster keys: written private and never overwritten; a readable, missing or garbled key is refused plainly", () => {
  const path = join(dir, "authkey");
  writeClusterKey(path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readClusterKey(path).length, 32);
  assert.throws(() => writeClusterKey(path), { code: "EEXIST" });
  chmodSync(path, 0o644);
  assert.throws(() => readClusterKey(path), /readable by group or others \(mode 644\); run chmod 600/);
  assert.throws(() => readClusterKey(join(dir, "none")), /does not exist; create it with `paceline keygen -o/);
  const garbled = join(dir, "garbled");
  writeFileSync(garbled, "secret\n", { mode: 0o600 });
  assert.throws(() => readClusterKey(garbled), /is not 64 hex digits/);
  assert.doesNotMatch(
    String(
      (() => {
        try {
          readClusterKey(garbled);
        } catch (e) {
          return (e as Error).message;
        }
      })(),
    ),
    /secret/,
    "the key's content is never echoed",
  );
});
