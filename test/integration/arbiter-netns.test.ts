// Two nodes and a `paceline arbiter` (in the root namespace, on the bridge's address): when the nodes stop hearing
// each other but both still reach the arbiter, exactly one keeps quorum; without the arbiter, both nodes together
// still have quorum. Namespaces, veths and bridges are this test's own and are deleted afterwards.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, test } from "node:test";
import { CLI, sleep, waitFor } from "../helpers.js";
import { haveNft, NetnsCluster, summary } from "../netns-cluster.js";
import { ROOT, unmet } from "../requires.js";

const skip = unmet(ROOT, [haveNft, "nftables is not installed"]);
const c = new NetnsCluster(2, 1, "profile: fast", 218, 'quorum: { arbiter: "10.218.0.254:5406" }');
let arbiter: ChildProcess | undefined;
let arbiterOut = "";

before(() => {
  if (skip) return;
  c.setup();
  arbiter = spawn(process.execPath, [CLI, "arbiter", "--config", c.node("n1").configPath], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  arbiter.stdout!.on("data", (b: Buffer) => (arbiterOut += b.toString()));
  arbiter.stderr!.on("data", (b: Buffer) => (arbiterOut += b.toString()));
  for (const d of c.daemons.values()) d.start();
});
after(async () => {
  if (arbiter && arbiter.exitCode === null) arbiter.kill("SIGKILL");
  await c.teardown();
});

test("with the arbiter's vote both nodes hold 3 of 3 votes", { skip }, async () => {
  const all = await c.converge(["n1", "n2"], ["n1", "n2"], "n1");
  await waitFor(
    async () => (await c.node("n1").membership()).arbiter?.voteHeld || undefined,
    5000,
    "the arbiter's vote",
  );
  assert.deepEqual((await c.node("n1").membership()).votes, { present: 3, needed: 2, expected: 3 });
  assert.equal(all.length, 2);
});

test(
  "the nodes lose each other but both reach the arbiter: exactly one keeps quorum, never both",
  { skip },
  async () => {
    const peerAddr = (n: string) => c.addr(n, 0);
    c.filter("n1", `ip saddr ${peerAddr("n2")} udp dport 5405 drop`);
    c.filter("n2", `ip saddr ${peerAddr("n1")} udp dport 5405 drop`);
    try {
      await waitFor(
        async () => {
          const s = await Promise.all(["n1", "n2"].map((n) => c.node(n).membership()));
          return s.every((x) => x.view.members.length === 1) || undefined;
        },
        10_000,
        "each node alone in its view",
      );
      for (let i = 0; i < 20; i++) {
        const s = await Promise.all(["n1", "n2"].map((n) => c.node(n).membership()));
        assert.ok(s.filter((x) => x.quorate).length <= 1, `two quorate partitions: ${s.map(summary).join(" | ")}`);
        await sleep(100);
      }
      const s = await Promise.all(["n1", "n2"].map((n) => c.node(n).membership()));
      assert.equal(
        s.filter((x) => x.quorate).length,
        1,
        `one side keeps quorum: ${s.map(summary).join(" | ")}\n${arbiterOut.slice(-1500)}`,
      );
      assert.match(arbiterOut, /vote lent to view \d+ \(n[12]\)/);
    } finally {
      c.unfilter("n1");
      c.unfilter("n2");
    }
    await c.converge(["n1", "n2"], ["n1", "n2"], "n1");
  },
);

test("the arbiter stops: the two nodes together keep quorum (2 of 3)", { skip }, async () => {
  arbiter!.kill("SIGTERM");
  await new Promise((r) => arbiter!.once("exit", r));
  await sleep(1500);
  const s = await c.converge(["n1", "n2"], ["n1", "n2"], "n1");
  assert.equal(s[0]!.arbiter?.voteHeld, false);
  assert.deepEqual(s[0]!.votes, { present: 2, needed: 2, expected: 3 });
});
