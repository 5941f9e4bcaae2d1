import assert from "node:assert/strict";
import { test } from "node:test";
import { fromCivil, isoWeekday, toCivil } from "./calendar.js";
import { parseDate } from "./rules.js";

test("calendar arithmetic agrees with the platform's UTC calendar", () => {
  for (let sec = -2_000_000_000; sec < 4_000_000_000; sec += 9_876_543) {
    const d = new Date(sec * 1000);
    const c = toCivil(sec);
    assert.deepEqual(
      [c.year, c.month, c.day, c.hour, c.minute, c.second],
      [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()],
    );
    assert.equal(fromCivil(c), sec);
    assert.equal(isoWeekday(sec), d.getUTCDay() === 0 ? 7 : d.getUTCDay());
  }
});

test("dates in Pacemaker's forms", () => {
  assert.equal(parseDate("2005-001"), Date.UTC(2005, 0, 1) / 1000);
  assert.equal(parseDate("2005-020 12:00"), Date.UTC(2005, 0, 20, 12) / 1000);
  assert.equal(parseDate("2009-W01-1"), Date.UTC(2008, 11, 29) / 1000);
  assert.equal(parseDate("2005-11-05 12:00:00"), Date.UTC(2005, 10, 5, 12) / 1000);
  assert.equal(parseDate("2005-11-05T12:00:00+02:00"), Date.UTC(2005, 10, 5, 10) / 1000);
  assert.equal(parseDate("not a date"), undefined);
});
