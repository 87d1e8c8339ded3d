// The web client's display forms, without a browser: dates and times in the utility's time
// zone whatever the machine's, money and readings from their strings.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fmt from "../../../crates/web/assets/js/format.js";

test("an instant is shown at the utility's time, not the device's", () => {
  fmt.setTimeZone("Europe/Moscow");
  // Submitted at 22:25 UTC on 6 December: 01:25 on 7 December in Ivanovo.
  assert.equal(fmt.instant("2026-12-06T22:25:00Z"), "07.12.2026, 01:25");
  assert.equal(fmt.instant("2026-12-07T01:25:00+03:00"), "07.12.2026, 01:25");
  fmt.setTimeZone("Asia/Yekaterinburg");
  assert.equal(fmt.instant("2026-12-06T22:25:00Z"), "07.12.2026, 03:25");
});

test("today is the utility's date", () => {
  fmt.setTimeZone("Europe/Moscow");
  const late = new Date("2026-12-06T22:25:00Z");
  assert.equal(fmt.today(0, late), "2026-12-07");
  assert.equal(fmt.today(1, late), "2026-12-08");
  assert.equal(fmt.today(1, new Date("2026-12-31T12:00:00Z")), "2027-01-01");
});

test("hours and phones read as the guide writes them", () => {
  assert.equal(fmt.hours({ days: "Пн-Пт", opens: "08:30", closes: "18:30" }), "Пн-Пт: 8:30-18:30");
  assert.equal(fmt.hours({ days: "Сб", opens: "09:00", closes: "17:30" }), "Сб: 9:00-17:30");
  assert.equal(fmt.phone("+79109845003"), "+7\u00a0(910)\u00a0984-50-03");
});

test("money and readings come from their strings", () => {
  assert.equal(fmt.money("1234.50"), "1\u00a0234,50\u00a0₽");
  assert.equal(fmt.volume("130.500"), "130,500\u00a0м³");
  assert.equal(fmt.debt("-350.75"), "Переплата 350,75\u00a0₽");
  assert.equal(fmt.decimal("1 234,5"), "1234.5");
});
