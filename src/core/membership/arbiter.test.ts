import assert from "node:assert/strict";
import { test } from "node:test";
import { arbiterDecide, initArbiter } from "./arbiter.js";
import type { View } from "./types.js";

const both: View = { id: 4, leader: "a", leaderInc: 1, members: ["a", "b"] };
const aAlone: View = { id: 5, leader: "a", leaderInc: 1, members: ["a"] };
const bAlone: View = { id: 5, leader: "b", leaderInc: 1, members: ["b"] };
const ask = (from: string, view: View, seq = 1) => ({ t: "arb-req" as const, from, inc: 1, seq, view });

test("the arbiter lends its vote to one view at a time, renews it for that view, and waits out a lease before moving it", () => {
  const s = initArbiter(0);
  assert.equal(arbiterDecide(s, 500, 1000, ask("a", both)).reply.granted, false, "freshly started: waits one lease");
  assert.equal(arbiterDecide(s, 1000, 1000, ask("a", both)).reply.granted, true);
  assert.equal(arbiterDecide(s, 1100, 1000, ask("b", both)).reply.granted, true, "every member of the view renews it");
  const refused = arbiterDecide(s, 1500, 1000, ask("b", bAlone));
  assert.equal(refused.reply.granted, false);
  assert.match(refused.log!, /refused b \(view 5\): the vote is lent to view 4 \(a, b\) for 600 ms more/);
  assert.equal(arbiterDecide(s, 2101, 1000, ask("a", aAlone)).reply.granted, true, "after the lease: first come");
  assert.equal(arbiterDecide(s, 2200, 1000, ask("b", bAlone)).reply.granted, false);
  assert.equal(
    arbiterDecide(s, 2300, 1000, ask("c", aAlone)).reply.granted,
    false,
    "a node asking for a view it is not in",
  );
});
