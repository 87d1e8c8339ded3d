// Consumption at a glance (issue 18): the account screen's chart per meter, its bars checked
// against GET /accounts/{n}/consumption fetched in the page, at 360x740.
//
// The data: the demo registry gives account 100003's meters one reading each in October 2026
// (a first reading: a value, no consumption); this journey sends the cold meter's reading of
// the current period through the API. The server runs on the real clock, so with the current
// period December 2026 November is a gap and December's consumption spans two months. Nothing
// below assumes those dates: every bar is compared with the series the API serves, and the
// series must hold a gap and a consumption in the current period.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  useBrowser,
  journey,
  heading,
  open,
  registeredUser,
  linkAccount,
  logIn,
} from "../lib.mjs";

useBrowser();

/** The chart's bars proportional to the largest consumption: assets/js/chart.js's PLOT_HEIGHT. */
const PLOT_HEIGHT = 110;
const SHORT_MONTHS = [
  "янв",
  "фев",
  "мар",
  "апр",
  "май",
  "июн",
  "июл",
  "авг",
  "сен",
  "окт",
  "ноя",
  "дек",
];
const litres = (text) => {
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 1000 + Number(fraction.padEnd(3, "0"));
};

test("the account screen charts each meter's consumption as the API serves it", async () => {
  const { page, screenshot, finish } = await journey("consumption");
  const { phone, token } = await registeredUser();
  await linkAccount(token, "100003", "4567", "Квартира");
  const response = await fetch(
    `${process.env.VODOKANAL_URL || "http://127.0.0.1:8080"}/api/v1/accounts/100003/readings`,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        readings: [{ meter_number: "ВСХ-0044567", value: "85.5" }],
      }),
    },
  );
  assert.equal(response.status, 201, await response.text());

  await logIn(page, phone);
  await open(page, "/accounts/100003", "Квартира");
  await page.locator(".consumption").first().waitFor();
  const series = await page.evaluate(async () => {
    const answer = await fetch("/api/v1/accounts/100003/consumption", {
      headers: {
        authorization: `Bearer ${sessionStorage.getItem("vodokanal.token")}`,
      },
    });
    return answer.json();
  });
  assert.equal(series.periods.length, 12);
  assert.equal(series.periods.at(-1), series.current_period);
  assert.equal(series.meters.length, 2);
  const cold = series.meters.find((m) => m.meter_number === "ВСХ-0044567");
  const now = cold.points.at(-1);
  assert.equal(now.value, "85.500");
  assert.ok(now.consumption !== null, "the current period has a consumption");
  assert.ok(
    cold.points.some((p) => p.value === null),
    "the series has a gap",
  );

  for (const meter of series.meters) {
    const chart = page.locator(
      `.consumption[data-meter="${meter.meter_number}"]`,
    );
    await chart.scrollIntoViewIfNeeded();
    const largest = Math.max(
      0,
      ...meter.points.map((p) => (p.consumption ? litres(p.consumption) : 0)),
    );
    const bars = await chart.locator("rect.bar").evaluateAll((rects) =>
      rects.map((r) => ({
        period: r.dataset.period,
        consumption: r.dataset.consumption,
        height: Number(r.getAttribute("height")),
        current: r.classList.contains("current"),
      })),
    );
    // One bar per point with a consumption, in order; none for the others.
    const expected = meter.points.filter((p) => p.consumption !== null);
    assert.deepEqual(
      bars.map((b) => [b.period, b.consumption]),
      expected.map((p) => [p.period, p.consumption]),
      meter.meter_number,
    );
    for (const bar of bars) {
      const wanted =
        largest === 0 ? 0 : (PLOT_HEIGHT * litres(bar.consumption)) / largest;
      assert.ok(
        Math.abs(bar.height - wanted) < 0.01,
        `${bar.period}: ${bar.height} vs ${wanted}`,
      );
      assert.equal(
        bar.current,
        bar.period === series.current_period,
        bar.period,
      );
    }
    // A period without a consumption is a dashed mark, not a bar.
    const gaps = await chart
      .locator("line.gap")
      .evaluateAll((lines) => lines.map((l) => l.dataset.period));
    assert.deepEqual(
      gaps,
      meter.points.filter((p) => p.consumption === null).map((p) => p.period),
    );
    // The current period says so in words, not colour alone.
    const month = SHORT_MONTHS[Number(series.current_period.slice(5, 7)) - 1];
    assert.equal(
      await chart.locator("text.month.current").textContent(),
      month,
    );
    assert.equal(
      await chart.locator("text.now-label").textContent(),
      `сейчас: ${month}`,
    );
    // The table holds the same numbers.
    const rows = await chart
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.dataset.period,
          tr.querySelector("td[data-consumption]").dataset.consumption,
          tr.cells[1].textContent,
        ]),
      );
    assert.deepEqual(
      rows.map(([period, consumption]) => [period, consumption]),
      meter.points.map((p) => [p.period, p.consumption ?? ""]),
    );
    for (const [i, [, , value]] of rows.entries()) {
      const point = meter.points[i];
      assert.equal(
        value,
        point.value === null
          ? "нет показаний"
          : `${point.value.replace(".", ",")}\u00a0м³`,
        point.period,
      );
    }
  }
  const coldChart = page.locator('.consumption[data-meter="ВСХ-0044567"]');
  await coldChart.scrollIntoViewIfNeeded();
  await screenshot("chart");
  await coldChart.getByText("Таблица расхода").click();
  await coldChart.locator("table").waitFor();
  // A consumption over several months says so, in the chart and in the table.
  const spanning = cold.points.filter(
    (p) => p.spans_periods !== null && p.spans_periods > 1,
  );
  for (const point of spanning) {
    await coldChart
      .locator("text.spans-label")
      .getByText(`${point.spans_periods} мес.`)
      .first()
      .waitFor();
    const cell = coldChart.locator(
      `tr[data-period="${point.period}"] td[data-consumption]`,
    );
    assert.match(
      await cell.textContent(),
      new RegExp(`\\(за ${point.spans_periods} мес\\.\\)$`),
    );
  }
  await screenshot("table");

  // 360 px wide: no horizontal scroll.
  const overflow = await page.evaluate(
    () =>
      document.documentElement.scrollWidth -
      document.documentElement.clientWidth,
  );
  assert.equal(overflow, 0);
  await finish();
});
