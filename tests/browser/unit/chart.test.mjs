// The consumption chart's geometry, without a browser: bars proportional to the consumption,
// gaps without a bar, the current period marked, integer arithmetic on the contract's strings.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  layout,
  litres,
  shortMonth,
  PLOT_HEIGHT,
  WIDTH,
} from "../../../crates/web/assets/js/chart.js";

/** @param {string} period @param {string | null} value @param {string | null} consumption @param {number | null} spans */
const point = (
  period,
  value,
  consumption,
  spans = consumption === null ? null : 1,
) => ({
  period,
  value,
  consumption,
  spans_periods: spans,
});

test("volumes are read as litres, without floats", () => {
  assert.equal(litres("12.500"), 12500);
  assert.equal(litres("0.001"), 1);
  assert.equal(litres("999999.999"), 999999999);
  assert.equal(litres("7"), 7000);
});

test("months are short Russian names", () => {
  assert.equal(shortMonth("2026-01"), "янв");
  assert.equal(shortMonth("2026-05"), "май");
  assert.equal(shortMonth("2026-12"), "дек");
});

test("bars are proportional, gaps have none, the current one is marked", () => {
  const slots = layout(
    [
      point("2026-09", "100.000", null),
      point("2026-10", null, null),
      point("2026-11", "110.000", "10.000", 2),
      point("2026-12", "112.500", "2.500"),
    ],
    "2026-12",
  );
  assert.equal(slots.length, 4);
  assert.deepEqual(
    slots.map((s) => s.height),
    [null, null, PLOT_HEIGHT, PLOT_HEIGHT / 4],
  );
  assert.deepEqual(
    slots.map((s) => s.current),
    [false, false, false, true],
  );
  assert.equal(slots[2].spans, 2);
  // Slots tile the width, oldest first.
  assert.equal(slots[0].x, 0);
  assert.equal(slots[3].x, (WIDTH / 4) * 3);
  assert.ok(slots.every((s) => s.center + s.width / 2 <= WIDTH));
});

test("a zero consumption is a bar of no height, not a gap", () => {
  const slots = layout(
    [point("2026-11", "5.000", "0.000"), point("2026-12", "5.000", "0.000")],
    "2026-12",
  );
  assert.deepEqual(
    slots.map((s) => s.height),
    [0, 0],
  );
});
