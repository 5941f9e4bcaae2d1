// A start still in flight where the transition stops the resource: is it still shown there afterwards? It is when
// Pacemaker orders the pending operation after the result crm_simulate records (transition −1, placeholder id).

import assert from "node:assert/strict";
import { test } from "node:test";
import { pendingOutlivesSimulatedResult } from "./transition.js";

test("a pending start outlives a simulated result unless it is from a numbered transition of the placeholder id", () => {
  const fake = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  assert.equal(pendingOutlivesSimulatedResult(`-1:4:0:ed206caf-a46c-4a98-a6d0-3b13dfaa5b11`), true, "another cluster");
  assert.equal(pendingOutlivesSimulatedResult(`0:-1:0:${fake}`), true, "transition -1 too: equal, pending wins");
  assert.equal(pendingOutlivesSimulatedResult(`-1:9:0:${fake}`), false, "a numbered transition is older");
  assert.equal(pendingOutlivesSimulatedResult(undefined), false, "no key: the result recorded last is newer");
  assert.equal(pendingOutlivesSimulatedResult("garbage"), false);
});
